// Package dev holds what `segl serve --dev` runs instead of the outside
// world, so the layout shows what is development-only. Each stand-in
// speaks the real wire protocol, so segl's production adapters are the
// code that talks to it:
//
//   - dev/idp: ID-porten (OpenID Connect), for eid/oidc;
//   - dev/csc: a remote signing service (CSC API v2), for eid/csc;
//   - dev/mail and dev/sms: an SMTP relay and an SMS gateway, for notify;
//   - dev/mailbox: Digipost, for mailbox/digipost;
//   - dev/registry: KRR and the business register, for registry/krr and
//     registry/brreg;
//   - dev/population: the synthetic people and organisations they all serve;
//   - dev/tsa: a gate in front of the development TSA that a test can hold,
//     to stop a process in the middle of a completion.
//
// The development CA stays in pki (pki.Dev): the production code issues,
// parses and answers OCSP with the same functions, and the tests of the
// lower floors build their PKI with it.
//
// AdminPID is the fixed central administrator of a development server.
//
// None of it may face the outside world: every stand-in trusts its callers
// and keeps what it receives in memory or under the data directory, and
// anyone may log in as anyone. So development mode listens on loopback only
// and refuses every production setting (config.CheckDev), and it says what
// it is when it starts (Banner).
package dev

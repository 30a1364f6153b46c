// Package pki provides the development public-key infrastructure of segl and
// the certificate helpers the rest of the service shares.
//
// In development ("segl serve --dev", "segl seal", "segl keys init") segl
// plays every role of a qualified trust service provider itself: a root CA,
// an issuing CA, the TTP organisation seal, the time-stamping unit, an OCSP
// responder (RFC 6960) and a CRL (RFC 5280 section 5), plus a TLS server
// certificate and one enterprise certificate per test organisation for mutual
// TLS. Everything is stored under DIR/pki so that people and tests can point
// independent tools (openssl, curl, pdfsig) at the same files; the layout is
// a contract, see DESIGN.md section 6.
//
// The helpers that are not development-only — loading keys behind
// crypto.Signer, reading certificate chains, extracting the Norwegian
// organisation number from an enterprise certificate, and making a CSR for a
// production key — live here too, so that production and development share
// one code path.
package pki

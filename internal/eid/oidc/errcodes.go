package oidc

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeInvalidAssurance   = "eid-invalid-assurance"    // a login asked for at a level of assurance that does not exist
	codeInvalidRedirectURI = "eid-invalid-redirect-uri" // a redirect URI that is not absolute https (or http on loopback), or has a fragment or user info (RFC 6749 section 3.1.2)
)

package brreg

import "github.com/segl/segl/internal/registry/maskinporten"

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeBadResponse         = "brreg-bad-response"   // the register's answer does not decode (Internal)
	codeRefused             = "brreg-refused"        // any other refusal of the register (Internal)
	codeToken               = "brreg-token"          // no access token could be had for the register (Unavailable)
	codeUnavailable         = "brreg-unavailable"    // the register cannot be reached, or answered 5xx or 429 (Unavailable)
	codeUnknownOrganisation = "unknown-organisation" // the business register has no organisation with that number (404 or 410)
)

// codes are the register API's codes of its failures.
var codes = maskinporten.Codes{Token: codeToken, Unavailable: codeUnavailable, BadResponse: codeBadResponse, Refused: codeRefused}

package krr

import "github.com/segl/segl/internal/registry/maskinporten"

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeBadResponse  = "krr-bad-response" // the register's answer does not decode (Internal)
	codeRefused      = "krr-refused"      // any other refusal of the register (Internal)
	codeToken        = "krr-token"        // no access token could be had for the register (Unavailable)
	codeUnauthorized = "krr-unauthorized" // KRR refused the access token (401 or 403): a configuration fault
	codeUnavailable  = "krr-unavailable"  // the register cannot be reached, or answered 5xx or 429 (Unavailable)
)

// codes are the register API's codes of its failures.
var codes = maskinporten.Codes{Token: codeToken, Unavailable: codeUnavailable, BadResponse: codeBadResponse, Refused: codeRefused}

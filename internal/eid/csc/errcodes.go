package csc

// Problem codes (errs.Error.Code) this package produces, and the code it
// gives a CSC error answer without one, named once so that the code that
// makes an error and the code that checks for it cannot drift apart. The
// strings are wire codes: clients and the API documents rely on them.
const (
	codeBadAnswer       = "csc-bad-answer"      // the remote signing service answered something that is not CSC
	codeBadRequest      = "csc-bad-request"     // the request to the remote signing service cannot be made
	codeBadSignature    = "csc-bad-signature"   // the remote signing service's signature does not verify
	codeDenied          = "csc-denied"          // the service answered 403, for example for an eID of too low a level
	codeNoCredential    = "csc-no-credential"   // the person has no usable signing credential at the service (ErrNoCredential)
	codeRefused         = "csc-refused"         // the service refused a request: a 4xx answer other than 401, 403 and 429
	codeTooMany         = "csc-too-many"        // more signatures asked for than the credential allows per authorization
	codeUnauthenticated = "csc-unauthenticated" // the service answered 401: the person must log in again
	codeUnavailable     = "csc-unavailable"     // the remote signing service cannot be reached, or answered 429 or 5xx
	codeUnknown         = "unknown"             // stands in for the CSC error code of an error answer that has none (Error.Code)
)

package csc

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeBadAnswer    = "csc-bad-answer"    // the remote signing service answered something that is not CSC
	CodeBadRequest   = "csc-bad-request"   // the request to the remote signing service cannot be made
	CodeBadSignature = "csc-bad-signature" // the remote signing service's signature does not verify
	CodeUnavailable  = "csc-unavailable"   // the remote signing service cannot be reached
)

package eid

// Problem codes (errs.Error.Code) login providers (eid/oidc) and this package
// produce, named once so that the code that makes an error and the code that
// checks for it cannot drift apart. The strings are wire codes: clients and
// the API documents rely on them.
const (
	CodeDenied         = "eid-denied"           // the person cancelled, or the provider refused the login (ErrDenied)
	CodeNoPendingLogin = "eid-no-pending-login" // a callback came without a login in progress
	CodeUnavailable    = "eid-unavailable"      // the eID provider cannot be reached
)

package web

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeNotLoggedIn    = "not-logged-in"   // the page needs a login first
	CodeSessionInvalid = "session-invalid" // the session cookie does not verify
	CodeSessionKey     = "session-key"     // the session keys cannot be derived
	CodeSessionMissing = "session-missing" // no session cookie
)

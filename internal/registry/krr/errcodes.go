package krr

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeUnauthorized = "krr-unauthorized" // KRR refused the access token (401 or 403): a configuration fault
)

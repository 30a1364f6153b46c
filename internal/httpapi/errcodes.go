package httpapi

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeInvalidJSON      = "invalid-json"      // the body is not the JSON the operation takes
	CodeInvalidLimit     = "invalid-limit"     // a list's limit is not a number in range
	CodeInvalidMultipart = "invalid-multipart" // the body is not the multipart form the operation takes
)

package asice

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeInvalid   = "invalid-document-bundle"           // not a container of the expected form
	CodeSignature = "invalid-document-bundle-signature" // the signature or a digest does not hold
)

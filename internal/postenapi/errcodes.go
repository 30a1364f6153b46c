package postenapi

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeInvalidMultipart = "INVALID_MULTIPART" // the body is not the multipart form the API describes
	CodeJobNotFound      = "JOB_NOT_FOUND"     // no such job for this organisation
	CodeManifestMismatch = "MANIFEST_MISMATCH" // the documents do not match the manifest
	// CodeMultipleDocuments: a job of several documents without a
	// combined one (from before combined documents) has no one PAdES.
	CodeMultipleDocuments = "MULTIPLE_DOCUMENTS"
	CodeNotAuthorized     = "NOT_AUTHORIZED"    // no enterprise certificate, or one that may not use the API
	CodeRequestTooLarge   = "REQUEST_TOO_LARGE" // the body is larger than the API takes
)

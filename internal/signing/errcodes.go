package signing

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeBadDocument  = "bad-document"  // a document of the act is not described as the engine needs it
	CodeBadDocuments = "bad-documents" // the act's documents and revisions do not match
	CodeInvalidPDF   = "invalid-pdf"   // the document is not a PDF segl can sign
	CodeSignedUpload = "signed-upload" // an upload that is already signed
)

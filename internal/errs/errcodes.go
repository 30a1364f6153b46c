package errs

// Problem codes (errs.Error.Code) several packages produce for the same
// condition, named once so that the code that makes an error and the code that
// checks for it cannot drift apart. The strings are wire codes: clients and
// the API documents rely on them.
const (
	CodeDocumentTooLarge     = "document-too-large"     // a document, or a part of one, is larger than its limit (kind TooLarge)
	CodeUnsupportedMediaType = "unsupported-media-type" // a document of a type segl does not take
)

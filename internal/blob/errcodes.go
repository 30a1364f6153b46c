package blob

// Problem codes (errs.Error.Code) the blob stores produce, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeNotAppended = "not-appended"   // a new version that does not extend the one it was to follow (a bug)
	CodeNotFound    = "blob-not-found" // no blob under that key
	codeNotStaged   = "not-staged"     // content offered under a key package blob did not compute (a bug)
)

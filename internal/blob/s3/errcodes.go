package s3

import "github.com/segl/segl/internal/errs"

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeUnavailable = errs.CodeBlobStoreUnavailable // every error that says the object store could not be reached or did not answer properly
)

package backup

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeTargetNotEmpty = "backup-target-not-empty" // a backup into a directory that is not empty
)

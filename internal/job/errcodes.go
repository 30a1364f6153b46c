package job

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeLinkLocked       = "link-locked"        // the signer's allowance of one-time codes or guesses ran out (LockOut)
	CodeDocumentNotFound = "document-not-found" // no such document in the job
	CodeInvalidOrgnr     = "invalid-orgnr"      // not a valid Norwegian organisation number (mod 11)
	CodeInvalidRetention = "invalid-retention"  // a retention period out of range
	CodeInvalidText      = "invalid-text"       // a text document that is not UTF-8 or holds control characters
	CodeJobExpired       = "job-expired"        // the job is past its expiry
	CodeJobNotActive     = "job-not-active"     // the job no longer takes signatures
	CodeNotYourTurn      = "not-your-turn"      // earlier signers have not signed yet
	CodeSignerDone       = "signer-done"        // the signer has already signed or rejected
	CodeSignerNotFound   = "signer-not-found"   // no such signer in the job
	CodeTooLong          = "too-long"           // a text field is longer than its limit
	CodeTooMany          = "too-many"           // a list longer than its limit
	CodeTooManyDocuments = "too-many-documents" // more documents than a job may have
	CodeTooManySigners   = "too-many-signers"   // more signers than a job may have
)

package job

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeDocumentNotFound        = "document-not-found"         // no such document in the job
	codeDuplicateDocument       = "duplicate-document"         // two documents naming the same file
	codeDuplicateSigner         = "duplicate-signer"           // the same person named twice among a job's signers
	codeInvalidActivation       = "invalid-activation"         // an activation time after the job's expiry
	codeInvalidEmail            = "invalid-email"              // a signer's e-mail address that does not parse
	codeInvalidExitURLs         = "invalid-exit-urls"          // exit URLs on a portal job; they belong to direct jobs only
	codeInvalidExpiry           = "invalid-expiry"             // an expiry in the past or beyond the longest a job may run
	codeInvalidFileReference    = "invalid-file-reference"     // a document naming the part "job", which holds the request itself
	codeInvalidFlow             = "invalid-flow"               // a flow other than direct or portal
	codeInvalidIdentifier       = "invalid-identifier"         // an identifier to show that is not one of the job's choices
	codeInvalidLanguage         = "invalid-language"           // a language segl has no texts in
	codeInvalidLevelOfAssurance = "invalid-level-of-assurance" // a level of assurance other than substantial or high
	codeInvalidMobile           = "invalid-mobile"             // a signer's mobile number not in E.164 form
	codeInvalidOrder            = "invalid-order"              // a signer's order out of range
	CodeInvalidOrgnr            = "invalid-orgnr"              // not a valid Norwegian organisation number (mod 11)
	codeInvalidPID              = "invalid-pid"                // not a valid national identity number (mod 11)
	CodeInvalidRetention        = "invalid-retention"          // a retention period out of range
	codeInvalidSignatureType    = "invalid-signature-type"     // a signature type other than authenticated or advanced
	CodeInvalidText             = "invalid-text"               // a text document that is not UTF-8 or holds control characters
	codeInvalidURL              = "invalid-url"                // a URL of a job request that is not absolute https (http only on loopback)
	CodeJobExpired              = "job-expired"                // the job is past its expiry
	CodeJobNotActive            = "job-not-active"             // the job no longer takes signatures
	codeJobNotDue               = "job-not-due"                // activating a job before its activation time
	codeJobNotExpired           = "job-not-expired"            // expiring a job before its expiry time
	codeJobNotSigned            = "job-not-signed"             // completing a job before every signer has signed
	codeJobState                = "job-state"                  // an action the job's state does not allow (the job state machine)
	CodeLinkLocked              = "link-locked"                // the signer's allowance of one-time codes or guesses ran out (LockOut)
	codeMissingField            = "missing-field"              // a required field of a job request is empty
	codeMissingSignerAddress    = "missing-signer-address"     // a signer with neither an identity number nor an address to reach them
	CodeNotYourTurn             = "not-your-turn"              // earlier signers have not signed yet
	CodeSignerDone              = "signer-done"                // the signer has already signed or rejected
	CodeSignerNotFound          = "signer-not-found"           // no such signer in the job
	codeSignerState             = "signer-state"               // an action the signer's state does not allow (the signer state machine)
	CodeTooLong                 = "too-long"                   // a text field is longer than its limit
	CodeTooMany                 = "too-many"                   // a list longer than its limit
	CodeTooManyDocuments        = "too-many-documents"         // more documents than a job may have
	CodeTooManySigners          = "too-many-signers"           // more signers than a job may have
)

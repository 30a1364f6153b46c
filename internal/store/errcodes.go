package store

// Problem codes (errs.Error.Code) the store's implementations (sqlite,
// postgres) produce, named once so that the code that makes an error and the
// code that checks for it cannot drift apart. The strings are wire codes:
// clients and the API documents rely on them.
const (
	CodeCodeLimit              = "code-limit"                // the signer may not be sent another one-time code
	CodeCodeNotFound           = "code-not-found"            // the signer has no one-time code
	CodeCodeUsedUp             = "code-used-up"              // the one-time code has had its guesses
	CodeIdempotencyKeyNotFound = "idempotency-key-not-found" // no job was created with that idempotency key
	CodeIdempotencyKeyUsed     = "idempotency-key-used"      // the idempotency key was used by another request of the organisation
	CodeJobChanged             = "job-changed"               // a lost compare-and-swap: the job was saved by someone else since it was read
	CodeLogoNotFound           = "logo-not-found"            // the organisation has no logo
	CodeJobNotFound            = "job-not-found"             // no such job for this organisation
	CodeOrgExists              = "org-exists"                // the organisation number is onboarded already
	CodeOrgNotFound            = "org-not-found"             // no organisation with that number
	CodeUserNotFound           = "user-not-found"            // no such user of the organisation
)

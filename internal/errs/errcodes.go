package errs

// Problem codes (Error.Code) that belong to no one domain: several packages
// produce them for the same condition, or errs makes them itself. They are
// named once so that the code that makes an error and the code that checks
// for it cannot drift apart. The strings are wire codes: clients and the API
// documents rely on them.
const (
	CodeDocumentTooLarge     = "document-too-large"     // a document, or a part of one, is larger than its limit (kind TooLarge)
	CodeUnsupportedMediaType = "unsupported-media-type" // a document of a type segl does not take
	CodeJobDeleted           = "job-deleted"            // the documents or evidence of a job whose retention ended: a Conflict the edges answer 410 Gone
	CodeDatabaseUnavailable  = "database-unavailable"   // segl's database cannot be reached (Unavailable): nothing was stored, retry later
	CodeBlobStoreUnavailable = "blob-store-unavailable" // segl's object store cannot be reached (Unavailable): nothing was stored, retry later
	CodeStorageFull          = "storage-full"           // every InsufficientStorage error, whichever store ran out: wait until space has been freed
	codeMoreProblems         = "more-problems"          // the last detail of a Join that lists MaxDetails problems and leaves the rest out
)

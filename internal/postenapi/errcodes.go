package postenapi

// Problem codes (errs.Error.Code) this package produces, in Posten's style
// (upper case, underscores): the codes of common.xsd's error that Posten's
// clients switch on. The codes of segl's other packages are given in that
// style too (postenCode). They are named once so that the code that makes an
// error and the code that checks for it cannot drift apart; the strings are
// wire codes that clients and docs/posten-api.md rely on.
const (
	codeArchivedDocumentNotFound = "ARCHIVED_DOCUMENT_NOT_FOUND" // the archive's download of a job that is unknown, not completed or deleted
	codeInternalError            = "INTERNAL_ERROR"              // an error without a kind: a bug, logged in full and shown to nobody
	codeInvalidContentType       = "INVALID_CONTENT_TYPE"        // a create-job body that is not multipart/mixed (or multipart/form-data)
	codeInvalidMultipart         = "INVALID_MULTIPART"           // the body is not the multipart form the API describes
	codeInvalidStatusQueryToken  = "INVALID_STATUS_QUERY_TOKEN"  // a status query token that is not valid for the job in the path
	codeJobCompleted             = "JOB_COMPLETED"               // cancelling a job that has ended
	codeJobNotFound              = "JOB_NOT_FOUND"               // no such job for this organisation
	codeManifestMismatch         = "MANIFEST_MISMATCH"           // the documents do not match the manifest
	codeMultipleDocuments        = "MULTIPLE_DOCUMENTS"          // the single-PAdES download of a job of several documents without a combined one (made before combined documents): each is signed as its own PDF
	codeMethodNotAllowed         = "METHOD_NOT_ALLOWED"          // a path of the API with a method it does not take (405, with Allow)
	codeNotAuthorized            = "NOT_AUTHORIZED"              // no enterprise certificate, or one that may not use the API
	codeNotFound                 = "NOT_FOUND"                   // a path under /api/{org} that no route takes, or /api/{x} whose x is not an organisation number, so neither API's
	codeRequestTooLarge          = "REQUEST_TOO_LARGE"           // the body is larger than the API takes
	codeSchema                   = "SCHEMA_VALIDATION_ERROR"     // XML that breaks the schema (the code the .NET client's fixtures show for invalid XML)
	codeSenderMismatch           = "SENDER_MISMATCH"             // a manifest's sender organisation other than the one in the URL
	codeSignerNotFound           = "SIGNER_NOT_FOUND"            // no such signer in the job
	codeTooEagerPolling          = "TOO_EAGER_POLLING"           // a poll before the time X-Next-permitted-poll-time named (429)
	codeUnknownError             = "UNKNOWN_ERROR"               // an error with a kind and no code (a bug)
)

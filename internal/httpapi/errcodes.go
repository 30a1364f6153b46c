package httpapi

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeBodyTooSlow               = "body-too-slow"               // the body stalled or trickled below the minimum rate and was cut
	codeClientCertificateRequired = "client-certificate-required" // the request came without a verified client certificate (mutual TLS)
	codeDuplicatePart             = "duplicate-part"              // a multipart part name appears twice
	codeInternal                  = "internal"                    // the bare 500 of an error without a kind: a bug, logged in full and shown to nobody
	codeInvalidCursor             = "invalid-cursor"              // an event feed's after is not a sequence number
	codeInvalidIdempotencyKey     = "invalid-idempotency-key"     // the Idempotency-Key header is not 1 to 255 visible ASCII characters
	codeInvalidJSON               = "invalid-json"                // the body is not the JSON the operation takes
	codeInvalidLimit              = "invalid-limit"               // a list's limit is not a number in range
	codeInvalidMultipart          = "invalid-multipart"           // the body is not the multipart form the operation takes
	codeInvalidStatus             = "invalid-status"              // a job list filtered by a status that does not exist
	codeMethodNotAllowed          = "method-not-allowed"          // a path of the API with a method it does not take (405, with Allow)
	codeMissingJobPart            = "missing-job-part"            // the create-job body has no part named "job"
	codeMissingStatusQueryToken   = "missing-status-query-token"  // a status query without exactly one status_query_token
	codeNoSuchEndpoint            = "no-such-endpoint"            // no route under /api/ matches the method and path
	codeRequestTooLarge           = "request-too-large"           // the body is larger than the request limit
	codeUnsupportedContentType    = "unsupported-content-type"    // the create-job body is not multipart/form-data
)

package server

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeBlobsUnavailable   = "blobs-unavailable"   // the metrics' probe of the blob store failed without a code of its own
	codeMisdirected        = "misdirected-request" // an API host's request on a connection made for another name (misdirected)
	codeMetricsUnavailable = "metrics-unavailable" // the metrics listener stopped serving (degrading check "metrics")
)

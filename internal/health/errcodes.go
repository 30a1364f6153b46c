package health

// Codes of the readiness report (Report.Failed) that are not a failed
// check's own problem code. The strings are wire codes: monitoring reads
// them.
const (
	codeFailed = "failed" // a readiness check that failed with an error without a code of its own
)

package queue

// Problem codes (errs.Error.Code) the queue's implementations produce, named
// once so that the code that makes an error and the code that checks for it
// cannot drift apart. The strings are wire codes: clients and the API
// documents rely on them.
const (
	CodeInvalid   = "queue-invalid"    // a queue call without what it needs
	CodeLeaseLost = "queue-lease-lost" // another worker has taken the job over and will finish it
)

package devmailbox

// Digipost's error codes (the code of an error answer, Digipost API v8)
// that the stand-in gives and the adapter does not act on; those it acts on
// are the adapter's (digipost.CodeUnknownRecipient, …).
const (
	codeInvalidDate      = "INVALID_DATE"      // a Date header missing or more than five minutes off
	codeInvalidMessage   = "INVALID_MESSAGE"   // a message that does not parse or lacks its id, subject, file type or primary document
	codeInvalidSignature = "INVALID_SIGNATURE" // a request whose X-Digipost-Signature does not verify
	codeRequestTooLarge  = "REQUEST_TOO_LARGE" // a message larger than the stand-in's MaxSize
	codeUnknownSender    = "UNKNOWN_SENDER"    // an X-Digipost-UserId other than the configured sender's
)

package digipost

// Problem codes (errs.Error.Code) this package produces, and the codes of
// Digipost's error answers it acts on, named once so that the code that makes
// an error and the code that checks for it cannot drift apart. The strings
// are wire codes: clients, Digipost and the API documents rely on them.
const (
	codeBadResponse        = "digipost-bad-response"        // Digipost answered 200 with a body that is not a delivery
	codeConfig             = "digipost-config"              // the Digipost client is configured wrongly
	CodeDuplicateMessage   = "DUPLICATE_MESSAGE"            // Digipost's error code the adapter acts on: a message with that id was delivered already
	codeNoMailbox          = "no-mailbox"                   // the person has no Digipost mailbox (Digipost said UNKNOWN_RECIPIENT)
	codeRefused            = "digipost-refused"             // Digipost refused the delivery for a reason not worth retrying
	codeSizeMismatch       = "size-mismatch"                // a document whose length is not the size it announced
	codeUnavailable        = "mailbox-unavailable"          // Digipost cannot be reached, is overloaded or failed: retry later
	codeUnexpectedDelivery = "digipost-unexpected-delivery" // Digipost delivered by another method than to the digital mailbox
	CodeUnknownRecipient   = "UNKNOWN_RECIPIENT"            // Digipost's error code the adapter acts on: the person has no Digipost mailbox
)

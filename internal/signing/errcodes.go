package signing

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeAdvancedUnavailable   = "advanced-signing-unavailable" // an advanced signature asked for, and no remote signing service is configured (the signer's pages explain it)
	codeBadDocument           = "bad-document"                 // a document of the act is not described as the engine needs it
	codeBadDocuments          = "bad-documents"                // the act's documents and revisions do not match
	codeBadFacts              = "bad-facts"                    // the signer's facts cannot be put in a XAdES signature
	codeBadIdentifier         = "bad-identifier"               // a job showing an identifier segl does not know
	codeBadKey                = "bad-key"                      // the remote signing service gave a key without its certificate
	codeBadLang               = "bad-lang"                     // a job in a language the signing texts do not have
	codeBadPDF                = "bad-pdf"                      // a PDF that is malformed, encrypted, scripted, filtered as segl cannot read, or dynamic XFA, found when preparing it
	codeBadReceipt            = "bad-receipt"                  // a receipt asked for an act that is not a signing act with documents
	codeBadSigners            = "bad-signers"                  // a job with fewer than one or more signers than a signature page has slots
	codeBadSlot               = "bad-slot"                     // an act for a signature slot the job does not have
	CodeCertificateRevoked    = "certificate-revoked"          // the seal's, the TSA's or the signer's own certificate, or a CA above it, is revoked: the act is refused before a key is used (errs.Unavailable)
	CodeCertificateExpired    = "certificate-expired"          // the seal's, the TSA's or the signer's own certificate, or a CA above it, is not valid now (expired or not yet valid): the act is refused before a key is used (errs.Unavailable)
	codeDynamicXFA            = "dynamic-xfa"                  // an upload that is a dynamic XFA form, whose pages only XFA software can show
	codeEncryptedPDF          = "encrypted-pdf"                // an upload that is encrypted: it must come without a password
	CodeInvalidPDF            = "invalid-pdf"                  // the document is not a PDF segl can sign
	codeNoBirthDate           = "no-birth-date"                // a job that shows the birth date, for a signer without one
	CodeNoOwnKey              = "no-own-key"                   // the person has no signing key at the remote signing service (the signer's pages explain it)
	codeNoPID                 = "no-pid"                       // a job that shows the national identity number, for a signer without one
	codeNotSigned             = "not-signed"                   // completing a document without signatures
	CodeOwnKeyLogin           = "own-key-login"                // the remote signing service refused the login (an expired ID token, too low a level); logging in again fixes it (the signer's pages explain it)
	codePDFJavaScript         = "pdf-javascript"               // an upload that holds JavaScript, which cannot be signed safely
	CodeRevocationUnavailable = "revocation-unavailable"       // an OCSP responder or CRL distribution point failed or gave data its checks refuse (errs.Unavailable: retried, the signer asked to try again later)
	codeSignedUpload          = "signed-upload"                // an upload that is already signed
	CodeTSAUnavailable        = "tsa-unavailable"              // the time-stamping authority failed or gave a token its checks refuse (errs.Unavailable: retried, the signer asked to try again later)
	codeUnsupportedCharset    = "unsupported-charset"          // a text document in a character set other than UTF-8 or US-ASCII
)

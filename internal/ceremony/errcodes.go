package ceremony

import (
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/signing"
)

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeAssuranceTooLow             = "assurance-too-low"               // the login's level of assurance is below what the job or area requires
	CodeBrokerNotAuthorized         = "broker-not-authorized"           // an API client acting for an organisation that has not made it its broker, or that is unknown or deactivated (a broker learns nothing of which)
	codeCallbackNotPublic           = "callback-not-public"             // a callback URL whose host is not a public address
	CodeCertificateNotForClientAuth = "certificate-not-for-client-auth" // the client certificate may not be used for TLS client authentication
	codeCertificateNotRegistered    = "certificate-not-registered"      // a client certificate other than the one the organisation registered for the API
	CodeCertificateRevoked          = signing.CodeCertificateRevoked    // the API client certificate's CA says it is revoked (as signing says of the seal's, the TSA's or a signer's)
	CodeCertificateWithoutOrgnr     = "certificate-without-orgnr"       // the client certificate names no organisation number
	CodeCodeExpired                 = "code-expired"                    // the one-time code is past its lifetime
	CodeCodeMissing                 = "code-missing"                    // no one-time code was asked for yet
	codeCodeNotNeeded               = "code-not-needed"                 // a one-time code asked for by a signer who logs in with their identity number
	codeCodeUnavailable             = "code-unavailable"                // one-time codes cannot be sent: this server has no queue
	CodeCodeWrong                   = "code-wrong"                      // the one-time code does not match
	codeDocumentsNotCombinable      = "documents-not-combinable"        // documents that pass the upload check but that pdf.Combine cannot put in one combined document
	codeDocumentsTooLargeToCombine  = "documents-too-large-to-combine"  // documents of more pages or objects together than one combined document may have (pdf.ErrTooLarge)
	codeEvidenceChanged             = "evidence-changed"                // a signer's stored evidence whose content is not what the job's record names (its SHA-256)
	codeEmptyDocument               = "empty-document"                  // an uploaded document of zero bytes
	codeIdempotencyKeyReused        = "idempotency-key-reused"          // an Idempotency-Key used before for a different request
	codeInvalidTextDocument         = "invalid-text-document"           // a text document that is not UTF-8 or holds control characters
	CodeJobCancelled                = "job-cancelled"                   // a signer's link to a job its sender cancelled: the signer is told so, not that the link expired
	codeJobNotFinished              = "job-not-finished"                // deleting a job's documents before the job has ended
	CodeLinkExpired                 = "link-expired"                    // the signing link is past its expiry
	codeLinkInvalid                 = "link-invalid"                    // a signing link whose token does not verify
	CodeLinkLocked                  = job.CodeLinkLocked                // a link locked because the signer's allowance of one-time codes or guesses ran out; the lock-out's events give it as their reason
	CodeLinkUsed                    = "link-used"                       // the signer has already acted on the job
	codeMissingDocumentPart         = "missing-document-part"           // a document names a file part the upload does not have
	CodeNotAUser                    = "not-a-user"                      // the person is not a portal user of the organisation
	codeNotSignedYet                = "not-signed-yet"                  // the signer or job has no signed result yet
	codeSignedInCombined            = "signed-in-combined-document"     // an original of a job whose signers sign its combined document, kept as uploaded: the combined document's signed PDF holds it
	CodeOrganisationInactive        = "organisation-inactive"           // the organisation is deactivated
	CodeOrganisationUnknown         = "organisation-unknown"            // the organisation is not onboarded
	CodeRevocationUnavailable       = signing.CodeRevocationUnavailable // the API client certificate's CA cannot be asked whether it is revoked, and no current answer is kept (errs.Unavailable: retry later)
	codeSignatureTypeNotAllowed     = "signature-type-not-allowed"      // a job asks for a signature type the organisation may not use
	codeSigningUnavailable          = "signing-unavailable"             // no signing engine is configured on this server
	CodeStatusTokenInvalid          = "status-token-invalid"            // the status query token is not valid
	codeUnreferencedDocumentPart    = "unreferenced-document-part"      // an uploaded part no document names
	codeUnsignableDocument          = "unsignable-document"             // the reason of a job failed because its documents cannot be signed, when the signing engine's error has no code
	CodeWrongPerson                 = "wrong-person"                    // the person logged in is not the signer
)

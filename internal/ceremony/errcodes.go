package ceremony

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeAssuranceTooLow             = "assurance-too-low"               // the login's level of assurance is below what the job or area requires
	CodeCertificateNotForClientAuth = "certificate-not-for-client-auth" // the client certificate may not be used for TLS client authentication
	CodeCertificateWithoutOrgnr     = "certificate-without-orgnr"       // the client certificate names no organisation number
	CodeCodeExpired                 = "code-expired"                    // the one-time code is past its lifetime
	CodeCodeMissing                 = "code-missing"                    // no one-time code was asked for yet
	CodeCodeWrong                   = "code-wrong"                      // the one-time code does not match
	CodeLinkExpired                 = "link-expired"                    // the signing link is past its expiry
	CodeLinkUsed                    = "link-used"                       // the signer has already acted on the job
	CodeNotAUser                    = "not-a-user"                      // the person is not a portal user of the organisation
	CodeNotSignedYet                = "not-signed-yet"                  // the signer or job has no signed result yet
	CodeOrganisationInactive        = "organisation-inactive"           // the organisation is deactivated
	CodeOrganisationUnknown         = "organisation-unknown"            // the organisation is not onboarded
	CodeSigningUnavailable          = "signing-unavailable"             // no signing engine is configured on this server
	CodeStatusTokenInvalid          = "status-token-invalid"            // the status query token is not valid
	CodeWrongPerson                 = "wrong-person"                    // the person logged in is not the signer
)

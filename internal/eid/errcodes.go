package eid

// Problem codes (errs.Error.Code) login providers (eid/oidc) and this package
// produce, named once so that the code that makes an error and the code that
// checks for it cannot drift apart. The strings are wire codes: clients and
// the API documents rely on them.
const (
	codeAssuranceTooLow = "eid-assurance-too-low" // a login with an eID below the level the job requires (ErrAssuranceTooLow)
	CodeDenied          = "eid-denied"            // the person cancelled, or the provider refused the login (ErrDenied)
	codeInvalidToken    = "eid-invalid-token"     // the provider's answer failed verification, or the code was refused (ErrInvalidToken)
	codeLoginExpired    = "eid-login-expired"     // a pending login older than the relying party allows (ErrExpired)
	codeNonceMismatch   = "eid-nonce-mismatch"    // an ID token issued for another login (ErrNonceMismatch)
	CodeNoPendingLogin  = "eid-no-pending-login"  // a callback came without a login in progress
	codeStateMismatch   = "eid-state-mismatch"    // a callback that does not belong to this session: forged, replayed or from another tab (ErrStateMismatch)
	CodeUnavailable     = "eid-unavailable"       // the eID provider cannot be reached
)

package web

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeBadForm          = "bad-form"          // a form body that does not parse
	codeBodyTooLarge     = "body-too-large"    // a form body larger than the pages take
	codeEIDExpired       = "eid-expired"       // a staff login that expired before it came back
	codeEIDInvalid       = "eid-invalid"       // a staff login the eID provider's answer does not verify
	codeExitURL          = "exit-url"          // a job without a usable exit URL to send the signer back to (a bug)
	codeLoginTooOld      = "login-too-old"     // changing organisation with a login older than a session's lifetime
	codeLoginUnavailable = "login-unavailable" // the server has no eID login configured
	codeNoOrganisation   = "no-organisation"   // a portal page that needs an organisation before one is chosen
	codeNotLoggedIn      = "not-logged-in"     // the page needs a login first
	codePageNotFound     = "page-not-found"    // no page at that path
	codeSessionEncode    = "session-encode"    // the session cannot be encoded (a bug)
	codeSessionEnded     = "session-ended"     // a staff session its person has logged out of, here or in another browser, or made before their role was given again
	codeSessionExpired   = "session-expired"   // the session has been idle, or alive, longer than allowed
	codeSessionInvalid   = "session-invalid"   // the session cookie does not verify
	codeSessionKey       = "session-key"       // the session keys cannot be derived
	codeSessionMissing   = "session-missing"   // no session cookie
)

package hsm

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeConfig      = "hsm-config"       // the HSM settings do not go together
	codeKeyExists   = "hsm-key-exists"   // Generate: the label is taken
	codeKeyType     = "hsm-key-type"     // Generate: a key type that is not one of KeyTypes
	codeModule      = "hsm-module"       // start-up: the PKCS#11 library cannot be loaded or initialised
	CodeNoKey       = "hsm-no-key"       // start-up: no key pair with the label in the token
	CodeNoToken     = "hsm-no-token"     // start-up: no token with the configured label
	CodePINRejected = "hsm-pin-rejected" // start-up: the token refused the PIN (or the PIN is locked)
	CodeUnavailable = "hsm-unavailable"  // a signature failed while segl runs: the token removed or reset, the key deleted (errs.Unavailable: retried, the signer asked to try again later)
)

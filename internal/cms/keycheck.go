package cms

import (
	"crypto"
	"crypto/rsa"
)

// selfChecked reports whether key's signatures need no verification after
// signing, because the guarantee of that check ("a faulty key or device
// cannot produce a bad signature unseen", see sign) already holds: only for
// Go's own *rsa.PrivateKey, whose signing checks every signature against the
// key's modulus and public exponent before returning it (the CRT fault
// countermeasure of crypto/internal/fips140/rsa) and refuses private values
// that do not belong to them; scheme has compared the public half with the
// certificate's.
//
// Every other signer is verified with the certificate every time: a device
// (PKCS #11, the remote signing service of advanced signatures, any
// wrapper), and Go's ECDSA and Ed25519 keys too, whose signing checks
// nothing of its result, so that a fault in the computation (a flipped bit
// in memory) or a private half that does not belong to the public key
// beside it would otherwise go out unseen in a seal or a time-stamp.
func selfChecked(key crypto.Signer) bool {
	_, ok := key.(*rsa.PrivateKey)
	return ok
}

package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"sync"
)

// errPrivateHalf: a Go key whose private half does not belong to the public
// key it names (a hand-assembled key, a misconfiguration); every signature
// it made would fail verification.
var errPrivateHalf = errors.New("cms: signer's private key does not belong to the certificate's public key")

// selfChecked reports whether key's signatures need no verification after
// signing, because the guarantee of that check ("a faulty key or device
// cannot produce a bad signature unseen", see sign) already holds:
//
//   - *rsa.PrivateKey: Go's RSA checks every signature it makes against the
//     key's own modulus and exponent before returning it (FIPS 186-5; the
//     CRT fault countermeasure of crypto/internal/fips140/rsa), and scheme
//     has checked that they are the certificate's.
//   - *ecdsa.PrivateKey and ed25519.PrivateKey: Go computes the signature in
//     memory from the private scalar (or seed), so a signature fails to
//     verify only if that private half does not belong to the public key
//     the certificate holds. Public() returns the public half stored beside
//     it, which scheme compared with the certificate, and Go does not check
//     the two agree; so the public key is derived here from the private
//     half and compared with the certificate's, once per pair
//     (checkedKeys). A mismatch is refused (errPrivateHalf).
//
// Every other crypto.Signer (an HSM through PKCS #11, the remote signing
// service of advanced signatures, any wrapper) returns false: what it
// answers is checked with the certificate, every time. Verification costs
// 71 µs with P-256 and 0.6 ms with P-384 on the standard machine; a
// ceremony makes about eleven such signatures with the seal's and the
// development TSA's keys.
func selfChecked(key crypto.Signer, cert *x509.Certificate) (bool, error) {
	var private []byte // the private half, for the fingerprint
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return true, nil
	case *ecdsa.PrivateKey:
		d, err := k.Bytes()
		if err != nil {
			return false, errPrivateHalf
		}
		private = d
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return false, errPrivateHalf
		}
		private = k.Seed()
	default:
		return false, nil
	}
	fp := keyFingerprint(private, cert)
	if checkedKeys.has(fp) {
		return true, nil
	}
	var derived crypto.PublicKey
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		dk, err := ecdsa.ParseRawPrivateKey(k.Curve, private)
		if err != nil {
			return false, errPrivateHalf
		}
		derived = &dk.PublicKey
	case ed25519.PrivateKey:
		derived = ed25519.NewKeyFromSeed(private).Public()
	}
	if pub, ok := derived.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return false, errPrivateHalf
	}
	checkedKeys.add(fp)
	return true, nil
}

// keyFingerprint names a private half and a certificate's public key
// together: the SHA-256 of both, so that what checkedKeys holds reveals no
// key and a key changed in place is checked again.
func keyFingerprint(private []byte, cert *x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	h.Write(private)
	h.Write(cert.RawSubjectPublicKeyInfo)
	var fp [sha256.Size]byte
	h.Sum(fp[:0])
	return fp
}

// maxCheckedKeys bounds checkedKeys: the seal's and the TSA's keys, and a
// few more in tests; past the bound they are forgotten at once and checked
// again.
const maxCheckedKeys = 64

// checkedKeys are the fingerprints of the Go keys whose private half
// selfChecked found to belong to the certificate's public key.
var checkedKeys keySet

type keySet struct {
	mu sync.Mutex
	by map[[sha256.Size]byte]struct{}
}

func (s *keySet) has(fp [sha256.Size]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.by[fp]
	return ok
}

func (s *keySet) add(fp [sha256.Size]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by == nil || len(s.by) >= maxCheckedKeys {
		s.by = map[[sha256.Size]byte]struct{}{}
	}
	s.by[fp] = struct{}{}
}

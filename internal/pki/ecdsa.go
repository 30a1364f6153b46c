package pki

import (
	"errors"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrMalformedECDSA reports a signature that is not an ECDSA-Sig-Value of
// two positive integers that fit the curve.
var ErrMalformedECDSA = errors.New("pki: malformed ECDSA signature")

// RawECDSA turns an ASN.1 DER ECDSA-Sig-Value (RFC 3279 section 2.2.3), as
// a crypto.Signer returns it, into r‖s with each integer in size bytes,
// big-endian (IEEE P1363): the form XML-DSig (RFC 4051 section 3.3), JWS
// ES256 (RFC 7518 section 3.4) and CSC's raw signatures use. size is the
// byte length of the curve's order (32 for P-256).
func RawECDSA(der []byte, size int) ([]byte, error) {
	var r, s big.Int
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() ||
		r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 8*size || s.BitLen() > 8*size {
		return nil, ErrMalformedECDSA
	}
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out, nil
}

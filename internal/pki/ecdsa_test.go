package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
)

func TestRawECDSA(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("segl"))
	der, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	raw, err := RawECDSA(der, 32)
	if err != nil {
		t.Fatal(err)
	}
	r, s := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
	if len(raw) != 64 || !ecdsa.Verify(&key.PublicKey, digest[:], r, s) {
		t.Fatalf("r‖s of %d bytes does not verify", len(raw))
	}
	if raw, err := RawECDSA(mustDER(t, big.NewInt(1), big.NewInt(2)), 32); err != nil || raw[31] != 1 || raw[63] != 2 {
		t.Errorf("r=1, s=2: %x, %v; want each padded to 32 bytes", raw, err)
	}
	for name, bad := range map[string][]byte{
		"empty":          nil,
		"trailing bytes": append(bytes.Clone(der), 0),
		"too long":       mustDER(t, new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)),
		"zero r":         mustDER(t, big.NewInt(0), big.NewInt(1)),
		"negative s":     mustDER(t, big.NewInt(1), big.NewInt(-1)),
	} {
		if _, err := RawECDSA(bad, 32); !errors.Is(err, ErrMalformedECDSA) {
			t.Errorf("%s: %v, want ErrMalformedECDSA", name, err)
		}
	}
}

func mustDER(t *testing.T, r, s *big.Int) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

package cms

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// selfSigned makes n distinct self-signed certificates with one key.
func selfSigned(t *testing.T, n int) [][]byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for i := range n {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: "segl cms cache test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, der)
	}
	return out
}

// TestParseCertificateRemembers checks that a certificate read again (the
// seal's, the TSA's and their CAs' come with every signature, token and
// evidence read back) is not parsed again, that what is remembered is a
// copy of the DER it was read from, and that the memory is bounded.
func TestParseCertificateRemembers(t *testing.T) {
	ders := selfSigned(t, maxRemembered+10)
	first, err := ParseCertificate(ders[0])
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseCertificate(bytes.Clone(ders[0]))
	if err != nil || again != first {
		t.Fatalf("the same DER parsed again: %p, %v; want %p", again, err, first)
	}
	if allocs := testing.AllocsPerRun(20, func() { ParseCertificate(ders[0]) }); allocs > 0 {
		t.Errorf("a remembered certificate costs %.0f allocations", allocs)
	}
	ders[0][len(ders[0])-1] ^= 0xff
	if bytes.Equal(first.Raw, ders[0]) {
		t.Error("the remembered certificate shares the bytes it was parsed from")
	}
	if other, err := ParseCertificate(ders[0]); err != nil || other == first || !bytes.Equal(other.Raw, ders[0]) {
		t.Error("a certificate with another signature byte is not parsed as itself")
	}
	for _, der := range ders[1:] {
		if _, err := ParseCertificate(der); err != nil {
			t.Fatal(err)
		}
	}
	parsed.Lock()
	n := len(parsed.certs)
	parsed.Unlock()
	if n > maxRemembered {
		t.Errorf("%d certificates remembered, at most %d", n, maxRemembered)
	}
	if _, err := ParseCertificate([]byte{0x30, 0x03, 0x02, 0x01, 0x01}); err == nil {
		t.Error("not a certificate, and no error")
	}
}

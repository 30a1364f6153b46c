package cms_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/pki/pkitest"
	"github.com/segl/segl/internal/testtool"
)

// opensslSign has openssl make a CMS signature over content with kp.
func (p *testPKI) opensslSign(t testing.TB, dir string, kp pki.KeyPair, content []byte, args ...string) []byte {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := pkitest.WriteFile(t, dir, "signer.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	certFile := pkitest.WritePEM(t, filepath.Join(dir, "signer.pem"), kp.Cert)
	chainFile := pkitest.WritePEM(t, filepath.Join(dir, "chain.pem"), kp.Chain...)
	in := pkitest.WriteFile(t, dir, "content.bin", content)
	out := filepath.Join(dir, "openssl.der")
	testtool.MustOpenSSL(t, dir, append([]string{"cms", "-sign", "-binary", "-in", in, "-signer", certFile, "-inkey", keyFile,
		"-certfile", chainFile, "-outform", "DER", "-out", out}, args...)...)
	return readFile(t, out)
}

// Parse reads what openssl makes, attached and detached, with and without
// the CAdES signing-certificate-v2 attribute, and VerifySignature accepts
// it when the attribute is there.
func TestParseOpenSSL(t *testing.T) {
	testtool.Need(t, "openssl", "openssl")
	p := newPKI(t)
	content := []byte("signed by openssl")
	for _, tc := range []struct {
		name  string
		key   string
		args  []string
		cades bool
	}{
		{"ok/detached-p256", "p256", nil, false},
		{"ok/attached-p256", "p256", []string{"-nodetach"}, false},
		{"ok/detached-cades-p256", "p256", []string{"-cades"}, true},
		{"ok/attached-cades-rsa", "rsa", []string{"-nodetach", "-cades"}, true},
		{"ok/detached-cades-p384-sha384", "p384", []string{"-cades", "-md", "sha384"}, true},
		{"ok/detached-rsa-pss", "rsa", []string{"-cades", "-keyopt", "rsa_padding_mode:pss"}, true},
		{"ok/subject-key-identifier", "p256", []string{"-cades", "-keyid"}, true},
		// -stream writes BER (RFC 5652 §5.1): indefinite lengths and the
		// content in a constructed OCTET STRING; openssl then always
		// encapsulates the content.
		{"ok/ber-stream-cades-p256", "p256", []string{"-stream", "-nodetach", "-cades"}, true},
		{"ok/ber-stream-cades-rsa", "rsa", []string{"-stream", "-nodetach", "-cades", "-md", "sha512"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kp := p.signer(t, tc.key)
			der := p.opensslSign(t, t.TempDir(), kp, content, tc.args...)
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			attached := strings.Contains(strings.Join(tc.args, " "), "-nodetach")
			if attached != (sd.Content != nil) || (attached && !bytes.Equal(sd.Content, content)) {
				t.Errorf("content %q", sd.Content)
			}
			if len(sd.Signers) != 1 {
				t.Fatalf("%d signers", len(sd.Signers))
			}
			si := sd.Signers[0]
			if si.Certificate == nil || !si.Certificate.Equal(kp.Cert) || si.SigningTime == nil {
				t.Errorf("signer %+v", si)
			}
			h := si.DigestAlgorithm
			d := h.New()
			d.Write(content)
			err = sd.VerifySignature(0, d.Sum(nil))
			if tc.cades {
				if err != nil {
					t.Fatal(err)
				}
				if si.SigningCertificateV2 == nil {
					t.Error("no signing-certificate-v2")
				}
			} else if !errors.Is(err, cms.ErrSigningCertificate) {
				t.Fatalf("plain cms without signing-certificate: got %v, want ErrSigningCertificate", err)
			}
			if slices.Contains(tc.args, "-stream") {
				if der[1] != 0x80 {
					t.Fatalf("openssl -stream wrote no indefinite length: % x", der[:4])
				}
				// The signature still covers what was signed: a changed
				// signature value fails.
				i := bytes.LastIndex(der, si.Signature)
				tampered := bytes.Clone(der)
				tampered[i+len(si.Signature)/2] ^= 1
				bad, err := cms.Parse(tampered)
				if err != nil {
					t.Fatal(err)
				}
				if err := bad.VerifySignature(0, d.Sum(nil)); !errors.Is(err, cms.ErrSignature) {
					t.Errorf("tampered ber signature: got %v, want ErrSignature", err)
				}
			}
			// A PDF /Contents is zero padded.
			padded, err := cms.Parse(append(bytes.Clone(der), make([]byte, 4096)...))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(padded.Raw, der) {
				t.Error("raw includes the padding")
			}
		})
	}
}

// VerifySignature tells each failure apart, so the validator can report its
// sub-indication.
func TestVerifySignatureFailures(t *testing.T) {
	p := newPKI(t)
	kp := p.dev.Seal
	content := []byte("content")
	digest := sum256(content)
	sign := func(t *testing.T, opts cms.SignOptions) *cms.SignedData {
		t.Helper()
		if opts.Signer == nil {
			opts.Signer, opts.Certificate, opts.Chain = kp.Key, kp.Cert, kp.Chain
		}
		der, err := cms.SignDetached(context.Background(), digest, opts)
		if err != nil {
			t.Fatal(err)
		}
		sd, err := cms.Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		return sd
	}
	for name, tc := range map[string]struct {
		sd     func(t *testing.T) *cms.SignedData
		signer int
		digest []byte
		want   error
	}{
		"fail/other-content": {sd: func(t *testing.T) *cms.SignedData { return sign(t, cms.SignOptions{}) }, digest: sum256([]byte("other")), want: cms.ErrDigest},
		"fail/short-digest":  {sd: func(t *testing.T) *cms.SignedData { return sign(t, cms.SignOptions{}) }, digest: digest[:20], want: cms.ErrDigest},
		"fail/bad-signature": {sd: func(t *testing.T) *cms.SignedData {
			sd := sign(t, cms.SignOptions{})
			sd.Signers[0].Signature[len(sd.Signers[0].Signature)-3] ^= 1
			return sd
		}, want: cms.ErrSignature},
		"fail/other-signed-attributes": {sd: func(t *testing.T) *cms.SignedData {
			sd := sign(t, cms.SignOptions{})
			sd.Signers[0].SignedAttrsRaw[len(sd.Signers[0].SignedAttrsRaw)-1] ^= 1
			return sd
		}, want: cms.ErrSignature},
		"fail/content-type": {sd: func(t *testing.T) *cms.SignedData {
			sd := sign(t, cms.SignOptions{})
			sd.ContentType = cms.OIDTSTInfo
			return sd
		}, want: cms.ErrContentType},
		"fail/signing-certificate-names-another": {sd: func(t *testing.T) *cms.SignedData {
			return sign(t, cms.SignOptions{ESSCertificate: p.dev.Issuing.Cert})
		}, want: cms.ErrSigningCertificate},
		"fail/certificate-substituted": {sd: func(t *testing.T) *cms.SignedData {
			// Another certificate for the same key: the signature verifies,
			// the signing-certificate-v2 attribute does not name it.
			sd := sign(t, cms.SignOptions{})
			other := reissue(t, p, kp)
			sd.Signers[0].Certificate = other
			return sd
		}, want: cms.ErrSigningCertificate},
		"fail/no-certificates": {sd: func(t *testing.T) *cms.SignedData {
			return sign(t, cms.SignOptions{NoCertificates: true})
		}, want: cms.ErrNoSignerCertificate},
		"fail/no-such-signer": {sd: func(t *testing.T) *cms.SignedData { return sign(t, cms.SignOptions{}) }, signer: 1},
	} {
		t.Run(name, func(t *testing.T) {
			d := tc.digest
			if d == nil {
				d = digest
			}
			err := tc.sd(t).VerifySignature(tc.signer, d)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "cms: ") {
				t.Errorf("error %q without the cms: prefix", err)
			}
		})
	}
}

// reissue certifies kp's key again, with another serial number.
func reissue(t *testing.T, p *testPKI, kp pki.KeyPair) *x509.Certificate {
	t.Helper()
	tmpl := *kp.Cert
	tmpl.SerialNumber = new(big.Int).Add(kp.Cert.SerialNumber, big.NewInt(1))
	return pkitest.Issue(t, &tmpl, p.dev.Issuing.Cert, kp.Key.Public(), p.dev.Issuing.Key)
}

func TestParseRejects(t *testing.T) {
	p := newPKI(t)
	kp := p.dev.Seal
	good, err := cms.SignDetached(context.Background(), sum256([]byte("x")), cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Chain: kp.Chain})
	if err != nil {
		t.Fatal(err)
	}
	// The same SignedData in BER, with an indefinite length outside, which
	// RFC 5652 §5.1 allows.
	ber := append([]byte{0x30, 0x80}, good[2+lengthBytes(good):]...)
	ber = append(ber, 0, 0)
	tokenLike, err := cms.Sign(context.Background(), []byte("x"), cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"fail/empty":              nil,
		"fail/garbage":            []byte("<html>hello</html>"),
		"fail/zeros":              make([]byte, 16),
		"fail/truncated":          good[:len(good)-1],
		"fail/half":               good[:len(good)/2],
		"fail/trailing-garbage":   append(bytes.Clone(good), 0, 0, 1),
		"fail/ber-unterminated":   ber[:len(ber)-2],
		"fail/not-signed-data":    contentInfo(t, cms.OIDData, []byte{0x04, 0x01, 'x'}),
		"fail/certificate-alone":  kp.Cert.Raw,
		"fail/pem":                pem.EncodeToMemory(&pem.Block{Type: "CMS", Bytes: good}),
		"fail/non-minimal-length": append([]byte{0x30, 0x82, 0x00, 0x03}, 0x02, 0x01, 0x01),
	} {
		t.Run(name, func(t *testing.T) {
			sd, err := cms.Parse(b)
			if err == nil || sd != nil {
				t.Fatalf("parsed %d bytes: %+v", len(b), sd)
			}
			if !errors.Is(err, cms.ErrMalformed) {
				t.Errorf("got %v, want ErrMalformed", err)
			}
		})
	}
	t.Run("ok/ber", func(t *testing.T) {
		sd, err := cms.Parse(append(bytes.Clone(ber), 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sd.Raw, ber) {
			t.Errorf("raw is not the ber as given")
		}
		if err := sd.VerifySignature(0, sum256([]byte("x"))); err != nil {
			t.Error(err)
		}
	})
	t.Run("ok/encapsulated-other-type-needs-signed-attributes", func(t *testing.T) {
		if _, err := cms.Parse(tokenLike); err != nil {
			t.Fatal(err)
		}
	})
}

// lengthBytes is the number of length octets after the first in a DER
// header with a long-form length.
func lengthBytes(der []byte) int {
	if der[1] < 0x80 {
		return 0
	}
	return int(der[1] & 0x7f)
}

func contentInfo(t testing.TB, oid asn1.ObjectIdentifier, inner []byte) []byte {
	t.Helper()
	b, err := asn1.Marshal(struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}{oid, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package cms_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pki/pkitest"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
)

func TestSignDetachedOpenSSL(t *testing.T) {
	testtool.Need(t, "openssl", "openssl")
	p := newPKI(t)
	for _, tc := range []struct {
		key  string
		hash crypto.Hash
	}{{"p256", 0}, {"p384", crypto.SHA384}, {"rsa", 0}, {"rsa", crypto.SHA512}} {
		name := "ok/" + tc.key + "-default-hash"
		if tc.hash != 0 {
			name = "ok/" + tc.key + "-" + tc.hash.String()
		}
		t.Run(name, func(t *testing.T) {
			kp := p.signer(t, tc.key)
			content := []byte("%PDF-1.7 segl byte range " + tc.key)
			h := tc.hash
			if h == 0 {
				h = crypto.SHA256
			}
			d := h.New()
			d.Write(content)
			digest := d.Sum(nil)
			sig, err := cms.SignDetached(context.Background(), digest, cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Chain: kp.Chain, Hash: tc.hash})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if ok, out := p.opensslVerify(t, dir, sig, content); !ok {
				t.Fatalf("openssl cms -verify refused our signature:\n%s", out)
			}
			sd, err := cms.Parse(sig)
			if err != nil {
				t.Fatal(err)
			}
			if err := sd.VerifySignature(0, digest); err != nil {
				t.Fatal(err)
			}
			si := sd.Signers[0]
			if sd.Content != nil || !sd.ContentType.Equal(cms.OIDData) || si.DigestAlgorithm != h || !si.Certificate.Equal(kp.Cert) ||
				len(sd.Certificates) != 2 || si.SigningTime != nil || si.TimeStampToken != nil || len(si.UnsignedAttrs) != 0 {
				t.Errorf("parsed %+v", sd)
			}
			ess := si.SigningCertificateV2
			if ess == nil || ess.HashAlgorithm != crypto.SHA256 || string(ess.CertHash) != string(sum256(kp.Cert.Raw)) ||
				ess.IssuerSerial == nil || ess.IssuerSerial.SerialNumber.Cmp(kp.Cert.SerialNumber) != 0 {
				t.Errorf("signing certificate %+v", ess)
			}

			// Other content: openssl and VerifySignature both refuse.
			tampered := append([]byte("X"), content[1:]...)
			if ok, out := p.opensslVerify(t, dir, sig, tampered); ok || !strings.Contains(out, "CMS Verification failure") {
				t.Errorf("openssl accepted other content:\n%s", out)
			}
			d.Reset()
			d.Write(tampered)
			if err := sd.VerifySignature(0, d.Sum(nil)); !errors.Is(err, cms.ErrDigest) {
				t.Errorf("other content: got %v, want ErrDigest", err)
			}
		})
	}
}

// The signed attributes are those of CAdES-B-B for PAdES (ETSI EN 319 142-1
// §5.2, EN 319 122-1 §5.2): no signingTime unless asked for.
func TestSignedAttributesOpenSSLPrint(t *testing.T) {
	testtool.Need(t, "openssl", "openssl")
	p := newPKI(t)
	kp := p.dev.Seal
	dir := t.TempDir()
	digest := sum256([]byte("content"))
	for _, tc := range []struct {
		name string
		at   time.Time
	}{{"ok/pades-no-signing-time", time.Time{}}, {"ok/signing-time-when-asked", time.Date(2031, 5, 17, 10, 11, 12, 999, time.FixedZone("CEST", 7200))}} {
		t.Run(tc.name, func(t *testing.T) {
			sig, err := cms.SignDetached(context.Background(), digest, cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Chain: kp.Chain, SigningTime: tc.at})
			if err != nil {
				t.Fatal(err)
			}
			out := testtool.MustOpenSSL(t, dir, "cms", "-cmsout", "-print", "-inform", "DER", "-in", pkitest.WriteFile(t, dir, "sig.der", sig))
			for _, want := range []string{"object: contentType (1.2.840.113549.1.9.3)", "object: messageDigest (1.2.840.113549.1.9.4)", "object: id-smime-aa-signingCertificateV2 (1.2.840.113549.1.9.16.2.47)"} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in\n%s", want, out)
				}
			}
			if got := strings.Contains(out, "signingTime"); got != !tc.at.IsZero() {
				t.Errorf("signingTime printed: %v\n%s", got, out)
			}
			sd, err := cms.Parse(sig)
			if err != nil {
				t.Fatal(err)
			}
			st := sd.Signers[0].SigningTime
			if tc.at.IsZero() != (st == nil) || (st != nil && !st.Equal(tc.at.Truncate(time.Second))) {
				t.Errorf("signing time %v, want %v", st, tc.at)
			}
			if err := sd.VerifySignature(0, digest); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// CAdES-B-T: the signature time-stamp is over the SignatureValue (ETSI EN 319
// 122-1 §5.3), and openssl ts agrees.
func TestSignatureTimeStamp(t *testing.T) {
	testtool.Need(t, "openssl", "openssl")
	p := newPKI(t)
	kp := p.dev.Seal
	content := []byte("document to seal")
	sig, err := cms.SignDetached(context.Background(), sum256(content), cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Chain: kp.Chain, Stamper: p.authority(t)})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.VerifySignature(0, sum256(content)); err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	if len(si.UnsignedAttrs) != 1 || !si.UnsignedAttrs[0].Type.Equal(cms.OIDAttributeSignatureTimeStampToken) || si.TimeStampToken == nil {
		t.Fatalf("unsigned attributes %+v", si.UnsignedAttrs)
	}
	info, err := tsp.Verify(si.TimeStampToken, crypto.SHA256, sum256(si.Signature), tsp.VerifyOptions{Roots: p.roots()})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(info.GenTime) > time.Minute {
		t.Errorf("gentime %v", info.GenTime)
	}
	dir := t.TempDir()
	out := testtool.MustOpenSSL(t, dir, "ts", "-verify", "-data", pkitest.WriteFile(t, dir, "sigvalue.bin", si.Signature),
		"-in", pkitest.WriteFile(t, dir, "tst.der", si.TimeStampToken), "-token_in",
		"-CAfile", p.root, "-untrusted", pkitest.WritePEM(t, dir+"/tsa.pem", append(p.dev.TSA.Chain[:1:1], p.dev.TSA.Cert)...))
	if !strings.Contains(out, "Verification: OK") {
		t.Fatalf("openssl ts -verify:\n%s", out)
	}
	// The unsigned attribute does not disturb openssl cms.
	if ok, out := p.opensslVerify(t, dir, sig, content); !ok {
		t.Fatalf("openssl cms -verify:\n%s", out)
	}
}

// stamperFunc adapts a function to cms.Stamper.
type stamperFunc func(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error)

func (f stamperFunc) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	return f(ctx, h, digest)
}

func TestSignStamperFailures(t *testing.T) {
	p := newPKI(t)
	kp := p.dev.Seal
	a := p.authority(t)
	tests := map[string]cms.Stamper{
		"fail/token-over-other-data": stamperFunc(func(ctx context.Context, h crypto.Hash, _ []byte) ([]byte, error) {
			return a.Stamp(ctx, h, sum256([]byte("something else")))
		}),
		"fail/token-with-other-hash": stamperFunc(func(ctx context.Context, _ crypto.Hash, digest []byte) ([]byte, error) {
			d := sha512.Sum512(digest)
			return a.Stamp(ctx, crypto.SHA512, d[:])
		}),
		"fail/not-a-token": stamperFunc(func(context.Context, crypto.Hash, []byte) ([]byte, error) {
			return []byte{0x30, 0x00}, nil
		}),
		"fail/padded-token": stamperFunc(func(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
			tok, err := a.Stamp(ctx, h, digest)
			return append(tok, 0), err
		}),
		"fail/signed-data-not-a-tstinfo": stamperFunc(func(ctx context.Context, _ crypto.Hash, digest []byte) ([]byte, error) {
			return cms.Sign(ctx, digest, cms.SignOptions{Signer: p.dev.TSA.Key, Certificate: p.dev.TSA.Cert})
		}),
		"fail/tsa-unavailable": stamperFunc(func(context.Context, crypto.Hash, []byte) ([]byte, error) {
			return nil, errors.New("tsa down")
		}),
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			sig, err := cms.SignDetached(context.Background(), sum256([]byte("x")), cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Stamper: s})
			if err == nil || sig != nil {
				t.Fatalf("got %d bytes, %v", len(sig), err)
			}
			t.Log(err)
		})
	}
}

func TestSignOptionsRefused(t *testing.T) {
	p := newPKI(t)
	seal := p.dev.Seal
	weak := p.signer(t, "rsa1024")
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := sum256([]byte("x"))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for name, tc := range map[string]struct {
		ctx    context.Context
		digest []byte
		opts   cms.SignOptions
		want   error
	}{
		"fail/no-signer":            {opts: cms.SignOptions{Certificate: seal.Cert}},
		"fail/no-certificate":       {opts: cms.SignOptions{Signer: seal.Key}},
		"fail/key-not-the-certs":    {opts: cms.SignOptions{Signer: otherKey, Certificate: seal.Cert}},
		"fail/sha1":                 {digest: make([]byte, 20), opts: cms.SignOptions{Signer: seal.Key, Certificate: seal.Cert, Hash: crypto.SHA1}, want: cms.ErrUnsupportedAlgorithm},
		"fail/short-digest":         {digest: d[:20], opts: cms.SignOptions{Signer: seal.Key, Certificate: seal.Cert}},
		"fail/digest-of-sha384":     {digest: d, opts: cms.SignOptions{Signer: seal.Key, Certificate: seal.Cert, Hash: crypto.SHA384}},
		"fail/rsa-1024":             {opts: cms.SignOptions{Signer: weak.Key, Certificate: weak.Cert}, want: cms.ErrWeakAlgorithm},
		"fail/cancelled":            {ctx: cancelled, opts: cms.SignOptions{Signer: seal.Key, Certificate: seal.Cert}, want: context.Canceled},
		"fail/invalid-content-type": {opts: cms.SignOptions{Signer: seal.Key, Certificate: seal.Cert, ContentType: asn1.ObjectIdentifier{1}}},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			digest := tc.digest
			if digest == nil {
				digest = d
			}
			sig, err := cms.SignDetached(ctx, digest, tc.opts)
			if err == nil || sig != nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("got %d bytes, %v; want %v", len(sig), err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "cms: ") {
				t.Errorf("error %q without the cms: prefix", err)
			}
		})
	}
}

// Sign encapsulates, as RFC 3161 tokens need; P-521 and Ed25519 (RFC 8419)
// round-trip through our own verifier (OpenSSL 3.0 has no Ed25519 CMS).
func TestSignEncapsulated(t *testing.T) {
	p := newPKI(t)
	content := []byte("encapsulated")
	kp := p.signer(t, "p521")
	sig, err := cms.Sign(context.Background(), content, cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Hash: crypto.SHA512, ContentType: cms.OIDTSTInfo})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(sig)
	if err != nil {
		t.Fatal(err)
	}
	if string(sd.Content) != string(content) || !sd.ContentType.Equal(cms.OIDTSTInfo) || sd.Signers[0].SignatureAlgorithm != x509.ECDSAWithSHA512 {
		t.Fatalf("parsed %+v", sd)
	}
	d := sha512.Sum512(content)
	if err := sd.VerifySignature(0, d[:]); err != nil {
		t.Fatal(err)
	}

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edCert := pkitest.SelfSigned(t, priv, pkix.Name{})
	sig, err = cms.Sign(context.Background(), content, cms.SignOptions{Signer: priv, Certificate: edCert})
	if err != nil {
		t.Fatal(err)
	}
	if sd, err = cms.Parse(sig); err != nil {
		t.Fatal(err)
	}
	if sd.Signers[0].SignatureAlgorithm != x509.PureEd25519 || sd.Signers[0].DigestAlgorithm != crypto.SHA512 {
		t.Fatalf("ed25519 signer %+v", sd.Signers[0])
	}
	if err := sd.VerifySignature(0, d[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Sign(context.Background(), content, cms.SignOptions{Signer: priv, Certificate: edCert, Hash: crypto.SHA256}); !errors.Is(err, cms.ErrUnsupportedAlgorithm) {
		t.Errorf("ed25519 with sha-256: got %v", err)
	}
}

// device is a crypto.Signer that is not one of Go's own keys, as an HSM's
// or the remote signing service's is; faulty makes it sign other data.
type device struct {
	crypto.Signer
	faulty bool
}

func (d device) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if d.faulty {
		digest = append([]byte{}, digest...)
		digest[0] ^= 1
	}
	return d.Signer.Sign(r, digest, opts)
}

// mismatchedECDSA is other's private scalar under pub: a key whose two
// halves do not belong together.
func mismatchedECDSA(t *testing.T, pub ecdsa.PublicKey, other *ecdsa.PrivateKey) *ecdsa.PrivateKey {
	t.Helper()
	raw, err := other.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ecdsa.ParseRawPrivateKey(other.Curve, raw)
	if err != nil {
		t.Fatal(err)
	}
	k.PublicKey = pub
	return k
}

// Every signature is verified after signing, except those of Go's own RSA
// keys, which check themselves (selfChecked): a key whose private half
// belongs to another public key is refused, before and after its
// certificate's right key has signed, and so is a faulty device.
func TestSignChecksTheKey(t *testing.T) {
	p := newPKI(t)
	seal := p.dev.Seal
	sealKey := seal.Key.(*ecdsa.PrivateKey)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edCert := pkitest.SelfSigned(t, edKey, pkix.Name{})
	_, edOther, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := pkitest.Key(t, "rsa").(*rsa.PrivateKey)
	rsaCert := pkitest.SelfSigned(t, rsaKey, pkix.Name{})
	rsaOther := pkitest.Key(t, "rsa").(*rsa.PrivateKey)
	sign := func(opts cms.SignOptions) error {
		_, err := cms.Sign(context.Background(), []byte("x"), opts)
		return err
	}
	for _, round := range []string{"before", "after"} {
		for name, opts := range map[string]cms.SignOptions{
			"fail/ecdsa-private-half-of-another-key": {Signer: mismatchedECDSA(t, sealKey.PublicKey, other), Certificate: seal.Cert},
			"fail/ed25519-seed-of-another-key":       {Signer: append(ed25519.PrivateKey(edOther.Seed()), edPub...), Certificate: edCert},
			"fail/rsa-private-half-of-another-key":   {Signer: &rsa.PrivateKey{PublicKey: rsaKey.PublicKey, D: rsaOther.D, Primes: rsaOther.Primes}, Certificate: rsaCert},
			"fail/faulty-device":                     {Signer: device{Signer: sealKey, faulty: true}, Certificate: seal.Cert},
			"fail/faulty-ed25519-device":             {Signer: device{Signer: edKey, faulty: true}, Certificate: edCert},
		} {
			if err := sign(opts); err == nil || !strings.HasPrefix(err.Error(), "cms: ") {
				t.Errorf("%s, %s the right keys signed: got %v", name, round, err)
			}
		}
		if round == "after" {
			break
		}
		for name, opts := range map[string]cms.SignOptions{
			"ok/ecdsa":   {Signer: sealKey, Certificate: seal.Cert},
			"ok/ed25519": {Signer: edKey, Certificate: edCert},
			"ok/rsa":     {Signer: rsaKey, Certificate: rsaCert},
			"ok/device":  {Signer: device{Signer: sealKey}, Certificate: seal.Cert},
		} {
			if err := sign(opts); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

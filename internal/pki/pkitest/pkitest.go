// Package pkitest makes the keys and certificates that the tests of the
// signature packages (cms, tsp, xades, validate, …) need, one way for all
// of them: the development PKI in a temporary directory, keys of the kinds
// segl signs with, certificates issued under a given CA, and PEM files for
// the tools that check our output (openssl). It uses only crypto/x509 and
// internal/pki, so the packages below pki can use it in their own tests.
package pkitest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/segl/segl/internal/pki"
)

// Dev is a fresh development PKI (root → issuing CA → seal, TSA, OCSP
// responder) in a temporary directory of tb.
func Dev(tb testing.TB) *pki.Dev {
	tb.Helper()
	d, err := pki.LoadOrCreateDev(tb.TempDir(), pki.Options{})
	if err != nil {
		tb.Fatalf("development pki: %v", err)
	}
	return d
}

// Key returns a new private key of kind: "p256", "p384", "p521", "rsa"
// (2048 bits), "rsa1024" (too short, for refusals) or "ed25519".
func Key(tb testing.TB, kind string) crypto.Signer {
	tb.Helper()
	var (
		k   crypto.Signer
		err error
	)
	switch kind {
	case "p256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "p521":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "rsa":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "rsa1024":
		k, err = rsa.GenerateKey(rand.Reader, 1024)
	case "ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		tb.Fatalf("pkitest: unknown key kind %q", kind)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// Issue certifies pub under parent, signed by parentKey, as tmpl says
// (tmpl itself as parent, with the subject's own key, self-signs). A nil
// serial number is a random one of 127 bits, and a zero validity is an
// hour ago to a year ahead.
func Issue(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, parentKey crypto.Signer) *x509.Certificate {
	tb.Helper()
	if tmpl.SerialNumber == nil {
		serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
		if err != nil {
			tb.Fatal(err)
		}
		tmpl.SerialNumber = serial
	}
	if tmpl.NotBefore.IsZero() && tmpl.NotAfter.IsZero() {
		now := time.Now()
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.AddDate(1, 0, 0)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// SelfSigned is a certificate of key by itself, named subject, with no
// extensions: a signer no CA vouches for.
func SelfSigned(tb testing.TB, key crypto.Signer, subject pkix.Name) *x509.Certificate {
	tb.Helper()
	tmpl := &x509.Certificate{Subject: subject}
	return Issue(tb, tmpl, tmpl, key.Public(), key)
}

// Signer is a new key of kind certified by d's issuing CA for signatures
// (digitalSignature and contentCommitment, RFC 5280 4.2.1.3), as a
// person's own key or another seal would be; its chain is the issuing CA.
func Signer(tb testing.TB, d *pki.Dev, kind string, subject pkix.Name) pki.KeyPair {
	tb.Helper()
	key := Key(tb, kind)
	tmpl := &x509.Certificate{Subject: subject, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	cert := Issue(tb, tmpl, d.Issuing.Cert, key.Public(), d.Issuing.Key)
	return pki.KeyPair{Cert: cert, Chain: []*x509.Certificate{d.Issuing.Cert}, Key: key}
}

// IDP is the scope a CRL declares in its issuing distribution point
// extension (RFC 5280 §5.2.5), the way CAs scope a root's list of CA
// certificates (ARL) or a partition. It is encoded here, apart from pki's
// parser, so that tests check the one against the other.
type IDP struct {
	URIs          []string // the distributionPoint's fullName URIs
	DirectoryName []byte   // a DER Name among the fullName; nil: none
	OnlyUser      bool     // onlyContainsUserCerts
	OnlyCA        bool     // onlyContainsCACerts
	KeyCompromise bool     // onlySomeReasons: keyCompromise only
	Indirect      bool     // indirectCRL
	OnlyAttribute bool     // onlyContainsAttributeCerts
}

// Extension is p as a critical CRL extension, for
// x509.RevocationList.ExtraExtensions.
func (p IDP) Extension(tb testing.TB) pkix.Extension {
	tb.Helper()
	flag := func(b *cryptobyte.Builder, tag uint8, on bool) { // [tag] IMPLICIT BOOLEAN DEFAULT FALSE
		if on {
			b.AddASN1(cbasn1.Tag(tag).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddUint8(0xff) })
		}
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if len(p.URIs) > 0 || p.DirectoryName != nil {
			// distributionPoint [0] { fullName [0] GeneralNames }
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, u := range p.URIs {
						b.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte(u)) })
					}
					if p.DirectoryName != nil {
						b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(p.DirectoryName) })
					}
				})
			})
		}
		flag(b, 1, p.OnlyUser)
		flag(b, 2, p.OnlyCA)
		if p.KeyCompromise { // ReasonFlags, bit 1 of a BIT STRING with 6 unused bits
			b.AddASN1(cbasn1.Tag(3).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte{6, 0x40}) })
		}
		flag(b, 4, p.Indirect)
		flag(b, 5, p.OnlyAttribute)
	})
	der, err := b.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	return pkix.Extension{Id: []int{2, 5, 29, 28}, Critical: true, Value: der}
}

// WritePEM writes certs to path as PEM CERTIFICATE blocks, for a tool's
// -CAfile or -untrusted, and returns path.
func WritePEM(tb testing.TB, path string, certs ...*x509.Certificate) string {
	tb.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// WriteFile writes b to dir/name and returns the path.
func WriteFile(tb testing.TB, dir, name string, b []byte) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

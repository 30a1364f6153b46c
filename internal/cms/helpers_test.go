package cms_test

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/pki/pkitest"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
)

// testPKI is the development PKI (root → issuing CA → seal, TSA) with extra
// signer certificates issued by the same issuing CA, so every signature in
// these tests has a realistic path for openssl to build.
type testPKI struct {
	dev  *pki.Dev
	dir  string
	root string // root-ca.pem, for -CAfile
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	p := &testPKI{dev: pkitest.Dev(t), dir: t.TempDir()}
	p.root = pkitest.WritePEM(t, filepath.Join(p.dir, "root.pem"), p.dev.Root)
	return p
}

// signer returns a key pair under the issuing CA: "p256" is the TTP seal
// itself, the other kinds (pkitest.Key) are issued here for signing.
func (p *testPKI) signer(t testing.TB, kind string) pki.KeyPair {
	t.Helper()
	if kind == "p256" {
		return p.dev.Seal
	}
	return pkitest.Signer(t, p.dev, kind, pkix.Name{CommonName: "segl cms test signer " + kind, Organization: []string{"segl test"}})
}

// authority is a time-stamping authority with the development TSA key pair.
func (p *testPKI) authority(t testing.TB) *tsp.Authority {
	t.Helper()
	a, err := tsp.NewAuthority(p.dev.TSA.Key, p.dev.TSA.Cert, p.dev.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (p *testPKI) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.dev.Root)
	return pool
}

func sum256(b []byte) []byte {
	d := sha256.Sum256(b)
	return d[:]
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Our output is checked by tools we did not write: `openssl cms` and
// `openssl ts` (testtool.OpenSSL).

// opensslVerify runs openssl cms -verify on a detached signature over
// content and reports whether openssl accepted it, with its output.
func (p *testPKI) opensslVerify(t testing.TB, dir string, sig, content []byte) (bool, string) {
	t.Helper()
	sigFile := pkitest.WriteFile(t, dir, "sig.der", sig)
	contentFile := pkitest.WriteFile(t, dir, "content.bin", content)
	out, err := testtool.OpenSSL(t, dir, "cms", "-verify", "-inform", "DER", "-in", sigFile, "-binary", "-content", contentFile,
		"-CAfile", p.root, "-purpose", "any", "-out", os.DevNull)
	return err == nil && strings.Contains(out, "Verification successful"), out
}

package cms_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"github.com/segl/segl/internal/testtool"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/pki"
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
	dir := t.TempDir()
	dev, err := pki.LoadOrCreateDev(dir, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{dev: dev, dir: dir}
	p.root = writePEM(t, filepath.Join(dir, "root.pem"), dev.Root)
	return p
}

// signer returns a key pair under the issuing CA: "p256" is the TTP seal
// itself, "p384" and "rsa" are issued here with the seal's key usage.
func (p *testPKI) signer(t testing.TB, kind string) pki.KeyPair {
	t.Helper()
	var (
		key crypto.Signer
		err error
	)
	switch kind {
	case "p256":
		return p.dev.Seal
	case "p384":
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "p521":
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case "rsa1024":
		key, err = rsa.GenerateKey(rand.Reader, 1024)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "segl cms test signer " + kind, Organization: []string{"segl test"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.dev.Issuing.Cert, key.Public(), p.dev.Issuing.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return pki.KeyPair{Cert: cert, Chain: []*x509.Certificate{p.dev.Issuing.Cert}, Key: key}
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

func writePEM(t testing.TB, path string, certs ...*x509.Certificate) string {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
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
// `openssl ts` (Debian package openssl).

func requireOpenSSL(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		testtool.Missing(t, "openssl not installed (Debian package openssl)")
	}
}

func openssl(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustOpenSSL(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := openssl(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// opensslVerify runs openssl cms -verify on a detached signature over
// content and reports whether openssl accepted it, with its output.
func (p *testPKI) opensslVerify(t testing.TB, dir string, sig, content []byte) (bool, string) {
	t.Helper()
	sigFile := writeFile(t, dir, "sig.der", sig)
	contentFile := writeFile(t, dir, "content.bin", content)
	out, err := openssl(t, dir, "cms", "-verify", "-inform", "DER", "-in", sigFile, "-binary", "-content", contentFile,
		"-CAfile", p.root, "-purpose", "any", "-out", os.DevNull)
	return err == nil && strings.Contains(out, "Verification successful"), out
}

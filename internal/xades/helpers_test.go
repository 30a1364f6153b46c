package xades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509/pkix"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/pki/pkitest"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
	"golang.org/x/crypto/ocsp"
)

// One development PKI for the whole package, made once: the seal (ECDSA
// P-256) signs, its TSA stamps, its OCSP responder and issuing CA provide
// validation data, and an RSA-2048 signer is issued under the same CA.
var (
	devOnce sync.Once
	devPKI  *pki.Dev
	devErr  error
	devDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if devDir != "" {
		os.RemoveAll(devDir)
	}
	os.Exit(code)
}

func testPKI(tb testing.TB) *pki.Dev {
	tb.Helper()
	devOnce.Do(func() {
		devDir, devErr = os.MkdirTemp("", "xades-pki-")
		if devErr != nil {
			return
		}
		devPKI, devErr = pki.LoadOrCreateDev(devDir, pki.Options{})
	})
	if devErr != nil {
		tb.Fatalf("development pki: %v", devErr)
	}
	return devPKI
}

func sealOptions(tb testing.TB) SignOptions {
	d := testPKI(tb)
	return SignOptions{Signer: d.Seal.Key, Certificate: d.Seal.Cert, Chain: d.Seal.Chain}
}

var (
	rsaOnce sync.Once
	rsaKP   pki.KeyPair
)

// rsaOptions signs with an RSA-2048 key certified by the development
// issuing CA, as an advanced signature with a person's own key would be.
func rsaOptions(tb testing.TB) SignOptions {
	tb.Helper()
	d := testPKI(tb)
	rsaOnce.Do(func() {
		rsaKP = pkitest.Signer(tb, d, "rsa", pkix.Name{CommonName: "Kari Nordmann (test)", SerialNumber: "UN:NO-9578-4050-127091783"})
	})
	if rsaKP.Key == nil {
		tb.Fatal("rsa signer: not made")
	}
	return SignOptions{Signer: rsaKP.Key, Certificate: rsaKP.Cert, Chain: rsaKP.Chain}
}

func testAuthority(tb testing.TB) *tsp.Authority {
	tb.Helper()
	d := testPKI(tb)
	a, err := tsp.NewAuthority(d.TSA.Key, d.TSA.Cert, d.TSA.Chain)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// validationData is what B-LT embeds for the seal: the issuing CA, a good
// OCSP response for the seal certificate from the delegated responder, and
// a CRL of the issuing CA.
func validationData(tb testing.TB) *ValidationData {
	tb.Helper()
	d := testPKI(tb)
	now := time.Now().UTC().Truncate(time.Second)
	resp, err := ocsp.CreateResponse(d.Issuing.Cert, d.OCSP.Cert, ocsp.Response{
		Status:       ocsp.Good,
		SerialNumber: d.Seal.Cert.SerialNumber,
		ThisUpdate:   now,
		NextUpdate:   now.Add(time.Hour),
		Certificate:  d.OCSP.Cert,
	}, d.OCSP.Key)
	if err != nil {
		tb.Fatal(err)
	}
	crl, err := d.CRL(nil, now)
	if err != nil {
		tb.Fatal(err)
	}
	return &ValidationData{
		Certs: [][]byte{d.Issuing.Cert.Raw, d.Root.Raw, d.OCSP.Cert.Raw},
		OCSPs: [][]byte{resp},
		CRLs:  [][]byte{crl},
	}
}

func sum(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func testFacts() Facts {
	return Facts{
		JobID:     "job-7f3c",
		JobTitle:  "Leieavtale <Storgata 1> & vedlegg",
		SenderOrg: "317510748",
		Documents: []Document{
			{ID: "doc-1", Title: "Leieavtale", FileName: "leieavtale.pdf", MediaType: "application/pdf", Size: 48213, SHA256: sum("leieavtale")},
			{ID: "doc-2", Title: "Vedlegg \"A\"", FileName: "vedlegg-a.txt", MediaType: "text/plain", Size: 912, SHA256: sum("vedlegg")},
		},
		Signer: SignerFacts{
			Name:             "Kari Nordmann Åsheim",
			PID:              "12057912345",
			BirthDate:        "1979-05-12",
			EIDMethod:        "BankID",
			LevelOfAssurance: "high",
			AuthTime:         time.Date(2026, 3, 4, 10, 11, 12, 345000000, time.UTC),
			IDToken:          "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl",
			OnBehalfOf:       "319386416",
		},
		SignedAt: time.Date(2026, 3, 4, 10, 12, 0, 0, time.UTC),
		Action:   "signed",
	}
}

func mustSign(tb testing.TB, f Facts, opts SignOptions) []byte {
	tb.Helper()
	out, err := Sign(context.Background(), f, opts)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return out
}

// tool runs an independent tool in dir, skipping the test where it is not
// installed.
func tool(t *testing.T, dir, name, pkg string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		testtool.Missing(t, "%s not installed (Debian package %s)", name, pkg)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// stamperFunc adapts a function to Stamper.
type stamperFunc func(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error)

func (f stamperFunc) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	return f(ctx, h, digest)
}

func replaceOnce(t *testing.T, doc []byte, old, new string) []byte {
	t.Helper()
	if bytes.Count(doc, []byte(old)) != 1 {
		t.Fatalf("%q occurs %d times, want once", old, bytes.Count(doc, []byte(old)))
	}
	return bytes.Replace(doc, []byte(old), []byte(new), 1)
}

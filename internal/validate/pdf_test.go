package validate

import (
	"bytes"
	"context"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/tsp"
)

type sealEnv struct {
	dev *pki.Dev
	rev *pki.Revocations
	s   *pades.Sealer
}

func newSealEnv(t *testing.T) *sealEnv {
	dev, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rev, _ := pki.OpenRevocations(dev.Dir)
	tsa, err := tsp.NewAuthority(dev.TSA.Key, dev.TSA.Cert, dev.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	return &sealEnv{dev: dev, rev: rev, s: &pades.Sealer{Key: dev.Seal.Key, Cert: dev.Seal.Cert, Chain: dev.Seal.Chain,
		Anchors: []*x509.Certificate{dev.Root}, TSA: tsa, OCSP: pki.DevOCSP{Dev: dev, Revoked: rev, Now: time.Now},
		TempDir: t.TempDir()}}
}

func (e *sealEnv) seal(t *testing.T, level pades.Level) []byte {
	src := testdocs.PDF("Samtykke", 10_000)
	var out bytes.Buffer
	if err := e.s.Seal(context.Background(), &out, bytes.NewReader(src), int64(len(src)), pades.Options{Level: level}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func validatePDF(t *testing.T, file []byte, roots *x509.CertPool, at time.Time) *Report {
	rep, err := PDF(bytes.NewReader(file), int64(len(file)), Options{Roots: roots, At: at})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestPDFLevels(t *testing.T) {
	e := newSealEnv(t)
	now := time.Now()
	tests := []struct {
		name  string
		level pades.Level
		at    time.Time
		want  Indication
		sub   SubIndication
	}{
		{"ok/b-lta-now", pades.BLTA, now, TotalPassed, ""},
		{"ok/b-lta-ten-years-on", pades.BLTA, now.AddDate(10, 0, 0), TotalPassed, ""},
		{"ok/b-lt-now", pades.BLT, now, TotalPassed, ""},
		{"fail/b-t-has-no-revocation-data", pades.BT, now, Indeterminate, TryLater},
		// Without a renewed archive time-stamp nothing vouches for the signature
		// time-stamp once its TSA certificate (12 years) has expired.
		{"fail/b-lt-after-the-tsa-certificate-expired", pades.BLT, now.AddDate(13, 0, 0), Indeterminate, OutOfBoundsNoPOE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := validatePDF(t, e.seal(t, tt.level), e.dev.Roots(), tt.at)
			if rep.Indication != tt.want {
				t.Fatalf("indication %s, want %s: %+v", rep.Indication, tt.want, rep.Signatures)
			}
			if tt.sub != "" && rep.Signatures[0].Result.SubIndication != tt.sub {
				t.Fatalf("sub-indication %s, want %s", rep.Signatures[0].Result.SubIndication, tt.sub)
			}
		})
	}
}

func TestPDFRevokedSeal(t *testing.T) {
	e := newSealEnv(t)
	if err := e.rev.Revoke(new(big.Int).Set(e.dev.Seal.Cert.SerialNumber), ocsp.KeyCompromise, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	rep := validatePDF(t, e.seal(t, pades.BLTA), e.dev.Roots(), time.Time{})
	if got := rep.Signatures[0].Result; got.Indication != TotalFailed || got.SubIndication != Revoked {
		t.Fatalf("a seal made with a revoked key: %+v", got)
	}
}

func TestPDFUntrustedAndUnsigned(t *testing.T) {
	e := newSealEnv(t)
	other := newSealEnv(t)
	rep := validatePDF(t, e.seal(t, pades.BLTA), other.dev.Roots(), time.Time{})
	if rep.Indication != Indeterminate || rep.Signatures[0].Result.SubIndication != NoCertificateChainFound {
		t.Fatalf("foreign trust anchors: %+v", rep.Signatures[0].Result)
	}
	plain := testdocs.PDF("x", 0)
	if rep := validatePDF(t, plain, e.dev.Roots(), time.Time{}); rep.Passed() || len(rep.Signatures) != 0 {
		t.Fatalf("an unsigned file passed: %+v", rep)
	}
}

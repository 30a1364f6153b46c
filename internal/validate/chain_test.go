package validate

import (
	"context"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/segl/segl/internal/pki"
)

func TestValidatePath(t *testing.T) {
	dev, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rev, _ := pki.OpenRevocations(dev.Dir)
	now := time.Now()
	ocspAt := func(at time.Time) []byte {
		der, err := pki.DevOCSP{Dev: dev, Revoked: rev, Now: func() time.Time { return at }}.OCSP(context.Background(), dev.Seal.Cert, dev.Issuing.Cert)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	good := ocspAt(now)
	chain := []*x509.Certificate{dev.Issuing.Cert}
	other, _ := pki.LoadOrCreateDev(t.TempDir(), pki.Options{})

	tests := []struct {
		name string
		c    pathCheck
		want Indication
		sub  SubIndication
	}{
		{"ok/good-ocsp", pathCheck{leaf: dev.Seal.Cert, roots: dev.Roots(), at: now, requireRevocation: true,
			evidence: Evidence{Certs: chain, OCSPs: [][]byte{good}}}, TotalPassed, ""},
		{"fail/no-revocation-data", pathCheck{leaf: dev.Seal.Cert, roots: dev.Roots(), at: now, requireRevocation: true,
			evidence: Evidence{Certs: chain}}, Indeterminate, TryLater},
		{"ok/no-revocation-data-not-required", pathCheck{leaf: dev.Seal.Cert, roots: dev.Roots(), at: now,
			evidence: Evidence{Certs: chain}}, TotalPassed, ""},
		{"fail/stale-ocsp", pathCheck{leaf: dev.Seal.Cert, roots: dev.Roots(), at: now, requireRevocation: true,
			evidence: Evidence{Certs: chain, OCSPs: [][]byte{ocspAt(now.Add(-time.Hour))}}}, Indeterminate, TryLater},
		{"fail/other-root", pathCheck{leaf: dev.Seal.Cert, roots: other.Roots(), at: now, requireRevocation: true,
			evidence: Evidence{Certs: chain, OCSPs: [][]byte{good}}}, Indeterminate, NoCertificateChainFound},
		{"fail/expired-without-poe", pathCheck{leaf: dev.Seal.Cert, roots: dev.Roots(), at: now.AddDate(10, 0, 0),
			evidence: Evidence{Certs: chain, OCSPs: [][]byte{good}}}, Indeterminate, OutOfBoundsNoPOE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, res, _ := validatePath(tt.c)
			if res.Indication != tt.want || res.SubIndication != tt.sub {
				t.Fatalf("got %+v, want %s %s", res, tt.want, tt.sub)
			}
		})
	}

	t.Run("revocation-after-the-signature-time", func(t *testing.T) {
		if err := rev.Revoke(new(big.Int).Set(dev.Seal.Cert.SerialNumber), ocsp.KeyCompromise, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		revokedLater := ocspAt(now.Add(2 * time.Minute))
		c := pathCheck{leaf: dev.Seal.Cert, roots: dev.Roots(), requireRevocation: true,
			evidence: Evidence{Certs: chain, OCSPs: [][]byte{revokedLater}}}
		c.at = now // the signature provably existed before the revocation
		if _, res, _ := validatePath(c); !res.Passed() {
			t.Fatalf("signature before revocation: %+v", res)
		}
		c.at = now.Add(90 * time.Second) // no proof it existed before the revocation
		if _, res, _ := validatePath(c); res.Indication != TotalFailed || res.SubIndication != Revoked {
			t.Fatalf("signature after revocation: %+v", res)
		}
	})
}

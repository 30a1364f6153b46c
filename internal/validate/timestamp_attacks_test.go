package validate

import (
	"context"
	"crypto"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/tsp"
)

// TestPDFDocumentTimeStampAttacks appends a document time-stamp to a B-LTA
// file that proves nothing: one over other bytes, and one dated before its
// TSA certificate was issued (made by the development TSA's key with a
// certificate whose validity was moved back in memory, as a TSA whose key
// leaked could). Each is TOTAL_FAILED, and only the new time-stamp is.
func TestPDFDocumentTimeStampAttacks(t *testing.T) {
	t.Parallel()
	e := newSealEnv(t)
	file := e.seal(t, pades.BLTA)
	backdated := *e.dev.TSA.Cert
	backdated.NotBefore = backdated.NotBefore.AddDate(-5, 0, 0)
	early, err := tsp.NewAuthority(e.dev.TSA.Key, &backdated, e.dev.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	early.Clock = tsp.Synced(clock.NewFake(e.dev.TSA.Cert.NotBefore.AddDate(-1, 0, 0)))
	// rogue is another PKI's TSA, dated before its certificate too: its
	// chain is what fails, not the time.
	other, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rogueCert := *other.TSA.Cert
	rogueCert.NotBefore = rogueCert.NotBefore.AddDate(-5, 0, 0)
	rogue, err := tsp.NewAuthority(other.TSA.Key, &rogueCert, other.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	rogue.Clock = tsp.Synced(clock.NewFake(other.TSA.Cert.NotBefore.AddDate(-1, 0, 0)))
	honest, err := tsp.NewAuthority(e.dev.TSA.Key, e.dev.TSA.Cert, e.dev.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		stamp func(digest []byte) ([]byte, error)
		ind   Indication
		sub   SubIndication
	}{
		{"fail/over-other-bytes", func([]byte) ([]byte, error) {
			other := sha256.Sum256([]byte("another document"))
			return honest.Stamp(context.Background(), crypto.SHA256, other[:])
		}, TotalFailed, HashFailure},
		{"fail/dated-before-its-certificate", func(digest []byte) ([]byte, error) {
			return early.Stamp(context.Background(), crypto.SHA256, digest)
		}, TotalFailed, NotYetValid},
		{"fail/untrusted-and-dated-before-its-certificate", func(digest []byte) ([]byte, error) {
			return rogue.Stamp(context.Background(), crypto.SHA256, digest)
		}, Indeterminate, NoCertificateChainFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stamped := appendSigned(t, file, pdf.SignatureSpec{SubFilter: pdf.SubFilterRFC3161}, tc.stamp)
			rep := validatePDF(t, stamped, e.dev.Roots(), time.Time{})
			last := rep.Signatures[len(rep.Signatures)-1]
			if rep.Indication != tc.ind || last.Kind != "document-timestamp" || last.Result.SubIndication != tc.sub {
				t.Fatalf("indication %s, the new time-stamp %+v, want %s %s", rep.Indication, last.Result, tc.ind, tc.sub)
			}
			for _, s := range rep.Signatures[:len(rep.Signatures)-1] {
				if !s.Result.Passed() {
					t.Errorf("%s (%s) no longer passes: %+v", s.Field, s.Kind, s.Result)
				}
			}
		})
	}
}

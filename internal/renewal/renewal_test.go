package renewal_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/renewal"
	"github.com/segl/segl/internal/testdocs"
)

// TestNext: a renewal is due the margin before the newest time-stamp's TSA
// certificate expires, or before one of its algorithms reaches a configured
// end, whichever comes first; a file that is not B-LTA has no schedule.
func TestNext(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := &world{t: t, clk: clock.NewFake(t0), roots: x509.NewCertPool()}
	g := w.newGeneration()
	sealer := &pades.Sealer{Key: g.dev.Seal.Key, Cert: g.dev.Seal.Cert, Chain: g.dev.Seal.Chain,
		Anchors: []*x509.Certificate{g.dev.Root}, TSA: g.tsa, OCSP: w, Now: w.clk.Now, TempDir: t.TempDir()}
	seal := func(level pades.Level) []byte {
		src := testdocs.PDF("x", 1000)
		var out bytes.Buffer
		if err := sealer.Seal(context.Background(), &out, bytes.NewReader(src), int64(len(src)), pades.Options{Level: level}); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	lta := seal(pades.BLTA)
	expiry := g.dev.TSA.Cert.NotAfter
	tests := []struct {
		name   string
		policy renewal.Policy
		due    time.Time
		reason renewal.Reason
	}{
		{"ok/default-margin", renewal.Policy{}, expiry.Add(-renewal.DefaultMargin), renewal.ReasonCertificate},
		{"ok/margin", renewal.Policy{Margin: 30 * 24 * time.Hour}, expiry.Add(-30 * 24 * time.Hour), renewal.ReasonCertificate},
		{"ok/hash-end", renewal.Policy{Ends: map[string]time.Time{"SHA-256": t0.AddDate(1, 6, 0)}},
			t0.AddDate(1, 6, 0).Add(-renewal.DefaultMargin), renewal.ReasonAlgorithm},
		{"ok/key-end", renewal.Policy{Ends: map[string]time.Time{"ECDSA-P-256": t0.AddDate(1, 0, 0)}},
			t0.AddDate(1, 0, 0).Add(-renewal.DefaultMargin), renewal.ReasonAlgorithm},
		{"ok/end-after-expiry", renewal.Policy{Ends: map[string]time.Time{"SHA-256": expiry.AddDate(5, 0, 0)}},
			expiry.Add(-renewal.DefaultMargin), renewal.ReasonCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.policy.Next(bytes.NewReader(lta), int64(len(lta)))
			if err != nil {
				t.Fatal(err)
			}
			if !s.Due.Equal(tt.due) || s.Reason != tt.reason {
				t.Fatalf("due %s (%s), want %s (%s)", s.Due, s.Reason, tt.due, tt.reason)
			}
			if s.IsDue(tt.due.Add(-time.Second)) || !s.IsDue(tt.due) {
				t.Fatalf("IsDue around %s", tt.due)
			}
		})
	}
	t.Run("fail/not-lta", func(t *testing.T) {
		lt := seal(pades.BLT)
		if _, err := (renewal.Policy{}).Next(bytes.NewReader(lt), int64(len(lt))); !errs.Is(err, errs.Invalid) {
			t.Fatalf("B-LT file: %v, want Invalid", err)
		}
	})
}

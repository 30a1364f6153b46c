package pki

import (
	"math/big"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

func TestRevocations(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenRevocations(dir)
	must(t, err)
	serial := big.NewInt(0x1234abcd)

	t.Run("ok/empty-when-no-file", func(t *testing.T) {
		if _, _, ok := r.Revoked(serial); ok {
			t.Fatal("revoked before Revoke")
		}
	})
	t.Run("ok/persisted-and-seen-by-another-reader", func(t *testing.T) {
		other, err := OpenRevocations(dir)
		must(t, err)
		must(t, r.Revoke(serial, ocsp.KeyCompromise, t0))
		at, reason, ok := other.Revoked(serial)
		if !ok || !at.Equal(t0) || reason != ocsp.KeyCompromise {
			t.Fatalf("other reader sees %v %d %v", at, reason, ok)
		}
		reopened, err := OpenRevocations(dir)
		must(t, err)
		if got := reopened.RevokedCertificates(); len(got) != 1 || got[0].Serial.Cmp(serial) != 0 {
			t.Fatalf("reopened list %v", got)
		}
	})
	t.Run("ok/second-revoke-keeps-first-record", func(t *testing.T) {
		must(t, r.Revoke(serial, ocsp.Superseded, t0.Add(time.Hour)))
		at, reason, _ := r.Revoked(serial)
		if !at.Equal(t0) || reason != ocsp.KeyCompromise {
			t.Fatalf("record changed to %v %d", at, reason)
		}
	})
	for _, tt := range []struct {
		name   string
		serial *big.Int
		reason int
	}{
		{"fail/unassigned-reason-7", big.NewInt(5), 7},
		{"fail/reason-out-of-range", big.NewInt(5), 11},
		{"fail/negative-serial", big.NewInt(-5), 1},
		{"fail/nil-serial", nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.Revoke(tt.serial, tt.reason, t0); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	t.Run("fail/corrupt-file", func(t *testing.T) {
		bad := t.TempDir()
		must(t, os.WriteFile(bad+"/revoked.json", []byte("{"), 0o644))
		if _, err := OpenRevocations(bad); err == nil {
			t.Fatal("want an error")
		}
	})
}

// onlyLookup is a RevocationList that cannot enumerate its entries.
type onlyLookup struct{}

func (onlyLookup) Revoked(*big.Int) (time.Time, int, bool) { return time.Time{}, 0, false }

func TestCRLNeedsCompleteList(t *testing.T) {
	d, _ := newDev(t, Options{Now: t0})
	t.Run("fail/list-that-cannot-enumerate", func(t *testing.T) {
		if _, err := d.CRL(onlyLookup{}, t0); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("ok/nil-list-is-empty-crl", func(t *testing.T) {
		if _, err := d.CRL(nil, t0); err != nil {
			t.Fatal(err)
		}
	})
}

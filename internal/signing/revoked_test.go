package signing

import (
	"bytes"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pki"
)

// TestRevokedSealSignsNothing: once the seal's certificate is revoked, a
// signing act is refused before the key is used (certificate-revoked, as
// an outage: 503 for the signer), rather than sealing a signature whose
// own evidence says it is worthless. A job signed before the revocation
// still completes: its revocation data then shows the seal revoked after
// the signature provably existed, which leaves it valid.
func TestRevokedSealSignsNothing(t *testing.T) {
	env := setup(t)
	d := env.dev
	revoked := &oneRevocation{}
	e := env.engine(t, func(c *Config) { c.OCSP = pki.DevOCSP{Dev: d, Revoked: revoked, Now: time.Now} })
	doc, secondAct := halfSigned(t, e, "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e79")

	revoked.set(d.Seal.Cert.SerialNumber, time.Now().Add(-time.Second))
	var out bytes.Buffer
	err := secondAct(&out)
	if errs.KindOf(err) != errs.Unavailable || !errs.HasCode(err, CodeCertificateRevoked) {
		t.Fatalf("act with a revoked seal: %v, want %s", err, CodeCertificateRevoked)
	}
	if out.Len() != 0 {
		t.Fatalf("the act wrote %d bytes", out.Len())
	}
	complete(t, e, doc)
}

// oneRevocation is a revocation list of at most one certificate.
type oneRevocation struct {
	mu     sync.Mutex
	serial *big.Int
	at     time.Time
}

func (r *oneRevocation) set(serial *big.Int, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.serial, r.at = serial, at
}

func (r *oneRevocation) Revoked(serial *big.Int) (time.Time, int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.serial == nil || serial.Cmp(r.serial) != 0 {
		return time.Time{}, 0, false
	}
	return r.at, 1, true
}

package signing

import (
	"bytes"
	"context"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testdocs"
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
	j := Job{ID: "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e79", Title: "Leieavtale", SenderOrg: "312345679",
		SenderName: "Eksempel kommune", Identifier: job.ShowBirthDateAndName, Signers: 2, Lang: "nb"}
	doc := prepare(t, e, j, "doc-1", "Leieavtale", "leieavtale.pdf", "application/pdf", testdocs.PDF("Leieavtale", 5_000))
	sign(t, e, Act{Job: j, Slot: 0, Signer: ola, SignedAt: time.Now()}, []*document{doc})

	revoked.set(d.Seal.Cert.SerialNumber, time.Now().Add(-time.Second))
	var out bytes.Buffer
	act := Act{Job: j, Documents: []Document{doc.meta}, Slot: 1, Signer: kari, SignedAt: time.Now()}
	_, _, err := e.signRevisions(context.Background(), act, nil,
		[]Revision{{Document: doc.meta.ID, Src: bytes.NewReader(doc.data), Size: int64(len(doc.data)), Out: &out}})
	if errs.KindOf(err) != errs.Unavailable || !errs.HasCode(err, codeCertificateRevoked) {
		t.Fatalf("act with a revoked seal: %v, want %s", err, codeCertificateRevoked)
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

package audit

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/tsp"
)

// Anchor is an RFC 3161 time-stamp token over the chain's head: the hash of
// record Seq is the token's message imprint (SHA-256, RFC 3161 §2.4.1). The
// token is signed by a TSA outside segl's control, so whoever rewrites the
// chain's tail with fresh hashes cannot make the records up to Seq hash to
// Head again, nor make a new token dated in the past. The hash of a record
// covers its Seq, so the imprint binds the position too.
type Anchor struct {
	Seq   int64
	Head  []byte // Hash of record Seq
	Token []byte // DER TimeStampToken (a CMS ContentInfo)
	At    time.Time
}

// Head is the newest record of the chain and the newest anchored one.
type Head struct {
	Seq      int64  // 0 for an empty chain
	Hash     []byte // Hash of record Seq
	Anchored int64  // Seq of the newest anchor; 0 when none
}

// Anchors is the storage an Anchorer needs.
type Anchors interface {
	// AuditHead returns the newest record and the newest anchor's seq.
	AuditHead(ctx context.Context) (Head, error)
	// PutAnchor stores a; an anchor already stored for a.Seq is kept and a
	// second one is dropped without error, so nodes may race.
	PutAnchor(ctx context.Context, a Anchor) error
}

// AnchorHead time-stamps the chain's head when records were appended since
// the last anchor, and stores the token. It returns the new anchor, or false
// when there was nothing new to anchor. Several nodes may call it at once:
// the worst case is one redundant token.
func AnchorHead(ctx context.Context, st Anchors, tsa cms.Stamper) (Anchor, bool, error) {
	h, err := st.AuditHead(ctx)
	if err != nil {
		return Anchor{}, false, fmt.Errorf("audit: anchor: %w", err)
	}
	if h.Seq == 0 || h.Seq <= h.Anchored {
		return Anchor{}, false, nil
	}
	tok, err := tsa.Stamp(ctx, crypto.SHA256, h.Hash)
	if err != nil {
		return Anchor{}, false, fmt.Errorf("audit: anchor record %d: %w", h.Seq, err)
	}
	info, err := tsp.Parse(tok)
	if err != nil {
		return Anchor{}, false, fmt.Errorf("audit: anchor record %d: %w", h.Seq, err)
	}
	a := Anchor{Seq: h.Seq, Head: h.Hash, Token: tok, At: info.GenTime.UTC().Truncate(time.Microsecond)}
	if err := st.PutAnchor(ctx, a); err != nil {
		return Anchor{}, false, fmt.Errorf("audit: anchor record %d: %w", h.Seq, err)
	}
	return a, true, nil
}

// CheckAnchor verifies a's token against roots (tsp.Verify: the TSA's
// signature, its certificate and chain valid at the token's time) and that
// its imprint is a.Head, and then expects record a.Seq to hash to a.Head
// when Next reaches it. Anchors are checked before the records, in any
// order; the verifier keeps only their seq and head, not the tokens.
func (v *Verifier) CheckAnchor(a Anchor, roots *x509.CertPool) error {
	info, err := tsp.Verify(a.Token, crypto.SHA256, a.Head, tsp.VerifyOptions{Roots: roots})
	if err != nil {
		return fmt.Errorf("audit: anchor at record %d: %w", a.Seq, err)
	}
	if v.anchors == nil {
		v.anchors = make(map[int64]anchorMark)
	}
	v.anchors[a.Seq] = anchorMark{head: a.Head, at: info.GenTime}
	if a.Seq > v.LastAnchor.Seq {
		v.LastAnchor = AnchorSummary{Seq: a.Seq, At: info.GenTime}
	}
	v.Anchors++
	return nil
}

// anchorMark is what the verifier keeps of a checked anchor.
type anchorMark struct {
	head []byte
	at   time.Time
}

// AnchorSummary names the newest checked anchor, for the operator to
// compare with what they noted before: anchors removed from the store
// together with a rewritten tail are visible only that way.
type AnchorSummary struct {
	Seq int64
	At  time.Time // the token's genTime
}

// checkAnchored compares r with the anchor at its seq, if any.
func (v *Verifier) checkAnchored(r Record) error {
	m, ok := v.anchors[r.Seq]
	if !ok || bytes.Equal(m.head, r.Hash) {
		return nil
	}
	return fmt.Errorf("audit: record %d differs from the anchor time-stamped %s (the chain was rewritten up to there)",
		r.Seq, m.at.UTC().Format(time.RFC3339))
}

// Finish reports anchors beyond the last record: the tail they anchored was
// removed.
func (v *Verifier) Finish() error {
	if v.LastAnchor.Seq > v.Count {
		return fmt.Errorf("audit: anchor time-stamped %s names record %d, but the log ends at %d (records were removed)",
			v.LastAnchor.At.UTC().Format(time.RFC3339), v.LastAnchor.Seq, v.Count)
	}
	return nil
}

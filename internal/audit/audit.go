// Package audit defines segl's append-only event log: every signing act and
// state change, each record carrying the hash of the one before it, so an
// edited, removed or reordered record breaks the chain (MISSION S12).
//
// The chain does not by itself stop someone who rewrites the whole tail and
// every hash after an edit; periodic RFC 3161 time-stamps of the head
// (Anchor) do: a rewrite is detected up to the newest anchor. Storage
// appends records in the same transaction as the change they describe.
package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Record is one audited event.
type Record struct {
	Seq      int64     // position in the chain, from 1, without gaps
	At       time.Time // when it happened (UTC, microsecond precision)
	Org      string    // the organisation whose job it concerns
	Actor    string    // who: "cert:<serial>", "pid:<number>", "system"
	Action   string    // what: "job.created", "signer.signed", …
	JobID    string
	SignerID string
	Details  []byte // canonical JSON with the remaining facts (document hashes, level of assurance …)
	Prev     []byte // Hash of the previous record; 32 zero bytes for the first
	Hash     []byte // SHA-256 over all the fields above
}

// Genesis is the Prev of the first record.
var Genesis = make([]byte, sha256.Size)

// Sum computes the record's hash from its fields and Prev. Fields are length
// prefixed so no two different records share an encoding.
func (r *Record) Sum() []byte {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(r.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(r.At.UTC().UnixMicro()))
	h.Write(n[:])
	for _, f := range [][]byte{[]byte(r.Org), []byte(r.Actor), []byte(r.Action), []byte(r.JobID),
		[]byte(r.SignerID), r.Details, r.Prev} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	return h.Sum(nil)
}

// Seal links r after prev (nil for the first record) and sets its hash.
func (r *Record) Seal(prev *Record) {
	r.At = r.At.UTC().Truncate(time.Microsecond)
	if prev == nil {
		r.Seq, r.Prev = 1, Genesis
	} else {
		r.Seq, r.Prev = prev.Seq+1, prev.Hash
	}
	r.Hash = r.Sum()
}

// Details encodes facts canonically (encoding/json sorts map keys).
func Details(m map[string]any) []byte {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		// Details are built from plain values by segl itself; this is a bug.
		panic(fmt.Sprintf("audit: details not encodable: %v", err))
	}
	return b
}

// Verifier checks records in order, one at a time, so a chain of any length is
// verified in constant memory.
// Anchors checked with CheckAnchor before the records are compared with
// the records at their seq.
type Verifier struct {
	prev  *Record
	Count int64
	// Anchors is the number of anchors checked; LastAnchor the newest.
	Anchors    int
	LastAnchor AnchorSummary
	anchors    map[int64]anchorMark
}

// Next checks r against the previous record. The first problem is returned
// with the sequence number where the chain breaks.
func (v *Verifier) Next(r Record) error {
	wantSeq, wantPrev := int64(1), Genesis
	if v.prev != nil {
		wantSeq, wantPrev = v.prev.Seq+1, v.prev.Hash
	}
	switch {
	case r.Seq != wantSeq:
		return fmt.Errorf("audit: record %d found where %d was expected (removed or reordered)", r.Seq, wantSeq)
	case !bytes.Equal(r.Prev, wantPrev):
		return fmt.Errorf("audit: record %d does not follow record %d (removed or reordered)", r.Seq, wantSeq-1)
	case !bytes.Equal(r.Sum(), r.Hash):
		return fmt.Errorf("audit: record %d was altered (hash mismatch)", r.Seq)
	}
	if err := v.checkAnchored(r); err != nil {
		return err
	}
	v.prev = &r
	v.Count++
	return nil
}

// Head returns the hash of the last verified record, hex encoded, so an
// operator can write it down and compare later.
func (v *Verifier) Head() string {
	if v.prev == nil {
		return hex.EncodeToString(Genesis)
	}
	return hex.EncodeToString(v.prev.Hash)
}

// Said stands for what a person wrote (a rejecting signer's reason) in a
// record of a job's events: the first 16 bytes of its HMAC-SHA256 under
// the job's key, as Pseudonym names a person. While the job is kept the
// record proves the text its row holds; once the deletion has destroyed
// the key it links to nothing. Without a key nothing of the text is kept.
func Said(key []byte, text string) string {
	if len(key) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(text))
	return "hmac:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// Pseudonym is how the audit log names a person who acts on a job: an actor
// "pid:<identity number>" becomes "pseudonym:<hex>", the HMAC-SHA256 of the
// number under the job's own key (the first 16 bytes). While the job is
// kept, whoever holds the key (the job row) can tell which records are
// whose; once the job's personal data is deleted, the key goes with it and
// the log keeps no identity number, yet every record, and so the chain,
// is unchanged and still verifies (docs/architecture.md, "Retention").
// Other actors, and every actor when key is empty, are returned unchanged.
func Pseudonym(key []byte, actor string) string {
	pid, ok := strings.CutPrefix(actor, "pid:")
	if !ok || len(key) == 0 {
		return actor
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(pid))
	return "pseudonym:" + hex.EncodeToString(m.Sum(nil)[:16])
}

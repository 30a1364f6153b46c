package signing

import (
	"bytes"
	"encoding/hex"
	"hash"
	"sync"

	"github.com/segl/segl/internal/hashstate"
)

// maxHashes bounds the hashes an engine keeps: one per revision a signing
// act made, the most recent ones. Using a hash does not remove it (get
// hands out a copy); the oldest is dropped when a new one would pass the
// bound. Each takes about 200 bytes; a revision whose hash was dropped is
// read and hashed again, as after a restart.
const maxHashes = 4096

// hashes keeps the running SHA-256 of the revisions this process's
// signing acts wrote, by the revisions' SHA-256, so that the next act on
// a document, and its completion, hash only what they append.
//
// A PAdES signature's digest, a document time-stamp's and the proof that
// an act's blob extends its parent (blob.Tail) are each a SHA-256 over
// the whole parent revision followed by the new update. The act that
// wrote the parent hashed every byte of it as it wrote them (blob.Tail),
// and the store keeps those bytes (fsynced, under their content's
// SHA-256); the state that hashed them, finalised, gives the revision's
// recorded SHA-256, and going on from it gives exactly the digest that
// reading the revision back and hashing it again would give. So using
// it changes no output byte. What it leaves out is the second reading of
// the parent's bytes, which checked only that the blob store returns what
// it was given: a 10 MB document signed by ten signers was read and hashed
// whole by every act and the completion for that.
//
// A state is used only for the revision whose SHA-256 it finalises to
// (get checks it), and only in the process whose act computed it: after a
// restart, on another node, or once dropped, the revision is read and
// hashed as before. The first act of a document goes on from the SHA-256
// of its prepared revision as preparation wrote it: preparedRuns compares
// each of the upload's copied runs with what preparation wrote, byte for
// byte, so the revision's parts rebuild exactly the bytes hashed.
type hashes struct {
	mu    sync.Mutex
	by    map[string]hash.Hash
	order []string // oldest first, for dropping past maxHashes
}

// put keeps h, a SHA-256 that has hashed the revision whose SHA-256 is
// sum (hexadecimal) whole; h must not be written to afterwards.
func (c *hashes) put(sum string, h hash.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]hash.Hash{}
	}
	if _, ok := c.by[sum]; ok {
		return
	}
	if len(c.order) >= maxHashes {
		delete(c.by, c.order[0])
		c.order = c.order[1:]
	}
	c.by[sum] = h
	c.order = append(c.order, sum)
}

// get returns a copy of the SHA-256 kept for the revision whose SHA-256
// is sum, or nil when none is kept or the kept one does not finalise to
// sum.
func (c *hashes) get(sum string) hash.Hash {
	want, err := hex.DecodeString(sum)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	h := c.by[sum]
	c.mu.Unlock()
	cp, err := hashstate.Clone(h) // nil when none is kept: ErrNotCopyable
	if err != nil || !bytes.Equal(cp.Sum(nil), want) {
		return nil
	}
	return cp
}

// Package hashstate copies the running state of a hash, so that one
// copy can be finished (Sum) or written on while the other goes on
// from the same point: a SHA-256 over a signed revision is the start of
// the digest over the next revision that extends it.
//
// It sits below every package that needs it (internal/pdf, internal/blob,
// internal/pades, internal/signing) and imports none of ours.
package hashstate

import (
	"errors"
	"hash"
)

// ErrNotCopyable reports a hash whose state cannot be copied: one that is
// not a hash.Cloner. Every hash of the standard library is one (Go 1.25),
// so this is a programming error, never a property of a document.
var ErrNotCopyable = errors.New("hashstate: the hash's state cannot be copied")

// Clone returns an independent copy of h's running state: writing to
// either leaves the other as it was. A nil h is ErrNotCopyable.
func Clone(h hash.Hash) (hash.Hash, error) {
	c, ok := h.(hash.Cloner)
	if !ok {
		return nil, ErrNotCopyable
	}
	return c.Clone()
}

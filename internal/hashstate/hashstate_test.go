package hashstate

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"hash"
	"hash/adler32"
	"testing"
)

// TestCloneGoesOnIndependently: a copy taken after "base" and the original
// each go on with their own bytes and give the SHA-256 of base followed by
// those bytes, as if each had hashed everything itself.
func TestCloneGoesOnIndependently(t *testing.T) {
	h := sha256.New()
	h.Write([]byte("base"))
	c, err := Clone(h)
	if err != nil {
		t.Fatal(err)
	}
	h.Write([]byte(" and one"))
	c.Write([]byte(" and another"))
	if want := sha256.Sum256([]byte("base and one")); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Errorf("the original after the copy: %x, want %x", h.Sum(nil), want)
	}
	if want := sha256.Sum256([]byte("base and another")); !bytes.Equal(c.Sum(nil), want[:]) {
		t.Errorf("the copy: %x, want %x", c.Sum(nil), want)
	}
}

// TestCloneRefusesWhatCannotBeCopied: a hash that is no hash.Cloner, and
// no hash at all, give ErrNotCopyable rather than a copy that is not one.
func TestCloneRefusesWhatCannotBeCopied(t *testing.T) {
	for name, h := range map[string]hash.Hash{"not a Cloner": opaque{adler32.New()}, "nil": nil} {
		if c, err := Clone(h); c != nil || !errors.Is(err, ErrNotCopyable) {
			t.Errorf("%s: %v, %v; want ErrNotCopyable", name, c, err)
		}
	}
}

// opaque hides every method of its hash but hash.Hash's.
type opaque struct{ hash.Hash }

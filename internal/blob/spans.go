package blob

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/hashstate"
)

// Span is a run of a stored blob's bytes: Size bytes of the blob Key from
// Offset. Content stored in pieces (a document revision that is the
// previous revision followed by what a signing act appended) is a list of
// spans, read as one with OpenSpans.
type Span struct {
	Key    string
	Offset int64
	Size   int64
}

// Whole is the span of all of a stored blob.
func Whole(r Ref) Span { return Span{Key: r.Key, Size: r.Size} }

// Keys lists the distinct blobs spans read, in their first order: what a
// store of references must count, so that none of them is deleted while
// content made of it is kept.
func Keys(spans []Span) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range spans {
		if !seen[s.Key] {
			seen[s.Key] = true
			out = append(out, s.Key)
		}
	}
	return out
}

// OpenSpans opens the concatenation of spans as one Object: ReadAt and
// Read find each byte in its blob, so a file stored in pieces is read,
// sought in and served without being put together. Each blob is opened
// once however many spans read it. A span outside its blob is an error:
// the content would not be what was stored.
func OpenSpans(ctx context.Context, s Store, spans []Span) (Object, error) {
	return openSpans(ctx, s, spans, nil)
}

// OpenPending is OpenSpans for content part of which is not stored yet:
// spans with an empty Key are read from pending, what a Stager holds. A
// signing act reads the prepared document this way, whose own bytes are
// stored together with what the act appends, in one blob (NewTailAfter).
func OpenPending(ctx context.Context, s Store, spans []Span, pending *Stager) (Object, error) {
	return openSpans(ctx, s, spans, pending)
}

func openSpans(ctx context.Context, s Store, spans []Span, pending *Stager) (Object, error) {
	if len(spans) == 0 {
		return nil, errors.New("blob: no spans to open")
	}
	if len(spans) == 1 && spans[0].Offset == 0 && spans[0].Key != "" {
		o, err := s.Open(ctx, spans[0].Key)
		if err != nil {
			return nil, err
		}
		if o.Size() != spans[0].Size {
			o.Close()
			return nil, fmt.Errorf("blob: %s has %d bytes, not %d", spans[0].Key, o.Size(), spans[0].Size)
		}
		return o, nil
	}
	c := &concat{open: map[string]Object{}}
	for _, sp := range spans {
		o, ok := c.open[sp.Key]
		if !ok && sp.Key == "" {
			if pending == nil {
				c.Close()
				return nil, errors.New("blob: a span of content not stored")
			}
			o, ok = unstored{pending}, true
			c.open[""] = o
		}
		if !ok {
			var err error
			if o, err = s.Open(ctx, sp.Key); err != nil {
				c.Close()
				return nil, err
			}
			c.open[sp.Key] = o
		}
		if sp.Offset < 0 || sp.Size <= 0 || sp.Offset+sp.Size > o.Size() {
			c.Close()
			return nil, fmt.Errorf("blob: span %d+%d outside %s (%d bytes)", sp.Offset, sp.Size, sp.Key, o.Size())
		}
		c.parts = append(c.parts, part{at: c.size, Span: sp, r: o})
		c.size += sp.Size
	}
	return c, nil
}

// unstored is the Object of a Stager's content in OpenPending, which is
// read at offsets only.
type unstored struct{ w *Stager }

func (u unstored) ReadAt(p []byte, off int64) (int, error) { return u.w.ReadAt(p, off) }
func (u unstored) Size() int64                             { return u.w.Size() }
func (u unstored) Close() error                            { return nil }
func (u unstored) Read([]byte) (int, error) {
	return 0, errors.New("blob: content not stored is read at offsets")
}

// concat is the Object of OpenSpans.
type concat struct {
	open  map[string]Object
	parts []part // in order; parts[i].at is where each begins in the whole
	size  int64
	off   int64 // of Read
}

type part struct {
	at int64
	Span
	r io.ReaderAt
}

func (c *concat) Size() int64 { return c.size }

// ReadAt reads across the parts that hold [off, off+len(p)).
func (c *concat) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("blob: negative offset")
	}
	if off >= c.size {
		return 0, io.EOF
	}
	i := sort.Search(len(c.parts), func(i int) bool { return c.parts[i].at+c.parts[i].Size > off })
	n := 0
	for n < len(p) && i < len(c.parts) {
		pt := c.parts[i]
		rel := off + int64(n) - pt.at
		want := min(int64(len(p)-n), pt.Size-rel)
		m, err := pt.r.ReadAt(p[n:n+int(want)], pt.Offset+rel)
		n += m
		if m < int(want) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // the blob is shorter than when opened
			}
			return n, fmt.Errorf("blob: %s: %w", pt.Key, err)
		}
		i++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (c *concat) Read(p []byte) (int, error) {
	n, err := c.ReadAt(p, c.off)
	c.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (c *concat) Close() error {
	var first error
	for _, o := range c.open {
		if err := o.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Tail receives a new version of stored content written whole, which must
// begin with the Base bytes of the version it extends, and keeps only what
// follows them (a Stager: in memory when small, else a temporary file); it
// hashes everything written, so the new version's SHA-256 is known without
// reading it again, and the Stager hashes what it keeps, so the store need
// not read that again either. A PDF revision made by an incremental update
// (ISO 32000-1 §7.5.6) is its parent's bytes followed by the update:
// stored as a Tail, each signing act costs what it appends, not another
// copy of the document.
type Tail struct {
	base   int64
	at     int64 // where the tail begins in the blob it is kept as
	n      int64
	h      hash.Hash
	prefix []byte // SHA-256 of the first base bytes, once written
	own    *Stager
}

// NewTail returns a Tail for content that extends base bytes, keeping
// the rest in memory or, past StageMemory, in a new file in dir ("" is
// os.TempDir()). It fails only if the Stager cannot be made; there is
// none such failure today, but callers keep the error for the file.
func NewTail(dir string, base int64) (*Tail, error) {
	return NewTailAfter(NewStager(dir), base), nil
}

// NewTailAfter returns a Tail for content that extends base bytes and
// keeps the rest after what own holds already, so that both are stored
// as one blob (At says where the tail begins in it). A signing act keeps
// the prepared document's own bytes and what it appends to them so: one
// file per act instead of two. The Tail owns own from here.
func NewTailAfter(own *Stager, base int64) *Tail {
	t := &Tail{base: base, at: own.Size(), h: sha256.New(), own: own}
	if base == 0 {
		t.prefix = t.h.Sum(nil)
	}
	return t
}

// At is where what the Tail keeps begins in the blob Keep stores: 0, or
// the size of what the Stager of NewTailAfter held before.
func (t *Tail) At() int64 { return t.at }

// Write hashes p and keeps the bytes of it past the base.
func (t *Tail) Write(p []byte) (int, error) {
	if skip := t.base - t.n; skip > 0 {
		head := p[:min(int64(len(p)), skip)]
		t.h.Write(head)
		t.n += int64(len(head))
		p = p[len(head):]
		if t.n == t.base {
			t.prefix = t.h.Sum(nil) // Sum leaves the running hash as it is
		}
		if len(p) == 0 {
			return len(head), nil
		}
		n, err := t.Write(p)
		return len(head) + n, err
	}
	t.h.Write(p)
	n, err := t.own.Write(p)
	t.n += int64(n)
	return n, err
}

// SkipBase takes the n base bytes as written without receiving them
// (pdf.Appender): h is a SHA-256 that has hashed exactly them, as a
// signer does to sign them, and goes on as the Tail's running hash, so
// Extends checks its sum of them as it checks the bytes Write receives.
// It must come first, and n must be the base.
func (t *Tail) SkipBase(h hash.Hash, n int64) error {
	if t.n != 0 || n != t.base || h.Size() != sha256.Size {
		return errs.E(errs.Internal, codeNotAppended, "a hash of %d base bytes after %d written, for a tail of %d", n, t.n, t.base)
	}
	t.h, t.n = h, n
	t.prefix = h.Sum(nil) // Sum leaves the running hash as it is
	return nil
}

// Size is the number of bytes written: the new version's size.
func (t *Tail) Size() int64 { return t.n }

// Sum is the SHA-256 of everything written.
func (t *Tail) Sum() []byte { return t.h.Sum(nil) }

// Hash returns a copy of the running SHA-256 of everything written, to go
// on from: a later version that extends this one hashes only what it
// appends (internal/signing keeps it for the next signing act).
func (t *Tail) Hash() (hash.Hash, error) {
	h, err := hashstate.Clone(t.h)
	if err != nil {
		return nil, errs.E(errs.Internal, codeNotAppended, "the tail's hash: %v", err)
	}
	return h, nil
}

// Extends reports whether what was written begins with base bytes whose
// SHA-256 is baseSum, and goes on past them: only then is the new version
// its base followed by the kept tail.
func (t *Tail) Extends(baseSum []byte) bool {
	return t.prefix != nil && t.n > t.base && string(t.prefix) == string(baseSum)
}

// Index is where p first occurs in what the tail keeps, as an offset in
// the blob Keep stores (At and after), or -1 when it does not or the tail
// is not in memory (Stager.Index). A signing act finds its evidence so,
// which the update it appended embeds as it is, and keeps it as a span of
// that blob instead of a file of its own.
func (t *Tail) Index(p []byte) int64 { return t.own.Index(p, t.at) }

// Keep stores the tail in s under the SHA-256 its Stager computed
// (Stager.Keep: written once by a store that takes staged content), after
// what the Stager held before (At), and discards what it held. It refuses,
// storing nothing, when the content does not extend a base with SHA-256
// baseSum.
func (t *Tail) Keep(ctx context.Context, s Store, baseSum []byte) (Ref, error) {
	if !t.Extends(baseSum) {
		t.Close()
		return Ref{}, errs.E(errs.Internal, codeNotAppended, "the new version does not extend the %d bytes it was to follow", t.base)
	}
	return t.own.Keep(ctx, s)
}

// Close discards what the tail held, unless Keep took it.
func (t *Tail) Close() error { return t.own.Close() }

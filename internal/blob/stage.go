package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"

	"github.com/segl/segl/internal/errs"
)

// StageMemory is how much content a Stager keeps in memory before it moves
// it to a temporary file, as pdf.DefaultSpoolMemory does for revisions.
// What a signing act appends (tens of kilobytes) and a prepared document's
// own bytes stay in memory and are written once, by the store, where they
// are kept; creating a temporary file elsewhere first cost more than the
// rest of storing them (docs/benchmarks.md, "File creation on this
// machine"). A 10 MB document is still never held whole in memory.
const StageMemory = 2 << 20

// Staged is content that package blob has hashed as it was written (a
// Stager) or read (Keep): Ref is the SHA-256 and size of exactly the bytes
// it holds, so a store puts it under that key without reading it again
// (StagedPutter). Only package blob makes one, from bytes it hashed
// itself, so no caller can have content stored under a sum of its own
// choosing: content addressing stays as safe as Put's.
type Staged struct {
	ref Ref
	mem []byte   // the content, when f is nil
	f   *os.File // a temporary file holding the content, if it has one
}

// Ref is the staged content's SHA-256 and size. The zero Ref (a Staged
// that package blob did not make) names nothing, and stores refuse it.
func (s *Staged) Ref() Ref { return s.ref }

// Bytes is the content when it is held in memory (File is nil). A store
// must not keep the slice after PutStaged returns.
func (s *Staged) Bytes() []byte { return s.mem }

// File is the temporary file holding the content, or nil when it is in
// memory. PutStaged owns it: moved into place or removed.
func (s *Staged) File() *os.File { return s.f }

// Content reads the content at offsets, from memory or its file.
func (s *Staged) Content() io.ReaderAt {
	if s.f != nil {
		return s.f
	}
	return bytes.NewReader(s.mem)
}

// Valid reports whether package blob made s: its key is a SHA-256. A store
// checks it before it trusts the key.
func (s *Staged) Valid() bool {
	if s == nil || len(s.ref.Key) != 2*sha256.Size {
		return false
	}
	return s.f != nil || int64(len(s.mem)) == s.ref.Size
}

// StagedPutter is an optional capability: a store that takes staged
// content under the key package blob computed, without hashing it again,
// and takes a staged file by moving it into place rather than copying
// it. Keep and Stager.Keep find it by type assertion and fall back to Put.
type StagedPutter interface {
	// PutStaged stores st under st.Ref(), durably as Put does, and
	// returns that Ref. It takes st's file, if any: moved or removed
	// whether or not PutStaged succeeds. A Staged that package blob did
	// not make (Valid false) is refused with an Internal error.
	PutStaged(ctx context.Context, st *Staged) (Ref, error)
}

// NotStaged is the error a StagedPutter gives for a Staged that package
// blob did not make.
func NotStaged() error {
	return errs.E(errs.Internal, codeNotStaged, "content not hashed by package blob cannot be stored under its claimed key")
}

// Keep stores a finished temporary file and removes it: hashed here and
// moved into place when s can take staged content (StagedPutter, no second
// copy), copied otherwise. More than limit bytes gives a TooLarge error
// and stores nothing. f is closed and gone afterwards, whether or not Keep
// succeeds.
func Keep(ctx context.Context, s Store, f *os.File, limit int64) (Ref, error) {
	sp, ok := s.(StagedPutter)
	if !ok {
		defer func() { f.Close(); os.Remove(f.Name()) }()
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return Ref{}, fmt.Errorf("blob: %w", err)
		}
		return s.Put(ctx, f, limit)
	}
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(f, 0, limit+1))
	if err == nil && n > limit {
		err = errs.E(errs.TooLarge, errs.CodeDocumentTooLarge, "the document is larger than %d bytes", limit)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		if errs.From(err) != nil {
			return Ref{}, err
		}
		return Ref{}, fmt.Errorf("blob: %w", err)
	}
	return sp.PutStaged(ctx, &Staged{ref: Ref{Key: hex.EncodeToString(h.Sum(nil)), Size: n}, f: f})
}

// Stager receives content for a store and hashes it as it is written: in
// memory up to StageMemory bytes, beyond that in a temporary file. Keep
// then stores it under that hash; Close discards it.
type Stager struct {
	dir string
	h   hash.Hash
	n   int64
	buf []byte
	f   *os.File
	err error
}

// stageBuffers keeps the memory of finished Stagers for the next ones:
// each signing act stages a few tens of kilobytes per document. It holds
// *[]byte of at most StageMemory.
var stageBuffers sync.Pool

// NewStager returns an empty Stager whose temporary file, if it needs
// one, goes to dir ("" is os.TempDir()). A dir on the store's file system
// lets a file store move the file into place instead of copying it.
func NewStager(dir string) *Stager {
	return &Stager{dir: dir, h: sha256.New()}
}

// Write hashes p and keeps it.
func (w *Stager) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.f == nil && w.buf == nil {
		if b, ok := stageBuffers.Get().(*[]byte); ok {
			w.buf = *b
		}
	}
	if w.f == nil && len(w.buf)+len(p) > StageMemory {
		if w.err = w.spill(); w.err != nil {
			return 0, w.err
		}
	}
	w.h.Write(p)
	if w.f == nil {
		if need := len(w.buf) + len(p); need > cap(w.buf) {
			// Doubling, not append's growth of a quarter for large
			// slices, which allocated five times StageMemory on the way.
			b := make([]byte, len(w.buf), min(max(need, 2*cap(w.buf), 64<<10), StageMemory))
			copy(b, w.buf)
			w.buf = b
		}
		w.buf = append(w.buf, p...)
		w.n += int64(len(p))
		return len(p), nil
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		w.err = fmt.Errorf("blob: stage: %w", err)
	}
	return n, w.err
}

// spill moves what is held in memory to a new temporary file, which
// receives the rest.
func (w *Stager) spill() error {
	f, err := os.CreateTemp(w.dir, "segl-stage-*")
	if err != nil {
		return fmt.Errorf("blob: stage: %w", err)
	}
	w.f = f
	if _, err := f.Write(w.buf); err != nil {
		return fmt.Errorf("blob: stage: %w", err)
	}
	w.release()
	return nil
}

// Size is the number of bytes written.
func (w *Stager) Size() int64 { return w.n }

// ReadAt reads what was written so far, as io.ReaderAt says: content not
// stored yet, read through OpenPending. After Keep or Close there is
// nothing to read.
func (w *Stager) ReadAt(p []byte, off int64) (int, error) {
	if w.f != nil {
		return w.f.ReadAt(p, off)
	}
	if off < 0 {
		return 0, errors.New("blob: stage: negative offset")
	}
	if off >= int64(len(w.buf)) {
		return 0, io.EOF
	}
	n := copy(p, w.buf[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Index is where p first occurs in what was written at or after from, or
// -1 when it does not, or when the content is in a file: it is searched in
// memory only, where the small outputs of a signing act are.
func (w *Stager) Index(p []byte, from int64) int64 {
	if w.f != nil || from < 0 || from > int64(len(w.buf)) || len(p) == 0 {
		return -1
	}
	i := bytes.Index(w.buf[from:], p)
	if i < 0 {
		return -1
	}
	return from + int64(i)
}

// Keep stores what was written in s under its SHA-256 (PutStaged where s
// can take staged content, Put otherwise) and returns its Ref. The Stager
// is finished afterwards, whether or not Keep succeeds.
func (w *Stager) Keep(ctx context.Context, s Store) (Ref, error) {
	if w.err != nil {
		err := w.err
		w.Close()
		return Ref{}, err
	}
	st := &Staged{ref: Ref{Key: hex.EncodeToString(w.h.Sum(nil)), Size: w.n}, mem: w.buf, f: w.f}
	if st.mem == nil {
		st.mem = []byte{}
	}
	w.f, w.err = nil, errors.New("blob: stage: already kept")
	if sp, ok := s.(StagedPutter); ok {
		ref, err := sp.PutStaged(ctx, st)
		if err != nil {
			// An HTTP transport may still be reading the buffer after a
			// failed request returns: leave it to the collector, not the pool.
			w.buf = nil
			return ref, err
		}
		w.release()
		return ref, nil
	}
	defer w.release()
	if st.f != nil {
		defer func() { st.f.Close(); os.Remove(st.f.Name()) }()
	}
	return s.Put(ctx, io.NewSectionReader(st.Content(), 0, w.n), w.n)
}

// Close discards what was written, unless Keep took it.
func (w *Stager) Close() error {
	w.release()
	if w.err == nil {
		w.err = errors.New("blob: stage: closed")
	}
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	f.Close()
	return os.Remove(f.Name())
}

// release hands the memory buffer to the next Stager. Nothing outside
// holds it once Keep has returned: a store must not keep Staged.Bytes.
func (w *Stager) release() {
	if w.buf != nil && cap(w.buf) <= StageMemory {
		b := w.buf[:0]
		stageBuffers.Put(&b)
	}
	w.buf = nil
}

package pdf

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// DefaultSpoolMemory is how much of an intermediate revision a Spool keeps
// in memory before it moves to a temporary file. Most documents signed
// through segl are far smaller, so a signing act or a completion makes no
// temporary file for them (creating one costs a journalled file system
// more than copying a few hundred kilobytes); a 10 MB document still never
// sits whole in memory.
const DefaultSpoolMemory = 2 << 20

// Spool holds an intermediate revision that is written once and then read
// back through io.ReaderAt (by Open, PrepareSignature, AppendDSS): in
// memory up to a limit, then in a temporary file. Write appends; reads see
// everything written so far. A Spool is not safe for concurrent writes;
// Close removes its file.
//
// A Spool made by NewSpoolAfter begins with a revision it does not copy,
// and an update made from the Spool itself is appended to it in place
// (writeUpdate): a completion appends three updates to a signed document
// that way without copying the document three times.
type Spool struct {
	dir   string
	limit int
	buf   []byte
	f     *os.File
	n     int64 // bytes written, after base
	err   error

	base  io.ReaderAt // read as the first baseN bytes; nil for none
	baseN int64
}

// spoolBuffers keeps the memory of closed spools for the next ones: every
// signing act, receipt and completion spools a few revisions of a few
// hundred kilobytes, and growing a new buffer for each was a sixth of all
// the bytes a signing ceremony allocated, which the garbage collector then
// had to scan and free. It holds *[]byte of at most DefaultSpoolMemory.
var spoolBuffers sync.Pool

// NewSpool returns an empty spool whose temporary file, if it needs one,
// goes to dir ("" means os.TempDir()). memory bounds what it keeps in
// memory; zero or less means DefaultSpoolMemory.
func NewSpool(dir string, memory int) *Spool {
	if memory <= 0 {
		memory = DefaultSpoolMemory
	}
	return &Spool{dir: dir, limit: memory}
}

// NewSpoolAfter returns a spool that reads as the size bytes of base
// followed by what is written to it, which alone it keeps (in memory, or
// past memory bytes in a temporary file in dir, as NewSpool). base must
// not change while the spool is in use.
func NewSpoolAfter(base io.ReaderAt, size int64, dir string, memory int) *Spool {
	s := NewSpool(dir, memory)
	s.base, s.baseN = base, size
	return s
}

// Write appends p.
func (s *Spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.f == nil && s.buf == nil {
		if b, ok := spoolBuffers.Get().(*[]byte); ok {
			s.buf = *b
		}
	}
	if s.f == nil && len(s.buf)+len(p) > s.limit {
		f, err := os.CreateTemp(s.dir, "segl-spool-*.pdf")
		if err != nil {
			s.err = fmt.Errorf("pdf: spool: %w", err)
			return 0, s.err
		}
		s.f = f
		if _, err := f.Write(s.buf); err != nil {
			s.err = fmt.Errorf("pdf: spool: %w", err)
			return 0, s.err
		}
		s.release()
	}
	if s.f != nil {
		m, err := s.f.Write(p)
		s.n += int64(m)
		if err != nil {
			s.err = fmt.Errorf("pdf: spool: %w", err)
		}
		return m, s.err
	}
	s.buf = append(s.buf, p...)
	s.n += int64(len(p))
	return len(p), nil
}

// ReadAt reads the base and what was written, as io.ReaderAt says.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("pdf: spool: negative offset %d", off)
	}
	if off >= s.baseN {
		return s.readOwn(p, off-s.baseN)
	}
	k := min(int64(len(p)), s.baseN-off)
	m, err := s.base.ReadAt(p[:k], off)
	if int64(m) < k {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF // the base is shorter than it was said to be
		}
		return m, err
	}
	if int(k) == len(p) {
		return m, nil
	}
	n, err := s.readOwn(p[k:], 0)
	return m + n, err
}

// readOwn reads what was written after the base.
func (s *Spool) readOwn(p []byte, off int64) (int, error) {
	if s.f != nil {
		return s.f.ReadAt(p, off)
	}
	if off >= int64(len(s.buf)) {
		return 0, io.EOF
	}
	m := copy(p, s.buf[off:])
	if m < len(p) {
		return m, io.EOF
	}
	return m, nil
}

// WriteFrom writes what the spool reads as from off to its end to w.
func (s *Spool) WriteFrom(w io.Writer, off int64) (int64, error) {
	if off < 0 || off > s.Size() {
		return 0, fmt.Errorf("pdf: spool: offset %d of %d bytes", off, s.Size())
	}
	var n int64
	if off < s.baseN {
		m, err := copySection(w, s.base, off, s.baseN-off)
		if n += m; err != nil {
			return n, err
		}
		off = s.baseN
	}
	if s.f != nil {
		m, err := copySection(w, s.f, off-s.baseN, s.n-(off-s.baseN))
		return n + m, err
	}
	m, err := w.Write(s.buf[off-s.baseN:])
	return n + int64(m), err
}

// holds reports whether s reads as src and has exactly size bytes, so
// that an update made from src is appended to s in place (writeUpdate).
func (s *Spool) holds(src io.ReaderAt, size int64) bool {
	self, ok := src.(*Spool)
	return ok && self == s && s.Size() == size && s.err == nil
}

// Size is the number of bytes the spool reads as: the base and what was
// written.
func (s *Spool) Size() int64 { return s.baseN + s.n }

// Close releases the memory and removes the temporary file, if any.
func (s *Spool) Close() error {
	s.release()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	if rerr := os.Remove(s.f.Name()); err == nil {
		err = rerr
	}
	s.f = nil
	return err
}

// release hands the in-memory buffer to the next spool. Nothing outside
// the Spool holds a slice of it: ReadAt copies out.
func (s *Spool) release() {
	if s.buf != nil && cap(s.buf) <= DefaultSpoolMemory {
		b := s.buf[:0]
		spoolBuffers.Put(&b)
	}
	s.buf = nil
}

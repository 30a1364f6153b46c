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
type Spool struct {
	dir   string
	limit int
	buf   []byte
	f     *os.File
	n     int64
	err   error
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

// ReadAt reads what was written, as io.ReaderAt says.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
	if s.f != nil {
		return s.f.ReadAt(p, off)
	}
	if off < 0 {
		return 0, fmt.Errorf("pdf: spool: negative offset %d", off)
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

// Size is the number of bytes written.
func (s *Spool) Size() int64 { return s.n }

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

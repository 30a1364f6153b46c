package pdf

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestSpool checks that a spool reads back what was written, in memory and
// after it moved to a file, and that Close leaves no file behind.
func TestSpool(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int
		files int // while open
	}{{"ok/in-memory", 1 << 20, 0}, {"ok/spilled-to-file", 100, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := NewSpool(dir, tc.limit)
			var want []byte
			for i := range 50 {
				p := bytes.Repeat([]byte{byte('a' + i%26)}, 7+i)
				if n, err := s.Write(p); err != nil || n != len(p) {
					t.Fatalf("write: %d, %v", n, err)
				}
				want = append(want, p...)
			}
			if s.Size() != int64(len(want)) {
				t.Fatalf("size %d, want %d", s.Size(), len(want))
			}
			got, err := io.ReadAll(io.NewSectionReader(s, 0, s.Size()))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("read back %d bytes, %v", len(got), err)
			}
			buf := make([]byte, 10)
			if n, err := s.ReadAt(buf, s.Size()-4); n != 4 || err != io.EOF {
				t.Fatalf("read over the end: %d, %v", n, err)
			}
			if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != tc.files {
				t.Fatalf("%d files while open, want %d", len(files), tc.files)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("%d files left after Close", len(entries))
			}
		})
	}
}

// TestSpoolReusesMemory checks that a spool closed after use hands its
// memory to the next one: forty revisions of 256 KB spooled one after the
// other, as signing acts do, allocate next to nothing (15 KB measured),
// where forty fresh buffers grown by append would take about 28 MB. Under
// the race detector, whose sync.Pool drops a quarter of what is put back
// at random, a run takes 3–10 MB (a fresh buffer's 700 KB per drop); the
// bound there, 20 MB, still fails a spool that reuses nothing. It runs on
// one P (a pool keeps a buffer on the P that put it back, and a loaded
// machine moves the goroutine) and without collections (which empty a
// pool, and which the test's own allocations can start on a package
// test's small heap).
func TestSpoolReusesMemory(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4<<10) // 64 KB
	spool := func() {
		s := NewSpool(t.TempDir(), 0)
		for range 4 {
			if _, err := s.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if s.Size() != 4*int64(len(chunk)) {
			t.Fatalf("size %d", s.Size())
		}
		s.Close()
	}
	spool() // the first buffer
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 40 {
		spool()
	}
	runtime.ReadMemStats(&after)
	bound := uint64(1 << 20)
	if raceDetector {
		bound = 20 << 20
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > bound {
		t.Errorf("40 spools of 256 KB allocated %d KB, want under %d KB", got>>10, bound>>10)
	}
}

// TestSpoolAfter: a spool made after a base reads as the base followed by
// what is written, across the boundary and after it spilled to a file;
// an update made from the spool itself is appended in place, the same
// bytes that writing the whole file out gives, and WriteFrom writes any
// part of it.
func TestSpoolAfter(t *testing.T) {
	base := incrementalPDF()
	dss := DSS{Certs: [][]byte{bytes.Repeat([]byte{0x30}, 300)}}
	var first, want bytes.Buffer
	n1, err := AppendDSS(&first, bytes.NewReader(base), int64(len(base)), dss)
	if err != nil {
		t.Fatal(err)
	}
	n2, err := AppendDSS(&want, bytes.NewReader(first.Bytes()), n1, dss)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		limit int
	}{{"ok/in-memory", 1 << 20}, {"ok/spilled-to-file", 100}} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSpoolAfter(bytes.NewReader(base), int64(len(base)), t.TempDir(), tc.limit)
			defer s.Close()
			if s.Size() != int64(len(base)) {
				t.Fatalf("size %d before any write, want the base's %d", s.Size(), len(base))
			}
			if n, err := AppendDSS(s, s, s.Size(), dss); err != nil || n != n1 {
				t.Fatalf("first update in place: %d, %v; want %d", n, err, n1)
			}
			if n, err := AppendDSS(s, s, s.Size(), dss); err != nil || n != n2 || s.Size() != n2 {
				t.Fatalf("second update in place: %d, %v, size %d; want %d", n, err, s.Size(), n2)
			}
			got, err := io.ReadAll(io.NewSectionReader(s, 0, s.Size()))
			if err != nil || !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("reads as %d bytes (%v), want the %d of writing the file out", len(got), err, want.Len())
			}
			buf := make([]byte, 20)
			if n, err := s.ReadAt(buf, int64(len(base))-10); n != 20 || err != nil || !bytes.Equal(buf, want.Bytes()[len(base)-10:len(base)+10]) {
				t.Fatalf("read across the base's end: %d, %v", n, err)
			}
			for _, from := range []int64{0, 10, int64(len(base)), n1, n2} {
				var out bytes.Buffer
				if n, err := s.WriteFrom(&out, from); err != nil || n != n2-from || !bytes.Equal(out.Bytes(), want.Bytes()[from:]) {
					t.Fatalf("WriteFrom %d: %d, %v", from, n, err)
				}
			}
		})
	}
}

package blob_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/errs"
)

func newStore(t *testing.T) *fs.Store {
	t.Helper()
	s, err := fs.Open(filepath.Join(t.TempDir(), "blobs"), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func put(t *testing.T, s blob.Store, b []byte) blob.Ref {
	t.Helper()
	ref, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestOpenSpans reads content stored in pieces, one blob read at two
// places, as the one file it is: every ReadAt across piece boundaries and
// a sequential read give the same bytes.
func TestOpenSpans(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	upload := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	own := []byte("HEADER|MIDDLE|TRAILER")
	u, o := put(t, s, upload), put(t, s, own)
	spans := []blob.Span{{Key: o.Key, Size: 7}, {Key: u.Key, Offset: 5, Size: 10000}, {Key: o.Key, Offset: 7, Size: 14}}
	want := append(append(append([]byte{}, own[:7]...), upload[5:10005]...), own[7:]...)
	obj, err := blob.OpenSpans(ctx, s, spans)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if obj.Size() != int64(len(want)) {
		t.Fatalf("Size = %d, want %d", obj.Size(), len(want))
	}
	if err := iotest.TestReader(obj, want); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ off, n int }{{0, 7}, {3, 10}, {10000, 21}, {10006, 15}, {0, len(want)}} {
		got := make([]byte, c.n)
		if n, err := obj.ReadAt(got, int64(c.off)); n != c.n || err != nil || !bytes.Equal(got, want[c.off:c.off+c.n]) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v", c.off, c.n, n, err)
		}
	}
	past := make([]byte, 10)
	if n, err := obj.ReadAt(past, int64(len(want)-4)); n != 4 || err != io.EOF {
		t.Fatalf("ReadAt over the end = %d, %v; want 4, EOF", n, err)
	}

	for name, bad := range map[string][]blob.Span{
		"outside": {{Key: o.Key, Offset: 10, Size: 20}},
		"size":    {{Key: o.Key, Size: 20}},
	} {
		if _, err := blob.OpenSpans(ctx, s, bad); err == nil {
			t.Errorf("%s: a span outside its blob was opened", name)
		}
	}
	if _, err := blob.OpenSpans(ctx, s, []blob.Span{{Key: o.Key, Size: 3}, {Key: sha(nil), Size: 1}}); !errs.Is(err, errs.NotFound) {
		t.Errorf("missing blob: %v", err)
	}
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestTail keeps only what follows the base, knows the whole content's
// SHA-256, and refuses content that does not begin with the base.
func TestTail(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	base := bytes.Repeat([]byte("base "), 2000)
	update := []byte("\nan incremental update\n%%EOF\n")
	baseSum := sha256.Sum256(base)

	tail, err := blob.NewTail(t.TempDir(), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	// Written in pieces that straddle the end of the base.
	whole := append(append([]byte{}, base...), update...)
	for _, p := range [][]byte{whole[:100], whole[100 : len(base)+3], whole[len(base)+3:]} {
		if _, err := tail.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	wholeSum := sha256.Sum256(whole)
	if tail.Size() != int64(len(whole)) || !bytes.Equal(tail.Sum(), wholeSum[:]) {
		t.Fatalf("Size %d, Sum %x; want %d, %x", tail.Size(), tail.Sum(), len(whole), wholeSum)
	}
	ref, err := tail.Keep(ctx, s, baseSum[:])
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Open(ctx, ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o)
	o.Close()
	if !bytes.Equal(got, update) {
		t.Fatalf("kept %q, want only the update", got)
	}

	dir := t.TempDir()
	other, err := blob.NewTail(dir, int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	other.Write(bytes.ToUpper(base))
	other.Write(update)
	if _, err := other.Keep(ctx, s, baseSum[:]); err == nil {
		t.Fatal("kept an update of other content than the base")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("a refused tail left %d files", len(left))
	}
}

// TestTailSkipBase takes the base from the running SHA-256 of a writer
// that has hashed it already (pdf.Prepared, which read it to sign it):
// the tail keeps the update and knows the whole content's SHA-256, and a
// hash of other bytes than the base is refused as written ones are.
func TestTailSkipBase(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	base := bytes.Repeat([]byte("base "), 2000)
	update := []byte("\nan incremental update\n%%EOF\n")
	baseSum := sha256.Sum256(base)
	hashOf := func(b []byte) hash.Hash {
		h := sha256.New()
		h.Write(b)
		return h
	}

	tail, err := blob.NewTail(t.TempDir(), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	if err := tail.SkipBase(hashOf(base), int64(len(base))); err != nil {
		t.Fatal(err)
	}
	tail.Write(update)
	wholeSum := sha256.Sum256(append(append([]byte{}, base...), update...))
	if tail.Size() != int64(len(base)+len(update)) || !bytes.Equal(tail.Sum(), wholeSum[:]) {
		t.Fatalf("Size %d, Sum %x; want %d, %x", tail.Size(), tail.Sum(), len(base)+len(update), wholeSum)
	}
	ref, err := tail.Keep(ctx, s, baseSum[:])
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Open(ctx, ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o)
	o.Close()
	if !bytes.Equal(got, update) {
		t.Fatalf("kept %q, want only the update", got)
	}

	other, err := blob.NewTail(t.TempDir(), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.SkipBase(hashOf(base[1:]), int64(len(base)-1)); err == nil {
		t.Fatal("took a hash of fewer bytes than the base")
	}
	other.SkipBase(hashOf(bytes.ToUpper(base)), int64(len(base)))
	other.Write(update)
	if _, err := other.Keep(ctx, s, baseSum[:]); err == nil {
		t.Fatal("kept an update of other content than the base")
	}
	written, err := blob.NewTail(t.TempDir(), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	defer written.Close()
	written.Write(base[:10])
	if err := written.SkipBase(hashOf(base), int64(len(base))); err == nil {
		t.Fatal("took a hash of the base after some of it was written")
	}
}

// TestTailSmallMakesNoFile: what a signing act appends (tens of
// kilobytes) is held in memory until the store writes it once, where it
// is kept; no temporary file is made for it on the way.
func TestTailSmallMakesNoFile(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	base := bytes.Repeat([]byte("base "), 2000)
	baseSum := sha256.Sum256(base)
	update := bytes.Repeat([]byte("an incremental update "), 3000) // 66 KB
	dir := t.TempDir()
	tail, err := blob.NewTail(dir, int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	tail.Write(base)
	tail.Write(update)
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("a %d-byte tail made %d temporary files", len(update), len(left))
	}
	ref, err := tail.Keep(ctx, s, baseSum[:])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(update)
	if ref.Key != hex.EncodeToString(sum[:]) || ref.Size != int64(len(update)) {
		t.Fatalf("kept as %+v, want the update's SHA-256 %x", ref, sum)
	}
	o, err := s.Open(ctx, ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o)
	o.Close()
	if !bytes.Equal(got, update) {
		t.Fatalf("read back %d bytes, want the %d of the update", len(got), len(update))
	}
}

// TestTailLargeIsStreamed: a tail larger than blob.StageMemory (a large
// document's first revision) moves to a temporary file instead of growing
// in memory: writing 24 MB through it allocates a bounded amount, and it
// is stored whole under its SHA-256.
func TestTailLargeIsStreamed(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const size = 24 << 20
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 2048) // 32 KB
	tail, err := blob.NewTail(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for n := 0; n < size; n += len(chunk) {
		binary.BigEndian.PutUint64(chunk, uint64(n)) // no two chunks alike
		want.Write(chunk)
		if _, err := tail.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	// StageMemory of buffer, grown by append (at most about twice that
	// allocated in all), and the file; not the 24 MB written.
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 3*blob.StageMemory {
		t.Fatalf("writing %d bytes allocated %d bytes; want at most %d", size, grown, 3*blob.StageMemory)
	}
	empty := sha256.Sum256(nil) // the base: no bytes
	ref, err := tail.Keep(ctx, s, empty[:])
	if err != nil {
		t.Fatal(err)
	}
	if ref.Key != hex.EncodeToString(want.Sum(nil)) || ref.Size != size {
		t.Fatalf("kept as %+v, want %x and %d bytes", ref, want.Sum(nil), size)
	}
	o, err := s.Open(ctx, ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got := sha256.New()
	if n, err := io.Copy(got, o); err != nil || n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("read back %d bytes, %v, SHA-256 %x", n, err, got.Sum(nil))
	}
}

// TestTailAfterPending: content whose own bytes are not stored yet (a
// Stager) is read together with a stored blob's bytes (OpenPending), and a
// tail written over it is kept after those bytes, in one blob; the spans
// of both, under that blob's key, read back the whole content.
func TestTailAfterPending(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	upload := bytes.Repeat([]byte("upload "), 3000)
	up := put(t, s, upload)
	own := blob.NewStager(t.TempDir())
	own.Write([]byte("%PDF-1.7 rewritten objects\n"))
	own.Write([]byte("\nsignature page\n"))
	spans := []blob.Span{{Size: 27}, {Key: up.Key, Offset: 7, Size: 7000}, {Offset: 27, Size: 16}}
	base, err := blob.OpenPending(ctx, s, spans, own)
	if err != nil {
		t.Fatal(err)
	}
	prepared, err := io.ReadAll(io.NewSectionReader(base, 0, base.Size()))
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Concat([]byte("%PDF-1.7 rewritten objects\n"), upload[7:7007], []byte("\nsignature page\n"))
	if !bytes.Equal(prepared, want) {
		t.Fatalf("read %d bytes through the pending spans, want %d", len(prepared), len(want))
	}
	if _, err := blob.OpenSpans(ctx, s, spans); err == nil {
		t.Fatal("spans of content not stored opened without it")
	}
	baseSum := sha256.Sum256(prepared)
	tail := blob.NewTailAfter(own, int64(len(prepared)))
	update := []byte("\nan incremental update\n%%EOF\n")
	tail.Write(prepared)
	tail.Write(update)
	base.Close()
	ref, err := tail.Keep(ctx, s, baseSum[:])
	if err != nil {
		t.Fatal(err)
	}
	if tail.At() != 43 || ref.Size != 43+int64(len(update)) {
		t.Fatalf("kept as %+v with the tail at %d", ref, tail.At())
	}
	for i := range spans {
		spans[i].Key = cmp.Or(spans[i].Key, ref.Key)
	}
	spans = append(spans, blob.Span{Key: ref.Key, Offset: tail.At(), Size: int64(len(update))})
	o, err := blob.OpenSpans(ctx, s, spans)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got, _ := io.ReadAll(o)
	if !bytes.Equal(got, append(want, update...)) {
		t.Fatalf("the new version reads back as %d bytes, want %d", len(got), len(want)+len(update))
	}
}

// TestTailIndex: Index finds bytes among what a tail keeps, as an offset
// in the blob Keep stores (after what its Stager held before), never in
// the base or before At, and says -1 once the tail is kept in a file,
// where it does not search.
func TestTailIndex(t *testing.T) {
	own := blob.NewStager(t.TempDir())
	own.Write([]byte("prepared evidence"))          // held before: not the tail's
	tail := blob.NewTailAfter(own, 5)               // base of 5 bytes
	tail.Write([]byte("base|update with evidence")) // "base|" is the base
	if got, want := tail.Index([]byte("evidence")), int64(len("prepared evidence")+len("update with ")); got != want {
		t.Fatalf("Index = %d, want %d", got, want)
	}
	if got := tail.Index([]byte("base")); got != -1 {
		t.Fatalf("Index of base bytes = %d, want -1", got)
	}
	if got := tail.Index([]byte("prepared")); got != -1 {
		t.Fatalf("Index of bytes before At = %d, want -1", got)
	}
	tail.Write(make([]byte, blob.StageMemory)) // now in a file
	if got := tail.Index([]byte("evidence")); got != -1 {
		t.Fatalf("Index of a tail in a file = %d, want -1", got)
	}
	tail.Close()
}

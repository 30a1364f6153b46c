package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/blob/blobtest"
	"github.com/segl/segl/internal/blob/s3"
	"github.com/segl/segl/internal/blob/s3/s3test"
	"github.com/segl/segl/internal/errs"
)

func open(t *testing.T, o s3.Options) *s3.Store {
	t.Helper()
	s, err := s3.Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs the blob suite on a real S3 server (SeaweedFS), a
// bucket per test.
func TestConformance(t *testing.T) {
	srv := s3test.Shared(t)
	blobtest.Run(t, func(t *testing.T) blob.Store { return open(t, srv.Bucket(t)) })
}

// TestSweeper runs the sweeper suite on a real S3 server: storing content
// again (a copy of the object onto itself) makes it young, and
// DeleteIfOlder deletes only what is older.
func TestSweeper(t *testing.T) {
	srv := s3test.Shared(t)
	blobtest.RunSweeper(t, func(t *testing.T) blob.Store { return open(t, srv.Bucket(t)) })
}

// TestMissingBucketIsAStartUpError: a wrong bucket name fails Open, not the
// first upload hours later.
func TestMissingBucketIsAStartUpError(t *testing.T) {
	o := s3test.Shared(t).Bucket(t)
	o.Bucket += "-missing"
	if _, err := s3.Open(t.Context(), o); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Open on a missing bucket: %v", err)
	}
}

// TestPutStagesAndCleansUp: Put leaves nothing in the temporary directory,
// whether it stores or refuses the content.
func TestPutStagesAndCleansUp(t *testing.T) {
	o := s3test.Shared(t).Bucket(t)
	s := open(t, o)
	if _, err := s.Put(t.Context(), strings.NewReader("kept"), 100); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), strings.NewReader(strings.Repeat("x", 101)), 100); !errs.Is(err, errs.TooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if left, _ := os.ReadDir(o.TempDir); len(left) != 0 {
		t.Fatalf("%d staging files left", len(left))
	}
}

// pattern is n bytes of a repeating, position-dependent pattern, generated
// as it is read so the test itself holds none of it.
type pattern struct{ off, n int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		b[i] = byte((p.off + int64(i)) * 7 % 251)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// allocated is the bytes allocated on the heap while f runs. It counts
// everything, garbage included, so it bounds the peak from above.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestStreamingMemory stores, streams back and reads at random a 50 MB
// document. Each of the three allocates in total less than a fifth of the
// document (so no step holds it, or a multipart-sized chunk of it, in
// memory), and both ways of reading return the exact content.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 50 MB")
	}
	const size = 50 << 20
	const bound = size / 5
	s := open(t, s3test.Shared(t).Bucket(t))
	ctx := t.Context()
	h := sha256.New()
	io.Copy(h, &pattern{n: size})
	want := hex.EncodeToString(h.Sum(nil))

	var ref blob.Ref
	var err error
	n := allocated(func() { ref, err = s.Put(ctx, &pattern{n: size}, size) })
	t.Logf("Put allocated %d KiB", n>>10)
	if n > bound {
		t.Errorf("Put of %d bytes allocated %d bytes (bound %d)", size, n, bound)
	}
	if err != nil || ref.Key != want || ref.Size != size {
		t.Fatalf("Put: %+v, %v; want key %s", ref, err, want)
	}

	var got string
	n = allocated(func() {
		o, err := s.Open(ctx, ref.Key)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		h := sha256.New()
		if _, err := io.Copy(h, o); err != nil {
			t.Fatal(err)
		}
		got = hex.EncodeToString(h.Sum(nil))
	})
	t.Logf("streaming back allocated %d KiB", n>>10)
	if n > bound {
		t.Errorf("streaming %d bytes back allocated %d bytes (bound %d)", size, n, bound)
	}
	if got != want {
		t.Fatalf("streamed content hashes to %s, want %s", got, want)
	}

	// ReadAt as the PDF code uses it: the end, then the whole file through
	// a SectionReader, then scattered small reads.
	n = allocated(func() {
		o, err := s.Open(ctx, ref.Key)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		tail := make([]byte, 1024)
		if _, err := o.ReadAt(tail, size-1024); err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(o, 0, size)); err != nil {
			t.Fatal(err)
		}
		got = hex.EncodeToString(h.Sum(nil))
		buf := make([]byte, 100)
		for _, off := range []int64{size - 100, 0, size / 2, 3<<20 - 50, size / 3} {
			if _, err := o.ReadAt(buf, off); err != nil {
				t.Fatalf("ReadAt %d: %v", off, err)
			}
			want := make([]byte, 100)
			(&pattern{off: off, n: off + 100}).Read(want)
			if !bytes.Equal(buf, want) {
				t.Fatalf("ReadAt %d: wrong bytes", off)
			}
		}
	})
	t.Logf("reading at offsets allocated %d KiB", n>>10)
	if n > bound {
		t.Errorf("reading %d bytes at offsets allocated %d bytes (bound %d)", size, n, bound)
	}
	if got != want {
		t.Fatalf("content read at offsets hashes to %s, want %s", got, want)
	}
}

// TestOutage stops the S3 server under an open store: every operation
// fails with kind Unavailable (the API's 503 with Retry-After), none with
// an untyped error; when the server is back the same store works again,
// with what was stored before the outage intact.
func TestOutage(t *testing.T) {
	t.Parallel() // its own server, whose start and restart are mostly waiting
	srv := s3test.Start(t)
	o := srv.Bucket(t)
	o.MaxRetries = 1
	s := open(t, o)
	ctx := context.Background()
	before, err := s.Put(ctx, strings.NewReader("stored before the outage"), 100)
	if err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	check := func(op string, err error) {
		t.Helper()
		var e *errs.Error
		if !errs.Is(err, errs.Unavailable) || !asErr(err, &e) || e.Code != s3.CodeUnavailable {
			t.Errorf("%s during the outage: %v, want kind unavailable, code %s", op, err, s3.CodeUnavailable)
		}
	}
	_, err = s.Put(ctx, strings.NewReader("new content"), 100)
	check("Put", err)
	_, err = s.Open(ctx, before.Key)
	check("Open", err)
	check("Delete", s.Delete(ctx, before.Key))
	check("Check", s.Check(ctx))
	if left, _ := os.ReadDir(o.TempDir); len(left) != 0 {
		t.Errorf("%d staging files left after failed uploads", len(left))
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Open(ctx, before.Key)
	if err != nil {
		t.Fatalf("Open after the outage: %v", err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || string(got) != "stored before the outage" {
		t.Fatalf("content after the outage: %q, %v", got, err)
	}
	if _, err := s.Put(ctx, strings.NewReader("new content"), 100); err != nil {
		t.Fatalf("Put after the outage: %v", err)
	}
}

// TestReadDuringOutage: a blob opened before the server stops gives an
// Unavailable error from Read and ReadAt, not a short or wrong content.
func TestReadDuringOutage(t *testing.T) {
	t.Parallel() // its own server, whose start and restart are mostly waiting
	srv := s3test.Start(t)
	o := srv.Bucket(t)
	o.MaxRetries = 1
	s := open(t, o)
	ctx := context.Background()
	ref, err := s.Put(ctx, &pattern{n: 3 << 20}, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Open(ctx, ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	srv.Stop()
	buf := make([]byte, 100)
	if _, err := obj.ReadAt(buf, 2<<20); !errs.Is(err, errs.Unavailable) {
		t.Errorf("ReadAt during the outage: %v, want unavailable", err)
	}
	if _, err := io.ReadAll(obj); !errs.Is(err, errs.Unavailable) {
		t.Errorf("Read during the outage: %v, want unavailable", err)
	}
}

func asErr(err error, e **errs.Error) bool {
	*e = errs.From(err)
	return *e != nil
}

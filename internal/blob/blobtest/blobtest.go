// Package blobtest is the conformance suite for blob stores.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/errs"
)

// Run runs the suite against a fresh store per test.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := context.Background()
	t.Run("roundtrip", func(t *testing.T) {
		s := newStore(t)
		data := bytes.Repeat([]byte("segl "), 100_000)
		ref, err := s.Put(ctx, bytes.NewReader(data), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if ref.Key != hex.EncodeToString(sum[:]) || ref.Size != int64(len(data)) {
			t.Fatalf("ref %+v", ref)
		}
		o, err := s.Open(ctx, ref.Key)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		got, _ := io.ReadAll(o)
		if !bytes.Equal(got, data) || o.Size() != ref.Size {
			t.Fatal("content differs")
		}
		tail := make([]byte, 5)
		if _, err := o.ReadAt(tail, ref.Size-5); err != nil || string(tail) != "segl " {
			t.Fatalf("ReadAt: %q, %v", tail, err)
		}
	})
	t.Run("too-large-stores-nothing", func(t *testing.T) {
		s := newStore(t)
		data := strings.Repeat("x", 1001)
		_, err := s.Put(ctx, strings.NewReader(data), 1000)
		if !errs.Is(err, errs.TooLarge) {
			t.Fatalf("got %v, want too large", err)
		}
		sum := sha256.Sum256([]byte(data))
		if _, err := s.Open(ctx, hex.EncodeToString(sum[:])); !errs.Is(err, errs.NotFound) {
			t.Fatalf("oversize content was stored: %v", err)
		}
		if _, err := s.Put(ctx, strings.NewReader(data[:1000]), 1000); err != nil {
			t.Fatalf("exactly at the limit: %v", err)
		}
	})
	t.Run("missing-and-bad-keys", func(t *testing.T) {
		s := newStore(t)
		for _, key := range []string{strings.Repeat("0", 64), "../../etc/passwd", ""} {
			if _, err := s.Open(ctx, key); !errs.Is(err, errs.NotFound) {
				t.Fatalf("Open(%q) = %v, want not found", key, err)
			}
		}
	})
	t.Run("dedup-and-delete", func(t *testing.T) {
		s := newStore(t)
		a, _ := s.Put(ctx, strings.NewReader("same"), 100)
		b, err := s.Put(ctx, strings.NewReader("same"), 100)
		if err != nil || a != b {
			t.Fatalf("second put: %+v %v", b, err)
		}
		if err := s.Delete(ctx, a.Key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, a.Key); !errs.Is(err, errs.NotFound) {
			t.Fatalf("deleted blob opens: %v", err)
		}
		if err := s.Delete(ctx, a.Key); err != nil {
			t.Fatalf("second delete: %v", err)
		}
	})
	t.Run("keep-file", func(t *testing.T) {
		s := newStore(t)
		path := filepath.Join(t.TempDir(), "revision.pdf")
		os.WriteFile(path, []byte("%PDF-1.7 revision"), 0o600)
		f, _ := os.Open(path)
		ref, err := blob.Keep(ctx, s, f, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		readBack(t, s, ref, []byte("%PDF-1.7 revision"))
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("the store did not take the file: %v", err)
		}
		big := filepath.Join(t.TempDir(), "big")
		os.WriteFile(big, make([]byte, 2000), 0o600)
		f, _ = os.Open(big)
		if _, err := blob.Keep(ctx, s, f, 1000); !errs.Is(err, errs.TooLarge) {
			t.Fatalf("oversize file: %v", err)
		}
		if _, err := os.Stat(big); !os.IsNotExist(err) {
			t.Fatalf("an oversize file was left: %v", err)
		}
	})
	// A Stager's content is stored under the SHA-256 of what was written
	// to it, whether it stayed in memory or moved to a file, and the file
	// is gone afterwards.
	for _, size := range []int{0, 70_000, blob.StageMemory + 70_000} {
		t.Run(fmt.Sprintf("stager-%d", size), func(t *testing.T) {
			s := newStore(t)
			dir := t.TempDir()
			data := bytes.Repeat([]byte("tail "), size/5)
			w := blob.NewStager(dir)
			for p := data; len(p) > 0; p = p[min(len(p), 32<<10):] {
				if _, err := w.Write(p[:min(len(p), 32<<10)]); err != nil {
					t.Fatal(err)
				}
			}
			ref, err := w.Keep(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			readBack(t, s, ref, data)
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("%d temporary files left", len(left))
			}
			again := blob.NewStager(dir)
			again.Write(data)
			if ref2, err := again.Keep(ctx, s); err != nil || ref2 != ref {
				t.Fatalf("stored again: %+v, %v", ref2, err)
			}
		})
	}
	// Content addressing: a store that takes staged content takes only
	// what package blob hashed; a Staged made elsewhere names nothing.
	t.Run("staged-made-elsewhere", func(t *testing.T) {
		sp, ok := newStore(t).(blob.StagedPutter)
		if !ok {
			t.Skip("store takes no staged content")
		}
		if _, err := sp.PutStaged(ctx, &blob.Staged{}); !errs.Is(err, errs.Internal) {
			t.Fatalf("a Staged not made by package blob: %v", err)
		}
	})
	t.Run("concurrent-puts", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				content := strings.Repeat("c", 10_000+i%2)
				if _, err := s.Put(ctx, strings.NewReader(content), 1<<20); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	})
}

// RunSweeper runs the suite of blob.Sweeper, on which the blob sweep and
// the deletion of jobs rely: ages are the store's own (a file's time, an
// object's LastModified), so the suite waits in real time, two seconds in
// all, because S3 keeps LastModified to the second.
func RunSweeper(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := context.Background()
	s := newStore(t)
	sw, ok := s.(blob.Sweeper)
	if !ok {
		t.Fatalf("%T is no blob.Sweeper", s)
	}
	put := func(content string) string {
		t.Helper()
		ref, err := s.Put(ctx, strings.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return ref.Key
	}
	older := func(before time.Time) []string {
		t.Helper()
		var keys []string
		if err := sw.WalkOlder(ctx, before, func(key string) error { keys = append(keys, key); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		return keys
	}
	stored := func(key string) bool {
		t.Helper()
		o, err := s.Open(ctx, key)
		if errs.Is(err, errs.NotFound) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		o.Close()
		return true
	}
	again, gone := put("stored again"), put("left alone")
	both := []string{again, gone}
	slices.Sort(both)
	if got := older(time.Now().Add(-time.Hour)); len(got) != 0 {
		t.Fatalf("blobs older than an hour: %v", got)
	}
	if got := older(time.Now().Add(2 * time.Second)); !slices.Equal(got, both) {
		t.Fatalf("blobs written before now: %v, want %v", got, both)
	}
	if deleted, err := sw.DeleteIfOlder(ctx, gone, time.Now().Add(-time.Hour)); err != nil || deleted || !stored(gone) {
		t.Fatalf("a new blob was deleted: %v, %v", deleted, err)
	}
	// Both are older than mark; then one is stored again, which counts
	// as written now.
	time.Sleep(1100 * time.Millisecond)
	mark := time.Now()
	time.Sleep(1100 * time.Millisecond)
	if put("stored again") != again {
		t.Fatal("same content, another key")
	}
	if got := older(mark); !slices.Equal(got, []string{gone}) {
		t.Fatalf("blobs older than the mark: %v, want only the one left alone", got)
	}
	if deleted, err := sw.DeleteIfOlder(ctx, again, mark); err != nil || deleted || !stored(again) {
		t.Fatalf("a blob stored again was deleted: %v, %v", deleted, err)
	}
	if deleted, err := sw.DeleteIfOlder(ctx, gone, mark); err != nil || !deleted || stored(gone) {
		t.Fatalf("an old blob was kept: %v, %v", deleted, err)
	}
	if deleted, err := sw.DeleteIfOlder(ctx, gone, mark); err != nil || deleted {
		t.Fatalf("a missing blob: %v, %v", deleted, err)
	}
	// A blob deleted by the sweep and then stored again is there.
	if put("left alone") != gone || !stored(gone) {
		t.Fatal("content stored after its deletion is missing")
	}
}

// readBack checks that ref names data by its SHA-256 and size and that the
// store reads it back equal.
func readBack(t *testing.T, s blob.Store, ref blob.Ref, data []byte) {
	t.Helper()
	sum := sha256.Sum256(data)
	if ref.Key != hex.EncodeToString(sum[:]) || ref.Size != int64(len(data)) {
		t.Fatalf("ref %+v for %d bytes with SHA-256 %x", ref, len(data), sum)
	}
	o, err := s.Open(context.Background(), ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got, err := io.ReadAll(o)
	if err != nil || !bytes.Equal(got, data) || o.Size() != ref.Size {
		t.Fatalf("read back %d bytes (size %d), %v; want %d", len(got), o.Size(), err, len(data))
	}
}

package fs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/blob/blobtest"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/testtool"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := Open(t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSweeper(t *testing.T) {
	blobtest.RunSweeper(t, func(t *testing.T) blob.Store {
		s, err := Open(t.TempDir(), Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFailedPutLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, Options{})
	s.Put(t.Context(), zeros{}, 1000)
	left, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(left) != 0 {
		t.Fatalf("%d temporary files left", len(left))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestFullDisk fills the file system under the store: Put fails with the
// storage-full kind (not an untyped error, which the edges would answer
// with 500) and leaves no temporary file; once space is freed the same Put
// succeeds.
func TestFullDisk(t *testing.T) {
	dir := testtool.SmallFS(t, 2<<20)
	s, err := Open(filepath.Join(dir, "blobs"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	free := testtool.Fill(t, dir)
	data := bytes.Repeat([]byte("segl "), 50_000)
	_, err = s.Put(t.Context(), bytes.NewReader(data), 1<<20)
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InsufficientStorage || e.Code != errs.CodeStorageFull {
		t.Fatalf("Put on a full disk: %v, want %s", err, errs.CodeStorageFull)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(left) != 0 {
		t.Fatalf("%d temporary files left", len(left))
	}
	free()
	if _, err := s.Put(t.Context(), bytes.NewReader(data), 1<<20); err != nil {
		t.Fatalf("Put after space was freed: %v", err)
	}
}

// TestPutAgainRefreshesAge stores content that is already there: the blob
// counts as written now, so a sweep of old blobs keeps it.
func TestPutAgainRefreshesAge(t *testing.T) {
	s, err := Open(t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref, _ := s.Put(ctx, strings.NewReader("same"), 10)
	p, _ := s.path(ref.Key)
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(p, old, old)
	var listed []string
	s.WalkOlder(ctx, time.Now().Add(-24*time.Hour), func(k string) error { listed = append(listed, k); return nil })
	if len(listed) != 1 || listed[0] != ref.Key {
		t.Fatalf("old blobs: %v", listed)
	}
	if _, err := s.Put(ctx, strings.NewReader("same"), 10); err != nil {
		t.Fatal(err)
	}
	if deleted, err := s.DeleteIfOlder(ctx, ref.Key, time.Now().Add(-24*time.Hour)); err != nil || deleted {
		t.Fatalf("a blob stored again was deleted: %v, %v", deleted, err)
	}
	os.Chtimes(p, old, old)
	if deleted, err := s.DeleteIfOlder(ctx, ref.Key, time.Now().Add(-24*time.Hour)); err != nil || !deleted {
		t.Fatalf("an old blob was kept: %v, %v", deleted, err)
	}
}

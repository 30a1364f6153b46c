// Package blobtest is the conformance suite for blob stores.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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
	t.Run("put-file", func(t *testing.T) {
		s := newStore(t)
		fp, ok := s.(blob.FilePutter)
		if !ok {
			t.Skip("store cannot take files")
		}
		path := filepath.Join(t.TempDir(), "revision.pdf")
		os.WriteFile(path, []byte("%PDF-1.7 revision"), 0o600)
		ref, err := fp.PutFile(ctx, path, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("%PDF-1.7 revision"))
		if ref.Key != hex.EncodeToString(sum[:]) || ref.Size != 17 {
			t.Fatalf("ref %+v", ref)
		}
		o, err := s.Open(ctx, ref.Key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(o)
		o.Close()
		if string(got) != "%PDF-1.7 revision" {
			t.Fatalf("content %q", got)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("the store did not take the file: %v", err)
		}
		big := filepath.Join(t.TempDir(), "big")
		os.WriteFile(big, make([]byte, 2000), 0o600)
		if _, err := fp.PutFile(ctx, big, 1000); !errs.Is(err, errs.TooLarge) {
			t.Fatalf("oversize file: %v", err)
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

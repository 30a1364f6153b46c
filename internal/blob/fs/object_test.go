package fs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/segl/segl/internal/blob"
)

// TestReadAtFromBlocks: small reads at offsets all over a blob of several
// blocks, and across their boundaries and its end, read what a read of
// the file reads, also when several goroutines read at once; a read past
// the end is short with io.EOF.
func TestReadAtFromBlocks(t *testing.T) {
	content := make([]byte, 3*readBlock+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range content {
		content[i] = byte(rng.Uint32())
	}
	_, o, _ := openStored(t, content)
	check := func(rng *rand.Rand) error {
		off := rng.Int64N(int64(len(content)))
		p := make([]byte, 1+rng.IntN(2*directReads))
		switch rng.IntN(4) {
		case 0: // across a block's end
			off = max(0, (off&^(readBlock-1))+readBlock-int64(len(p))/2)
		case 1: // up to or past the blob's end
			off = int64(len(content)) - int64(rng.IntN(len(p)+1))
		}
		n, err := o.ReadAt(p, off)
		want := content[min(off, int64(len(content))):min(off+int64(len(p)), int64(len(content)))]
		if n != len(want) || !bytes.Equal(p[:n], want) {
			return errors.New("read other bytes")
		}
		if n < len(p) && err != io.EOF || n == len(p) && err != nil && err != io.EOF {
			return err
		}
		return nil
	}
	for range 2000 {
		if err := check(rng); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for range 500 {
				if err := check(rng); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

// TestReadAtOfBlobCutShort: a blob that lost bytes after it was opened
// (damaged on disk) reads as an error, not as fewer bytes.
func TestReadAtOfBlobCutShort(t *testing.T) {
	s, o, ref := openStored(t, bytes.Repeat([]byte("segl"), readBlock/2))
	path, _ := s.path(ref.Key)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, readBlock+10); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 100)
	if n, err := o.ReadAt(p, readBlock+5); err == nil || err == io.EOF {
		t.Fatalf("ReadAt of a blob cut short: %d bytes, %v", n, err)
	}
}

// openStored stores content in a new store and opens it.
func openStored(t *testing.T, content []byte) (*Store, blob.Object, blob.Ref) {
	t.Helper()
	s, err := Open(t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref, err := s.Put(ctx, bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Open(ctx, ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return s, o, ref
}

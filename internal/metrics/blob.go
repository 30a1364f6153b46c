package metrics

import (
	"context"
	"io"
	"time"

	"github.com/segl/segl/internal/blob"
)

// Blobs is a blob.Store whose failures are counted as blob errors
// (segl_storage_errors_total{store="blob"}). A missing key or a document
// over its limit is an answer, not a failure, and is not counted.
type Blobs struct {
	blob.Store
	m *Metrics
}

var (
	_ blob.Store      = (*Blobs)(nil)
	_ blob.FilePutter = (*filePutterBlobs)(nil)
	_ blob.Sweeper    = (*sweeperBlobs)(nil)
	_ blob.FilePutter = (*filePutterSweeperBlobs)(nil)
	_ blob.Sweeper    = (*filePutterSweeperBlobs)(nil)
)

// The wrapper keeps the optional capabilities of the wrapped store, found
// by type assertion as before: blob.FilePutter (the file system moves a
// finished temporary file into place instead of copying it) and
// blob.Sweeper (without which the blob sweep and the grace of a deletion
// would be skipped), in each combination.
type (
	filePutterBlobs struct {
		*Blobs
		fp blob.FilePutter
	}
	sweeperBlobs struct {
		*Blobs
		sweeping
	}
	filePutterSweeperBlobs struct {
		*filePutterBlobs
		sweeping
	}
)

// sweeping is the blob.Sweeper of a wrapped store, with its failures
// counted.
type sweeping struct {
	sw blob.Sweeper
	m  *Metrics
}

// Blobs wraps s; with a nil m it returns s itself.
func (m *Metrics) Blobs(s blob.Store) blob.Store {
	if m == nil {
		return s
	}
	b := &Blobs{Store: s, m: m}
	fp, files := s.(blob.FilePutter)
	sw, sweeps := s.(blob.Sweeper)
	switch {
	case files && sweeps:
		return &filePutterSweeperBlobs{filePutterBlobs: &filePutterBlobs{Blobs: b, fp: fp}, sweeping: sweeping{sw: sw, m: m}}
	case files:
		return &filePutterBlobs{Blobs: b, fp: fp}
	case sweeps:
		return &sweeperBlobs{Blobs: b, sweeping: sweeping{sw: sw, m: m}}
	}
	return b
}

func (b *Blobs) Put(ctx context.Context, r io.Reader, limit int64) (blob.Ref, error) {
	ref, err := b.Store.Put(ctx, r, limit)
	b.m.storageError("blob", err)
	return ref, err
}

func (b *Blobs) Open(ctx context.Context, key string) (blob.Object, error) {
	o, err := b.Store.Open(ctx, key)
	b.m.storageError("blob", err)
	return o, err
}

func (b *Blobs) Delete(ctx context.Context, key string) error {
	err := b.Store.Delete(ctx, key)
	b.m.storageError("blob", err)
	return err
}

func (b *filePutterBlobs) PutFile(ctx context.Context, path string, limit int64) (blob.Ref, error) {
	ref, err := b.fp.PutFile(ctx, path, limit)
	b.m.storageError("blob", err)
	return ref, err
}

func (s sweeping) WalkOlder(ctx context.Context, before time.Time, fn func(key string) error) error {
	err := s.sw.WalkOlder(ctx, before, fn)
	s.m.storageError("blob", err)
	return err
}

func (s sweeping) DeleteIfOlder(ctx context.Context, key string, before time.Time) (bool, error) {
	deleted, err := s.sw.DeleteIfOlder(ctx, key, before)
	s.m.storageError("blob", err)
	return deleted, err
}

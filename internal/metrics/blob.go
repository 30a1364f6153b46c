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
	_ blob.Store        = (*Blobs)(nil)
	_ blob.StagedPutter = (*stagedPutterBlobs)(nil)
	_ blob.Sweeper      = (*sweeperBlobs)(nil)
	_ blob.StagedPutter = (*stagedPutterSweeperBlobs)(nil)
	_ blob.Sweeper      = (*stagedPutterSweeperBlobs)(nil)
)

// The wrapper keeps the optional capabilities of the wrapped store, found
// by type assertion as before: blob.StagedPutter (content hashed as it was
// written is stored under that hash, not read again) and
// blob.Sweeper (without which the blob sweep and the grace of a deletion
// would be skipped), in each combination.
type (
	stagedPutterBlobs struct {
		*Blobs
		sp blob.StagedPutter
	}
	sweeperBlobs struct {
		*Blobs
		sweeping
	}
	stagedPutterSweeperBlobs struct {
		*stagedPutterBlobs
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
	sp, staged := s.(blob.StagedPutter)
	sw, sweeps := s.(blob.Sweeper)
	switch {
	case staged && sweeps:
		return &stagedPutterSweeperBlobs{stagedPutterBlobs: &stagedPutterBlobs{Blobs: b, sp: sp}, sweeping: sweeping{sw: sw, m: m}}
	case staged:
		return &stagedPutterBlobs{Blobs: b, sp: sp}
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

func (b *stagedPutterBlobs) PutStaged(ctx context.Context, st *blob.Staged) (blob.Ref, error) {
	ref, err := b.sp.PutStaged(ctx, st)
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

package metrics

import (
	"context"
	"io"

	"github.com/segl/segl/internal/blob"
)

// Blobs is a blob.Store whose failures are counted as blob errors
// (segl_storage_errors_total{store="blob"}). A missing key or a document
// over its limit is an answer, not a failure, and is not counted.
type Blobs struct {
	blob.Store
	m *Metrics
}

var _ blob.Store = (*Blobs)(nil)

// filePutterBlobs keeps the optional blob.FilePutter of the wrapped store
// (the file system moves a finished temporary file into place instead of
// copying it), found by type assertion as before.
type filePutterBlobs struct {
	*Blobs
	fp blob.FilePutter
}

// Blobs wraps s; with a nil m it returns s itself.
func (m *Metrics) Blobs(s blob.Store) blob.Store {
	if m == nil {
		return s
	}
	b := &Blobs{Store: s, m: m}
	if fp, ok := s.(blob.FilePutter); ok {
		return &filePutterBlobs{Blobs: b, fp: fp}
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

// Package blob is the document storage port: content-addressed by SHA-256,
// written and read as streams so a 10 MB document is never held in memory.
// Implementations: fs/ (files under the data directory) and s3/ (an
// S3-compatible bucket, for several nodes). All pass blobtest.Run.
package blob

import (
	"context"
	"io"
	"time"
)

// Ref names stored content.
type Ref struct {
	Key  string // lowercase hex SHA-256 of the content
	Size int64
}

// Object is stored content opened for reading. ReadAt lets PDF code seek
// without loading the file.
type Object interface {
	io.Reader
	io.ReaderAt
	io.Closer
	Size() int64
}

// Store holds content by its hash.
type Store interface {
	// Put streams r into the store. More than limit bytes gives a TooLarge
	// error and stores nothing. Storing content that is already there is
	// cheap and returns the same Ref.
	Put(ctx context.Context, r io.Reader, limit int64) (Ref, error)
	// Open returns the content of key, or a NotFound error.
	Open(ctx context.Context, key string) (Object, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Checker is an optional capability of a store on another machine: Check
// says whether it can serve now, for /readyz. A local store has none; its
// full disk is found by the storage probe.
type Checker interface {
	Check(ctx context.Context) error
}

// Sweeper is an optional capability: a store that knows when each blob was
// last written, so that blobs no job refers to can be deleted once they
// are old enough that no job being created can still be about to refer to
// them (a job's uploads are stored before its row commits). Put of content
// already stored counts as a write.
type Sweeper interface {
	// WalkOlder calls fn with the key of every blob last written before
	// before.
	WalkOlder(ctx context.Context, before time.Time, fn func(key string) error) error
	// DeleteIfOlder deletes key only if it was last written before before,
	// in one step with respect to Put, and reports whether it did. A
	// missing key is not an error.
	DeleteIfOlder(ctx context.Context, key string, before time.Time) (bool, error)
}

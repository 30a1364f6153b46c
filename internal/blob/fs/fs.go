// Package fs stores blobs as files: DIR/sha256/ab/<hex>. A blob is written to
// a temporary file, synced, and renamed into place, so a crash leaves either
// nothing or the whole blob, never a torn file under its final name. A file
// system that runs out of space or quota gives errs.StorageFull, and the
// temporary file is removed: a full disk stores nothing.
package fs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/errs"
)

var (
	_ blob.Store      = (*Store)(nil)
	_ blob.FilePutter = (*Store)(nil)
	_ blob.Sweeper    = (*Store)(nil)
)

// Store is a directory of blobs.
type Store struct {
	dir    string
	noSync bool
	// mu makes "is it there, then refresh its time" (Put of content
	// already stored) and "is it old, then delete it" (DeleteIfOlder) each
	// one step: otherwise a sweep could find a blob old, a new job's
	// upload refresh it, and the sweep delete what the job refers to.
	mu sync.Mutex
}

// Options tune the store; the zero value is the safe default.
type Options struct {
	// NoSync skips fsync: only for tests and benchmarks that must not
	// measure the disk.
	NoSync bool
}

// Open prepares dir for use.
func Open(dir string, opts Options) (*Store, error) {
	for _, d := range []string{filepath.Join(dir, "sha256"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("blob/fs: %w", err)
		}
	}
	return &Store{dir: dir, noSync: opts.NoSync}, nil
}

func (s *Store) path(key string) (string, error) {
	if len(key) != 64 {
		return "", errs.E(errs.NotFound, blob.CodeNotFound, "no blob %q", key)
	}
	if _, err := hex.DecodeString(key); err != nil {
		return "", errs.E(errs.NotFound, blob.CodeNotFound, "no blob %q", key)
	}
	return filepath.Join(s.dir, "sha256", key[:2], key), nil
}

// Put streams r into a temporary file while hashing it, then moves it to its
// content address.
func (s *Store) Put(ctx context.Context, r io.Reader, limit int64) (blob.Ref, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return blob.Ref{}, failed("create", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		return blob.Ref{}, failed("write", err)
	}
	if n > limit {
		return blob.Ref{}, errs.E(errs.TooLarge, errs.CodeDocumentTooLarge, "the document is larger than %d bytes", limit)
	}
	if !s.noSync {
		if err := tmp.Sync(); err != nil {
			return blob.Ref{}, failed("sync", err)
		}
	}
	if err := tmp.Close(); err != nil {
		return blob.Ref{}, failed("close", err)
	}
	ref := blob.Ref{Key: hex.EncodeToString(h.Sum(nil)), Size: n}
	final, _ := s.path(ref.Key)
	if s.refresh(final) {
		os.Remove(tmp.Name()) // already stored: content addressing makes this a no-op
		done = true
		return ref, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return blob.Ref{}, failed("mkdir", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return blob.Ref{}, failed("rename", err)
	}
	done = true
	if !s.noSync {
		if err := syncDir(filepath.Dir(final)); err != nil {
			return blob.Ref{}, err
		}
	}
	return ref, nil
}

// PutFile hashes a finished file and renames it to its content address, so
// a revision written by the signing code is not copied again. Across file
// systems it falls back to Put.
func (s *Store) PutFile(ctx context.Context, path string, limit int64) (blob.Ref, error) {
	moved := false
	defer func() {
		if !moved {
			os.Remove(path)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return blob.Ref{}, fmt.Errorf("blob/fs: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, limit+1))
	if err != nil {
		return blob.Ref{}, fmt.Errorf("blob/fs: read: %w", err)
	}
	if n > limit {
		return blob.Ref{}, errs.E(errs.TooLarge, errs.CodeDocumentTooLarge, "the document is larger than %d bytes", limit)
	}
	if !s.noSync {
		if err := f.Sync(); err != nil {
			return blob.Ref{}, failed("sync", err)
		}
	}
	ref := blob.Ref{Key: hex.EncodeToString(h.Sum(nil)), Size: n}
	final, _ := s.path(ref.Key)
	if s.refresh(final) {
		return ref, nil // already stored
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return blob.Ref{}, failed("mkdir", err)
	}
	if err := os.Rename(path, final); err != nil {
		// Another file system: copy through the usual path.
		if _, serr := f.Seek(0, io.SeekStart); serr != nil {
			return blob.Ref{}, fmt.Errorf("blob/fs: %w", serr)
		}
		return s.Put(ctx, f, limit)
	}
	moved = true
	if !s.noSync {
		if err := syncDir(filepath.Dir(final)); err != nil {
			return blob.Ref{}, err
		}
	}
	return ref, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob/fs: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return failed("sync dir", err)
	}
	return nil
}

// failed describes a failed write; one that ran out of space or quota is
// errs.StorageFull, which the edges answer with 507 rather than 500.
func failed(op string, err error) error {
	err = fmt.Errorf("blob/fs: %s: %w", op, err)
	if errs.NoSpace(err) {
		return errs.StorageFull(err)
	}
	return err
}

type object struct {
	*os.File
	size int64
}

func (o object) Size() int64 { return o.size }

// Open returns the blob as a file.
func (s *Store) Open(ctx context.Context, key string) (blob.Object, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.E(errs.NotFound, blob.CodeNotFound, "no blob %s", key)
	}
	if err != nil {
		return nil, fmt.Errorf("blob/fs: open: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob/fs: stat: %w", err)
	}
	return object{File: f, size: st.Size()}, nil
}

// Delete removes a blob.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob/fs: delete: %w", err)
	}
	return nil
}

// refresh reports whether the blob at path exists and, if so, marks it
// written now, so that a sweep does not take it for an old, unused one
// while the job that stored it again is being created.
func (s *Store) refresh(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(path); err != nil {
		return false
	}
	now := time.Now()
	os.Chtimes(path, now, now) // best effort: at worst the blob is kept
	return true
}

// WalkOlder lists the blobs by modification time.
func (s *Store) WalkOlder(ctx context.Context, before time.Time, fn func(key string) error) error {
	return filepath.WalkDir(filepath.Join(s.dir, "sha256"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("blob/fs: walk: %w", err)
		}
		if _, perr := s.path(d.Name()); perr != nil || !info.ModTime().Before(before) {
			return nil
		}
		return fn(d.Name())
	})
}

// DeleteIfOlder deletes a blob not written since before.
func (s *Store) DeleteIfOlder(ctx context.Context, key string, before time.Time) (bool, error) {
	p, err := s.path(key)
	if err != nil {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blob/fs: stat: %w", err)
	}
	if !info.ModTime().Before(before) {
		return false, nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("blob/fs: delete: %w", err)
	}
	return true, nil
}

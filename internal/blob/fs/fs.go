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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/errs"
)

var (
	_ blob.Store        = (*Store)(nil)
	_ blob.StagedPutter = (*Store)(nil)
	_ blob.Sweeper      = (*Store)(nil)
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
	// fsyncs counts the blob files synced, dirSyncs the directories, for
	// the tests.
	fsyncs, dirSyncs atomic.Int64
}

// Options tune the store; the zero value is the safe default.
type Options struct {
	// NoSync skips fsync: only for tests and benchmarks that must not
	// measure the disk.
	NoSync bool
}

// Open prepares dir for use: a store that syncs has every fan-out
// directory made (makeFanOut).
func Open(dir string, opts Options) (*Store, error) {
	for _, d := range []string{filepath.Join(dir, "sha256"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("blob/fs: %w", err)
		}
	}
	s := &Store{dir: dir, noSync: opts.NoSync}
	if !s.noSync {
		if err := s.makeFanOut(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// makeFanOut makes the fan-out directories that are missing and syncs
// sha256/ and dir once for all of them, so that the first blob under each
// prefix does not make its directory and sync sha256/ on its own. The
// syncs run even when nothing was made, for directories made by a process
// that crashed before its sync. A directory that cannot be made (a store
// opened read-only to be copied) is left to the put that needs it, which
// makes one found missing as it does one removed later (place); a failed
// sync fails Open unless a directory could not be made. A store without sync
// gains nothing from this: its puts make each directory when first needed.
func (s *Store) makeFanOut() error {
	root := filepath.Join(s.dir, "sha256")
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var have [256]bool
	for _, e := range entries {
		if b, err := hex.DecodeString(e.Name()); err == nil && len(b) == 1 && e.IsDir() {
			have[b[0]] = true
		}
	}
	refused := false
	for i := range have {
		if have[i] {
			continue
		}
		err := os.Mkdir(filepath.Join(root, hex.EncodeToString([]byte{byte(i)})), 0o700)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			refused = true
			break
		}
	}
	for _, d := range []string{root, s.dir} {
		if err := s.syncDir(d); err != nil && !refused {
			return err
		}
	}
	return nil
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
	tmp, err := s.createTemp()
	if err != nil {
		return blob.Ref{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = errs.E(errs.TooLarge, errs.CodeDocumentTooLarge, "the document is larger than %d bytes", limit)
	} else if err != nil {
		err = failed("write", err)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return blob.Ref{}, err
	}
	ref := blob.Ref{Key: hex.EncodeToString(h.Sum(nil)), Size: n}
	return ref, s.placeOwn(tmp, ref, false)
}

// PutStaged stores content that package blob hashed as it was written,
// under that hash, without reading it again: content in memory is written
// once, into a temporary file of the store's own, and a staged file is
// moved into place (copied only from another file system).
func (s *Store) PutStaged(ctx context.Context, st *blob.Staged) (blob.Ref, error) {
	f := st.File()
	if !st.Valid() {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
		return blob.Ref{}, blob.NotStaged()
	}
	ref := st.Ref()
	if f == nil {
		if final, err := s.path(ref.Key); err == nil {
			if ok, err := s.stored(final); ok || err != nil {
				return ref, err // already stored: no file to write
			}
		}
		tmp, err := s.createTemp()
		if err != nil {
			return blob.Ref{}, err
		}
		if _, err := tmp.Write(st.Bytes()); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return blob.Ref{}, failed("write", err)
		}
		// Not there a moment ago: not asked again. Should another put
		// place the same content meanwhile, the rename replaces it with
		// the same bytes, synced.
		return ref, s.placeOwn(tmp, ref, true)
	}
	if err := s.place(f, ref, false); !errors.Is(err, syscall.EXDEV) {
		return ref, err
	}
	// Another file system: copy into a file of the store's own.
	defer os.Remove(f.Name())
	src, err := os.Open(f.Name())
	if err != nil {
		return blob.Ref{}, fmt.Errorf("blob/fs: %w", err)
	}
	defer src.Close()
	tmp, err := s.createTemp()
	if err != nil {
		return blob.Ref{}, err
	}
	n, err := io.Copy(tmp, io.NewSectionReader(src, 0, ref.Size))
	if err == nil && n != ref.Size {
		err = fmt.Errorf("copied %d of %d bytes", n, ref.Size)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return blob.Ref{}, failed("write", err)
	}
	return ref, s.placeOwn(tmp, ref, false)
}

// placeOwn places a temporary file the store made in its own directory:
// a rename of it across file systems (tmp/ mounted apart from sha256/) is
// a failure like any other, and the file is removed.
func (s *Store) placeOwn(tmp *os.File, ref blob.Ref, checked bool) error {
	err := s.place(tmp, ref, checked)
	if errors.Is(err, syscall.EXDEV) {
		os.Remove(tmp.Name())
		return failed("rename", err)
	}
	return err
}

// createTemp makes a temporary file in the store's own directory, on the
// file system of the blobs, so that placing it is a rename.
func (s *Store) createTemp() (*os.File, error) {
	f, err := createTempIn(filepath.Join(s.dir, "tmp"), "put-")
	if err != nil {
		return nil, failed("create", err)
	}
	return f, nil
}

// place makes tmp, which holds exactly the content of ref, the blob ref:
// synced, closed and renamed to its content address, and the directory
// entry synced, so that a crash leaves either nothing or the whole blob
// under its final name. Content already stored is only refreshed and its
// directory synced (see stored), and tmp removed without syncing it,
// unless the caller has just checked (checked). tmp is closed afterwards
// and gone unless the error is a rename across file systems
// (syscall.EXDEV), which leaves it for the caller to copy.
//
// The fan-out directory is not made ahead of each put: Open made them
// all, and the rename says when one is missing (removed behind the
// store's back, or not made by Open), and only then is it made and
// retried, so a put costs no directory calls beyond the rename and its
// sync.
func (s *Store) place(tmp *os.File, ref blob.Ref, checked bool) error {
	keep := false
	defer func() {
		if !keep {
			os.Remove(tmp.Name())
		}
	}()
	final, err := s.path(ref.Key)
	if err != nil {
		tmp.Close()
		return err
	}
	if !checked {
		if ok, err := s.stored(final); ok || err != nil {
			tmp.Close()
			return err
		}
	}
	if !s.noSync {
		s.fsyncs.Add(1)
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return failed("sync", err)
		}
	}
	if err := tmp.Close(); err != nil {
		return failed("close", err)
	}
	dir := filepath.Dir(final)
	err = os.Rename(tmp.Name(), final)
	if errors.Is(err, fs.ErrNotExist) {
		if err = s.mkdir(dir); err == nil {
			err = os.Rename(tmp.Name(), final)
		}
	}
	if errors.Is(err, syscall.EXDEV) {
		keep = true
		return err
	}
	if err != nil {
		return failed("rename", err)
	}
	keep = true
	if s.noSync {
		return nil
	}
	return s.syncDir(dir)
}

// mkdir makes a fan-out directory and syncs its parent, so that the new
// directory's entry is as durable as the blob about to be renamed into it.
func (s *Store) mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return failed("mkdir", err)
	}
	if s.noSync {
		return nil
	}
	return s.syncDir(filepath.Dir(dir))
}

// stored reports whether the blob at final is stored already and, if so,
// refreshes it (see refresh) and syncs its directory. The file itself
// needs no sync: whoever placed it synced it before renaming it into
// place. Its directory entry may not be durable yet: the put that placed
// it may still be about to sync the directory, and a reference committed
// on this put's answer must not outlive the blob in a power failure. A
// directory sync is much cheaper than the file sync it spares.
func (s *Store) stored(final string) (bool, error) {
	if !s.refresh(final) {
		return false, nil
	}
	if s.noSync {
		return true, nil
	}
	if err := s.syncDir(filepath.Dir(final)); err != nil {
		return false, err
	}
	return true, nil
}

func (s *Store) syncDir(dir string) error {
	s.dirSyncs.Add(1)
	if err := fsyncDir(dir); err != nil {
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

// Open returns the blob as a file.
func (s *Store) Open(ctx context.Context, key string) (blob.Object, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := openFile(p, os.O_RDONLY, 0)
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
	return &object{File: f, size: st.Size()}, nil
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
	now := time.Now()
	err := os.Chtimes(path, now, now) // one call: its ENOENT says the blob is not there
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		_, err = os.Stat(path) // there, its time not set: best effort, as before
	}
	return err == nil
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

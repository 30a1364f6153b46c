// Package scratch gives a process a temporary directory of its own under
// the data directory (DATA/tmp) and removes what dead processes left there.
//
// Temporary files hold staged uploads and documents being signed; a crash
// or kill -9 leaves them behind, and nothing else would ever remove them.
// Several segl processes may share a data directory (a PostgreSQL
// deployment; a restart that overlaps the old process), so "empty DATA/tmp
// at start-up" could remove a file a live process is writing. Instead each
// process works in DATA/tmp/<random>/ and holds an exclusive flock(2) on
// the file "lock" in it for as long as it runs. The kernel releases the
// lock when the process dies, however it dies, so a directory whose lock
// can be taken belongs to no live process and is removed. Files directly in
// DATA/tmp (left by versions before this package) are removed when they are
// older than the start of the sweep: no live process of this version
// creates files there.
package scratch

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const lockName = "lock"

// Dir is one process's temporary directory.
type Dir struct {
	path string
	lock *os.File
}

// Open makes a directory of this process's own under parent, locks it,
// and removes the directories and files that dead processes left in parent.
func Open(parent string) (*Dir, error) {
	start := time.Now()
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("scratch: %w", err)
	}
	var name [8]byte
	rand.Read(name[:])
	path := filepath.Join(parent, hex.EncodeToString(name[:]))
	if err := os.Mkdir(path, 0o700); err != nil {
		return nil, fmt.Errorf("scratch: %w", err)
	}
	lock, err := lockFile(path)
	if err != nil {
		os.RemoveAll(path)
		return nil, err
	}
	d := &Dir{path: path, lock: lock}
	if err := sweep(parent, path, start); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Path is the directory to create temporary files in.
func (d *Dir) Path() string { return d.path }

// Close removes the directory with everything in it and releases its
// lock. Closing again does nothing.
func (d *Dir) Close() error {
	if d.lock == nil {
		return nil
	}
	err := os.RemoveAll(d.path)
	d.lock.Close()
	d.lock = nil
	if err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	return nil
}

// lockFile creates dir/lock and takes an exclusive lock on it without
// waiting. It fails when another open file holds the lock.
func lockFile(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("scratch: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("scratch: lock %s: %w", dir, err)
	}
	return f, nil
}

// sweep removes from parent every directory but own whose lock nobody
// holds, and every plain file older than start.
func sweep(parent, own string, start time.Time) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	for _, e := range entries {
		p := filepath.Join(parent, e.Name())
		if p == own {
			continue
		}
		if !e.IsDir() {
			if info, err := e.Info(); err == nil && info.ModTime().Before(start) {
				os.Remove(p)
			}
			continue
		}
		if err := removeIfOrphaned(p); err != nil {
			return err
		}
	}
	return nil
}

// removeIfOrphaned removes dir when no live process holds its lock. A
// directory without a lock file is one whose owner died between Mkdir and
// locking, or that someone else made: it is removed only once it is older
// than a minute, so a process just starting keeps it.
func removeIfOrphaned(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if info, err := os.Stat(dir); err == nil && time.Since(info.ModTime()) > time.Minute {
			os.RemoveAll(dir)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil // a live process owns it
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	return nil
}

package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	"github.com/segl/segl/internal/errs"
)

// WAL makes commits of a SQLite database in WAL mode durable in groups:
// the writer commits with synchronous=NORMAL, which writes the commit's
// frames to the write-ahead log without an fsync, and each committer then
// calls Sync, which returns once an fsync of the log that started after
// its commit has finished. Concurrent committers share one fsync, and the
// database's single write lock is no longer held while the disk flushes.
//
// This is what synchronous=FULL gives, one commit at a time: in WAL mode
// FULL differs from NORMAL only by an fsync of the log after each commit's
// frames are written (https://sqlite.org/pragma.html#pragma_synchronous;
// https://sqlite.org/wal.html). Everything else that orders the log
// against the database file stays SQLite's own and is the same in both:
// the log's header is synced when a new log starts (so frames written
// after a restart can never be read with an old header), and a checkpoint
// syncs the log before it copies pages into the database and the database
// before the log is reused. A frame on the disk with a valid checksum chain
// up to its commit frame is recovered after a power failure, so a commit
// whose Sync returned survives one. A process crash loses nothing either
// way: the operating system still has the log.
//
// One thing differs from FULL: a commit is visible to readers as soon as
// it is made, up to one fsync before it is durable (FULL syncs before it
// publishes the commit). The writer's own answer still waits, and any
// later write is durable only with it (the log is in order); a reader
// whose answer must not outlive a power failure calls Sync after reading,
// which covers every commit it could have seen.
//
// A failed fsync is final: the kernel may have dropped the pages it could
// not write, so a later fsync that succeeds proves nothing about them. Every
// Sync after it fails (errs.Unavailable) until the process is restarted, as
// PostgreSQL does (https://wiki.postgresql.org/wiki/Fsync_Errors), and Err
// reports it, so readiness does too. Failing to find or open the log is not
// final: that Sync fails and the next one tries again.
type WAL struct {
	path string // the log: the database file's path as SQLite names it, and "-wal"

	mu      sync.Mutex
	done    sync.Cond // signalled when an fsync ends
	started uint64    // fsyncs begun
	synced  uint64    // the last begun fsync that has finished
	running bool
	closed  bool
	err     error // the failed fsync, for good
	f       *os.File
	fi      fs.FileInfo // of f, to notice a log that SQLite replaced

	calls, fsyncs atomic.Int64
}

// testHookFsync, when set by a test, runs before each fsync; an error it
// returns is taken for the fsync's.
var testHookFsync func() error

// WALOf syncs the write-ahead log of db's main database. The log's name is
// taken from SQLite itself: it resolves symbolic links and decodes a file:
// URI before it names the log, so the path the database was opened with
// may not be where its log is, and a log looked for in the wrong place
// would look like no log at all, every Sync returning at once.
func WALOf(ctx context.Context, db *sql.DB) (*WAL, error) {
	var file string
	if err := db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		return nil, fmt.Errorf("sqldb: the database's file: %w", err)
	}
	if file == "" {
		return nil, errors.New("sqldb: an in-memory or temporary database has no write-ahead log to sync")
	}
	return NewWAL(file), nil
}

// NewWAL syncs the write-ahead log of the database file at path, which
// must be the file's name as SQLite has it (WALOf).
func NewWAL(path string) *WAL {
	w := &WAL{path: path + "-wal"}
	w.done.L = &w.mu
	return w
}

// Sync returns when every commit that finished before it was called, and
// so everything a read before it could see, is on the disk, sharing the
// fsync with concurrent callers.
func (w *WAL) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	// An fsync already running may have begun before the caller's commit
	// wrote its frames: only one begun from now on covers it.
	need := w.started + 1
	w.calls.Add(1)
	for w.synced < need && w.err == nil {
		if w.closed {
			return errs.E(errs.Unavailable, errs.CodeDatabaseUnavailable, "sqldb: the database is closed")
		}
		if w.running {
			w.done.Wait()
			continue
		}
		w.running = true
		w.started++
		gen := w.started
		w.mu.Unlock()
		final, err := w.fsync()
		w.mu.Lock()
		w.running = false
		w.done.Broadcast()
		switch {
		case err == nil:
			w.synced = gen
		case final:
			w.err = errs.Wrap(err, errs.Unavailable, errs.CodeDatabaseUnavailable, "sqldb: the write-ahead log could not be synced; restart segl")
		default:
			return errs.Wrap(err, errs.Unavailable, errs.CodeDatabaseUnavailable, "sqldb: the write-ahead log could not be opened")
		}
	}
	return w.err
}

// Err is the failed fsync that makes every later Sync fail, or nil.
func (w *WAL) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Counts reports how many calls asked for a sync and how many fsyncs
// served them.
func (w *WAL) Counts() (calls, fsyncs int64) { return w.calls.Load(), w.fsyncs.Load() }

// Close releases the log's file.
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for w.running {
		w.done.Wait()
	}
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// fsync flushes the log; final says that its error is the fsync's own.
// SQLite removes the log when its last connection
// closes (after checkpointing it into the database and syncing that) and
// makes a new one at the next write, so the file is looked up by name each
// time and reopened when it is another one. No log means nothing is
// waiting in one.
func (w *WAL) fsync() (final bool, err error) {
	fi, err := os.Stat(w.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqldb: sync %s: %w", w.path, err)
	}
	if w.f != nil && !os.SameFile(fi, w.fi) {
		w.f.Close()
		w.f = nil
	}
	if w.f == nil {
		f, err := os.Open(w.path)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("sqldb: sync %s: %w", w.path, err)
		}
		if w.fi, err = f.Stat(); err != nil {
			f.Close()
			return false, fmt.Errorf("sqldb: sync %s: %w", w.path, err)
		}
		w.f = f
	}
	w.fsyncs.Add(1)
	err = w.f.Sync()
	if testHookFsync != nil && err == nil {
		err = testHookFsync()
	}
	if err != nil {
		return true, fmt.Errorf("sqldb: sync %s: %w", w.path, err)
	}
	return false, nil
}

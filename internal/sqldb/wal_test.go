package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// openWAL opens a SQLite file in WAL mode whose commits do not sync, as
// the store and the queue open theirs, with one table to write to.
func openWAL(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestWALSharesAnFsync: callers that commit while an fsync of the log is
// running wait for the next one, which they share: six commits, two
// fsyncs. Each caller's commit is covered by an fsync that began after it.
func TestWALSharesAnFsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db := openWAL(t, path)
	defer db.Close()
	w := NewWAL(path)
	defer w.Close()
	release, first := make(chan struct{}), true
	testHookFsync = func() error {
		if first { // the first fsync runs until the others have committed
			first = false
			<-release
		}
		return nil
	}
	defer func() { testHookFsync = nil }()
	commit := func() error {
		if _, err := db.Exec(`INSERT INTO t VALUES (1)`); err != nil {
			return err
		}
		return w.Sync()
	}
	var wg sync.WaitGroup
	errc := make(chan error, 6)
	wg.Go(func() { errc <- commit() })
	for { // the first caller's fsync has begun
		if _, fsyncs := w.Counts(); fsyncs == 1 {
			break
		}
		waitABit()
	}
	for range 5 {
		wg.Go(func() { errc <- commit() })
	}
	for { // all five committed and asked for a sync
		if commits, _ := w.Counts(); commits == 6 {
			break
		}
		waitABit()
	}
	close(release)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if commits, fsyncs := w.Counts(); commits != 6 || fsyncs != 2 {
		t.Fatalf("%d commits made durable by %d fsyncs, want 6 by 2", commits, fsyncs)
	}
	if err := w.Sync(); err != nil { // a commit after them all needs its own
		t.Fatal(err)
	}
	if _, fsyncs := w.Counts(); fsyncs != 3 {
		t.Fatalf("%d fsyncs after a seventh sync, want 3", fsyncs)
	}
}

// TestWALFollowsANewLog: SQLite removes the log when its last connection
// closes and makes a new file at the next write; the fsync must reach the
// new file, not the one it had open.
func TestWALFollowsANewLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	w := NewWAL(path)
	defer w.Close()
	for range 2 {
		db := openWAL(t, path)
		if _, err := db.Exec(`INSERT INTO t VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		if err := w.Sync(); err != nil {
			t.Fatal(err)
		}
		now, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(now, w.fi) {
			t.Fatal("the fsync went to a log that is no longer the database's")
		}
		db.Close()
		if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
			t.Fatalf("the log is still there after the last connection closed: %v", err)
		}
	}
	if _, fsyncs := w.Counts(); fsyncs != 2 {
		t.Fatalf("%d fsyncs, want 2", fsyncs)
	}
}

func waitABit() { time.Sleep(100 * time.Microsecond) }

// TestWALFailedFsyncIsFinal: after an fsync fails, every later Sync fails
// and Err says why (the kernel may have dropped the pages it could not
// write), while a log that cannot be opened fails only that Sync.
func TestWALFailedFsyncIsFinal(t *testing.T) {
	dir := t.TempDir()
	// The log's directory is a file: the log cannot be looked up.
	blocked := filepath.Join(dir, "blocked")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w := NewWAL(filepath.Join(blocked, "w.db"))
	if err := w.Sync(); err == nil {
		t.Fatal("a log that cannot be looked up was taken for synced")
	}
	if err := w.Err(); err != nil {
		t.Fatalf("a log that could not be opened made every later Sync fail: %v", err)
	}
	if err := os.Remove(blocked); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(blocked, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil { // no log yet: nothing waits in one
		t.Fatalf("a Sync after the log's directory came back: %v", err)
	}

	path := filepath.Join(dir, "w.db")
	db := openWAL(t, path)
	defer db.Close()
	w = NewWAL(path)
	defer w.Close()
	if _, err := db.Exec(`INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	testHookFsync = func() error { return errors.New("EIO") }
	err := w.Sync()
	testHookFsync = nil
	if err == nil {
		t.Fatal("a failed fsync was taken for synced")
	}
	if _, err := db.Exec(`INSERT INTO t VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err == nil {
		t.Fatal("a Sync after a failed fsync succeeded")
	}
	if w.Err() == nil {
		t.Fatal("Err does not report the failed fsync")
	}
}

// TestWALSyncAfterClose: a Sync that comes after Close fails and leaves no
// descriptor open.
func TestWALSyncAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db := openWAL(t, path)
	defer db.Close()
	w := NewWAL(path)
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err == nil {
		t.Fatal("a Sync after Close succeeded")
	}
	if w.f != nil {
		t.Fatal("a Sync after Close opened the log again")
	}
}

// TestWALOfFollowsALink: SQLite names the log after the database file a
// symbolic link points to; WALOf syncs that log, not one beside the link
// (which does not exist, and would look like nothing to sync).
func TestWALOfFollowsALink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "disk", "w.db")
	if err := os.Mkdir(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	openWAL(t, target).Close()
	link := filepath.Join(dir, "w.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	db := openWAL(t, link)
	defer db.Close()
	w, err := WALOf(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := db.Exec(`INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, fsyncs := w.Counts(); fsyncs != 1 {
		t.Fatalf("%d fsyncs of the log of a database opened through a link, want 1", fsyncs)
	}
}

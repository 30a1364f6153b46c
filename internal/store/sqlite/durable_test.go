package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/sqldb"
	"github.com/segl/segl/internal/store"
)

// TestEveryWriteWaitsForTheDisk: each kind of write, in a transaction or a
// single statement, but for a cursor's move, returns only after it asked for an fsync of the
// write-ahead log (sqldb.WAL.Sync, which returns once an fsync begun after
// the commit has finished); with RelaxedSync none does.
func TestEveryWriteWaitsForTheDisk(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "segl.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	writes := []struct {
		name  string
		write func() error
	}{
		{"transaction", func() error {
			return db.PutOrg(ctx, store.By{Actor: "test", At: time.Now()}, store.Org{Number: "910000001", Name: "A", Active: true})
		}},
		{"statement", func() error {
			_, err := db.RecordNotice(ctx, store.Notice{Key: "n1", Org: "910000001", JobID: "j", SignerID: "s", Channel: "email", Template: "t", At: time.Now()})
			return err
		}},
		{"statement returning a row", func() error {
			_, err := db.EndDelivery(ctx, "910000001", "j") // no lease: writes nothing, waits for nothing
			return err
		}},
		// The one write that does not wait: a cursor's move lost to a
		// power failure only repeats work (store.Outbox.SetCursor).
		{"cursor", func() error { return db.SetCursor(ctx, "delivery", 1) }},
	}
	want := []int64{1, 1, 0, 0}
	for i, w := range writes {
		before, _ := db.wal.Counts()
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if after, _ := db.wal.Counts(); after-before != want[i] {
			t.Errorf("%s asked for %d syncs, want %d", w.name, after-before, want[i])
		}
	}
	relaxed, err := Open(filepath.Join(t.TempDir(), "segl.db"), Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer relaxed.Close()
	if relaxed.wal != nil {
		t.Fatal("with RelaxedSync a write waits for the disk")
	}
}

// TestAnsweredWritesSurviveSIGKILL kills a process (SIGKILL, as a crash or
// the OOM killer does) while eight goroutines write, each a notice at a
// time, and print the key of each write that returned: every printed key
// is in the database when it is opened again. (A power failure cannot be
// made in a test; what makes a returned write survive one is that it
// waited for an fsync of the log, TestEveryWriteWaitsForTheDisk.)
func TestAnsweredWritesSurviveSIGKILL(t *testing.T) {
	if path := os.Getenv("SEGL_SQLITE_CRASH_DB"); path != "" {
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		for g := range 8 {
			go func() {
				for i := 0; ; i++ {
					key := fmt.Sprintf("%d-%d", g, i)
					if _, err := db.RecordNotice(context.Background(), store.Notice{Key: key, Org: "910000001", JobID: "j",
						SignerID: "s", Channel: "email", Template: "t", At: time.Now()}); err != nil {
						panic(err)
					}
					mu.Lock()
					fmt.Println(key)
					mu.Unlock()
				}
			}()
		}
		select {} // until killed
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL")
	}
	path := filepath.Join(t.TempDir(), "segl.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestAnsweredWritesSurviveSIGKILL$")
	cmd.Env = append(os.Environ(), "SEGL_SQLITE_CRASH_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var answered []string
	lines := bufio.NewScanner(out)
	for len(answered) < 300 && lines.Scan() {
		answered = append(answered, lines.Text())
	}
	cmd.Process.Kill()
	cmd.Wait()
	if len(answered) < 300 {
		t.Fatalf("the child answered %d writes before it ended: %v", len(answered), lines.Err())
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, key := range answered {
		if strings.Count(key, "-") != 1 {
			t.Fatalf("the child said %q", key)
		}
		if ok, err := db.HasNotice(context.Background(), key); err != nil || !ok {
			t.Fatalf("write %s was answered before the crash and is lost (%v)", key, err)
		}
	}
}

// TestFeedGoesOutOnlyOnceDurable: a commit is visible to readers up to one
// fsync before it is durable (sqldb.WAL), so reading feed entries waits
// for an fsync begun after the read: entries go out to the API and to
// callbacks only once a power failure cannot take them back and give their
// sequence numbers to other events. An empty read waits for nothing.
func TestFeedGoesOutOnlyOnceDurable(t *testing.T) {
	ctx := context.Background()
	db, j := benchJob(t)
	var err error
	if db.wal, err = sqldb.WALOf(ctx, db.write); err != nil { // benchJob's store is relaxed
		t.Fatal(err)
	}
	calls, fsyncs := db.wal.Counts()
	changes, err := db.ChangesAfter(ctx, 0, 100)
	if err != nil || len(changes) == 0 {
		t.Fatalf("the job's creation: %v, %v", changes, err)
	}
	if c, f := db.wal.Counts(); c != calls+1 || f != fsyncs+1 {
		t.Fatalf("reading %d feed entries asked for %d syncs and made %d fsyncs, want one each", len(changes), c-calls, f-fsyncs)
	}
	last := changes[len(changes)-1].Seq
	if more, err := db.ChangesAfter(ctx, last, 100); err != nil || len(more) != 0 {
		t.Fatalf("after the last entry: %v, %v", more, err)
	}
	if c, _ := db.wal.Counts(); c != calls+1 {
		t.Fatalf("an empty read asked for a sync")
	}
	if got, err := db.Changes(ctx, j.Org, 0, 100); err != nil || len(got) == 0 {
		t.Fatalf("the organisation's feed: %v, %v", got, err)
	}
	if c, _ := db.wal.Counts(); c != calls+2 {
		t.Fatalf("the API's feed read did not wait for the disk")
	}
}

// TestIdempotentReplayWaitsForTheDisk: a retry answered from its
// idempotency key is told the job exists only once the first request's
// commit is durable, which that request's own answer may still be waiting
// for (sqldb.WAL); a key not found waits for nothing.
func TestIdempotentReplayWaitsForTheDisk(t *testing.T) {
	ctx := context.Background()
	db, j := benchJob(t)
	var err error
	if db.wal, err = sqldb.WALOf(ctx, db.write); err != nil { // benchJob's store is relaxed
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `INSERT INTO idempotency (org, key, request_hash, job_id, created_at) VALUES (?, 'k1', 'h1', ?, 0)`,
		j.Org, j.ID); err != nil {
		t.Fatal(err)
	}
	calls, _ := db.wal.Counts()
	if _, err := db.Idempotency(ctx, j.Org, "k2"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("an unknown key: %v", err)
	}
	if c, _ := db.wal.Counts(); c != calls {
		t.Fatal("a key not found asked for a sync")
	}
	if i, err := db.Idempotency(ctx, j.Org, "k1"); err != nil || i.JobID != j.ID {
		t.Fatalf("the key: %+v, %v", i, err)
	}
	if c, _ := db.wal.Counts(); c != calls+1 {
		t.Fatalf("a replay asked for %d syncs, want 1", c-calls)
	}
}

package sqlitequeue

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/queue/queuetest"
	"github.com/segl/segl/internal/store/sqlite"
	"github.com/segl/segl/internal/testtool"
)

func open(t testing.TB) *Queue {
	t.Helper()
	q, err := Open(filepath.Join(t.TempDir(), "queue.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func TestConformance(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) queue.Queue { return open(t) })
}

// TestConformanceGivenDB runs the suite on a database the caller opened
// with a connection pool and deferred transactions: the claim statement
// must still be atomic.
func TestConformanceGivenDB(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) queue.Queue {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "q.db")+
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		q, err := New(db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close(); db.Close() })
		return q
	})
}

// TestSharesStoreFile checks that the queue and the store can live in one
// file, each with its own migration history.
func TestSharesStoreFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "segl.db")
	for range 2 {
		st, err := sqlite.Open(path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		q, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Enqueue(context.Background(), "callback", "k", nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		q.Close()
		st.Close()
	}
}

func BenchmarkEnqueueClaimDone(b *testing.B) {
	q := open(b)
	ctx := context.Background()
	kinds := []string{"callback"}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if err := q.Enqueue(ctx, "callback", "", []byte(`{"job":"0193"}`), now); err != nil {
			b.Fatal(err)
		}
		jobs, err := q.Claim(ctx, "bench", kinds, time.Minute, now, 1)
		if err != nil || len(jobs) != 1 {
			b.Fatalf("claim = %d, %v", len(jobs), err)
		}
		if err := q.Done(ctx, jobs[0].ID, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFullDisk fills the file system under the queue: Enqueue fails with
// the storage-full kind, which the edges answer with 507 rather than 500,
// and succeeds once space is freed.
func TestFullDisk(t *testing.T) {
	dir := testtool.SmallFS(t, 2<<20)
	q, err := Open(filepath.Join(dir, "queue.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	free := testtool.Fill(t, dir)
	ctx, payload := context.Background(), make([]byte, 4000)
	i := 0
	for ; err == nil && i < 10_000; i++ {
		err = q.Enqueue(ctx, "k", fmt.Sprint(i), payload, time.Now()) // the write-ahead log grows until the disk refuses
	}
	if !errs.Is(err, errs.InsufficientStorage) || errs.From(err).Code != errs.CodeStorageFull {
		t.Fatalf("enqueue %d on a full disk: %v, want %s", i, err, errs.CodeStorageFull)
	}
	free()
	if err := q.Enqueue(ctx, "k", fmt.Sprint(i), payload, time.Now()); err != nil {
		t.Fatalf("enqueue after space was freed: %v", err)
	}
}

// TestOnlyEnqueueWaitsForTheDisk checks the durability of each write: an
// Enqueue returns after an fsync of the write-ahead log (accepted work
// survives a power failure), while claims and outcomes, which a lost lease
// already recovers, commit without one. Every connection commits with
// synchronous=NORMAL; with RelaxedSync nothing waits for the disk.
func TestOnlyEnqueueWaitsForTheDisk(t *testing.T) {
	ctx := context.Background()
	for _, relaxed := range []bool{false, true} {
		q, err := Open(filepath.Join(t.TempDir(), "queue.db"), Options{RelaxedSync: relaxed})
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		var level int
		if err := q.db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&level); err != nil || level != 1 {
			t.Fatalf("relaxed %v: synchronous=%d, %v, want 1 (NORMAL)", relaxed, level, err)
		}
		if relaxed {
			if q.wal != nil {
				t.Fatal("relaxed: an enqueue waits for the disk")
			}
			continue
		}
		if err := q.Enqueue(ctx, "k", "", nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		if commits, fsyncs := q.wal.Counts(); commits != 1 || fsyncs != 1 {
			t.Fatalf("an enqueue: %d syncs asked, %d fsyncs, want 1 and 1", commits, fsyncs)
		}
		jobs, err := q.Claim(ctx, "w", []string{"k"}, time.Minute, time.Now(), 1)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claim = %v, %v", jobs, err)
		}
		if err := q.Done(ctx, jobs[0].ID, "w"); err != nil {
			t.Fatal(err)
		}
		if commits, _ := q.wal.Counts(); commits != 1 {
			t.Fatalf("a claim and its outcome asked for %d syncs, want none", commits-1)
		}
	}
}

// TestDeferredJobsShareOneSync: jobs queued with EnqueueDeferred ask for
// no fsync, and the Sync after them asks for one, which covers them all.
func TestDeferredJobsShareOneSync(t *testing.T) {
	ctx := context.Background()
	q := open(t)
	for i := range 3 {
		if err := q.EnqueueDeferred(ctx, "k", fmt.Sprint(i), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if commits, fsyncs := q.wal.Counts(); commits != 0 || fsyncs != 0 {
		t.Fatalf("deferred enqueues: %d syncs asked, %d fsyncs, want none", commits, fsyncs)
	}
	if err := q.Sync(); err != nil {
		t.Fatal(err)
	}
	if commits, fsyncs := q.wal.Counts(); commits != 1 || fsyncs != 1 {
		t.Fatalf("sync: %d syncs asked, %d fsyncs, want 1 and 1", commits, fsyncs)
	}
	if jobs, err := q.Claim(ctx, "w", []string{"k"}, time.Minute, time.Now(), 5); err != nil || len(jobs) != 3 {
		t.Fatalf("claim = %v, %v", jobs, err)
	}
}

// BenchmarkClaimFreeSlots claims as a runner does, up to its free slots,
// which change from one claim to the next, with one job due each time
// (relaxed sync: the CPU, not the disk, is measured).
func BenchmarkClaimFreeSlots(b *testing.B) {
	q, err := Open(filepath.Join(b.TempDir(), "queue.db"), Options{RelaxedSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { q.Close() })
	ctx := context.Background()
	kinds := []string{"callback", "complete", "mailbox", "notice"}
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := q.Enqueue(ctx, "mailbox", "", []byte(`{"job":"0193"}`), now); err != nil {
			b.Fatal(err)
		}
		jobs, err := q.Claim(ctx, "bench", kinds, time.Minute, now, 1+i%4)
		if err != nil || len(jobs) != 1 {
			b.Fatalf("claim = %d, %v", len(jobs), err)
		}
		if err := q.Done(ctx, jobs[0].ID, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

package ceremony

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	blobfs "github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/queue/sqlitequeue"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/sqlite"
	"github.com/segl/segl/internal/testtool"
)

// benchJobs is how many ended jobs BenchmarkDeletions deletes
// (SEGL_BENCH_JOBS overrides it).
const benchJobs = 2_000

// BenchmarkDeletions ends benchJobs signed jobs, each with four blobs of
// its own (the upload, two signed revisions, the evidence; 20 KB each),
// moves the clock past their retention, and times the sweeps and the
// delete-job tasks on four workers until every job is a tombstone and its
// blobs are gone, on SQLite (durable: each deletion commits the tombstone,
// checkpoints and truncates the WAL, and commits its list of blobs) and
// the file blob store. It reports deletions per second, the CPU time of
// the process per deletion and the peak heap in use while they ran.
func BenchmarkDeletions(b *testing.B) {
	ctx := context.Background()
	n := benchJobs
	if v, err := strconv.Atoi(os.Getenv("SEGL_BENCH_JOBS")); err == nil && v > 0 {
		n = v
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		blobs, err := blobfs.Open(filepath.Join(dir, "blobs"), blobfs.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now().UTC().Truncate(time.Second) // the blob store's times are the file system's
		clk := clock.NewFake(t0)
		endJobs(b, filepath.Join(dir, "segl.db"), blobs, n, t0)
		db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		q, err := sqlitequeue.Open(filepath.Join(dir, "queue.db"), sqlitequeue.Options{})
		if err != nil {
			b.Fatal(err)
		}
		svc := &Service{Store: db, Blobs: blobs, Queue: q, Clock: clk, Limits: job.DefaultLimits, LinkKey: []byte("k")}
		var deleted atomic.Int64
		runner := queue.NewRunner(q, queue.RunnerOptions{Clock: clk, Concurrency: 4, Lease: time.Hour,
			Observe: func(kind, outcome string) {
				if outcome != "done" {
					b.Errorf("%s: %s", kind, outcome)
				}
				deleted.Add(1)
			}})
		runner.Handle(TaskDeleteJob, svc.DeletionHandler)
		clk.Advance(31 * 24 * time.Hour)
		peak := testtool.PeakHeap()
		b.StartTimer()
		start, cpu0 := time.Now(), testtool.CPUTime()
		for deleted.Load() < int64(n) {
			if _, err := svc.RunDeletions(ctx, 500); err != nil {
				b.Fatal(err)
			}
			if _, err := runner.RunDue(ctx); err != nil {
				b.Fatal(err)
			}
		}
		elapsed, cpu := time.Since(start), testtool.CPUTime()-cpu0
		b.StopTimer()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "deletions/s")
		b.ReportMetric(float64(cpu.Milliseconds())/float64(n), "cpu-ms/deletion")
		b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
		left := 0
		if err := blobs.WalkOlder(ctx, time.Now().Add(time.Hour), func(string) error { left++; return nil }); err != nil {
			b.Fatal(err)
		}
		if left != 0 {
			b.Fatalf("%d blobs left after the deletions", left)
		}
		db.Close()
		q.Close()
	}
}

// endJobs creates n signed and completed jobs with four blobs each, at t0
// and without fsync (the set-up is not what is measured).
func endJobs(b *testing.B, path string, blobs *blobfs.Store, n int, t0 time.Time) {
	ctx := context.Background()
	db, err := sqlite.Open(path, sqlite.Options{RelaxedSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.PutOrg(ctx, store.By{Actor: "test", At: t0}, store.Org{Number: retentionOrg, Name: "A", Active: true,
		SignatureTypes: []job.SignatureType{job.Authenticated}, RetentionDays: 30})
	id := 0
	ids := func() string { id++; return fmt.Sprintf("0193%012d", id) }
	filler := bytes.Repeat([]byte("x"), 20_000)
	put := func(what string, i int) string {
		ref, err := blobs.Put(ctx, bytes.NewReader(append([]byte(fmt.Sprintf("%s %d ", what, i)), filler...)), 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		return ref.Key
	}
	for i := range n {
		r := &job.Request{Title: "Avtale", Flow: job.Portal, SignatureType: job.Authenticated,
			Documents: []job.DocumentRequest{{Title: "Avtale", File: "doc1"}},
			Signers:   []job.SignerRequest{{PID: pid, Email: "kari@example.test"}}}
		j, ev := job.New(r, retentionOrg, "cert:1", []job.Document{{ID: ids(), Title: "Avtale", FileName: "a.pdf",
			MediaType: "application/pdf", Size: 20_000, SHA256: put("avtale", i)}}, ids, t0, job.DefaultLimits)
		j.RetainDays, j.AuditKey = 30, bytes.Repeat([]byte{1}, 32)
		if err := db.CreateJob(ctx, j, ev, nil); err != nil {
			b.Fatal(err)
		}
		j.Documents[0].Signed = job.Revision{SHA256: put("revisjon 1", i), Size: 20_000}
		if err := db.SaveJob(ctx, j, nil); err != nil {
			b.Fatal(err)
		}
		signed, _ := j.SignBy(j.Signers[0].ID, "pid:"+pid, t0, nil)
		j.Signers[0].Evidence = put("xades", i)
		j.Documents[0].Signed = job.Revision{SHA256: put("revisjon 2", i), Size: 20_000}
		done, _ := j.Complete(t0, nil)
		if err := db.SaveJob(ctx, j, append(signed, done...)); err != nil {
			b.Fatal(err)
		}
	}
}

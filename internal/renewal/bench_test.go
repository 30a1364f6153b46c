package renewal_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/queue/sqlitequeue"
	"github.com/segl/segl/internal/renewal"
	"github.com/segl/segl/internal/store/sqlite"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
)

// benchDocs archived documents are all due when the benchmark starts,
// and it times the first benchRenewals renewals among them (SEGL_BENCH_DOCS
// and SEGL_BENCH_RENEWALS override the two): renewing all ten thousand
// would take several minutes on the shared machine, and the rate does not
// change on the way (the sweep reads 500 due documents at a time through
// an index, a task touches one). One real B-LTA file is sealed once,
// stored once and archived under every job: a renewal reads its document,
// gathers the revocation data of its certificates, time-stamps it and
// stores what it appends, so a first revision shared by all the jobs
// changes nothing in the work of each renewal (only the page cache holds
// one file instead of ten thousand), and the set-up takes seconds instead
// of sealing ten thousand files.
const (
	benchDocs     = 10_000
	benchRenewals = 1_000
)

// BenchmarkRenewals archives benchDocs documents on SQLite (durable) and
// the file blob store, moves the clock past their renewal date, and times
// the sweeps and the renew-archive tasks on four workers until
// benchRenewals are renewed; it reports renewals per second, the CPU time
// of the process per renewal (steadier than the rate on a shared machine)
// and the peak heap in use while they ran.
func BenchmarkRenewals(b *testing.B) {
	ctx := context.Background()
	docs, want := envInt("SEGL_BENCH_DOCS", benchDocs), envInt("SEGL_BENCH_RENEWALS", benchRenewals)
	want = min(want, docs)
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w := &world{t: b, clk: clock.NewFake(t0), roots: x509.NewCertPool()}
		g := w.newGeneration()
		sealer := &pades.Sealer{Key: g.dev.Seal.Key, Cert: g.dev.Seal.Cert, Chain: g.dev.Seal.Chain,
			Anchors: []*x509.Certificate{g.dev.Root}, TSA: g.tsa, OCSP: w, Now: w.clk.Now, TempDir: b.TempDir()}
		dir := b.TempDir()
		blobs, err := fs.Open(filepath.Join(dir, "blobs"), fs.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		src := testdocs.PDF("Arkiv", 20_000)
		var sealed bytes.Buffer
		if err := sealer.Seal(ctx, &sealed, bytes.NewReader(src), int64(len(src)), pades.Options{Level: pades.BLTA}); err != nil {
			b.Fatal(err)
		}
		ref, err := blobs.Put(ctx, bytes.NewReader(sealed.Bytes()), 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		archive(b, filepath.Join(dir, "segl.db"), ref, len(src), docs, t0)
		db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		q, err := sqlitequeue.Open(filepath.Join(dir, "queue.db"), sqlitequeue.Options{})
		if err != nil {
			b.Fatal(err)
		}
		w.clk.Set(g.dev.TSA.Cert.NotAfter.Add(-renewal.DefaultMargin + time.Hour))
		g2 := w.newGeneration()
		sealer.TSA, sealer.Anchors = g2.tsa, append(sealer.Anchors, g2.dev.Root)
		svc := &renewal.Service{Store: db, Blobs: blobs, Queue: q, Sealer: sealer, Clock: w.clk, TempDir: b.TempDir()}
		var renewed atomic.Int64
		runner := queue.NewRunner(q, queue.RunnerOptions{Clock: w.clk, Concurrency: 4, Lease: time.Hour,
			Observe: func(kind, outcome string) {
				if outcome == "done" {
					renewed.Add(1)
				}
			}})
		svc.Handlers(runner)
		peak := testtool.PeakHeap()
		b.StartTimer()
		start, cpu0 := time.Now(), testtool.CPUTime()
		for renewed.Load() < int64(want) {
			// A sweep queues at most 500; the next finds the rest.
			if _, err := svc.SweepDue(ctx); err != nil {
				b.Fatal(err)
			}
			if _, err := runner.RunDue(ctx); err != nil {
				b.Fatal(err)
			}
		}
		elapsed, cpu := time.Since(start), testtool.CPUTime()-cpu0
		b.StopTimer()
		n := float64(renewed.Load())
		b.ReportMetric(n/elapsed.Seconds(), "renewals/s")
		b.ReportMetric(float64(cpu.Milliseconds())/n, "cpu-ms/renewal")
		b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
		db.Close()
		q.Close()
	}
}

// archive creates n completed jobs archived for 30 years, each with one
// document whose signed revision is ref, due for renewal at t0. It writes
// without fsync (the set-up is not what is measured); the benchmark
// reopens the database durable.
func archive(b *testing.B, path string, ref blob.Ref, size, n int, t0 time.Time) {
	ctx := context.Background()
	db, err := sqlite.Open(path, sqlite.Options{RelaxedSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	id := 0
	ids := func() string { id++; return fmt.Sprintf("0193%012d", id) }
	for range n {
		r := &job.Request{Title: "Arkiv", Flow: job.Portal, SignatureType: job.Authenticated,
			Retention: job.Retention{Archive: true, Years: 30}, Signers: []job.SignerRequest{{PID: "21909825250"}}}
		docs := []job.Document{{ID: ids(), Title: "Arkiv", FileName: "a.pdf", MediaType: "application/pdf", Size: int64(size), SHA256: ref.Key}}
		j, ev := job.New(r, "317510748", "cert:1", docs, ids, t0, job.DefaultLimits)
		if err := db.CreateJob(ctx, j, ev, nil); err != nil {
			b.Fatal(err)
		}
		signed, _ := j.SignBy(j.Signers[0].ID, "pid:21909825250", t0, nil)
		j.Documents[0].Signed = job.Revision{SHA256: ref.Key, Size: ref.Size}
		done, _ := j.Complete(t0, nil)
		if err := db.SaveJob(ctx, j, append(signed, done...)); err != nil {
			b.Fatal(err)
		}
		if err := db.ScheduleRenewal(ctx, j.Org, j.ID, docs[0].ID, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// envInt is the positive integer in the environment variable name, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

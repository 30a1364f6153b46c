package renewal_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/queue/sqlitequeue"
	"github.com/segl/segl/internal/renewal"
	"github.com/segl/segl/internal/store/sqlite"
	"github.com/segl/segl/internal/testdocs"
)

// benchDocs is how many archived documents the benchmark renews: small,
// so that the run (sealing them first) stays under a minute on a shared
// 2-core machine; renewals per second do not depend on how many wait.
const benchDocs = 200

// BenchmarkRenewals renews benchDocs archived documents (each sealed
// B-LTA, 20 KB) through the sweep, the queue and the task, on SQLite and
// the file blob store, with four workers, and reports renewals per second
// and the peak heap in use while they ran.
func BenchmarkRenewals(b *testing.B) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w := &world{t: b, clk: clock.NewFake(t0), roots: x509.NewCertPool()}
		g := w.newGeneration()
		sealer := &pades.Sealer{Key: g.dev.Seal.Key, Cert: g.dev.Seal.Cert, Chain: g.dev.Seal.Chain,
			Anchors: []*x509.Certificate{g.dev.Root}, TSA: g.tsa, OCSP: w, Now: w.clk.Now, TempDir: b.TempDir()}
		dir := b.TempDir()
		db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		blobs, err := fs.Open(filepath.Join(dir, "blobs"), fs.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		q, err := sqlitequeue.Open(filepath.Join(dir, "queue.db"))
		if err != nil {
			b.Fatal(err)
		}
		src := testdocs.PDF("Arkiv", 20_000)
		n := 0
		ids := func() string { n++; return fmt.Sprintf("0193%012d", n) }
		for range benchDocs {
			var sealed bytes.Buffer
			if err := sealer.Seal(ctx, &sealed, bytes.NewReader(src), int64(len(src)), pades.Options{Level: pades.BLTA}); err != nil {
				b.Fatal(err)
			}
			ref, err := blobs.Put(ctx, bytes.NewReader(sealed.Bytes()), 1<<30)
			if err != nil {
				b.Fatal(err)
			}
			r := &job.Request{Title: "Arkiv", Flow: job.Portal, SignatureType: job.Authenticated,
				Retention: job.Retention{Archive: true, Years: 30}, Signers: []job.SignerRequest{{PID: "21909825250"}}}
			docs := []job.Document{{ID: ids(), Title: "Arkiv", FileName: "a.pdf", MediaType: "application/pdf", Size: int64(len(src)), SHA256: ref.Key}}
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
		runtime.GC()
		var peak atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		if _, err := svc.SweepDue(ctx); err != nil {
			b.Fatal(err)
		}
		for renewed.Load() < benchDocs {
			if _, err := runner.RunOnce(ctx); err != nil {
				b.Fatal(err)
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		close(stop)
		<-sampled
		b.ReportMetric(float64(benchDocs)/elapsed.Seconds(), "renewals/s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		db.Close()
		q.Close()
	}
}

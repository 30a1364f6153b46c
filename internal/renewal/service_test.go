package renewal_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/internal/audit"
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
	"github.com/segl/segl/internal/validate"
)

// TestServiceRenewsArchivedJob runs the scheduler on a real store, blob
// store and queue: a completed archived job's sealed document is first
// only scheduled, then renewed once due (a new revision swapped into the
// job, audited), and a second run of the same task changes nothing.
func TestServiceRenewsArchivedJob(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := &world{t: t, clk: clock.NewFake(t0), roots: x509.NewCertPool()}
	g := w.newGeneration()
	sealer := &pades.Sealer{Key: g.dev.Seal.Key, Cert: g.dev.Seal.Cert, Chain: g.dev.Seal.Chain,
		Anchors: []*x509.Certificate{g.dev.Root}, TSA: g.tsa, OCSP: w, Now: w.clk.Now, TempDir: t.TempDir()}
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := fs.Open(filepath.Join(dir, "blobs"), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqlitequeue.Open(filepath.Join(dir, "queue.db"), sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	// A completed, archived job whose document was sealed B-LTA.
	src := testdocs.PDF("Arkiv", 2000)
	var sealed bytes.Buffer
	if err := sealer.Seal(ctx, &sealed, bytes.NewReader(src), int64(len(src)), pades.Options{Level: pades.BLTA}); err != nil {
		t.Fatal(err)
	}
	ref, err := blobs.Put(ctx, bytes.NewReader(sealed.Bytes()), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ids := func() string { n++; return "0193000000000" + string(rune('a'+n)) }
	r := &job.Request{Title: "Arkiv", Flow: job.Portal, SignatureType: job.Authenticated,
		Retention: job.Retention{Archive: true, Years: 30}, Signers: []job.SignerRequest{{PID: "21909825250"}}}
	docs := []job.Document{{ID: ids(), Title: "Arkiv", FileName: "a.pdf", MediaType: "application/pdf", Size: int64(len(src)), SHA256: ref.Key}}
	j, ev := job.New(r, "317510748", "cert:1", docs, ids, t0, job.DefaultLimits)
	if err := db.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	signed, err := j.SignBy(j.Signers[0].ID, "pid:21909825250", t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Documents[0].Signed = job.Revision{SHA256: ref.Key, Size: ref.Size}
	done, err := j.Complete(t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveJob(ctx, j, append(signed, done...)); err != nil {
		t.Fatal(err)
	}

	svc := &renewal.Service{Store: db, Blobs: blobs, Queue: q, Sealer: sealer, Clock: w.clk, TempDir: t.TempDir()}
	runner := queue.NewRunner(q, queue.RunnerOptions{Clock: w.clk})
	svc.Handlers(runner)
	sweepAndRun := func() {
		t.Helper()
		if _, err := svc.SweepDue(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := runner.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	current := func() job.Revision {
		t.Helper()
		got, err := db.Job(ctx, j.Org, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Documents[0].Signed
	}

	// Never scheduled: the first task only computes the schedule.
	sweepAndRun()
	if current().SHA256 != j.Documents[0].Signed.SHA256 {
		t.Fatal("renewed before it was due")
	}
	if due, _ := db.DueRenewals(ctx, g.dev.TSA.Cert.NotAfter.Add(-renewal.DefaultMargin-time.Second), 10); len(due) != 0 {
		t.Fatalf("scheduled before the margin: %+v", due)
	}
	// Due: renewed, swapped in, audited, rescheduled to the new TSA's margin.
	w.clk.Set(g.dev.TSA.Cert.NotAfter.Add(-renewal.DefaultMargin + time.Hour))
	g2 := w.newGeneration()
	sealer.TSA, sealer.Anchors = g2.tsa, append(sealer.Anchors, g2.dev.Root)
	sweepAndRun()
	rev := current()
	if rev.SHA256 == j.Documents[0].Signed.SHA256 {
		t.Fatal("not renewed when due")
	}
	// Stored once: the completed file's blob, then only what the renewal
	// appended.
	if len(rev.Parts) != 2 || rev.Parts[0] != blob.Whole(ref) || rev.Parts[1].Size != rev.Size-ref.Size {
		t.Fatalf("renewed revision stored as %+v, want the completed blob and what was appended", rev.Parts)
	}
	obj, err := blob.OpenSpans(ctx, blobs, rev.Spans())
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	rep, err := validate.PDF(obj, obj.Size(), validate.Options{Roots: w.roots, At: w.clk.Now()})
	if err != nil || rep.Indication != validate.TotalPassed {
		t.Fatalf("renewed revision: %v %+v", err, rep)
	}
	var renewals int
	db.AuditRecords(ctx, 0, func(r audit.Record) error {
		if r.Action == renewal.EventRenewed && r.JobID == j.ID {
			renewals++
		}
		return nil
	})
	if renewals != 1 {
		t.Fatalf("%d renewal records in the audit log, want 1", renewals)
	}
	if due, _ := db.DueRenewals(ctx, g2.dev.TSA.Cert.NotAfter.Add(-renewal.DefaultMargin), 10); len(due) != 1 {
		t.Fatalf("not rescheduled to the new time-stamp's margin: %+v", due)
	}
	// The same task again (a crash before it was marked done): nothing new.
	if err := q.Enqueue(ctx, renewal.TaskRenew, "again", []byte(`{"org":"317510748","job":"`+j.ID+`","document":"`+j.Documents[0].ID+`"}`), w.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if current().SHA256 != rev.SHA256 {
		t.Fatal("a repeated task renewed again")
	}
}

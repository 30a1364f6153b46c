package ceremony

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/blob"
	blobfs "github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/blob/s3"
	"github.com/segl/segl/internal/blob/s3/s3test"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/queue/sqlitequeue"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/sqlite"
)

// retentionWorld is a data directory with one signed job past nothing
// yet: its upload, two signed revisions and the evidence each carry the
// signer's identity number pid.
type retentionWorld struct {
	dir   string
	db    *sqlite.DB
	q     *sqlitequeue.Queue
	blobs blob.Store
	// openBlobs opens the blob store of the data directory dir.
	openBlobs func(t *testing.T, dir string) blob.Store
	clk       *clock.Fake
	svc       *Service
	job       *job.Job
	upload    string
}

const pid, retentionOrg = "21909825250", "317510748"

func newRetentionWorld(t *testing.T) *retentionWorld { return newRetentionWorldOn(t, fsBlobs) }

// fsBlobs is the file blob store of the data directory.
func fsBlobs(t *testing.T, dir string) blob.Store {
	s, err := blobfs.Open(filepath.Join(dir, "blobs"), blobfs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// s3Blobs makes a blob store on a bucket of its own on the S3 test server.
func s3Blobs(t *testing.T) func(t *testing.T, dir string) blob.Store {
	o := s3test.Shared(t).Bucket(t)
	return func(t *testing.T, dir string) blob.Store {
		s, err := s3.Open(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func newRetentionWorldOn(t *testing.T, openBlobs func(t *testing.T, dir string) blob.Store) *retentionWorld {
	t.Helper()
	w := &retentionWorld{dir: t.TempDir(), openBlobs: openBlobs}
	// The blob store's times are the file system's.
	w.clk = clock.NewFake(time.Now().UTC().Truncate(time.Second))
	w.open(t)
	t.Cleanup(func() { w.close() })
	t0, db, ctx := w.clk.Now(), w.db, context.Background()
	db.PutOrg(ctx, store.By{Actor: "test", At: t0}, store.Org{Number: retentionOrg, Name: "A", Active: true,
		SignatureTypes: []job.SignatureType{job.Authenticated}, RetentionDays: 30})
	put := func(content string) string {
		ref, err := w.blobs.Put(ctx, strings.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return ref.Key
	}
	w.upload = put("avtale for " + pid)
	r := &job.Request{Title: "Avtale " + pid, Flow: job.Portal, SignatureType: job.Authenticated,
		Documents: []job.DocumentRequest{{Title: "Avtale", File: "doc1"}},
		Signers:   []job.SignerRequest{{PID: pid, Email: "kari@example.test"}}}
	n := 0
	ids := func() string { n++; return "id-" + string(rune('a'+n)) }
	j, ev := job.New(r, retentionOrg, "cert:1", []job.Document{{ID: "d1", Title: "Avtale", FileName: "a.pdf",
		MediaType: "application/pdf", Size: 10, SHA256: w.upload}}, ids, t0, job.DefaultLimits)
	j.RetainDays, j.AuditKey = 30, bytes.Repeat([]byte{1}, 32)
	if err := db.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	// Two signed revisions and the evidence, each carrying the number.
	j.Documents[0].Signed = job.Revision{SHA256: put("revisjon 1 " + pid), Size: 1}
	if err := db.SaveJob(ctx, j, nil); err != nil {
		t.Fatal(err)
	}
	ev, err := j.SignBy(j.Signers[0].ID, "pid:"+pid, t0, map[string]any{"eid": "BankID"})
	if err != nil {
		t.Fatal(err)
	}
	j.Signers[0].Name, j.Signers[0].Evidence = "Kari", put("<xades>"+pid+"</xades>")
	j.Documents[0].Signed = job.Revision{SHA256: put("revisjon 2 " + pid), Size: 1}
	if err := db.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	// The last signer made the job signed; completing it ends it (the
	// long-term revision the signing engine would add is not needed here).
	ev, err = j.Complete(t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	w.job = j
	return w
}

// open opens the data directory as a starting process does.
func (w *retentionWorld) open(t *testing.T) {
	t.Helper()
	var err error
	if w.db, err = sqlite.Open(filepath.Join(w.dir, "segl.db"), sqlite.Options{}); err != nil {
		t.Fatal(err)
	}
	if w.q, err = sqlitequeue.Open(filepath.Join(w.dir, "queue.db"), sqlitequeue.Options{}); err != nil {
		t.Fatal(err)
	}
	w.blobs = w.openBlobs(t, w.dir)
	w.svc = &Service{Store: w.db, Blobs: w.blobs, Queue: w.q, Clock: w.clk, Limits: job.DefaultLimits, LinkKey: []byte("k")}
}

// close closes the data directory, as a process that ends (or dies) does.
func (w *retentionWorld) close() {
	w.db.Close()
	w.q.Close()
}

// runTasks runs the queued tasks that are due, as a node's runner does,
// and reports the outcome of each.
func (w *retentionWorld) runTasks(t *testing.T) []string {
	t.Helper()
	var outcomes []string
	r := queue.NewRunner(w.q, queue.RunnerOptions{Clock: w.clk, Observe: func(kind, outcome string) {
		outcomes = append(outcomes, kind+":"+outcome)
	}})
	r.Handle(TaskDeleteJob, w.svc.DeletionHandler)
	for {
		n, err := r.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return outcomes
		}
	}
}

// checkGone asserts what a user checks after a deletion: the job is a
// tombstone whose documents answer "deleted", the audit chain verifies and
// ends with the deletion, and no byte of the data directory (the database,
// its WAL, the queue, the blobs) holds the signer's identity number.
func (w *retentionWorld) checkGone(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	c := Caller{Org: retentionOrg, Actor: "cert:1"}
	got, err := w.svc.Job(ctx, c, w.job.ID)
	if err != nil || !got.Deleted() {
		t.Fatalf("job after retention: %+v, %v", got, err)
	}
	if _, _, err := w.svc.Document(ctx, c, w.job.ID, "d1"); !errs.Is(err, errs.Conflict) || errs.From(err).Code != errs.CodeJobDeleted {
		t.Fatalf("document of a deleted job: %v", err)
	}
	var v audit.Verifier
	var last audit.Record
	if err := w.db.AuditRecords(ctx, 0, func(r audit.Record) error { last = r; return v.Next(r) }); err != nil {
		t.Fatal(err)
	}
	if last.Action != "job.deleted" || !bytes.Contains(last.Details, []byte(w.upload)) {
		t.Fatalf("last audit record: %s %s", last.Action, last.Details)
	}
	if keys, err := w.db.DeletedBlobs(ctx, retentionOrg, w.job.ID); err != nil || len(keys) != 0 {
		t.Fatalf("blobs still listed for deletion: %v, %v", keys, err)
	}
	left := 0
	if err := w.blobs.(blob.Sweeper).WalkOlder(ctx, time.Now().Add(time.Hour), func(string) error { left++; return nil }); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d blobs left in the blob store", left)
	}
	err = filepath.WalkDir(w.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(pid)) {
			t.Errorf("%s still holds the identity number", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeletionLeavesNoIdentityNumber runs a signed job past its retention
// with a fake clock: the sweep tells the sender ahead, then queues the
// deletion, whose task deletes everything of the job (checkGone).
func TestDeletionLeavesNoIdentityNumber(t *testing.T) {
	w := newRetentionWorld(t)
	ctx := context.Background()
	w.clk.Advance(30*24*time.Hour - time.Second)
	if n, err := w.svc.RunDeletions(ctx, 10); err != nil || n != 0 {
		t.Fatalf("deleted before its time: %d, %v", n, err)
	}
	// The sender was told a week ahead, once however often the sweep ran.
	w.svc.RunDeletions(ctx, 10)
	if got := eventTypes(t, w.db, retentionOrg); !reflect.DeepEqual(got, []string{"job.deletion-due"}) {
		t.Fatalf("feed before the deletion: %v", got)
	}
	w.clk.Advance(time.Second)
	for range 2 { // queued once while it waits
		if n, err := w.svc.RunDeletions(ctx, 10); err != nil || n != 1 {
			t.Fatalf("due deletions queued: %d, %v", n, err)
		}
	}
	if got := w.runTasks(t); !reflect.DeepEqual(got, []string{"delete-job:done"}) {
		t.Fatalf("tasks: %v", got)
	}
	if n, err := w.svc.RunDeletions(ctx, 10); err != nil || n != 0 {
		t.Fatalf("a deleted job is due again: %d, %v", n, err)
	}
	if got := eventTypes(t, w.db, retentionOrg); !reflect.DeepEqual(got, []string{"job.deletion-due", "job.deleted"}) {
		t.Fatalf("feed after the deletion: %v", got)
	}
	w.checkGone(t)
}

// dyingBlobs is the blob store of a process killed while the deletion
// task deletes blobs: the first deletions happen, then the process is
// gone and nothing more reaches the store.
type dyingBlobs struct {
	blob.Store
	left int // deletions before the process dies
}

func (d *dyingBlobs) WalkOlder(ctx context.Context, before time.Time, fn func(key string) error) error {
	return d.Store.(blob.Sweeper).WalkOlder(ctx, before, fn)
}

func (d *dyingBlobs) DeleteIfOlder(ctx context.Context, key string, before time.Time) (bool, error) {
	if d.left == 0 {
		return false, errors.New("process killed")
	}
	d.left--
	return d.Store.(blob.Sweeper).DeleteIfOlder(ctx, key, before)
}

// TestDeletionResumesAfterCrash kills the deletion task midway: the job's
// tombstone is committed and one of its four blobs deleted when the
// process dies without telling the queue anything. Another process
// opening the same data directory takes the task over once the lease has
// run out and finishes it; nothing of the job is left, in the file blob
// store and in an S3 bucket.
func TestDeletionResumesAfterCrash(t *testing.T) {
	t.Run("fs", func(t *testing.T) { testDeletionResumesAfterCrash(t, newRetentionWorld(t)) })
	t.Run("s3", func(t *testing.T) { testDeletionResumesAfterCrash(t, newRetentionWorldOn(t, s3Blobs(t))) })
}

func testDeletionResumesAfterCrash(t *testing.T, w *retentionWorld) {
	ctx := context.Background()
	w.clk.Advance(31 * 24 * time.Hour)
	if n, err := w.svc.RunDeletions(ctx, 10); err != nil || n != 1 {
		t.Fatalf("due deletions queued: %d, %v", n, err)
	}
	// The first process claims the task and dies in it: its handler's
	// error is never reported, as a killed process reports nothing.
	const lease = time.Minute
	claimed, err := w.q.Claim(ctx, "node-1", []string{TaskDeleteJob}, lease, w.clk.Now(), 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	w.svc.Blobs = &dyingBlobs{Store: w.blobs, left: 1}
	if err := w.svc.DeletionHandler(ctx, claimed[0]); err == nil {
		t.Fatal("the dying process finished the deletion")
	}
	w.close()

	// What the crash left: a tombstone whose blobs are listed for
	// deletion, three of them still stored, nothing referring to them.
	w.open(t)
	if j, err := w.db.Job(ctx, retentionOrg, w.job.ID); err != nil || !j.Deleted() {
		t.Fatalf("job after the crash: %v, %v", j, err)
	}
	left, err := w.db.DeletedBlobs(ctx, retentionOrg, w.job.ID)
	if err != nil || len(left) != 4 {
		t.Fatalf("blobs listed after the crash: %v, %v", left, err)
	}
	stored := 0
	for _, key := range left {
		if o, err := w.blobs.Open(ctx, key); err == nil {
			o.Close()
			stored++
		}
	}
	if stored != 3 {
		t.Fatalf("%d of the job's blobs stored after the crash, want 3", stored)
	}
	if got := w.runTasks(t); len(got) != 0 {
		t.Fatalf("the task was taken over within its lease: %v", got)
	}
	w.clk.Advance(lease)
	if got := w.runTasks(t); !reflect.DeepEqual(got, []string{"delete-job:done"}) {
		t.Fatalf("tasks after the lease: %v", got)
	}
	if got := eventTypes(t, w.db, retentionOrg); !reflect.DeepEqual(got, []string{"job.deletion-due", "job.deleted"}) {
		t.Fatalf("feed: %v (one deletion, however often it ran)", got)
	}
	w.checkGone(t)
}

// TestDeletionGivesUpVisibly: a deletion task whose blob store keeps
// failing ends in the dead letter that /admin/tasks shows, naming the job,
// with the job already a tombstone; the hourly blob sweep then deletes the
// blobs it left.
func TestDeletionGivesUpVisibly(t *testing.T) {
	w := newRetentionWorld(t)
	ctx := context.Background()
	w.clk.Advance(31 * 24 * time.Hour)
	if n, err := w.svc.RunDeletions(ctx, 10); err != nil || n != 1 {
		t.Fatalf("due deletions queued: %d, %v", n, err)
	}
	w.svc.Blobs = &dyingBlobs{Store: w.blobs}
	r := queue.NewRunner(w.q, queue.RunnerOptions{Clock: w.clk, MaxAttempts: 2})
	r.Handle(TaskDeleteJob, w.svc.DeletionHandler)
	for range 2 {
		if _, err := r.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(time.Hour) // past the backoff
	}
	dead, err := w.q.Dead(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].Kind != TaskDeleteJob || !strings.Contains(string(dead[0].Payload), w.job.ID) {
		t.Fatalf("dead letter: %+v, %v", dead, err)
	}
	if n, _ := w.svc.RunDeletions(ctx, 10); n != 0 {
		t.Fatalf("a tombstone was queued again: %d", n)
	}
	w.svc.Blobs = w.blobs
	if n, err := w.svc.SweepBlobs(ctx); err != nil || n != 4 {
		t.Fatalf("blob sweep after the task gave up: %d, %v", n, err)
	}
	w.checkGone(t)
}

// TestSenderDeletionIsTheTask deletes a finished job on the sender's
// request, minutes after its blobs were written: the job is a tombstone
// when the call returns, and the task queued for it, should the call have
// been cut short, finds nothing left. The blobs, written within the grace
// that protects a job storing the same content, stay recorded and are
// deleted by the next blob sweep after the grace.
func TestSenderDeletionIsTheTask(t *testing.T) {
	w := newRetentionWorld(t)
	ctx := context.Background()
	j, err := w.svc.DeleteJob(ctx, Caller{Org: retentionOrg, Actor: "cert:1"}, w.job.ID)
	if err != nil || !j.Deleted() {
		t.Fatalf("DeleteJob: %+v, %v", j, err)
	}
	if got := w.runTasks(t); !reflect.DeepEqual(got, []string{"delete-job:done"}) {
		t.Fatalf("tasks: %v", got)
	}
	if got := eventTypes(t, w.db, retentionOrg); !reflect.DeepEqual(got, []string{"job.deleted"}) {
		t.Fatalf("feed: %v", got)
	}
	kept, err := w.db.DeletedBlobs(ctx, retentionOrg, w.job.ID)
	if err != nil || len(kept) != 4 {
		t.Fatalf("blobs kept for their grace: %v, %v", kept, err)
	}
	if n, err := w.svc.SweepBlobs(ctx); err != nil || n != 0 {
		t.Fatalf("sweep within the grace: %d, %v", n, err)
	}
	w.clk.Advance(uploadGrace + time.Minute)
	if n, err := w.svc.SweepBlobs(ctx); err != nil || n != 4 {
		t.Fatalf("sweep after the grace: %d, %v", n, err)
	}
	w.checkGone(t)
}

// eventTypes lists the retention events in org's feed, oldest first.
func eventTypes(t *testing.T, db store.Store, org string) []string {
	t.Helper()
	changes, err := db.Changes(context.Background(), org, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range changes {
		if strings.HasPrefix(c.Type, "job.delet") {
			out = append(out, c.Type)
		}
	}
	return out
}

// TestSweepBlobs deletes an unreferenced blob once its grace has passed,
// and never one a job refers to.
func TestSweepBlobs(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := blobfs.Open(filepath.Join(dir, "blobs"), blobfs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now().UTC())
	svc := &Service{Store: db, Blobs: blobs, Clock: clk, Limits: job.DefaultLimits, LinkKey: []byte("k")}
	ctx := context.Background()
	orphan, _ := blobs.Put(ctx, strings.NewReader("a job that never committed"), 100)
	used, _ := blobs.Put(ctx, strings.NewReader("kontrakt"), 100)
	r := &job.Request{Title: "T", Flow: job.Portal, SignatureType: job.Authenticated,
		Documents: []job.DocumentRequest{{Title: "K", File: "doc1"}}, Signers: []job.SignerRequest{{PID: "21909825250"}}}
	n := 0
	ids := func() string { n++; return "id-" + string(rune('a'+n)) }
	j, ev := job.New(r, "317510748", "cert:1", []job.Document{{ID: "d1", Title: "K", FileName: "k.pdf",
		MediaType: "application/pdf", Size: 8, SHA256: used.Key}}, ids, clk.Now(), job.DefaultLimits)
	if err := db.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.SweepBlobs(ctx); err != nil || n != 0 {
		t.Fatalf("within the grace: %d deleted, %v", n, err)
	}
	clk.Advance(BlobGrace + time.Minute)
	if n, err := svc.SweepBlobs(ctx); err != nil || n != 1 {
		t.Fatalf("after the grace: %d deleted, %v; want the orphan", n, err)
	}
	if _, err := blobs.Open(ctx, orphan.Key); !errs.Is(err, errs.NotFound) {
		t.Fatalf("orphan: %v", err)
	}
	o, err := blobs.Open(ctx, used.Key)
	if err != nil {
		t.Fatalf("a job's document was swept: %v", err)
	}
	o.Close()
}

// TestPortalDeletionQueuesNoIdentityNumber deletes a job from the portal,
// whose sender acts as "pid:<identity number>": from the moment the
// deletion is queued until its task runs, no byte of the queue holds the
// sender's number, and the audit record of the deletion names the sender
// by their pseudonym under the job's key, as every other record of theirs
// on the job does.
func TestPortalDeletionQueuesNoIdentityNumber(t *testing.T) {
	w := newRetentionWorld(t)
	ctx := context.Background()
	const sender = "02859824113"
	c := Caller{Org: retentionOrg, Actor: "pid:" + sender, PID: sender}
	w.clk.Advance(24 * time.Hour) // the blobs are past the grace of new uploads
	if _, err := w.svc.DeleteJob(ctx, c, w.job.ID); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"queue.db", "queue.db-wal"} {
		b, err := os.ReadFile(filepath.Join(w.dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(sender)) {
			t.Errorf("%s holds the sender's identity number while the deletion waits", name)
		}
	}
	want := audit.Pseudonym(w.job.AuditKey, c.Actor)
	var last audit.Record
	if err := w.db.AuditRecords(ctx, 0, func(r audit.Record) error { last = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if last.Action != "job.deleted" || last.Actor != want {
		t.Fatalf("audit record of the deletion: %s by %s, want by %s", last.Action, last.Actor, want)
	}
	if got := w.runTasks(t); !reflect.DeepEqual(got, []string{"delete-job:done"}) {
		t.Fatalf("tasks: %v", got)
	}
	w.checkGone(t)
}

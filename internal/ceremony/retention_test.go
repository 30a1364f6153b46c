package ceremony

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/audit"
	blobfs "github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/sqlite"
)

// TestDeletionLeavesNoIdentityNumber runs a signed job past its retention
// with a fake clock and then reads every byte of the data directory (the
// database, its WAL, the blobs): the signer's identity number is nowhere,
// the audit chain still verifies and ends with the deletion, and the
// documents answer "deleted".
func TestDeletionLeavesNoIdentityNumber(t *testing.T) {
	const pid, org = "21909825250", "317510748"
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := blobfs.Open(filepath.Join(dir, "blobs"), blobfs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Truncate(time.Second) // the blob store's times are the file system's
	clk := clock.NewFake(t0)
	svc := &Service{Store: db, Blobs: blobs, Clock: clk, Limits: job.DefaultLimits, LinkKey: []byte("k")}
	ctx := context.Background()
	db.PutOrg(ctx, store.By{Actor: "test", At: t0}, store.Org{Number: org, Name: "A", Active: true,
		SignatureTypes: []job.SignatureType{job.Authenticated}, RetentionDays: 30})
	put := func(content string) string {
		ref, err := blobs.Put(ctx, strings.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return ref.Key
	}
	upload := put("avtale for " + pid)
	r := &job.Request{Title: "Avtale " + pid, Flow: job.Portal, SignatureType: job.Authenticated,
		Documents: []job.DocumentRequest{{Title: "Avtale", File: "doc1"}},
		Signers:   []job.SignerRequest{{PID: pid, Email: "kari@example.test"}}}
	n := 0
	ids := func() string { n++; return "id-" + string(rune('a'+n)) }
	j, ev := job.New(r, org, "cert:1", []job.Document{{ID: "d1", Title: "Avtale", FileName: "a.pdf",
		MediaType: "application/pdf", Size: 10, SHA256: upload}}, ids, t0, job.DefaultLimits)
	j.RetainDays, j.AuditKey = 30, bytes.Repeat([]byte{1}, 32)
	if err := db.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	// Two signed revisions and the evidence, each carrying the number.
	j.Documents[0].Signed = job.Revision{SHA256: put("revisjon 1 " + pid), Size: 1}
	if err := db.SaveJob(ctx, j, nil); err != nil {
		t.Fatal(err)
	}
	ev, err = j.SignBy(j.Signers[0].ID, "pid:"+pid, t0, map[string]any{"eid": "BankID"})
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
	c := Caller{Org: org, Actor: "cert:1"}
	clk.Advance(30*24*time.Hour - time.Second)
	if n, err := svc.RunDeletions(ctx, 10); err != nil || n != 0 {
		t.Fatalf("deleted before its time: %d, %v", n, err)
	}
	// The sender was told a week ahead, once however often the sweep ran.
	svc.RunDeletions(ctx, 10)
	if got := eventTypes(t, db, org); !reflect.DeepEqual(got, []string{"job.deletion-due"}) {
		t.Fatalf("feed before the deletion: %v", got)
	}
	clk.Advance(time.Second)
	for range 2 {
		if _, err := svc.RunDeletions(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.Job(ctx, c, j.ID)
	if err != nil || !got.Deleted() {
		t.Fatalf("job after retention: %+v, %v", got, err)
	}
	if _, _, err := svc.Document(ctx, c, j.ID, "d1"); !errs.Is(err, errs.Conflict) || errs.From(err).Code != errs.CodeJobDeleted {
		t.Fatalf("document of a deleted job: %v", err)
	}
	if got := eventTypes(t, db, org); !reflect.DeepEqual(got, []string{"job.deletion-due", "job.deleted"}) {
		t.Fatalf("feed after the deletion: %v", got)
	}
	var v audit.Verifier
	var last audit.Record
	if err := db.AuditRecords(ctx, 0, func(r audit.Record) error { last = r; return v.Next(r) }); err != nil {
		t.Fatal(err)
	}
	if last.Action != "job.deleted" || !bytes.Contains(last.Details, []byte(upload)) {
		t.Fatalf("last audit record: %s %s", last.Action, last.Details)
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
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

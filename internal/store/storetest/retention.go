package storetest

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// testRetention checks that what decides a job's deletion is kept: the
// organisation's default, the job's own days and audit key, and the end
// time a final status brings.
func testRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.PutOrg(ctx, by, store.Org{Number: orgB, Name: "B", Active: true, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Org(ctx, orgB); err != nil || o.Retention() != job.DefaultRetentionDays {
		t.Fatalf("org without retention: %d days, %v; want the default %d", o.Retention(), err, job.DefaultRetentionDays)
	}
	j, ev := newJob(orgA)
	j.RetainDays, j.AuditKey = 31, bytes.Repeat([]byte{7}, 32)
	if err := s.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	ended := t0.Add(48 * 3600e9)
	events, err := j.Cancel("cert:42", ended)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveJob(ctx, j, events); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, orgA, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RetainDays != 31 || !bytes.Equal(got.AuditKey, j.AuditKey) || !got.EndedAt.Equal(ended) || !got.DeletedAt.IsZero() {
		t.Fatalf("got retain %d, key %x, ended %v, deleted %v", got.RetainDays, got.AuditKey, got.EndedAt, got.DeletedAt)
	}
	if want := ended.AddDate(0, 0, 31); !got.DeleteAfter().Equal(want) {
		t.Fatalf("DeleteAfter = %v, want %v", got.DeleteAfter(), want)
	}
}

// testDeleteJob deletes a signed job that shares its upload with another:
// the tombstone keeps no identity number, contact or document reference,
// the shared upload stays referenced by the other job, the audit log names
// the signer by pseudonym only and records the deletion once, and the
// chain still verifies.
func testDeleteJob(t *testing.T, s store.Store) {
	ctx := context.Background()
	const pid = "21909825250"
	j, ev := newJob(orgA)
	j.AuditKey = bytes.Repeat([]byte{9}, 32)
	if err := s.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	other := mustCreate(t, s, orgB) // same upload, another organisation
	const r1, r2, evidence = "1111111111111111111111111111111111111111111111111111111111111111",
		"2222222222222222222222222222222222222222222222222222222222222222",
		"3333333333333333333333333333333333333333333333333333333333333333"
	j.Documents[0].Signed = job.Revision{SHA256: r1, Size: 1}
	if err := s.SaveJob(ctx, j, nil); err != nil {
		t.Fatal(err)
	}
	ev, err := j.SignBy(j.Signers[0].ID, "pid:"+pid, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Signers[0].Evidence, j.Signers[0].Name = evidence, "Ola Nordmann"
	j.Documents[0].Signed = job.Revision{SHA256: r2, Size: 2}
	if err := s.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	ev, _ = j.Cancel("cert:42", t0)
	j.Signers[len(j.Signers)-1].RejectionReason = "Feil lønn" // what a rejecting signer wrote is theirs too
	if err := s.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	upload := j.Documents[0].SHA256
	if got, err := s.JobBlobs(ctx, orgA, j.ID); err != nil || !reflect.DeepEqual(got, []string{r1, r2, evidence, upload}) {
		t.Fatalf("JobBlobs = %v, %v", got, err)
	}
	for key, want := range map[string]bool{upload: true, r1: false, evidence: false} {
		if got, err := s.BlobReferenced(ctx, key, orgA, j.ID); err != nil || got != want {
			t.Fatalf("BlobReferenced(%s…) = %v, %v; want %v", key[:4], got, err, want)
		}
	}
	if due, _ := s.DueDeletions(ctx, j.DeleteAfter().Add(-time.Second), 10); len(due) != 0 {
		t.Fatalf("due before time: %v", due)
	}
	due, err := s.DueDeletions(ctx, j.DeleteAfter(), 10)
	if err != nil || len(due) != 1 || due[0] != (store.JobRef{Org: orgA, JobID: j.ID}) {
		t.Fatalf("DueDeletions = %v, %v", due, err)
	}
	at := j.DeleteAfter()
	for range 2 { // the second is a retry after a crash: nothing more happens
		if err := s.DeleteJob(ctx, store.By{Actor: "system", At: at}, orgA, j.ID, "retention"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Job(ctx, orgA, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.DeletedAt.Equal(at) || len(got.Documents) != 0 || got.AuditKey != nil || got.Status != job.StatusCancelled {
		t.Fatalf("tombstone: deleted %v, %d documents, key %x, status %s", got.DeletedAt, len(got.Documents), got.AuditKey, got.Status)
	}
	for _, sg := range got.Signers {
		if sg.PID != "" || sg.Email != "" || sg.Name != "" || sg.Evidence != "" || sg.EvidenceSHA256 != "" || sg.EvidenceSize != 0 || sg.RejectionReason != "" {
			t.Fatalf("signer keeps personal data: %+v", sg)
		}
	}
	if keys, _ := s.JobBlobs(ctx, orgA, j.ID); len(keys) != 0 {
		t.Fatalf("deleted job still refers to %v", keys)
	}
	// What it referred to is recorded for the blob store's deletion,
	// until that is done.
	if keys, err := s.DeletedBlobs(ctx, orgA, j.ID); err != nil || !reflect.DeepEqual(keys, []string{r1, r2, evidence, upload}) {
		t.Fatalf("DeletedBlobs = %v, %v", keys, err)
	}
	if keys, _ := s.DeletedBlobs(ctx, orgB, other.ID); len(keys) != 0 {
		t.Fatalf("a job not deleted has deleted blobs: %v", keys)
	}
	if refs, err := s.DeletedBlobJobs(ctx, 10); err != nil || !reflect.DeepEqual(refs, []store.JobRef{{Org: orgA, JobID: j.ID}}) {
		t.Fatalf("DeletedBlobJobs = %v, %v", refs, err)
	}
	if err := s.ForgetDeletedBlobs(ctx, orgA, j.ID, []string{r1, upload}); err != nil {
		t.Fatal(err)
	}
	if keys, err := s.DeletedBlobs(ctx, orgA, j.ID); err != nil || !reflect.DeepEqual(keys, []string{r2, evidence}) {
		t.Fatalf("DeletedBlobs after forgetting two = %v, %v", keys, err)
	}
	for range 2 {
		if err := s.ForgetDeletedBlobs(ctx, orgA, j.ID, []string{r2, evidence}); err != nil {
			t.Fatal(err)
		}
	}
	if keys, err := s.DeletedBlobs(ctx, orgA, j.ID); err != nil || len(keys) != 0 {
		t.Fatalf("DeletedBlobs after ForgetDeletedBlobs = %v, %v", keys, err)
	}
	if refs, err := s.DeletedBlobJobs(ctx, 10); err != nil || len(refs) != 0 {
		t.Fatalf("DeletedBlobJobs when all are forgotten = %v, %v", refs, err)
	}
	if ok, _ := s.BlobReferenced(ctx, upload, orgB, other.ID); ok {
		t.Fatal("the deleted job still counts as a reference")
	}
	if due, _ := s.DueDeletions(ctx, at, 10); len(due) != 0 {
		t.Fatalf("deleted job still due: %v", due)
	}
	var v audit.Verifier
	deletions := 0
	err = s.AuditRecords(ctx, 0, func(r audit.Record) error {
		if bytes.Contains([]byte(r.Actor), []byte(pid)) && r.JobID == j.ID {
			t.Errorf("audit record %d names the signer in clear: %s", r.Seq, r.Actor)
		}
		if r.Action == "job.deleted" {
			deletions++
			if !bytes.Contains(r.Details, []byte(r2)) || !bytes.Contains(r.Details, []byte(upload)) {
				t.Errorf("deletion record lacks the document hashes: %s", r.Details)
			}
		}
		return v.Next(r)
	})
	if err != nil || deletions != 1 {
		t.Fatalf("audit: %v, %d deletion records", err, deletions)
	}
}

// A portal sender deletes a job: the deletion's audit record names them
// by their pseudonym under the job's key, as every other record of a
// person on the job, though the deletion destroys the key.
func testDeleteJobBySender(t *testing.T, s store.Store) {
	ctx := context.Background()
	const sender = "pid:02859824113"
	j, ev := newJob(orgA)
	j.AuditKey = bytes.Repeat([]byte{7}, 32)
	if err := s.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteJob(ctx, store.By{Actor: sender, At: t0}, orgA, j.ID, "sender"); err != nil {
		t.Fatal(err)
	}
	var last audit.Record
	if err := s.AuditRecords(ctx, 0, func(r audit.Record) error { last = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := audit.Pseudonym(j.AuditKey, sender); last.Action != "job.deleted" || last.Actor != want {
		t.Fatalf("deletion record: %s by %s, want by %s", last.Action, last.Actor, want)
	}
}

// testDeletionNotice announces a coming deletion exactly once.
func testDeletionNotice(t *testing.T, s store.Store) {
	ctx := context.Background()
	j := mustCreate(t, s, orgA)
	ev, _ := j.Cancel("cert:42", t0)
	if err := s.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	if refs, _ := s.DeletionsToNotice(ctx, j.DeleteAfter().Add(-time.Second), 10); len(refs) != 0 {
		t.Fatalf("announced too early: %v", refs)
	}
	refs, err := s.DeletionsToNotice(ctx, j.DeleteAfter(), 10)
	if err != nil || len(refs) != 1 {
		t.Fatalf("DeletionsToNotice = %v, %v", refs, err)
	}
	for range 2 {
		if err := s.NoticeDeletion(ctx, orgA, j.ID, t0); err != nil {
			t.Fatal(err)
		}
	}
	if refs, _ := s.DeletionsToNotice(ctx, j.DeleteAfter(), 10); len(refs) != 0 {
		t.Fatalf("still to announce: %v", refs)
	}
	changes, _ := s.Changes(ctx, orgA, 0, 100)
	n := 0
	for _, c := range changes {
		if c.Type == "job.deletion-due" && c.JobID == j.ID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d job.deletion-due events, want 1", n)
	}
}

// testRevisionParts keeps a revision stored in parts (the prepared file
// made of ranges of the upload and of one blob, then each act's appended
// update) and reads it back as it was; every blob of it is the job's, the
// whole file's SHA-256 is not a blob the job refers to, and a blob two
// jobs' revisions share stays referenced until the second goes.
func testRevisionParts(t *testing.T, s store.Store) {
	ctx := context.Background()
	const prepared, act1, act2, whole = "4444444444444444444444444444444444444444444444444444444444444444",
		"5555555555555555555555555555555555555555555555555555555555555555",
		"6666666666666666666666666666666666666666666666666666666666666666",
		"7777777777777777777777777777777777777777777777777777777777777777"
	a, b := mustCreate(t, s, orgA), mustCreate(t, s, orgB)
	upload := a.Documents[0].SHA256
	first := job.Revision{SHA256: "8888888888888888888888888888888888888888888888888888888888888888", Size: 1300,
		Parts: []blob.Span{{Key: prepared, Size: 100}, {Key: upload, Offset: 34, Size: 1000}, {Key: prepared, Offset: 100, Size: 200}}}
	a.Documents[0].Signed = first.Append(whole, 1400, blob.Whole(blob.Ref{Key: act1, Size: 100}))
	if err := s.SaveJob(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, orgA, a.ID)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("read back: %v\n got %+v\nwant %+v", err, got.Documents, a.Documents)
	}
	a.Documents[0].Signed = a.Documents[0].Signed.Append(whole[:63]+"8", 1450, blob.Whole(blob.Ref{Key: act2, Size: 50}))
	if err := s.SaveJob(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{prepared, act1, act2, upload}
	if keys, err := s.JobBlobs(ctx, orgA, a.ID); err != nil || !reflect.DeepEqual(keys, want) {
		t.Fatalf("JobBlobs = %v, %v; want %v", keys, err, want)
	}
	b.Documents[0].Signed = job.Revision{SHA256: act1, Size: 100} // the same bytes stored whole
	if err := s.SaveJob(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{prepared: false, act1: true, act2: false, whole: false} {
		if got, err := s.BlobReferenced(ctx, key, orgA, a.ID); err != nil || got != want {
			t.Fatalf("BlobReferenced(%s…) = %v, %v; want %v", key[:4], got, err, want)
		}
	}
	if err := s.DeleteJob(ctx, store.By{Actor: "system", At: t0}, orgB, b.ID, "request"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.BlobReferenced(ctx, act1, orgA, a.ID); err != nil || got {
		t.Fatalf("after the other job's deletion, BlobReferenced = %v, %v", got, err)
	}
	if got, err := s.BlobReferenced(ctx, act1, orgB, b.ID); err != nil || !got {
		t.Fatalf("the job's own part: BlobReferenced = %v, %v", got, err)
	}
}

// A job with a combined document keeps each document's role, the
// combined document's revisions beside the unsigned originals, and
// refers to every one of them (JobBlobs), so retention deletes the
// combined document with the originals.
func testCombinedDocument(t *testing.T, s store.Store) {
	ctx := context.Background()
	const a, b, ab, signed = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		"abababababababababababababababababababababababababababababababab",
		"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	r := &job.Request{Title: "To avtaler", Flow: job.Direct, SignatureType: job.Authenticated, Combine: true,
		Signers: []job.SignerRequest{{PID: "21909825250", Order: 1}}}
	docs := []job.Document{
		{ID: newID(), Title: "A", FileName: "a.pdf", MediaType: "application/pdf", Size: 10, SHA256: a, Pages: 1},
		{ID: newID(), Title: "B", FileName: "b.pdf", MediaType: "application/pdf", Size: 20, SHA256: b, Pages: 2},
		{ID: newID(), Title: "To avtaler", FileName: "to-avtaler.pdf", MediaType: "application/pdf", Size: 40, SHA256: ab, Pages: 4,
			Role: job.Combined},
	}
	j, ev := job.New(r, orgA, "cert:42", docs, newID, t0, job.DefaultLimits)
	if err := s.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	j.Combined().Signed = job.Revision{SHA256: signed, Size: 50}
	if err := s.SaveJob(ctx, j, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, orgA, j.ID)
	if err != nil || !reflect.DeepEqual(got.Documents, j.Documents) {
		t.Fatalf("read back: %v\n got %+v\nwant %+v", err, got.Documents, j.Documents)
	}
	roles := []job.DocumentRole{got.Documents[0].Role, got.Documents[1].Role, got.Documents[2].Role}
	if !reflect.DeepEqual(roles, []job.DocumentRole{job.Original, job.Original, job.Combined}) {
		t.Fatalf("roles = %v", roles)
	}
	keys, err := s.JobBlobs(ctx, orgA, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{a, b, ab, signed} {
		if !slices.Contains(keys, want) {
			t.Fatalf("JobBlobs = %v, missing %s…", keys, want[:4])
		}
	}
}

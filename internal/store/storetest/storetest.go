// Package storetest is the conformance suite every store implementation must
// pass (the way perkeep tests its blob servers): one Run, many back ends.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// Run runs the whole suite. newStore must return an empty store each call.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"orgs", testOrgs},
		{"org-logos", testOrgLogos},
		{"job-roundtrip", testJobRoundtrip},
		{"job-position-order", testPositionOrder},
		{"tenant-isolation", testTenantIsolation},
		{"list-paging", testListPaging},
		{"job-table", testJobTable},
		{"job-table-bound", testJobTableBound},
		{"save-compare-and-swap", testSaveCAS},
		{"concurrent-save-one-wins", testConcurrentSave},
		{"idempotency", testIdempotency},
		{"feed-and-ack", testFeed},
		{"polled-changes", testPolledChanges},
		{"audit-chain", testAuditChain},
		{"audit-anchors", testAuditAnchors},
		{"audit-keeps-no-written-text", testAuditKeepsNoWrittenText},
		{"renewals", testRenewals},
		{"signing-artifacts", testSigningArtifacts},
		{"users", testUsers},
		{"onboard", testOnboard},
		{"outbox", testOutbox},
		{"delete-cursor", testDeleteCursor},
		{"delete-user-forgets-them", testDeleteUserForgetsThem},
		{"notices", testNotices},
		{"codes", testCodes},
		{"codes-concurrent-guesses", testCodeGuessRace},
		{"codes-concurrent-codes", testCodeSendRace},
		{"usage", testUsage},
		{"retention", testRetention},
		{"delete-job", testDeleteJob},
		{"delete-job/by-sender", testDeleteJobBySender},
		{"revision-parts", testRevisionParts},
		{"combined-document", testCombinedDocument},
		{"deletion-notice", testDeletionNotice},
		{"poll-times", testPollTimes},
		{"poll-leases", testPollLeases},
		{"poll-leases-concurrent", testPollLeaseRace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const orgA, orgB = "317510748", "319386416"

// by is who makes the suite's changes to organisations and users.
var by = store.By{Actor: "admin:07839635529", At: t0}

var seq int

func newID() string {
	seq++
	return fmt.Sprintf("0193%012d", seq) // sorts by creation, like the real ids
}

// newJob builds a job the way the ceremony does.
func newJob(org string) (*job.Job, []job.Event) {
	r := &job.Request{Title: "Arbeidsavtale", Flow: job.Portal, SignatureType: job.Authenticated,
		Reference: "case-17", Documents: []job.DocumentRequest{{Title: "Kontrakt", File: "doc1"}},
		Signers: []job.SignerRequest{{PID: "21909825250", Order: 1}, {Email: "kari@example.test", Order: 2}}}
	docs := []job.Document{{ID: newID(), Title: "Kontrakt", FileName: "k.pdf", MediaType: "application/pdf",
		Size: 1234, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Pages: 2}}
	return job.New(r, org, "cert:42", docs, newID, t0, job.DefaultLimits)
}

func mustCreate(t *testing.T, s store.Store, org string) *job.Job {
	t.Helper()
	j, ev := newJob(org)
	if err := s.CreateJob(context.Background(), j, ev, nil); err != nil {
		t.Fatalf("create job: %v", err)
	}
	return j
}

// An organisation's logo is set, replaced and removed, each with its
// audit record, and is its own organisation's only.
func testOrgLogos(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, number := range []string{orgA, orgB} {
		if err := s.PutOrg(ctx, by, store.Org{Number: number, Name: "Org " + number, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.OrgLogo(ctx, orgA); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("logo before any: %v", err)
	}
	png := store.Logo{MediaType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n..."), SHA256: "aa", UpdatedAt: t0}
	if err := s.PutOrgLogo(ctx, by, orgA, &png); err != nil {
		t.Fatal(err)
	}
	got, err := s.OrgLogo(ctx, orgA)
	if err != nil || got.MediaType != png.MediaType || !bytes.Equal(got.Data, png.Data) || got.SHA256 != "aa" || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("logo = %+v, %v", got, err)
	}
	if _, err := s.OrgLogo(ctx, orgB); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("another organisation's logo: %v", err)
	}
	// The organisation names its logo (what a page links to) without its
	// bytes, in Org and in ListOrgs.
	logoOf := func(number string) store.LogoRef {
		t.Helper()
		o, err := s.Org(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		orgs, err := s.ListOrgs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range orgs {
			if l.Number == number && l.Logo != o.Logo {
				t.Fatalf("ListOrgs names logo %+v, Org %+v", l.Logo, o.Logo)
			}
		}
		return o.Logo
	}
	if got := logoOf(orgA); got != png.Ref() {
		t.Fatalf("organisation's logo = %+v, want %+v", got, png.Ref())
	}
	if got := logoOf(orgB); got != (store.LogoRef{}) {
		t.Fatalf("another organisation names logo %+v", got)
	}
	jpeg := store.Logo{MediaType: "image/jpeg", Data: []byte{0xff, 0xd8, 0xff}, SHA256: "bb", UpdatedAt: t0.Add(time.Hour)}
	if err := s.PutOrgLogo(ctx, by, orgA, &jpeg); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OrgLogo(ctx, orgA); err != nil || got.MediaType != "image/jpeg" || got.SHA256 != "bb" {
		t.Fatalf("replaced logo = %+v, %v", got, err)
	}
	if err := s.PutOrgLogo(ctx, by, orgA, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrgLogo(ctx, orgA); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("logo after removal: %v", err)
	}
	if got := logoOf(orgA); got != (store.LogoRef{}) {
		t.Fatalf("organisation names logo %+v after removal", got)
	}
	var actions []string
	err = s.AuditRecords(ctx, 0, func(r audit.Record) error {
		if strings.HasPrefix(r.Action, "org.logo.") && r.Org == orgA {
			actions = append(actions, r.Action)
		}
		return nil
	})
	if err != nil || strings.Join(actions, " ") != "org.logo.saved org.logo.saved org.logo.removed" {
		t.Fatalf("audit records %v, %v", actions, err)
	}
}

func testOrgs(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := store.Org{Number: orgA, Name: "Lånekassen test", Active: true,
		SignatureTypes: []job.SignatureType{job.Authenticated, job.Advanced}, CreatedAt: t0,
		ContactEmail: "post@lanekassen.example", CertSubject: "CN=Lånekassen,O=Lånekassen", RetentionDays: 35,
		Brokers: []string{orgB, "974760673"}}
	if err := s.PutOrg(ctx, by, o); err != nil {
		t.Fatal(err)
	}
	got, err := s.Org(ctx, orgA)
	if err != nil || !reflect.DeepEqual(got, o) {
		t.Fatalf("Org = %+v, %v; want %+v", got, err, o)
	}
	o.Active, o.Brokers = false, nil
	if err := s.PutOrg(ctx, by, o); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Org(ctx, orgA); got.Active || got.Brokers != nil || got.AllowsBroker(orgB) {
		t.Fatalf("update did not deactivate and revoke the brokers: %+v", got)
	}
	if _, err := s.Org(ctx, orgB); !errs.Is(err, errs.NotFound) {
		t.Fatalf("unknown org: %v, want not found", err)
	}
	list, err := s.ListOrgs(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListOrgs = %v, %v", list, err)
	}
}

func testJobRoundtrip(t *testing.T, s store.Store) {
	j := mustCreate(t, s, orgA)
	got, err := s.Job(context.Background(), orgA, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		t.Fatalf("roundtrip differs:\n got %+v\nwant %+v", got, j)
	}
	// A polled job keeps its queue; "" is the default queue, not "none".
	for _, queue := range []string{"", "avdeling-øst"} {
		p, ev := newJob(orgA)
		p.Polling = &job.Polling{Queue: queue}
		p.Signers[1].Ref = "kunde 1337"
		if err := s.CreateJob(context.Background(), p, ev, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Job(context.Background(), orgA, p.ID)
		if err != nil || got.Polling == nil || *got.Polling != *p.Polling || got.Signers[1].Ref != "kunde 1337" {
			t.Fatalf("polling %q: got %+v, %v", queue, got.Polling, err)
		}
	}
}

// A job's documents and signers are read in their positions' order, also
// when their ids sort the other way.
func testPositionOrder(t *testing.T, s store.Store) {
	j, ev := newJob(orgA)
	j.Documents = append(j.Documents, j.Documents[0])
	j.Documents[1].Title = "Vedlegg"
	j.Signers = append(j.Signers, j.Signers[1])
	j.Signers[2].Email, j.Signers[2].Order = "ola@example.test", 3
	for i := range j.Documents {
		j.Documents[i].ID = fmt.Sprintf("0193%012d", 999_000-i)
	}
	for i := range j.Signers {
		j.Signers[i].ID = fmt.Sprintf("0193%012d", 998_000-i)
	}
	if err := s.CreateJob(context.Background(), j, ev, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(context.Background(), orgA, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		t.Fatalf("Job differs:\n got %+v\nwant %+v", got, j)
	}
	got, err = s.SignerJob(context.Background(), j.Signers[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		t.Fatalf("SignerJob differs:\n got %+v\nwant %+v", got, j)
	}
}

func testTenantIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	j := mustCreate(t, s, orgA)
	if _, err := s.Job(ctx, orgB, j.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("other org reads job: %v", err)
	}
	list, _, err := s.ListJobs(ctx, orgB, store.JobQuery{})
	if err != nil || len(list) != 0 {
		t.Fatalf("other org lists %d jobs, %v", len(list), err)
	}
	other := *j
	other.Org = orgB
	other.Status = job.StatusCancelled
	if err := s.SaveJob(ctx, &other, nil); !errs.Is(err, errs.Conflict) {
		t.Fatalf("other org saves job: %v", err)
	}
	if changes, _ := s.Changes(ctx, orgB, 0, 100); len(changes) != 0 {
		t.Fatalf("other org sees %d changes", len(changes))
	}
	mine, _ := s.Changes(ctx, orgA, 0, 100)
	seqs := []int64{}
	for _, c := range mine {
		seqs = append(seqs, c.Seq)
	}
	if n, _ := s.Ack(ctx, orgB, seqs); n != 0 {
		t.Fatalf("other org acknowledged %d changes", n)
	}
}

func testListPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ids []string
	for range 7 {
		ids = append(ids, mustCreate(t, s, orgA).ID)
	}
	mustCreate(t, s, orgB)
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		list, next, err := s.ListJobs(ctx, orgA, store.JobQuery{Cursor: cursor, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range list {
			got = append(got, j.ID)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		cursor = next
	}
	if len(got) != 7 {
		t.Fatalf("listed %d jobs, want 7", len(got))
	}
	for i := range got {
		if got[i] != ids[len(ids)-1-i] {
			t.Fatalf("order: got %v, want newest first of %v", got, ids)
		}
	}
	j, _ := s.Job(ctx, orgA, ids[0])
	ev, _ := j.Cancel("cert:42", t0)
	if err := s.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	list, _, _ := s.ListJobs(ctx, orgA, store.JobQuery{Status: job.StatusCancelled})
	if len(list) != 1 || list[0].ID != ids[0] {
		t.Fatalf("status filter: %v", list)
	}
}

func testSaveCAS(t *testing.T, s store.Store) {
	ctx := context.Background()
	j := mustCreate(t, s, orgA)
	stale, _ := s.Job(ctx, orgA, j.ID)
	ev, err := j.Cancel("cert:42", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Job(ctx, orgA, j.ID)
	if got.Status != job.StatusCancelled || got.Signers[1].Status != job.SignerCancelled || got.Version != 1 {
		t.Fatalf("after save: %s %s v%d", got.Status, got.Signers[1].Status, got.Version)
	}
	ev, _ = stale.Expire(t0.Add(365 * 24 * time.Hour))
	if err := s.SaveJob(ctx, stale, ev); !errs.Is(err, errs.Conflict) {
		t.Fatalf("stale save: %v, want conflict", err)
	}
	if got, _ := s.Job(ctx, orgA, j.ID); got.Status != job.StatusCancelled {
		t.Fatalf("stale save overwrote: %s", got.Status)
	}
}

func testConcurrentSave(t *testing.T, s store.Store) {
	ctx := context.Background()
	j := mustCreate(t, s, orgA)
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine, err := s.Job(ctx, orgA, j.ID)
			if err != nil {
				results <- err
				return
			}
			if mine.Version != 0 {
				results <- errs.E(errs.Conflict, "late", "read after another save")
				return
			}
			ev, err := mine.Cancel("cert:42", t0)
			if err != nil {
				results <- err
				return
			}
			results <- s.SaveJob(ctx, mine, ev)
		}()
	}
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case !errs.Is(err, errs.Conflict):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d saves won, want exactly 1", wins)
	}
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	j, ev := newJob(orgA)
	key := &store.Idempotency{Key: "k1", RequestHash: "h1"}
	if err := s.CreateJob(ctx, j, ev, key); err != nil {
		t.Fatal(err)
	}
	got, err := s.Idempotency(ctx, orgA, "k1")
	if err != nil || got.JobID != j.ID || got.RequestHash != "h1" {
		t.Fatalf("Idempotency = %+v, %v", got, err)
	}
	j2, ev2 := newJob(orgA)
	err = s.CreateJob(ctx, j2, ev2, key)
	if !errs.HasCode(err, store.CodeIdempotencyKeyUsed) {
		t.Fatalf("reused key: %v", err)
	}
	if _, err := s.Job(ctx, orgA, j2.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("job of a refused request was stored: %v", err)
	}
	if _, err := s.Idempotency(ctx, orgB, "k1"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("key visible to other org: %v", err)
	}
	j3, ev3 := newJob(orgB)
	if err := s.CreateJob(ctx, j3, ev3, key); err != nil {
		t.Fatalf("same key in another org: %v", err)
	}
}

func testFeed(t *testing.T, s store.Store) {
	ctx := context.Background()
	j := mustCreate(t, s, orgA)
	changes, err := s.Changes(ctx, orgA, 0, 100)
	if err != nil || len(changes) != 2 || changes[0].Type != "job.created" || changes[1].JobStatus != job.StatusActive {
		t.Fatalf("changes = %+v, %v", changes, err)
	}
	if page, _ := s.Changes(ctx, orgA, changes[0].Seq, 100); len(page) != 1 || page[0].Seq != changes[1].Seq {
		t.Fatalf("after cursor: %+v", page)
	}
	if n, err := s.Ack(ctx, orgA, []int64{changes[0].Seq}); err != nil || n != 1 {
		t.Fatalf("ack = %d, %v", n, err)
	}
	if n, _ := s.Ack(ctx, orgA, []int64{changes[0].Seq}); n != 0 {
		t.Fatalf("second ack counted %d", n)
	}
	left, _ := s.Changes(ctx, orgA, 0, 100)
	if len(left) != 1 || left[0].Seq != changes[1].Seq {
		t.Fatalf("unacknowledged: %+v", left)
	}
	ev, _ := j.Cancel("cert:42", t0)
	if err := s.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	left, _ = s.Changes(ctx, orgA, 0, 100)
	if len(left) != 4 || left[3].Type != "signer.cancelled" || left[3].SignerID == "" {
		t.Fatalf("after cancel: %+v", left)
	}
}

// PolledChanges leaves out the changes of jobs no poll follows, of
// another flow or queue, and of other organisations; acknowledged ones go
// as from Changes.
func testPolledChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, orgA) // followed by the feed, not by polling
	const queue = `kø "saker" <&>`
	polled := func(org, queue string) *job.Job {
		t.Helper()
		j, ev := newJob(org) // a portal job
		j.Polling = &job.Polling{Queue: queue}
		if err := s.CreateJob(ctx, j, ev, nil); err != nil {
			t.Fatal(err)
		}
		return j
	}
	mine, other := polled(orgA, queue), polled(orgA, "")
	polled(orgB, queue)
	got, err := s.PolledChanges(ctx, orgA, job.Portal, queue, 0, 100)
	if err != nil || len(got) != 2 || got[0].JobID != mine.ID || got[1].JobID != mine.ID {
		t.Fatalf("polled changes = %+v, %v", got, err)
	}
	if def, _ := s.PolledChanges(ctx, orgA, job.Portal, "", 0, 100); len(def) != 2 || def[0].JobID != other.ID {
		t.Fatalf("the default queue's = %+v", def)
	}
	if direct, _ := s.PolledChanges(ctx, orgA, job.Direct, queue, 0, 100); len(direct) != 0 {
		t.Fatalf("the direct flow's = %+v", direct)
	}
	if all, _ := s.Changes(ctx, orgA, 0, 100); len(all) != 6 {
		t.Fatalf("changes = %+v, want every job's", all)
	}
	if page, _ := s.PolledChanges(ctx, orgA, job.Portal, queue, got[0].Seq, 100); len(page) != 1 || page[0].Seq != got[1].Seq {
		t.Fatalf("after cursor: %+v", page)
	}
	if _, err := s.Ack(ctx, orgA, []int64{got[0].Seq}); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.PolledChanges(ctx, orgA, job.Portal, queue, 0, 100); len(left) != 1 || left[0].Seq != got[1].Seq {
		t.Fatalf("after ack: %+v", left)
	}
}

func testAuditChain(t *testing.T, s store.Store) {
	ctx := context.Background()
	for range 3 {
		j := mustCreate(t, s, orgA)
		ev, _ := j.Cancel("cert:42", t0)
		if err := s.SaveJob(ctx, j, ev); err != nil {
			t.Fatal(err)
		}
	}
	var v audit.Verifier
	var first audit.Record
	err := s.AuditRecords(ctx, 0, func(r audit.Record) error {
		if r.Seq == 1 {
			first = r
		}
		return v.Next(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.Count != 3*5 { // created, active, cancelled, 2 × signer cancelled
		t.Fatalf("%d audit records, want 15", v.Count)
	}
	if first.Action != "job.created" || first.Actor != "cert:42" || len(first.Details) == 0 {
		t.Fatalf("first record: %+v", first)
	}
}

// testAuditAnchors checks the head the anchorer stamps and that anchors are
// kept first-come per seq, as nodes racing to anchor the same head need.
func testAuditAnchors(t *testing.T, s store.Store) {
	ctx := context.Background()
	if h, err := s.AuditHead(ctx); err != nil || h.Seq != 0 || h.Anchored != 0 {
		t.Fatalf("empty chain: head %+v, %v", h, err)
	}
	mustCreate(t, s, orgA)
	var last audit.Record
	if err := s.AuditRecords(ctx, 0, func(r audit.Record) error { last = r; return nil }); err != nil {
		t.Fatal(err)
	}
	h, err := s.AuditHead(ctx)
	if err != nil || h.Seq != last.Seq || !bytes.Equal(h.Hash, last.Hash) || h.Anchored != 0 {
		t.Fatalf("head %+v, %v; want seq %d hash %x, nothing anchored", h, err, last.Seq, last.Hash)
	}
	first := audit.Anchor{Seq: h.Seq, Head: h.Hash, Token: []byte("token one"), At: t0}
	for _, a := range []audit.Anchor{first, {Seq: h.Seq, Head: h.Hash, Token: []byte("token two"), At: t0.Add(time.Second)}} {
		if err := s.PutAnchor(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if h, err := s.AuditHead(ctx); err != nil || h.Anchored != last.Seq {
		t.Fatalf("after anchoring: head %+v, %v", h, err)
	}
	var got []audit.Anchor
	if err := s.AuditAnchors(ctx, func(a audit.Anchor) error { got = append(got, a); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0].Token) != "token one" || !got[0].At.Equal(t0) || !bytes.Equal(got[0].Head, h.Hash) {
		t.Fatalf("anchors: %+v", got)
	}
}

func testSigningArtifacts(t *testing.T, s store.Store) {
	ctx := context.Background()
	j := mustCreate(t, s, orgA)
	// A signer's job is the whole job, as Job reads it, whichever of its
	// signers leads to it.
	for _, sg := range j.Signers {
		got, err := s.SignerJob(ctx, sg.ID)
		if err != nil || !reflect.DeepEqual(got, j) {
			t.Fatalf("SignerJob(%s) = %v\n got %+v\nwant %+v", sg.ID, err, got, j)
		}
	}
	if _, err := s.SignerJob(ctx, "no-such-signer"); !errs.Is(err, errs.NotFound) || !errs.HasCode(err, job.CodeSignerNotFound) {
		t.Fatalf("unknown signer: %v", err)
	}
	ev, err := j.SignBy(j.Signers[0].ID, "pid:21909825250", t0, map[string]any{"eid": "BankID"})
	if err != nil {
		t.Fatal(err)
	}
	j.Signers[1].Notice = "email"
	// The evidence inside the blob of the act's update: where, and its own SHA-256.
	j.Signers[0].Name, j.Signers[0].Evidence = "Ola Nordmann", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	j.Signers[0].EvidenceAt, j.Signers[0].EvidenceSize = 71234, 23456
	j.Signers[0].EvidenceSHA256 = "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"
	j.Documents[0].Signed = job.Revision{SHA256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", Size: 4321}
	if err := s.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, orgA, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		t.Fatalf("after signing:\n got %+v\nwant %+v", got, j)
	}
	if bySigner, err := s.SignerJob(ctx, j.Signers[1].ID); err != nil || !reflect.DeepEqual(bySigner, j) {
		t.Fatalf("SignerJob after signing: %v\n got %+v\nwant %+v", err, bySigner, j)
	}
	// What the next signer writes when rejecting is kept with the job.
	ev, err = got.RejectBy(got.Signers[1].ID, "pid:03896127682", "Feil lønn.\nSe punkt 3.", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveJob(ctx, got, ev); err != nil {
		t.Fatal(err)
	}
	rejected, err := s.Job(ctx, orgA, j.ID)
	if err != nil || rejected.Signers[1].RejectionReason != "Feil lønn.\nSe punkt 3." || !reflect.DeepEqual(rejected, got) {
		t.Fatalf("after rejecting: %v\n got %+v\nwant %+v", err, rejected, got)
	}
}

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// completed stores a job of org, archived or not, signed by everyone and
// completed, with a signed revision of its document.
func completed(t *testing.T, s store.Store, org string, archive bool) *job.Job {
	t.Helper()
	ctx := context.Background()
	j, ev := newJob(org)
	if archive {
		j.Retention = job.Retention{Archive: true, Years: 10}
	}
	if err := s.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	var events []job.Event
	for _, sg := range j.Signers {
		e, err := j.SignBy(sg.ID, "pid:21909825250", t0.Add(time.Minute), nil)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e...)
	}
	j.Documents[0].Signed = job.Revision{SHA256: "4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5", Size: 9}
	e, err := j.Complete(t0.Add(2*time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveJob(ctx, j, append(events, e...)); err != nil {
		t.Fatal(err)
	}
	return j
}

// testRenewals: the signed documents of completed archived jobs are found
// when never scheduled and once their renewal falls due, and not otherwise.
func testRenewals(t *testing.T, s store.Store) {
	ctx := context.Background()
	archived := completed(t, s, orgA, true)
	completed(t, s, orgA, false)
	mustCreate(t, s, orgA) // active, not completed
	due := func(until time.Time) []store.DocRef {
		t.Helper()
		refs, err := s.DueRenewals(ctx, until, 10)
		if err != nil {
			t.Fatal(err)
		}
		return refs
	}
	doc := archived.Documents[0].ID
	if got := due(t0); len(got) != 1 || got[0].JobID != archived.ID || got[0].DocID != doc || got[0].Org != orgA || !got[0].RenewAt.IsZero() {
		t.Fatalf("never scheduled: %+v, want the archived job's document", got)
	}
	next := t0.AddDate(1, 0, 0)
	if err := s.ScheduleRenewal(ctx, orgA, archived.ID, doc, next); err != nil {
		t.Fatal(err)
	}
	if got := due(next.Add(-time.Second)); len(got) != 0 {
		t.Fatalf("before it is due: %+v", got)
	}
	if got := due(next); len(got) != 1 || !got[0].RenewAt.Equal(next) {
		t.Fatalf("when due: %+v", got)
	}
	if err := s.ScheduleRenewal(ctx, orgB, archived.ID, doc, next); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another organisation's document: %v, want NotFound", err)
	}
}

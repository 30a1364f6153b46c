package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/store"
)

// testPollTimes: a queue's next permitted poll is kept per organisation
// and queue; the times that passed are forgotten, and an organisation
// keeps at most the limit of queues, dropping the waits that end first.
func testPollTimes(t *testing.T, s store.Store) {
	ctx := context.Background()
	next := func(org, queue string) time.Time {
		t.Helper()
		at, err := s.NextPoll(ctx, org, queue)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	if at := next(orgA, "portal/"); !at.IsZero() {
		t.Fatalf("a queue never polled waits until %v", at)
	}
	if err := s.SetNextPoll(ctx, orgA, "portal/", t0.Add(10*time.Minute), t0, 3); err != nil {
		t.Fatal(err)
	}
	if at := next(orgA, "portal/"); !at.Equal(t0.Add(10 * time.Minute)) {
		t.Fatalf("next poll %v", at)
	}
	if at := next(orgB, "portal/"); !at.IsZero() {
		t.Fatalf("another organisation's queue waits until %v", at)
	}
	// Set again: replaced, not added.
	if err := s.SetNextPoll(ctx, orgA, "portal/", t0.Add(time.Minute), t0, 3); err != nil {
		t.Fatal(err)
	}
	if at := next(orgA, "portal/"); !at.Equal(t0.Add(time.Minute)) {
		t.Fatalf("next poll after setting again %v", at)
	}
	// Two minutes on, writing another queue forgets the passed time.
	now := t0.Add(2 * time.Minute)
	if err := s.SetNextPoll(ctx, orgA, "direct/", now.Add(10*time.Minute), now, 3); err != nil {
		t.Fatal(err)
	}
	if at := next(orgA, "portal/"); !at.IsZero() {
		t.Fatalf("a passed time is kept: %v", at)
	}
	// Five queues with a limit of three: the two whose waits end first go.
	for i := range 5 {
		q := fmt.Sprintf("portal/q%d", i)
		if err := s.SetNextPoll(ctx, orgA, q, now.Add(time.Duration(20+i)*time.Minute), now, 3); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []bool{false, false, true, true, true} {
		if kept := !next(orgA, fmt.Sprintf("portal/q%d", i)).IsZero(); kept != want {
			t.Errorf("queue q%d kept = %v, want %v", i, kept, want)
		}
	}
	if at := next(orgA, "direct/"); !at.IsZero() {
		t.Errorf("the wait that ends first is kept over the limit: %v", at)
	}
}

// testPollLeases: a delivered job is leased once; another lease waits for
// its end; ending returns what the delivery covered, once; organisations
// do not share leases; an ended lease is kept for a late confirmation.
func testPollLeases(t *testing.T, s store.Store) {
	ctx := context.Background()
	until := t0.Add(10 * time.Minute)
	lease := func(org, job string, through int64, now time.Time) bool {
		t.Helper()
		ok, err := s.LeaseDelivery(ctx, org, job, through, now, now.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	end := func(org, job string) int64 {
		t.Helper()
		n, err := s.EndDelivery(ctx, org, job)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	leased := func(org string, now time.Time) []string {
		t.Helper()
		ids, err := s.Leased(ctx, org, now)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if !lease(orgA, "job1", 42, t0) {
		t.Fatal("a free job was not leased")
	}
	if !lease(orgA, "job0", 41, t0) {
		t.Fatal("a second job was not leased")
	}
	if got := leased(orgA, t0.Add(time.Minute)); !slices.Equal(got, []string{"job0", "job1"}) {
		t.Fatalf("Leased = %v", got)
	}
	if got := leased(orgA, until); len(got) != 0 {
		t.Fatalf("Leased at the end of the leases = %v", got)
	}
	if got := leased(orgB, t0); len(got) != 0 {
		t.Fatalf("another organisation's Leased = %v", got)
	}
	if lease(orgA, "job1", 43, t0.Add(time.Minute)) {
		t.Fatal("a leased job was leased again")
	}
	if !lease(orgB, "job1", 7, t0.Add(time.Minute)) {
		t.Fatal("another organisation's lease holds a job of the same id")
	}
	if got := end(orgA, "job1"); got != 42 {
		t.Fatalf("EndDelivery = %d, want 42", got)
	}
	if got := end(orgA, "job1"); got != 0 {
		t.Fatalf("second EndDelivery = %d, want 0", got)
	}
	if !lease(orgA, "job1", 44, t0.Add(2*time.Minute)) {
		t.Fatal("an ended job could not be leased again")
	}
	// At its end the lease may be taken again, with the new number.
	if !lease(orgA, "job1", 45, until.Add(2*time.Minute)) {
		t.Fatal("a lease outlived its time")
	}
	// An ended lease still answers a late confirmation, until LeaseMemory
	// after its end, when another lease of the organisation forgets it.
	if !lease(orgA, "job2", 50, t0) {
		t.Fatal("job2 not leased")
	}
	lease(orgA, "job3", 60, until.Add(time.Hour))
	if got := end(orgA, "job2"); got != 50 {
		t.Fatalf("a late confirmation finds %d, want 50", got)
	}
	lease(orgA, "job2", 51, t0)
	lease(orgA, "job3", 61, until.Add(store.LeaseMemory+time.Minute))
	if got := end(orgA, "job2"); got != 0 {
		t.Fatalf("a lease ended over a day ago is kept: %d", got)
	}
	if got := end(orgB, "job1"); got != 7 {
		t.Fatalf("orgB's lease = %d, want 7", got)
	}
}

// testPollLeaseRace: of many concurrent polls leasing one job (nodes
// behind a balancer), exactly one gets it.
func testPollLeaseRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	var won atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.LeaseDelivery(ctx, orgA, "job1", int64(i+1), t0, t0.Add(10*time.Minute))
			if err != nil {
				t.Errorf("lease: %v", err)
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d of %d concurrent polls leased the job, want 1", won.Load(), n)
	}
}

package queuetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/queue"
)

// testRevive: a revived dead job is pending again in its own row, due
// when asked, with its attempts counted afresh and its last error kept;
// it stays dead while a job of its kind and key is pending, and DeadOf
// lists the dead jobs of one kind only.
func testRevive(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	die := func(key, msg string) queue.Job {
		t.Helper()
		enqueue(t, q, "callback", key, "p-"+key, t0)
		j := claimOne(t, q, "w1", t0)
		if err := q.Fail(ctx, j.ID, "w1", msg); err != nil {
			t.Fatal(err)
		}
		return j
	}
	a := die("a", "first")
	enqueue(t, q, "mailbox", "a", "other kind", t0)
	if js := claim(t, q, "w1", t0, 10, "mailbox"); len(js) != 1 {
		t.Fatalf("claimed %+v", js)
	} else if err := q.Fail(ctx, js[0].ID, "w1", "other"); err != nil {
		t.Fatal(err)
	}
	b := die("b", "second")
	dead, err := q.DeadOf(ctx, "callback")
	if err != nil || len(dead) != 2 || dead[0].ID != b.ID || dead[1].ID != a.ID {
		t.Fatalf("dead of callback = %+v, %v", dead, err)
	}

	later := t0.Add(time.Hour)
	if ok, err := q.Revive(ctx, a.ID, later); err != nil || !ok {
		t.Fatalf("revive: %v, %v", ok, err)
	}
	if ok, err := q.Revive(ctx, a.ID, later); err != nil || ok {
		t.Fatalf("revive a pending job: %v, %v", ok, err)
	}
	claimNone(t, q, "w1", later.Add(-time.Second))
	j := claimOne(t, q, "w1", later)
	if j.ID != a.ID || j.Attempt != 1 || j.Error != "first" || string(j.Payload) != "p-a" {
		t.Fatalf("revived job = %+v", j)
	}
	if err := q.Done(ctx, j.ID, "w1"); err != nil {
		t.Fatal(err)
	}

	enqueue(t, q, "callback", "b", "new", later)
	if ok, err := q.Revive(ctx, b.ID, later); err != nil || ok {
		t.Fatalf("revive beside a pending job of its key: %v, %v", ok, err)
	}
	if dead, _ := q.DeadOf(ctx, "callback"); len(dead) != 1 || dead[0].ID != b.ID {
		t.Fatalf("dead of callback = %+v", dead)
	}
}

// testRunnerMarksOutage: a job that gives up through an outage
// (errs.Unavailable) says so in its last error (queue.DiedOfOutage); one
// that failed otherwise, or was refused as Permanent, does not.
func testRunnerMarksOutage(t *testing.T, q queue.Queue) {
	fails := map[string]error{
		"tsa":       errs.E(errs.Unavailable, "tsa-unavailable", "the TSA does not answer"),
		"bug":       errors.New("index out of range"),
		"invalid":   errs.E(errs.Invalid, "bad-input", "bad"),
		"permanent": queue.Permanent(errs.E(errs.Unavailable, "tsa-unavailable", "never again")),
	}
	r := newRunner(q, clock.NewFake(t0), 1)
	r.Handle("callback", func(ctx context.Context, j queue.Job) error { return fails[j.Key] })
	for key := range fails {
		enqueue(t, q, "callback", key, "", t0)
	}
	for range fails {
		runOnce(t, r, 1)
	}
	dead, err := q.DeadOf(context.Background(), "callback")
	if err != nil || len(dead) != len(fails) {
		t.Fatalf("dead letter = %+v, %v", dead, err)
	}
	for _, d := range dead {
		if queue.DiedOfOutage(d) != (d.Key == "tsa") {
			t.Errorf("%s: DiedOfOutage = %v (%q)", d.Key, queue.DiedOfOutage(d), d.Error)
		}
	}
}

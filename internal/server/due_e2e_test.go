package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
)

// TestSweepAtStartUp restarts segl after a scheduled job's activation and
// then after its expiry passed while it was down: the job is active, then
// expired, as soon as segl serves again, although the sweep interval (an
// hour here) has not passed since the start.
func TestSweepAtStartUp(t *testing.T) {
	t.Parallel()
	clk := &movableClock{}
	e := newEnvOnClock(t, clk)
	c := e.client(orgA)
	ctx := context.Background()
	t0 := clk.Now().UTC().Truncate(time.Second)
	activates, expires := t0.Add(24*time.Hour), t0.Add(48*time.Hour)
	req := directRequest()
	req.ActivatesAt, req.ExpiresAt = &activates, &expires
	j := e.mustCreate(c, req)
	if j.Status != "created" {
		t.Fatalf("new scheduled job is %s", j.Status)
	}
	for _, step := range []struct {
		at   time.Time
		want string
	}{
		{activates.Add(time.Minute), "active"},
		{expires.Add(time.Minute), "expired"},
	} {
		e.stop()
		clk.moveTo(step.at)
		e.start()
		got, err := e.client(orgA).Job(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != step.want {
			t.Fatalf("right after a restart past %s the job is %s, want %s", step.at, got.Status, step.want)
		}
	}
}

// TestDeleteJobAPI follows a job through its retention over the API: once
// cancelled it shows when it will be deleted (the organisation's default
// of 40 days after its end); a running job cannot be deleted; the sender
// deletes it early; its documents then answer 410 Gone and the job is a
// tombstone.
func TestDeleteJobAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	ctx := context.Background()
	j := e.mustCreate(c, directRequest())
	_, err := c.DeleteJob(ctx, j.ID)
	problemOf(t, err, http.StatusConflict, "job-not-finished")
	cancelled, err := c.CancelJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.EndedAt == nil || cancelled.DeleteAfter == nil || !cancelled.DeleteAfter.Equal(cancelled.EndedAt.AddDate(0, 0, 40)) {
		t.Fatalf("ended %v, delete after %v; want 40 days after the end", cancelled.EndedAt, cancelled.DeleteAfter)
	}
	deleted, err := c.DeleteJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if deleted.DeletedAt == nil || len(deleted.Documents) != 0 || deleted.Signers[0].PID != "" {
		t.Fatalf("tombstone: %+v", deleted)
	}
	_, err = c.Document(ctx, j.ID, j.Documents[0].ID)
	problemOf(t, err, http.StatusGone, errs.CodeJobDeleted)
	if again, err := c.DeleteJob(ctx, j.ID); err != nil || !again.DeletedAt.Equal(*deleted.DeletedAt) {
		t.Fatalf("deleting again: %v, %v", again, err)
	}
}

package server_test

import (
	"context"
	"testing"
	"time"
)

// TestSweepAtStartUp restarts segl after a scheduled job's activation and
// then after its expiry passed while it was down: the job is active, then
// expired, as soon as segl serves again, although the sweep interval (an
// hour here) has not passed since the start.
func TestSweepAtStartUp(t *testing.T) {
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

package ceremony

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segl/segl/internal/queue"
)

// TestCompletionRequeueBounded: the hourly sweep revives a completion that
// died of an outage, in its own dead row, so however many cycles an outage
// lasts the job has one dead completion row; a completion that failed for
// any other reason (a bug, a document that can never be completed) stays
// dead, once, for an operator, and is not run again.
func TestCompletionRequeueBounded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fail   error
		revive bool
	}{
		{"outage", nil, true}, // no engine: Unavailable
		{"bug", errors.New("index out of range"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newRetentionWorld(t)
			ctx := context.Background()
			signed := newSignedJob(t, w)
			runs := 0
			r := queue.NewRunner(w.q, queue.RunnerOptions{Clock: w.clk, MaxAttempts: 2})
			r.Handle(TaskComplete, func(ctx context.Context, j queue.Job) error {
				runs++
				if tc.fail != nil {
					return tc.fail
				}
				return w.svc.Complete(ctx, w.job.Org, j.Key)
			})
			w.svc.queueCompletion(ctx, signed)
			for cycle := range 3 {
				runs = 0
				for range 3 {
					if _, err := r.RunOnce(ctx); err != nil {
						t.Fatal(err)
					}
					w.clk.Advance(10 * time.Minute) // past the backoff
				}
				if want := 2; (cycle == 0 || tc.revive) && runs != want {
					t.Fatalf("cycle %d: %d attempts, want %d", cycle, runs, want)
				} else if cycle > 0 && !tc.revive && runs != 0 {
					t.Fatalf("cycle %d: a failure that is no outage ran again %d times", cycle, runs)
				}
				dead, err := w.q.DeadOf(ctx, TaskComplete)
				if err != nil || len(dead) != 1 || dead[0].Key != signed.ID || queue.DiedOfOutage(dead[0]) != tc.revive {
					t.Fatalf("cycle %d: dead letter %+v, %v", cycle, dead, err)
				}
				w.clk.Advance(time.Hour)
				n, err := w.svc.RequeueCompletions(ctx)
				if want := map[bool]int{true: 1, false: 0}[tc.revive]; err != nil || n != want {
					t.Fatalf("cycle %d: queued %d, %v; want %d", cycle, n, err, want)
				}
			}
		})
	}
}

package ceremony

import (
	"context"
	"testing"
	"time"

	"github.com/segl/segl/internal/queue"
)

// deadLetterReads counts the reads of the whole dead letter of a kind.
type deadLetterReads struct {
	queue.Queue
	reads int
}

func (d *deadLetterReads) DeadOf(ctx context.Context, kind string) ([]queue.Job, error) {
	d.reads++
	return d.Queue.DeadOf(ctx, kind)
}

// TestCompletionRequeueReadsDeadLetterOnlyWhenStuck: the hourly sweep of
// stuck completions does not read the dead letter, which only grows,
// while no job has been signed for longer than a completion takes; once
// one has, it reads it and queues the job's completion.
func TestCompletionRequeueReadsDeadLetterOnlyWhenStuck(t *testing.T) {
	w := newRetentionWorld(t)
	ctx := context.Background()
	q := &deadLetterReads{Queue: w.q}
	w.svc.Queue = q
	for _, kind := range []string{"callback", "mailbox"} { // failures of other work, kept for operators
		if err := w.q.Enqueue(ctx, kind, "k", nil, w.clk.Now()); err != nil {
			t.Fatal(err)
		}
		claimed, err := w.q.Claim(ctx, "w", []string{kind}, time.Minute, w.clk.Now(), 1)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %v, %v", claimed, err)
		}
		if err := w.q.Fail(ctx, claimed[0].ID, "w", "gave up"); err != nil {
			t.Fatal(err)
		}
	}
	w.clk.Advance(2 * time.Hour) // the world's own job is completed, not stuck
	if n, err := w.svc.RequeueCompletions(ctx); err != nil || n != 0 || q.reads != 0 {
		t.Fatalf("with nothing stuck: queued %d, %v, the dead letter read %d times", n, err, q.reads)
	}
	signed := newSignedJob(t, w)
	w.clk.Advance(completionStuckAfter)
	if n, err := w.svc.RequeueCompletions(ctx); err != nil || n != 1 || q.reads != 1 {
		t.Fatalf("with %s stuck: queued %d, %v, the dead letter read %d times", signed.ID, n, err, q.reads)
	}
}

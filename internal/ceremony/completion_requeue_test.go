package ceremony

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/queue"
)

// TestCompletionRequeuedAfterGivingUp: a completion that gives up (here
// with no signing engine, as through a TSA outage longer than its
// backoff) is in the dead letter for operators to see, and the hourly
// sweep queues it again, so the job completes once the outage is over
// instead of staying signed for ever. A job signed recently, or whose
// completion is still pending, gets no second task.
func TestCompletionRequeuedAfterGivingUp(t *testing.T) {
	w := newRetentionWorld(t)
	ctx := context.Background()
	signed := newSignedJob(t, w)
	var ran []string
	r := queue.NewRunner(w.q, queue.RunnerOptions{Clock: w.clk, MaxAttempts: 2})
	r.Handle(TaskComplete, func(ctx context.Context, j queue.Job) error {
		ran = append(ran, j.Key)
		return w.svc.Complete(ctx, w.job.Org, j.Key) // no engine: Unavailable
	})
	w.svc.queueCompletion(ctx, signed)
	for range 2 {
		if _, err := r.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(10 * time.Minute) // past the backoff
	}
	dead, err := w.q.Dead(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].Kind != TaskComplete || dead[0].Key != signed.ID ||
		!strings.Contains(dead[0].Error, "not configured") {
		t.Fatalf("dead letter: %+v, %v", dead, err)
	}
	if n, err := w.svc.RequeueCompletions(ctx); err != nil || n != 0 {
		t.Fatalf("queued again %d minutes after the act: %d, %v", int(w.clk.Now().Sub(signed.UpdatedAt).Minutes()), n, err)
	}
	w.clk.Advance(time.Hour)
	for range 2 { // a second pass while the first's task is pending adds none
		if n, err := w.svc.RequeueCompletions(ctx); err != nil || n != 1 {
			t.Fatalf("queued again: %d, %v", n, err)
		}
	}
	ran = nil
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || ran[0] != signed.ID {
		t.Fatalf("completions run after the sweep: %v, want one for %s", ran, signed.ID)
	}
}

// newSignedJob stores a second job of w's organisation whose one signer
// has signed: it waits for its completion.
func newSignedJob(t *testing.T, w *retentionWorld) *job.Job {
	t.Helper()
	ctx, now := context.Background(), w.clk.Now()
	r := &job.Request{Title: "Avtale", Flow: job.Portal, SignatureType: job.Authenticated,
		Documents: []job.DocumentRequest{{Title: "Avtale", File: "doc1"}},
		Signers:   []job.SignerRequest{{PID: pid, Email: "kari@example.test"}}}
	n := 0
	ids := func() string { n++; return "signed-" + string(rune('a'+n)) }
	j, ev := job.New(r, retentionOrg, "cert:1", []job.Document{{ID: "signed-d1", Title: "Avtale", FileName: "a.pdf",
		MediaType: "application/pdf", Size: 10, SHA256: w.upload}}, ids, now, job.DefaultLimits)
	j.RetainDays, j.AuditKey = 30, make([]byte, 32)
	if err := w.db.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	j.Documents[0].Signed = job.Revision{SHA256: w.upload, Size: 10}
	ev, err := j.SignBy(j.Signers[0].ID, "pid:"+pid, now, map[string]any{"eid": "BankID"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.db.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	if j.Status != job.StatusSigned {
		t.Fatalf("job %s, want signed", j.Status)
	}
	if got, err := w.db.Job(ctx, retentionOrg, j.ID); err != nil || got.Status != job.StatusSigned {
		t.Fatalf("stored job: %v, %v", got, err)
	}
	return j
}

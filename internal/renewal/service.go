package renewal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/store"
)

// TaskRenew is the queue kind of one document's renewal.
const TaskRenew = "renew-archive"

// EventRenewed is the audit and feed event of a renewal.
const EventRenewed = "document.renewed"

// retryAfter is how long after queueing a renewal the sweep looks at the
// document again if the task has not rescheduled it by then (a task in
// the dead letter): once a day, not at every sweep.
const retryAfter = 24 * time.Hour

// sweepBatch bounds the documents one sweep queues.
const sweepBatch = 500

// Service schedules and runs the renewals of archived documents. Store,
// Blobs, Queue, Sealer and Clock are required.
type Service struct {
	Store  store.Store
	Blobs  blob.Store
	Queue  queue.Queue
	Sealer *pades.Sealer // the TSA and revocation sources of the renewals
	Policy Policy
	Clock  clock.Clock
	Log    *slog.Logger
	// TempDir holds a renewal's file until it is in the blob store.
	TempDir string
}

// Handlers registers the renewal task on r.
func (s *Service) Handlers(r *queue.Runner) { r.Handle(TaskRenew, s.handle) }

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

// SweepDue queues a renewal task for every document whose renewal is due
// or was never scheduled, like ceremony's sweep of due jobs: each task is
// keyed by the document, so a pending one is not queued twice, and the
// document is looked at again only after retryAfter unless the task
// reschedules it first. Several nodes may sweep at once.
func (s *Service) SweepDue(ctx context.Context) (int, error) {
	now := s.now()
	refs, err := s.Store.DueRenewals(ctx, now, sweepBatch)
	if err != nil {
		return 0, fmt.Errorf("renewal: sweep: %w", err)
	}
	for _, ref := range refs {
		payload, _ := json.Marshal(task{Org: ref.Org, JobID: ref.JobID, DocID: ref.DocID})
		key := ref.Org + "/" + ref.JobID + "/" + ref.DocID
		if err := s.Queue.Enqueue(ctx, TaskRenew, key, payload, now); err != nil {
			return 0, fmt.Errorf("renewal: sweep: %w", err)
		}
		if err := s.Store.ScheduleRenewal(ctx, ref.Org, ref.JobID, ref.DocID, now.Add(retryAfter)); err != nil && !errs.Is(err, errs.NotFound) {
			return 0, fmt.Errorf("renewal: sweep: %w", err)
		}
	}
	return len(refs), nil
}

// Sweep runs SweepDue every interval until ctx ends.
func (s *Service) Sweep(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.SweepDue(ctx); err != nil {
			s.log().Error("renewal sweep", "err", err)
		} else if n > 0 {
			s.log().Info("renewals queued", "documents", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// task is the payload of a renewal task.
// org and job are named as the other tasks name them, so /admin/tasks
// shows a failed renewal's job.
type task struct {
	Org   string `json:"org"`
	JobID string `json:"job"`
	DocID string `json:"document"`
}

// handle renews one document if it is due, and records when it is next
// due. It is idempotent: run again after a crash, it finds the renewed
// revision not yet due and only reschedules it. A crash between storing
// the new revision and saving the job leaves an unreferenced blob, which
// the blob sweep removes.
func (s *Service) handle(ctx context.Context, qj queue.Job) error {
	var t task
	if err := json.Unmarshal(qj.Payload, &t); err != nil {
		return queue.Permanent(fmt.Errorf("renewal: payload: %w", err))
	}
	j, err := s.Store.Job(ctx, t.Org, t.JobID)
	if errs.Is(err, errs.NotFound) {
		return nil // deleted since it was queued
	}
	if err != nil {
		return err
	}
	doc, err := j.Document(t.DocID)
	if err != nil || j.Deleted() || !j.Retention.Archive || doc.Signed.SHA256 == "" {
		return nil
	}
	src, err := blob.OpenSpans(ctx, s.Blobs, doc.Signed.Spans())
	if err != nil {
		return fmt.Errorf("renewal: %s/%s: %w", t.JobID, t.DocID, err)
	}
	defer src.Close()
	sched, err := s.Policy.Next(src, src.Size())
	if errs.Is(err, errs.Invalid) {
		// Not B-LTA: nothing to renew, ever; said once, in the dead letter.
		if serr := s.Store.ScheduleRenewal(ctx, t.Org, t.JobID, t.DocID, never); serr != nil {
			return serr
		}
		return queue.Permanent(err)
	}
	if err != nil {
		return err
	}
	now := s.now()
	if !sched.IsDue(now) {
		return s.Store.ScheduleRenewal(ctx, t.Org, t.JobID, t.DocID, sched.Due)
	}
	renewed, err := signing.Append(ctx, s.Blobs, s.TempDir, doc.Signed, func(w io.Writer, src blob.Object) error {
		return s.Sealer.Extend(ctx, w, src, src.Size(), true)
	})
	if err != nil {
		return fmt.Errorf("renewal: %s/%s: %w", t.JobID, t.DocID, err)
	}
	from := doc.Signed
	doc.Signed = renewed
	ev := job.Event{Type: EventRenewed, JobID: j.ID, Actor: "system", At: now, Details: map[string]any{
		"document": doc.ID, "from_sha256": from.SHA256, "sha256": renewed.SHA256, "reason": string(sched.Reason),
		"algorithm": sched.Algorithm, "previous_tsa_expires": sched.Newest.Certificate.NotAfter.UTC().Format(time.RFC3339)}}
	if err := s.Store.SaveJob(ctx, j, []job.Event{ev}); err != nil {
		return err // a lost compare-and-swap is retried on a fresh read
	}
	o, err := blob.OpenSpans(ctx, s.Blobs, renewed.Spans())
	if err != nil {
		return err
	}
	defer o.Close()
	next, err := s.Policy.Next(o, o.Size())
	if err != nil {
		return err
	}
	s.log().Info("document renewed", "org", t.Org, "job", t.JobID, "document", t.DocID, "reason", sched.Reason, "next", next.Due)
	return s.Store.ScheduleRenewal(ctx, t.Org, t.JobID, t.DocID, next.Due)
}

// never is the schedule of a document that cannot be renewed.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

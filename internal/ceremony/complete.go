package ceremony

import (
	"context"
	"encoding/json"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/store"
)

// TaskComplete is the queue kind whose handler completes a signed job
// (Complete); delivery.Service registers it. Its key is the job id, so a
// job waits for completion at most once at a time.
const TaskComplete = "complete-job"

// JobTask names a job for a background task.
type JobTask struct {
	Org string `json:"org"`
	Job string `json:"job"`
}

// queueCompletion queues the completion of a job its last signer has just
// signed, so it starts at once. It is only a head start: the job's
// "job.signed" feed entry queues the same task (delivery.Service.Pump), so
// a crash between saving the act and queueing it loses nothing, and a
// failure here is only logged. For the same reason the signer does not
// wait for the task to reach the disk (queue.Deferred): should a power
// failure take it back, the feed entry queues it again, and the pump
// syncs the queue before its cursor passes the entry.
func (s *Service) queueCompletion(ctx context.Context, j *job.Job) {
	if s.Queue == nil {
		return
	}
	payload, _ := json.Marshal(JobTask{Org: j.Org, Job: j.ID})
	if err := queue.EnqueueDeferred(context.WithoutCancel(ctx), s.Queue, TaskComplete, j.ID, payload, s.now()); err != nil {
		s.log().Warn("queue completion; the feed will", "org", j.Org, "job", j.ID, "err", err)
	}
}

// completionStuckAfter is how long a job may stay signed before the
// hourly sweep queues its completion again (RequeueCompletions): far
// longer than a completion takes, so a running one is never doubled.
const completionStuckAfter = time.Hour

// RequeueCompletions queues again the completion of every job signed more
// than completionStuckAfter ago. The "job.signed" feed entry queues it only
// once, so a completion that gave up (ten attempts through an outage of the
// TSA or the OCSP responder, longer than its backoff, puts it in the dead
// letter, where operators see it) would leave its job signed for ever;
// revived (queue.Revive), it completes once the outage is over. Only a
// completion that died of an outage is revived (queue.DiedOfOutage): one
// that failed otherwise (a document that can never be completed, a bug)
// would fail again every cycle and fire the operators' alert each time,
// so it stays dead, once, for an operator. Reviving the dead task rather
// than queueing a new one keeps one dead row per job however long an
// outage lasts. A job with no task at all gets a new one; a job whose
// task is still pending is left as it is (the task's key is the job id),
// and a completion that runs twice completes the job once (Complete). It
// returns how many signed jobs it queued or revived a completion for.
func (s *Service) RequeueCompletions(ctx context.Context) (int, error) {
	if s.Queue == nil {
		return 0, nil
	}
	orgs, err := s.Store.ListOrgs(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	var stuck []store.JobRef
	for _, o := range orgs {
		q := store.JobQuery{Status: job.StatusSigned, Limit: 100}
		for {
			jobs, next, err := s.Store.ListJobs(ctx, o.Number, q)
			if err != nil {
				return 0, err
			}
			for _, j := range jobs {
				if j.Status == job.StatusSigned && now.Sub(j.UpdatedAt) >= completionStuckAfter {
					stuck = append(stuck, store.JobRef{Org: j.Org, JobID: j.ID})
				}
			}
			if next == "" {
				break
			}
			q.Cursor = next
		}
	}
	// The dead letter only grows (nothing deletes a dead task), and the
	// queues have no index that finds one job's dead row, so it is read
	// only when some job needs it, which is rare (an outage of the TSA or
	// OCSP responder longer than a completion's retries).
	if len(stuck) == 0 {
		return 0, nil
	}
	dead, err := s.Queue.DeadOf(ctx, TaskComplete)
	if err != nil {
		return 0, err
	}
	lastDead := map[string]queue.Job{} // by job id, the newest
	for _, d := range dead {
		if _, ok := lastDead[d.Key]; !ok {
			lastDead[d.Key] = d
		}
	}
	n := 0
	for _, j := range stuck {
		if d, ok := lastDead[j.JobID]; ok {
			if !queue.DiedOfOutage(d) {
				continue
			}
			revived, err := s.Queue.Revive(ctx, d.ID, now)
			if err != nil {
				return n, err
			}
			if revived {
				n++
				continue
			}
		}
		payload, err := json.Marshal(JobTask{Org: j.Org, Job: j.JobID})
		if err != nil {
			return n, err
		}
		if err := s.Queue.Enqueue(ctx, TaskComplete, j.JobID, payload, now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Complete makes the long-term revision (PAdES B-LTA: DSS and document
// time-stamp) of every document of a signed job and completes it, emitting
// "job.completed" once the revisions are stored. It runs as a queued task,
// never in a signer's request, and is idempotent: a job that is not signed
// (already completed, or gone) is left as it is, so a task delivered twice
// (after a crash, or a lease that ran out) completes the job once.
//
// The TSA and the OCSP responder are asked once per call: when the
// compare-and-swap is lost (the job was saved meanwhile), the same
// revisions are recorded on the fresh job, never made again.
func (s *Service) Complete(ctx context.Context, org, jobID string) error {
	j, err := s.Store.Job(ctx, org, jobID)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil || j.Status != job.StatusSigned {
		return err
	}
	if s.Engine == nil {
		return errs.E(errs.Unavailable, codeSigningUnavailable, "signing is not configured on this server")
	}
	base := revisions(j)
	final, err := s.Engine.Complete(ctx, base)
	if err != nil {
		return err
	}
	var keys []string
	for _, rev := range final {
		if rev.SHA256 != "" {
			keys = append(keys, rev.SHA256)
		}
	}
	for attempt := 0; ; attempt++ {
		for i, rev := range final {
			j.Documents[i].Signed = rev
		}
		events, err := j.Complete(s.now(), map[string]any{"final_sha256": keys})
		if err == nil {
			err = s.Store.SaveJob(ctx, j, events)
		}
		if !changed(err) || attempt == 3 {
			if err == nil {
				s.log().Info("completed", "org", j.Org, "job", j.ID)
			}
			return err
		}
		if j, err = s.Store.Job(ctx, org, jobID); err != nil {
			return err
		}
		if j.Status != job.StatusSigned {
			return nil // completed by another worker meanwhile
		}
		if !sameRevisions(revisions(j), base) {
			return errs.E(errs.Conflict, store.CodeJobChanged, "job %s got new revisions while it was completed", jobID)
		}
	}
}

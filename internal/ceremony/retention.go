package ceremony

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/store"
)

// Reasons a job is deleted, as the audit record of the deletion gives them.
const (
	ReasonRetention = "retention" // its DeleteAfter passed
	ReasonSender    = "sender"    // the sender asked before then
)

// ErrDeleted answers for the documents and evidence of a deleted job:
// they existed and are gone for good (410 at the edges).
func ErrDeleted(id string) error {
	return errs.E(errs.Conflict, errs.CodeJobDeleted, "job %s was deleted with its documents and evidence", id)
}

// DefaultDeletionNotice is how long ahead a sender is told of a deletion
// when Service.DeletionNotice is not set (setting deletion-notice-days).
const DefaultDeletionNotice = 7 * 24 * time.Hour

// TaskDeleteJob is the queue kind whose handler deletes a job
// (DeletionHandler); delivery.Service registers it. Its key is the job id,
// so a job waits for deletion at most once at a time, whoever asked.
const TaskDeleteJob = "delete-job"

// DeletionTask is the payload of TaskDeleteJob: the job, and who asked
// why, for the audit record of the deletion. Actor is as the audit log
// names the asker (audit.Pseudonym under the job's key), never a portal
// user's "pid:<identity number>": the task waits in the queue's rows (and
// a dead one stays there), which the deletion of the job does not reach.
type DeletionTask struct {
	Org    string `json:"org"`
	Job    string `json:"job"`
	Actor  string `json:"actor"`
	Reason string `json:"reason"`
}

// RunDeletions tells senders of the deletions coming within DeletionNotice
// (the event job.deletion-due, which reaches their feed and callback), then
// queues the deletion of up to limit jobs whose retention has passed
// (MISSION L1), and reports how many it queued. The notices go first, so a
// job that falls due while segl was down is announced before it goes. Like
// RunDue, it finds its work in the jobs table: a job stays due until its
// deletion task has made it a tombstone, so a task lost before that is
// queued again by the next pass. Without a Queue it deletes them itself.
func (s *Service) RunDeletions(ctx context.Context, limit int) (int, error) {
	now := s.now()
	ahead := s.DeletionNotice
	if ahead == 0 {
		ahead = DefaultDeletionNotice
	}
	soon, err := s.Store.DeletionsToNotice(ctx, now.Add(ahead), limit)
	if err != nil {
		return 0, err
	}
	for _, ref := range soon {
		if err := s.Store.NoticeDeletion(ctx, ref.Org, ref.JobID, now); err != nil {
			return 0, err
		}
	}
	due, err := s.Store.DueDeletions(ctx, now, limit)
	if err != nil {
		return 0, err
	}
	for i, ref := range due {
		t := DeletionTask{Org: ref.Org, Job: ref.JobID, Actor: "system", Reason: ReasonRetention}
		if err := s.queueDeletion(ctx, t); err != nil {
			return i, err
		}
		if s.Queue == nil {
			if err := s.Delete(ctx, t); err != nil {
				return i, err
			}
		}
	}
	return len(due), nil
}

// DeleteJob deletes one of the caller's finished jobs before its time, on
// the sender's request (the API's DELETE and the portal's button). A job
// still running must be cancelled first. The deletion is queued as the
// sweep's are, so that a crash midway is finished by the task, and then
// run at once, so the caller gets the tombstone back; the task then finds
// nothing left to do.
func (s *Service) DeleteJob(ctx context.Context, c Caller, id string) (*job.Job, error) {
	j, err := s.Job(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if !j.Status.Final() {
		return nil, errs.E(errs.Conflict, codeJobNotFinished, "a %s job cannot be deleted; cancel it first", j.Status)
	}
	// The store writes the deletion's record after it has destroyed the
	// job's key, so the actor is named by its pseudonym here, before.
	t := DeletionTask{Org: c.Org, Job: id, Actor: audit.Pseudonym(j.AuditKey, c.Actor), Reason: ReasonSender}
	if err := s.queueDeletion(ctx, t); err != nil {
		return nil, err
	}
	if err := s.Delete(ctx, t); err != nil {
		return nil, err
	}
	return s.Store.Job(ctx, c.Org, id)
}

// queueDeletion queues the task that deletes t.Job; nothing without a Queue.
func (s *Service) queueDeletion(ctx context.Context, t DeletionTask) error {
	if s.Queue == nil {
		return nil
	}
	payload, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.Queue.Enqueue(ctx, TaskDeleteJob, t.Job, payload, s.now())
}

// DeletionHandler is the queue.Handler of TaskDeleteJob. A failure is
// retried with backoff and ends in the dead letter shown at /admin/tasks.
func (s *Service) DeletionHandler(ctx context.Context, qj queue.Job) error {
	var t DeletionTask
	if err := json.Unmarshal(qj.Payload, &t); err != nil {
		return queue.Permanent(fmt.Errorf("ceremony: %s payload: %w", qj.Kind, err))
	}
	return s.Delete(ctx, t)
}

// Delete deletes a job's content in steps that can each be repeated, so a
// crash anywhere is finished by running it again:
//
//  1. The store makes the job a tombstone, records the deletion in the
//     audit log and, in the same transaction, records the blobs the job
//     referred to (store.Retention.DeleteJob). Done once; a job already
//     deleted is left as it is.
//  2. deleteBlobs deletes each recorded blob that no other job refers to
//     and forgets it.
//
// The rows go first so that nothing a job still refers to is ever
// deleted: until step 1 commits, the job and every blob are whole. A crash
// after it leaves blobs no job refers to, still recorded for step 2; if
// the task gives up instead, the blob sweep finishes step 2 (SweepBlobs).
// A job not found is nothing to delete.
func (s *Service) Delete(ctx context.Context, t DeletionTask) error {
	err := s.Store.DeleteJob(ctx, store.By{Actor: t.Actor, At: s.now()}, t.Org, t.Job, t.Reason)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := s.deleteBlobs(ctx, t.Org, t.Job)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log().Info("job deleted", "org", t.Org, "job", t.Job, "reason", t.Reason, "blobs", n)
	}
	return nil
}

// deleteBlobs deletes the blobs the deletion of the job recorded that no
// other job refers to, and forgets those it deleted, those another job
// refers to and those already gone; it reports how many it forgot. A blob
// written within uploadGrace (a new job may be storing the same content,
// whose row the reference check cannot see yet) stays recorded, for the
// blob sweep to try again after the grace.
func (s *Service) deleteBlobs(ctx context.Context, org, id string) (int, error) {
	keys, err := s.Store.DeletedBlobs(ctx, org, id)
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	var done []string
	for _, key := range keys {
		shared, err := s.Store.BlobReferenced(ctx, key, org, id)
		if err != nil {
			return 0, err
		}
		if !shared {
			gone, err := s.deleteBlob(ctx, key, uploadGrace)
			if err != nil {
				return 0, err
			}
			if !gone {
				continue
			}
		}
		done = append(done, key)
	}
	return len(done), s.Store.ForgetDeletedBlobs(ctx, org, id, done)
}

// Grace periods of blobs no job refers to. A job's uploads (and a signing
// act's revision and evidence) are stored before the row that refers to
// them commits, so a blob written recently may be about to be referred to.
const (
	// uploadGrace keeps a deleted job's blob that was just stored again
	// (the same content uploaded for a new job); the sweep takes it later
	// if no job comes to refer to it.
	uploadGrace = time.Hour
	// BlobGrace is how old an unreferenced blob must be before the sweep
	// deletes it: far longer than any upload or signing act takes.
	BlobGrace = 24 * time.Hour
)

// deleteBlob deletes key unless it was written within grace, when the
// blob store can tell (blob.Sweeper); otherwise at once. It reports
// whether the blob is gone: deleted now, or not there.
func (s *Service) deleteBlob(ctx context.Context, key string, grace time.Duration) (bool, error) {
	sw, ok := s.Blobs.(blob.Sweeper)
	if !ok {
		return true, s.Blobs.Delete(ctx, key)
	}
	deleted, err := sw.DeleteIfOlder(ctx, key, s.now().Add(-grace))
	if err != nil || deleted {
		return deleted, err
	}
	o, err := s.Blobs.Open(ctx, key)
	if errs.Is(err, errs.NotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	o.Close()
	return false, nil
}

// SweepBlobs first finishes the deletions that left blobs recorded
// (deleteBlobs): blobs kept for their grace, and those of a deletion task
// that gave up. Then it deletes the blobs that no job refers to and that
// were last written more than BlobGrace ago: uploads of a job that failed
// to commit, revisions of a signing act that lost a race. It reports how
// many blobs it forgot or deleted. A blob store that cannot tell the age
// of its blobs is not swept.
func (s *Service) SweepBlobs(ctx context.Context) (int, error) {
	n := 0
	jobs, err := s.Store.DeletedBlobJobs(ctx, 500) // the rest next time
	if err != nil {
		return 0, err
	}
	for _, ref := range jobs {
		done, err := s.deleteBlobs(ctx, ref.Org, ref.JobID)
		if err != nil {
			return n, err
		}
		n += done
	}
	sw, ok := s.Blobs.(blob.Sweeper)
	if !ok {
		return n, nil
	}
	before := s.now().Add(-BlobGrace)
	err = sw.WalkOlder(ctx, before, func(key string) error {
		used, err := s.Store.BlobReferenced(ctx, key, "", "")
		if err != nil || used {
			return err
		}
		deleted, err := sw.DeleteIfOlder(ctx, key, before)
		if deleted {
			n++
		}
		return err
	})
	return n, err
}

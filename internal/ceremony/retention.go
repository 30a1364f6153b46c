package ceremony

import (
	"context"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
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

// RunDeletions deletes up to limit jobs whose retention has passed
// (MISSION L1) and reports how many it deleted. Like RunDue, it finds its
// work in the jobs table, so a pass cut short by a crash is simply
// finished by the next one: every step of deleteJob can be repeated.
func (s *Service) RunDeletions(ctx context.Context, limit int) (int, error) {
	due, err := s.Store.DueDeletions(ctx, s.now(), limit)
	if err != nil {
		return 0, err
	}
	for i, ref := range due {
		if err := s.deleteJob(ctx, ref.Org, ref.JobID, "system", ReasonRetention); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

// DeleteJob deletes one of the caller's finished jobs before its time, on
// the sender's request. A job still running must be cancelled first.
func (s *Service) DeleteJob(ctx context.Context, c Caller, id string) (*job.Job, error) {
	j, err := s.Job(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if !j.Status.Final() {
		return nil, errs.E(errs.Conflict, "job-not-finished", "a %s job cannot be deleted; cancel it first", j.Status)
	}
	if err := s.deleteJob(ctx, c.Org, id, c.Actor, ReasonSender); err != nil {
		return nil, err
	}
	return s.Store.Job(ctx, c.Org, id)
}

// deleteJob deletes the job's blobs that no other job refers to (content
// addressing lets two jobs share an upload), then makes the job a
// tombstone in the store, which records the deletion in the audit log.
// Blobs go first: a crash between the two leaves the job due, and the
// retry finds fewer blobs to delete and does the rest.
func (s *Service) deleteJob(ctx context.Context, org, id, actor, reason string) error {
	keys, err := s.Store.JobBlobs(ctx, org, id)
	if err != nil {
		return err
	}
	for _, key := range keys {
		shared, err := s.Store.BlobReferenced(ctx, key, org, id)
		if err != nil {
			return err
		}
		if shared {
			continue
		}
		if err := s.Blobs.Delete(ctx, key); err != nil {
			return err
		}
	}
	if err := s.Store.DeleteJob(ctx, store.By{Actor: actor, At: s.now()}, org, id, reason); err != nil {
		return err
	}
	s.log().Info("job deleted", "org", org, "job", id, "reason", reason)
	return nil
}

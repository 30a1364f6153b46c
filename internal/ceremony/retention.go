package ceremony

import (
	"context"
	"time"

	"github.com/segl/segl/internal/blob"
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

// DefaultDeletionNotice is how long ahead a sender is told of a deletion
// when Service.DeletionNotice is not set (setting deletion-notice-days).
const DefaultDeletionNotice = 7 * 24 * time.Hour

// RunDeletions tells senders of the deletions coming within DeletionNotice
// (the event job.deletion-due, which reaches their feed and callback), then
// deletes up to limit jobs whose retention has passed (MISSION L1), and
// reports how many it deleted. The notices go first, so a job that falls
// due while segl was down is announced before it goes. Like RunDue, it
// finds its work in the jobs table, so a pass cut short by a crash is
// finished by the next one: every step can be repeated.
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
		if err := s.deleteBlob(ctx, key, uploadGrace); err != nil {
			return err
		}
	}
	if err := s.Store.DeleteJob(ctx, store.By{Actor: actor, At: s.now()}, org, id, reason); err != nil {
		return err
	}
	s.log().Info("job deleted", "org", org, "job", id, "reason", reason)
	return nil
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

// deleteBlob deletes key unless it was written within grace, when the blob
// store can tell (blob.Sweeper); otherwise at once.
func (s *Service) deleteBlob(ctx context.Context, key string, grace time.Duration) error {
	sw, ok := s.Blobs.(blob.Sweeper)
	if !ok {
		return s.Blobs.Delete(ctx, key)
	}
	_, err := sw.DeleteIfOlder(ctx, key, s.now().Add(-grace))
	return err
}

// SweepBlobs deletes the blobs that no job refers to and that were last
// written more than BlobGrace ago: uploads of a job that failed to commit, revisions
// of a signing act that lost a race, blobs a deletion kept for their grace.
// It reports how many it deleted. A blob store that cannot tell the age of
// its blobs is not swept.
func (s *Service) SweepBlobs(ctx context.Context) (int, error) {
	sw, ok := s.Blobs.(blob.Sweeper)
	if !ok {
		return 0, nil
	}
	before := s.now().Add(-BlobGrace)
	n := 0
	err := sw.WalkOlder(ctx, before, func(key string) error {
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

package ceremony

import (
	"context"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
)

// RunDue expires jobs past their expiry and activates jobs whose activation
// time has come (MISSION S9), up to limit jobs, and reports how many it
// changed. Every node may run it at the same time: each change is a
// compare-and-swap, so a job moves once whoever gets there first.
func (s *Service) RunDue(ctx context.Context, limit int) (int, error) {
	now := s.now()
	due, err := s.Store.DueJobs(ctx, now, limit)
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, ref := range due {
		_, err := s.update(ctx, ref.Org, ref.JobID, func(j *job.Job) ([]job.Event, error) {
			if !now.Before(j.ExpiresAt) {
				return j.Expire(now)
			}
			return j.Activate(now)
		})
		switch {
		case err == nil:
			changed++
		case errs.Is(err, errs.Conflict):
			// Someone else moved it, or it is no longer due: nothing to do.
		default:
			return changed, err
		}
	}
	return changed, nil
}

// SweepDue runs RunDue once and logs what it did. A failure is logged,
// not returned: the next pass tries again.
func (s *Service) SweepDue(ctx context.Context) {
	if n, err := s.RunDue(ctx, 500); err != nil {
		s.log().Error("due jobs", "err", err)
	} else if n > 0 {
		s.log().Info("due jobs", "changed", n)
	}
	if n, err := s.RunDeletions(ctx, 500); err != nil {
		s.log().Error("due deletions", "err", err)
	} else if n > 0 {
		s.log().Info("due deletions", "queued", n)
	}
}

// Sweep runs SweepDue every interval until ctx ends. It waits an interval
// before its first pass: the server runs one pass itself before it serves
// (see server.Start), so that a job that fell due while segl was down is
// expired or activated before anyone can act on it, not an interval later.
// Every hour it also sweeps the blob store of unreferenced blobs
// (SweepBlobs) and queues again the completions of jobs signed long ago
// (RequeueCompletions).
func (s *Service) Sweep(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	blobs := time.NewTicker(time.Hour)
	defer blobs.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.SweepDue(ctx)
		case <-blobs.C:
			if n, err := s.SweepBlobs(ctx); err != nil {
				s.log().Error("blob sweep", "err", err)
			} else if n > 0 {
				s.log().Info("blob sweep", "deleted", n)
			}
			if n, err := s.RequeueCompletions(ctx); err != nil {
				s.log().Error("completions queued again", "err", err)
			} else if n > 0 {
				s.log().Warn("completions queued again", "jobs", n)
			}
		}
	}
}

package ceremony

import (
	"context"

	"github.com/segl/segl/internal/job"
)

// The background delivery's use cases (internal/delivery): it tells
// signers of their turn, through the tasks the use cases queue, and
// records here how each was told.

// SignerTask names a signer for a background task.
type SignerTask struct {
	Org    string `json:"org"`
	Job    string `json:"job"`
	Signer string `json:"signer"`
}

// Notice records how a signer was told of their turn, or why not (see
// job.Job.Notice).
func (s *Service) Notice(ctx context.Context, t SignerTask, notice string, reached, reserved bool) (*job.Job, error) {
	return s.update(ctx, t.Org, t.Job, func(j *job.Job) ([]job.Event, error) {
		return j.Notice(t.Signer, notice, reached, reserved, s.now())
	})
}

package job

import (
	"time"

	"github.com/segl/segl/internal/errs"
)

// Retention after a job ends (MISSION L1): the signed documents, the
// evidence and the signers' personal data are kept for the organisation's
// default number of days, or for the years the sender asked when archiving,
// and then deleted.
const (
	MinRetentionDays     = 30
	MaxRetentionDays     = 40
	DefaultRetentionDays = 40
)

// CheckRetentionDays reports whether days is an allowed default retention
// for an organisation.
func CheckRetentionDays(days int) error {
	if days < MinRetentionDays || days > MaxRetentionDays {
		return errs.Field("retention_days", CodeInvalidRetention, "must be %d to %d days", MinRetentionDays, MaxRetentionDays)
	}
	return nil
}

// DeleteAfter is when the job's documents, evidence and personal data are
// due for deletion: the end of the job plus the archive years it asked for,
// or plus RetainDays. Zero while the job has not ended. Years are calendar
// years (AddDate), so an archive of 50 years ends on the same date.
func (j *Job) DeleteAfter() time.Time {
	if j.EndedAt.IsZero() {
		return time.Time{}
	}
	if j.Retention.Archive {
		return j.EndedAt.AddDate(j.Retention.Years, 0, 0)
	}
	days := j.RetainDays
	if days == 0 {
		days = DefaultRetentionDays
	}
	return j.EndedAt.AddDate(0, 0, days)
}

// Deleted reports whether the job's content was deleted; what is left is a
// tombstone with its ids, statuses and times.
func (j *Job) Deleted() bool { return !j.DeletedAt.IsZero() }

// DeletionDue is the event that tells the sender, ahead, when the job's
// content will be deleted: the details carry delete_after.
func DeletionDue(j *Job, at time.Time) Event {
	return Event{Type: "job.deletion-due", JobID: j.ID, JobStatus: j.Status, Actor: "system", At: at,
		Details: map[string]any{"delete_after": j.DeleteAfter().UTC()}}
}

// Deleted is the event that records a job's deletion in its feed and the
// audit log: why, and the SHA-256 of every document and revision blob
// deleted (the uploads and the blobs the revisions were stored in; each
// revision's whole SHA-256 is in the event that made it), so the log still
// says what existed after the bytes are gone.
func Deleted(jobID string, status Status, actor string, at time.Time, reason string, hashes []string) Event {
	return Event{Type: "job.deleted", JobID: jobID, JobStatus: status, Actor: actor, At: at,
		Details: map[string]any{"reason": reason, "documents_sha256": hashes}}
}

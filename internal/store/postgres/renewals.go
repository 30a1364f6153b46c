package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// DueRenewals lists the signed documents of completed archived jobs whose
// renewal is due by until.
func (db *DB) DueRenewals(ctx context.Context, until time.Time, limit int) ([]store.DocRef, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT d.org, d.job_id, d.id, d.renew_at FROM documents d
		JOIN jobs j ON j.org = d.org AND j.id = d.job_id
		WHERE d.renew_at <= $1 AND d.signed_sha256 <> '' AND j.status = 'completed' AND j.deleted_at = 0
			AND COALESCE((j.retention::jsonb ->> 'archive')::boolean, false)
		ORDER BY d.renew_at LIMIT $2`, micro(until), limit)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.DocRef, error) {
		var ref store.DocRef
		var at int64
		err := r.Scan(&ref.Org, &ref.JobID, &ref.DocID, &at)
		if at != 0 {
			ref.RenewAt = fromMicro(at)
		}
		return ref, err
	})
	return out, wrap("due renewals", err)
}

// ScheduleRenewal sets when a document's renewal is next due.
func (db *DB) ScheduleRenewal(ctx context.Context, org, jobID, docID string, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE documents SET renew_at = $1 WHERE org = $2 AND job_id = $3 AND id = $4`,
		micro(at), org, jobID, docID)
	if err != nil {
		return wrap("schedule renewal", err)
	}
	if tag.RowsAffected() == 0 {
		return errs.E(errs.NotFound, job.CodeDocumentNotFound, "no such document")
	}
	return nil
}

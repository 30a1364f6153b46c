package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// DueRenewals lists the signed documents of completed archived jobs whose
// renewal is due by until.
func (db *DB) DueRenewals(ctx context.Context, until time.Time, limit int) ([]store.DocRef, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT d.org, d.job_id, d.id, d.renew_at FROM documents d
		JOIN jobs j ON j.org = d.org AND j.id = d.job_id
		WHERE d.renew_at <= ? AND d.signed_sha256 <> '' AND j.status = 'completed' AND j.deleted_at = 0
			AND json_extract(j.retention, '$.archive')
		ORDER BY d.renew_at LIMIT ?`, micro(until), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: due renewals: %w", err)
	}
	defer rows.Close()
	var out []store.DocRef
	for rows.Next() {
		var r store.DocRef
		var at int64
		if err := rows.Scan(&r.Org, &r.JobID, &r.DocID, &at); err != nil {
			return nil, fmt.Errorf("sqlite: due renewals: %w", err)
		}
		if at != 0 {
			r.RenewAt = fromMicro(at)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ScheduleRenewal sets when a document's renewal is next due.
func (db *DB) ScheduleRenewal(ctx context.Context, org, jobID, docID string, at time.Time) error {
	res, err := db.writeExec(ctx, `UPDATE documents SET renew_at = ? WHERE org = ? AND job_id = ? AND id = ?`,
		micro(at), org, jobID, docID)
	if err != nil {
		return fmt.Errorf("sqlite: schedule renewal: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, job.CodeDocumentNotFound, "no such document")
	}
	return nil
}

package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// DueDeletions lists jobs past their deletion time (the jobs_retention index).
func (db *DB) DueDeletions(ctx context.Context, now time.Time, limit int) ([]store.JobRef, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT org, id FROM jobs WHERE deleted_at = 0 AND delete_after > 0 AND delete_after <= $1 LIMIT $2`, micro(now), limit)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.JobRef, error) {
		var ref store.JobRef
		err := r.Scan(&ref.Org, &ref.JobID)
		return ref, err
	})
	return out, wrap("due deletions", err)
}

// jobBlobs is every blob key the job $1, $2 refers to: what JobBlobs
// lists and DeleteJob records.
const jobBlobs = `
	SELECT sha256 FROM documents WHERE org = $1 AND job_id = $2
	UNION SELECT sha256 FROM revisions WHERE org = $1 AND job_id = $2
	UNION SELECT evidence FROM signers WHERE org = $1 AND job_id = $2 AND evidence <> ''`

// JobBlobs lists the blob keys a job refers to.
func (db *DB) JobBlobs(ctx context.Context, org, id string) ([]string, error) {
	rows, _ := db.pool.Query(ctx, jobBlobs+` ORDER BY 1`, org, id)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, wrap("job blobs", err)
}

// BlobReferenced reports whether another job refers to key.
func (db *DB) BlobReferenced(ctx context.Context, key, org, id string) (bool, error) {
	var found bool
	err := db.pool.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM documents WHERE sha256 = $1 AND NOT (org = $2 AND job_id = $3)) OR
		EXISTS (SELECT 1 FROM revisions WHERE sha256 = $1 AND NOT (org = $2 AND job_id = $3)) OR
		EXISTS (SELECT 1 FROM signers WHERE evidence = $1 AND evidence <> '' AND NOT (org = $2 AND job_id = $3))`, key, org, id).Scan(&found)
	return found, wrap("blob referenced", err)
}

// DeleteJob makes the job a tombstone and records the blobs it referred to
// in deleted_blobs, in the same transaction. The job row is locked first, as
// SaveJob locks it, so a concurrent change waits and then finds the job
// deleted. PostgreSQL keeps the old row versions until VACUUM reclaims
// them (docs/operations.md, "Retention").
func (db *DB) DeleteJob(ctx context.Context, by store.By, org, id, reason string) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var status job.Status
		var deleted int64
		var key []byte
		err := tx.QueryRow(ctx, `SELECT status, deleted_at, audit_key FROM jobs WHERE org = $1 AND id = $2 FOR UPDATE`, org, id).Scan(&status, &deleted, &key)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, store.CodeJobNotFound, "no job %s", id)
		}
		if err != nil || deleted != 0 {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT sha256 FROM documents WHERE org = $1 AND job_id = $2
			UNION SELECT sha256 FROM revisions WHERE org = $1 AND job_id = $2 ORDER BY 1`, org, id)
		hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT INTO deleted_blobs (org, job_id, key) SELECT $1, $2, k FROM (` + jobBlobs + `) AS b(k)
				ON CONFLICT DO NOTHING`,
			`DELETE FROM codes WHERE signer_id IN (SELECT id FROM signers WHERE org = $1 AND job_id = $2)`,
			`UPDATE signers SET pid = '', email = '', mobile = '', name = '', ref = '', evidence = '', evidence_at = 0, evidence_size = 0, evidence_sha256 = '', notice = '', rejection_reason = ''
				WHERE org = $1 AND job_id = $2`,
			`DELETE FROM documents WHERE org = $1 AND job_id = $2`,
			`DELETE FROM revisions WHERE org = $1 AND job_id = $2`,
			`DELETE FROM notices WHERE org = $1 AND job_id = $2`,
		} {
			if _, err := tx.Exec(ctx, q, org, id); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE jobs SET deleted_at = $1, audit_key = NULL, title = '', description = '', search = '',
			reference = '', updated_at = $1, version = version + 1 WHERE org = $2 AND id = $3`, micro(by.At), org, id)
		if err != nil {
			return err
		}
		return appendEvents(ctx, tx, org, key, []job.Event{job.Deleted(id, status, by.Actor, by.At, reason, hashes)})
	})
	return wrap("delete job", err)
}

// DeletedBlobs lists the blobs the job's deletion recorded and
// ForgetDeletedBlobs has not forgotten yet.
func (db *DB) DeletedBlobs(ctx context.Context, org, id string) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `SELECT key FROM deleted_blobs WHERE org = $1 AND job_id = $2 ORDER BY key`, org, id)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, wrap("deleted blobs", err)
}

// ForgetDeletedBlobs forgets keys of the job's deleted blobs.
func (db *DB) ForgetDeletedBlobs(ctx context.Context, org, id string, keys []string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM deleted_blobs WHERE org = $1 AND job_id = $2 AND key = ANY($3)`, org, id, keys)
	return wrap("forget deleted blobs", err)
}

// DeletedBlobJobs lists deleted jobs with deleted blobs not forgotten.
func (db *DB) DeletedBlobJobs(ctx context.Context, limit int) ([]store.JobRef, error) {
	rows, _ := db.pool.Query(ctx, `SELECT DISTINCT org, job_id FROM deleted_blobs LIMIT $1`, limit)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.JobRef, error) {
		var ref store.JobRef
		err := r.Scan(&ref.Org, &ref.JobID)
		return ref, err
	})
	return out, wrap("deleted blob jobs", err)
}

// DeletionsToNotice lists jobs whose deletion is near and not announced.
func (db *DB) DeletionsToNotice(ctx context.Context, before time.Time, limit int) ([]store.JobRef, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT org, id FROM jobs WHERE deleted_at = 0 AND delete_after > 0 AND delete_after <= $1 AND NOT deletion_noticed
		LIMIT $2`, micro(before), limit)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.JobRef, error) {
		var ref store.JobRef
		err := r.Scan(&ref.Org, &ref.JobID)
		return ref, err
	})
	return out, wrap("deletions to notice", err)
}

// NoticeDeletion marks the job told and appends its event, once; the row
// lock makes a concurrent notice wait and then find it told.
func (db *DB) NoticeDeletion(ctx context.Context, org, id string, at time.Time) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		j, err := scanJob(tx.QueryRow(ctx, jobQuery+` FOR UPDATE`, org, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, store.CodeJobNotFound, "no job %s", id)
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE jobs SET deletion_noticed = true
			WHERE org = $1 AND id = $2 AND NOT deletion_noticed AND deleted_at = 0`, org, id)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return appendEvents(ctx, tx, org, nil, []job.Event{job.DeletionDue(j, at)})
	})
	return wrap("notice deletion", err)
}

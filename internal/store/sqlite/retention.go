package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// DueDeletions lists jobs past their deletion time (the jobs_retention index).
func (db *DB) DueDeletions(ctx context.Context, now time.Time, limit int) ([]store.JobRef, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT org, id FROM jobs WHERE deleted_at = 0 AND delete_after > 0 AND delete_after <= ? LIMIT ?`, micro(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: due deletions: %w", err)
	}
	defer rows.Close()
	var out []store.JobRef
	for rows.Next() {
		var r store.JobRef
		if err := rows.Scan(&r.Org, &r.JobID); err != nil {
			return nil, fmt.Errorf("sqlite: due deletions: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// jobBlobs is every reference to a blob, by job: what JobBlobs lists and
// BlobReferenced looks for. revisions holds every blob of every signed
// revision the job's documents had (all their parts).
const jobBlobs = `
	SELECT org, job_id, sha256 AS key FROM documents
	UNION ALL SELECT org, job_id, sha256 FROM revisions
	UNION ALL SELECT org, job_id, evidence FROM signers WHERE evidence <> ''`

// JobBlobs lists the blob keys a job refers to.
func (db *DB) JobBlobs(ctx context.Context, org, id string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT key FROM (`+jobBlobs+`) WHERE org = ? AND job_id = ? ORDER BY key`, org, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: job blobs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sqlite: job blobs: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// blobReferenced is BlobReferenced's query (TestBlobReferencedUsesIndexes).
const blobReferenced = `SELECT
		EXISTS (SELECT 1 FROM documents WHERE sha256 = ?1 AND NOT (org = ?2 AND job_id = ?3)) OR
		EXISTS (SELECT 1 FROM revisions WHERE sha256 = ?1 AND NOT (org = ?2 AND job_id = ?3)) OR
		EXISTS (SELECT 1 FROM signers WHERE evidence = ?1 AND evidence <> '' AND NOT (org = ?2 AND job_id = ?3))`

// BlobReferenced reports whether another job refers to key. Each branch
// uses its own index (documents_sha256, revisions_sha256, signers_evidence:
// a partial index, which SQLite uses only when the query repeats its
// condition, that evidence is not empty; without it every signer was read).
// A signed revision's blobs are all in revisions (SaveJob), so the whole
// file's SHA-256 in documents, no longer always a blob key, is not asked.
func (db *DB) BlobReferenced(ctx context.Context, key, org, id string) (bool, error) {
	var n int
	err := db.queryRow(ctx, blobReferenced, key, org, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlite: blob referenced: %w", err)
	}
	return n == 1, nil
}

// DeleteJob makes the job a tombstone and records the blobs it referred to
// in deleted_blobs, in the same transaction, so the list of what to delete
// from the blob store survives the references that made it. The database
// runs with secure_delete, so the bytes of what is deleted are overwritten
// in the database file; a checkpoint afterwards moves the pages out of the
// WAL and truncates it, so no earlier frame keeps them either.
func (db *DB) DeleteJob(ctx context.Context, by store.By, org, id, reason string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		db.cache.forgetJob(org, id)
		var status job.Status
		var deleted int64
		var key []byte
		err := tx.QueryRowContext(ctx, `SELECT status, deleted_at, audit_key FROM jobs WHERE org = ? AND id = ?`, org, id).Scan(&status, &deleted, &key)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, store.CodeJobNotFound, "no job %s", id)
		}
		if err != nil || deleted != 0 {
			return err
		}
		hashes, err := queryStrings(ctx, tx, `SELECT sha256 FROM documents WHERE org = ? AND job_id = ?
			UNION SELECT sha256 FROM revisions WHERE org = ? AND job_id = ? ORDER BY 1`, org, id, org, id)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT OR IGNORE INTO deleted_blobs (org, job_id, key)
				SELECT org, job_id, key FROM (` + jobBlobs + `) WHERE org = ?1 AND job_id = ?2`,
			`DELETE FROM codes WHERE signer_id IN (SELECT id FROM signers WHERE org = ? AND job_id = ?)`,
			`UPDATE signers SET pid = '', email = '', mobile = '', name = '', ref = '', evidence = '', evidence_at = 0, evidence_size = 0, evidence_sha256 = '', notice = '', rejection_reason = ''
				WHERE org = ? AND job_id = ?`,
			`DELETE FROM documents WHERE org = ? AND job_id = ?`,
			`DELETE FROM revisions WHERE org = ? AND job_id = ?`,
			`DELETE FROM notices WHERE org = ? AND job_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, org, id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET deleted_at = ?, audit_key = NULL, title = '', description = '', search = '',
			reference = '', updated_at = ?, version = version + 1 WHERE org = ? AND id = ?`, micro(by.At), micro(by.At), org, id)
		if err != nil {
			return err
		}
		return db.appendEvents(ctx, tx, org, key, []job.Event{job.Deleted(id, status, by.Actor, by.At, reason, hashes)})
	})
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			return err
		}
		return fmt.Errorf("sqlite: delete job: %w", err)
	}
	if err := db.truncateLog(ctx); err != nil {
		return fmt.Errorf("sqlite: delete job: checkpoint: %w", err)
	}
	return nil
}

// checkpointPatience is how long truncateLog waits for the readers of
// older snapshots to finish: the writer's busy_timeout.
const checkpointPatience = 10 * time.Second

// testHookCheckpointBusy, when a test sets it, runs after each attempt of
// truncateLog that readers or a writer kept from truncating the log.
var testHookCheckpointBusy func()

// truncateLog copies the write-ahead log into the database file and
// truncates it, so that no old frame keeps what a deletion overwrote; a
// retried DeleteJob tries again. It runs on a connection of its own, not
// the writer's, which the hot reads share, and each attempt gives up at
// once (busy_timeout 0) instead of waiting: a TRUNCATE checkpoint holds
// the write lock while it waits for every reader of an older snapshot (a
// portal list, `segl audit verify` in another process) to finish, which
// would stall every write, and the hot reads queued behind one, for as
// long (https://sqlite.org/c3ref/wal_checkpoint_v2.html). Between
// attempts the writes go on.
func (db *DB) truncateLog(ctx context.Context) error {
	conn, err := db.ckpt.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return err
	}
	deadline := time.Now().Add(checkpointPatience)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		var busy, frames, copied int
		if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil {
			return err
		}
		if busy == 0 {
			return nil
		}
		if testHookCheckpointBusy != nil {
			testHookCheckpointBusy()
		}
		if time.Now().After(deadline) {
			return errs.E(errs.Unavailable, errs.CodeDatabaseUnavailable, "sqlite: readers kept the write-ahead log from being truncated")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// DeletedBlobs lists the blobs the job's deletion recorded and
// ForgetDeletedBlobs has not forgotten yet.
func (db *DB) DeletedBlobs(ctx context.Context, org, id string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT key FROM deleted_blobs WHERE org = ? AND job_id = ? ORDER BY key`, org, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: deleted blobs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sqlite: deleted blobs: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ForgetDeletedBlobs forgets keys of the job's deleted blobs.
func (db *DB) ForgetDeletedBlobs(ctx context.Context, org, id string, keys []string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM deleted_blobs WHERE org = ? AND job_id = ? AND key = ?`, org, id, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: forget deleted blobs: %w", err)
	}
	return nil
}

// DeletedBlobJobs lists deleted jobs with deleted blobs not forgotten.
func (db *DB) DeletedBlobJobs(ctx context.Context, limit int) ([]store.JobRef, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT org, job_id FROM deleted_blobs LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: deleted blob jobs: %w", err)
	}
	defer rows.Close()
	var out []store.JobRef
	for rows.Next() {
		var r store.JobRef
		if err := rows.Scan(&r.Org, &r.JobID); err != nil {
			return nil, fmt.Errorf("sqlite: deleted blob jobs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func queryStrings(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeletionsToNotice lists jobs whose deletion is near and not announced.
func (db *DB) DeletionsToNotice(ctx context.Context, before time.Time, limit int) ([]store.JobRef, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT org, id FROM jobs WHERE deleted_at = 0 AND delete_after > 0 AND delete_after <= ? AND deletion_noticed = 0
		LIMIT ?`, micro(before), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: deletions to notice: %w", err)
	}
	defer rows.Close()
	var out []store.JobRef
	for rows.Next() {
		var r store.JobRef
		if err := rows.Scan(&r.Org, &r.JobID); err != nil {
			return nil, fmt.Errorf("sqlite: deletions to notice: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// NoticeDeletion marks the job told and appends its event, once.
func (db *DB) NoticeDeletion(ctx context.Context, org, id string, at time.Time) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		db.cache.forgetJob(org, id) // a job read does not show the flag; forgotten all the same, as every write of what it shows is
		j, err := scanJob(tx.QueryRowContext(ctx, jobQuery, org, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, store.CodeJobNotFound, "no job %s", id)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET deletion_noticed = 1
			WHERE org = ? AND id = ? AND deletion_noticed = 0 AND deleted_at = 0`, org, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return db.appendEvents(ctx, tx, org, nil, []job.Event{job.DeletionDue(j, at)})
	})
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			return err
		}
		return fmt.Errorf("sqlite: notice deletion: %w", err)
	}
	return nil
}

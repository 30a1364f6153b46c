package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segl/segl/internal/store"
)

// The polling state of Posten's signature API (store.Polls), shared by
// every node on the one database.

// NextPoll returns when org's queue may next be polled.
func (db *DB) NextPoll(ctx context.Context, org, queue string) (time.Time, error) {
	var at int64
	err := db.pool.QueryRow(ctx, `SELECT next_at FROM poll_queues WHERE org = $1 AND queue = $2`, org, queue).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, wrap("next poll", err)
	}
	return fromMicro(at), nil
}

// SetNextPoll records org's queue's next permitted poll, keeping at most
// limit queues of org. The organisation's rows are locked first, so two
// nodes trimming the same organisation's queues take turns.
func (db *DB) SetNextPoll(ctx context.Context, org, queue string, at, now time.Time, limit int) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('poll_queues/' || $1, 0))`, org); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM poll_queues WHERE org = $1 AND (next_at <= $2 OR queue = $3)`,
			org, micro(now), queue); err != nil {
			return err
		}
		// Beyond the limit, the waits that end first go.
		_, err := tx.Exec(ctx, `
			DELETE FROM poll_queues WHERE org = $1 AND queue IN (
				SELECT queue FROM poll_queues WHERE org = $1 ORDER BY next_at DESC, queue OFFSET $2)`,
			org, max(limit-1, 0))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO poll_queues (org, queue, next_at) VALUES ($1, $2, $3)`, org, queue, micro(at))
		return err
	})
	return wrap("set next poll", err)
}

// LeaseDelivery takes the lease of a delivered job unless one holds it.
// The conditional upsert is one statement on its own: of two nodes racing
// for a job, the second waits on the row and then finds the first's
// lease. Leases ended LeaseMemory ago are forgotten before, in a statement of their own
// that skips rows another transaction holds, so that no transaction holds
// one row while waiting for another (no deadlock between nodes).
func (db *DB) LeaseDelivery(ctx context.Context, org, jobID string, through int64, now, until time.Time) (bool, error) {
	_, err := db.pool.Exec(ctx, `
		DELETE FROM poll_leases WHERE (org, job_id) IN (
			SELECT org, job_id FROM poll_leases WHERE org = $1 AND lease_until <= $2 AND job_id <> $3
			FOR UPDATE SKIP LOCKED)`,
		org, micro(now.Add(-store.LeaseMemory)), jobID)
	if err != nil {
		return false, wrap("lease delivery", err)
	}
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO poll_leases (org, job_id, lease_until, through_seq) VALUES ($1, $2, $3, $4)
		ON CONFLICT (org, job_id) DO UPDATE SET lease_until = excluded.lease_until, through_seq = excluded.through_seq
		WHERE poll_leases.lease_until <= $5`,
		org, jobID, micro(until), through, micro(now))
	if err != nil {
		return false, wrap("lease delivery", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Leased lists org's jobs under a lease at now.
func (db *DB) Leased(ctx context.Context, org string, now time.Time) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `SELECT job_id FROM poll_leases WHERE org = $1 AND lease_until > $2 ORDER BY job_id`,
		org, micro(now))
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, wrap("leased", err)
}

// EndDelivery ends a job's lease and returns what its delivery covered.
func (db *DB) EndDelivery(ctx context.Context, org, jobID string) (int64, error) {
	var through int64
	err := db.pool.QueryRow(ctx, `DELETE FROM poll_leases WHERE org = $1 AND job_id = $2 RETURNING through_seq`,
		org, jobID).Scan(&through)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return through, wrap("end delivery", err)
}

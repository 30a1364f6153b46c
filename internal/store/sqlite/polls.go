package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/segl/segl/internal/sqldb"
	"github.com/segl/segl/internal/store"
)

// The polling state of Posten's signature API (store.Polls, schema
// migration 13).

// NextPoll returns when org's queue may next be polled.
func (db *DB) NextPoll(ctx context.Context, org, queue string) (time.Time, error) {
	var at int64
	err := db.queryRow(ctx, `SELECT next_at FROM poll_queues WHERE org = ? AND queue = ?`, org, queue).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: next poll: %w", err)
	}
	return fromMicro(at), nil
}

// SetNextPoll records org's queue's next permitted poll, keeping at most
// limit queues of org.
func (db *DB) SetNextPoll(ctx context.Context, org, queue string, at, now time.Time, limit int) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM poll_queues WHERE org = ? AND (next_at <= ? OR queue = ?)`,
			org, micro(now), queue); err != nil {
			return err
		}
		// Beyond the limit, the waits that end first go.
		_, err := tx.ExecContext(ctx, `
			DELETE FROM poll_queues WHERE org = ? AND queue IN (
				SELECT queue FROM poll_queues WHERE org = ? ORDER BY next_at DESC, queue LIMIT -1 OFFSET ?)`,
			org, org, max(limit-1, 0))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO poll_queues (org, queue, next_at) VALUES (?, ?, ?)`, org, queue, micro(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: set next poll: %w", sqldb.Full(err))
	}
	return nil
}

// LeaseDelivery takes the lease of a delivered job unless one holds it.
func (db *DB) LeaseDelivery(ctx context.Context, org, jobID string, through int64, now, until time.Time) (bool, error) {
	var taken bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM poll_leases WHERE org = ? AND lease_until <= ? AND job_id <> ?`,
			org, micro(now.Add(-store.LeaseMemory)), jobID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO poll_leases (org, job_id, lease_until, through_seq) VALUES (?, ?, ?, ?)
			ON CONFLICT (org, job_id) DO UPDATE SET lease_until = excluded.lease_until, through_seq = excluded.through_seq
			WHERE poll_leases.lease_until <= ?`,
			org, jobID, micro(until), through, micro(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		taken = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: lease delivery: %w", sqldb.Full(err))
	}
	return taken, nil
}

// Leased lists org's jobs under a lease at now.
func (db *DB) Leased(ctx context.Context, org string, now time.Time) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT job_id FROM poll_leases WHERE org = ? AND lease_until > ? ORDER BY job_id`,
		org, micro(now))
	if err != nil {
		return nil, fmt.Errorf("sqlite: leased: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: leased: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// EndDelivery ends a job's lease and returns what its delivery covered.
func (db *DB) EndDelivery(ctx context.Context, org, jobID string) (int64, error) {
	var through int64
	err := db.writeRow(ctx, func(row *sql.Row) error { return row.Scan(&through) },
		`DELETE FROM poll_leases WHERE org = ? AND job_id = ? RETURNING through_seq`, org, jobID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: end delivery: %w", sqldb.Full(err))
	}
	return through, nil
}

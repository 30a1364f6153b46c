package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/segl/segl/internal/job"
)

// refoldBatch is how many jobs one transaction of refoldSearch refolds:
// small enough that the single writer is not held for long.
const refoldBatch = 500

// refoldSearch gives every job listed in search_refold (migration step 20)
// its search text as job.Job.SearchText makes it, so a job stored before
// the search column existed is found by the same folded words as a new
// one. Each batch is one transaction that also removes its jobs from the
// list, so a crash midway is finished by the next Open; once the list is
// empty, this costs one query.
func (db *DB) refoldSearch(ctx context.Context) error {
	for {
		n, err := db.refoldSearchBatch(ctx)
		if err != nil {
			return fmt.Errorf("sqlite: refold search text: %w", err)
		}
		if n < refoldBatch {
			return nil
		}
	}
}

// refoldSearchBatch refolds up to refoldBatch listed jobs and reports how
// many it took off the list.
func (db *DB) refoldSearchBatch(ctx context.Context) (int, error) {
	var n int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		keys, err := refoldKeys(ctx, tx)
		if err != nil {
			return err
		}
		n = len(keys)
		for _, k := range keys {
			if err := refoldJob(ctx, tx, k[0], k[1]); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// refoldKeys reads the next batch of (org, id) pairs from the list.
func refoldKeys(ctx context.Context, tx *sql.Tx) ([][2]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT org, id FROM search_refold ORDER BY org, id LIMIT ?`, refoldBatch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys [][2]string
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// refoldJob writes one job's search text from its title, reference and
// signers' names, and takes it off the list. A job deleted meanwhile
// keeps its empty search text.
func refoldJob(ctx context.Context, tx *sql.Tx, org, id string) error {
	j := job.Job{Org: org, ID: id}
	err := tx.QueryRowContext(ctx, `SELECT title, reference FROM jobs WHERE org = ? AND id = ? AND deleted_at = 0`,
		org, id).Scan(&j.Title, &j.Reference)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		names, err := queryStrings(ctx, tx, `SELECT name FROM signers WHERE org = ? AND job_id = ? ORDER BY position`, org, id)
		if err != nil {
			return err
		}
		for _, name := range names {
			j.Signers = append(j.Signers, job.Signer{Name: name})
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET search = ? WHERE org = ? AND id = ?`, j.SearchText(), org, id); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM search_refold WHERE org = ? AND id = ?`, org, id)
	return err
}

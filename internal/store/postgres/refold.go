package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pgdb"
)

// refoldBatch is how many jobs one transaction of refoldSearch refolds.
const refoldBatch = 500

// refoldSearch gives every job listed in search_refold (migration step 15)
// its search text as job.Job.SearchText makes it, as SQLite's does. Each
// batch is one transaction that also removes its jobs from the list, so a
// crash midway is finished by the next start. Nodes starting together
// share the work: each takes rows the others have not locked.
func (db *DB) refoldSearch(ctx context.Context) error {
	for {
		n, err := db.refoldSearchBatch(ctx)
		if err != nil {
			return pgdb.Classify(fmt.Errorf("postgres: refold search text: %w", err))
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
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT org, id FROM search_refold ORDER BY org, id LIMIT $1 FOR UPDATE SKIP LOCKED`, refoldBatch)
		if err != nil {
			return err
		}
		keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
			var k [2]string
			return k, r.Scan(&k[0], &k[1])
		})
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

// refoldJob writes one job's search text from its title, reference and
// signers' names, and takes it off the list. The job's row is locked
// first, as SaveJob's UPDATE locks it, so a save meanwhile (which writes
// the same text from the job it saves) is not overwritten by older names.
// A job deleted meanwhile keeps its empty search text.
func refoldJob(ctx context.Context, tx pgx.Tx, org, id string) error {
	j := job.Job{Org: org, ID: id}
	err := tx.QueryRow(ctx, `SELECT title, reference FROM jobs WHERE org = $1 AND id = $2 AND deleted_at = 0 FOR UPDATE`,
		org, id).Scan(&j.Title, &j.Reference)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return err
	default:
		rows, err := tx.Query(ctx, `SELECT name FROM signers WHERE org = $1 AND job_id = $2 ORDER BY position`, org, id)
		if err != nil {
			return err
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, name := range names {
			j.Signers = append(j.Signers, job.Signer{Name: name})
		}
		if _, err := tx.Exec(ctx, `UPDATE jobs SET search = $1 WHERE org = $2 AND id = $3`, j.SearchText(), org, id); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `DELETE FROM search_refold WHERE org = $1 AND id = $2`, org, id)
	return err
}

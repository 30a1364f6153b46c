// Package pgqueue is the scaled-out implementation of queue.Queue: the
// same queue_jobs table as sqlitequeue, in the PostgreSQL database every
// node shares (its migrations are versioned in queue_migrations, apart from
// the store's).
//
// A claim locks the rows it picks with FOR UPDATE SKIP LOCKED: claimers on
// other nodes skip them rather than wait, and never see one job twice. A
// lease is two columns, locked_by and lease_until; a pending job is
// claimable when it is due and its lease (if any) has run out, so a crashed
// node's job comes back by itself and no node keeps state in memory.
package pgqueue

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pgdb"
	"github.com/segl/segl/internal/queue"
)

var (
	_ queue.Queue     = (*Queue)(nil)
	_ queue.Inspector = (*Queue)(nil)
	_ queue.Notifier  = (*Queue)(nil)
)

// Queue is a job queue in PostgreSQL.
type Queue struct {
	pool *pgxpool.Pool
	own  bool // Open made the pool, Close closes it
	// enqueued wakes this process's runners (queue.Notifier); runners on
	// other nodes find the job at their next poll.
	enqueued queue.Signal
}

// Open connects to the database at url and brings the queue's table up to
// date. It may be the store's database.
func Open(ctx context.Context, url string) (*Queue, error) {
	pool, err := pgdb.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("pgqueue: %w", err)
	}
	q, err := New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	q.own = true
	return q, nil
}

// New uses an open pool and brings the queue's table up to date; Close
// leaves the pool open.
func New(ctx context.Context, pool *pgxpool.Pool) (*Queue, error) {
	if err := pgdb.Migrate(ctx, pool, "queue_migrations", migrations); err != nil {
		return nil, fmt.Errorf("pgqueue: %w", err)
	}
	return &Queue{pool: pool}, nil
}

// Close closes the pool if Open made it.
func (q *Queue) Close() error {
	if q.own {
		q.pool.Close()
	}
	return nil
}

// migrations is append-only: never edit an applied entry, add a new one.
var migrations = []string{
	// 1: the jobs table, as sqlitequeue's. key is NULL when the caller gave
	// none, so it never collides; the partial unique index allows one
	// pending job per (kind, key) and any number dead. Times are
	// microseconds since the epoch in UTC.
	`
CREATE TABLE queue_jobs (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind        TEXT NOT NULL,
	key         TEXT,
	payload     BYTEA NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('pending', 'dead')),
	attempt     INTEGER NOT NULL DEFAULT 0,
	run_at      BIGINT NOT NULL,
	locked_by   TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX queue_jobs_pending_key ON queue_jobs (kind, key) WHERE state = 'pending';
CREATE INDEX queue_jobs_claimable ON queue_jobs (kind, run_at) WHERE state = 'pending';
CREATE INDEX queue_jobs_dead ON queue_jobs (updated_at) WHERE state = 'dead';
`,
}

// The statements: sqlitequeue's, with $n placeholders, kind = ANY for its
// json_each, and FOR UPDATE SKIP LOCKED in claim's subquery.
const (
	enqueue = `INSERT INTO queue_jobs (kind, key, payload, state, run_at, created_at, updated_at)
		VALUES ($1, NULLIF($2, ''), $3, 'pending', $4, $5, $5)
		ON CONFLICT (kind, key) WHERE state = 'pending' DO NOTHING`
	// claim locks the due rows it picks, skipping rows another claimer
	// holds, and leases them in the same statement.
	claim = `UPDATE queue_jobs SET locked_by = $1, lease_until = $2, attempt = attempt + 1, updated_at = $3
		WHERE id IN (
			SELECT id FROM queue_jobs
			WHERE state = 'pending' AND kind = ANY($4) AND run_at <= $5 AND lease_until <= $5
			ORDER BY run_at, id LIMIT $6
			FOR UPDATE SKIP LOCKED)
		RETURNING id, kind, COALESCE(key, ''), payload, attempt, run_at, last_error`
	done  = `DELETE FROM queue_jobs WHERE id = $1 AND state = 'pending' AND locked_by = $2`
	retry = `UPDATE queue_jobs SET run_at = $1, locked_by = '', lease_until = 0, last_error = $2, updated_at = $3
		WHERE id = $4 AND state = 'pending' AND locked_by = $5`
	fail = `UPDATE queue_jobs SET state = 'dead', locked_by = '', lease_until = 0, last_error = $1, updated_at = $2
		WHERE id = $3 AND state = 'pending' AND locked_by = $4`
	// depths counts by kind and state; the claimable index serves it.
	depths = `SELECT kind, state, COUNT(*), COALESCE(SUM(CASE WHEN run_at <= $1 THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN run_at <= $1 THEN run_at END), 0)
		FROM queue_jobs GROUP BY kind, state`
	release = `UPDATE queue_jobs SET locked_by = '', lease_until = 0, attempt = attempt - 1, updated_at = $1
		WHERE id = $2 AND state = 'pending' AND locked_by = $3`
	postpone = `UPDATE queue_jobs SET run_at = $1, locked_by = '', lease_until = 0, attempt = attempt - 1, last_error = $2,
		updated_at = $3 WHERE id = $4 AND state = 'pending' AND locked_by = $5`
	dead = `SELECT id, kind, COALESCE(key, ''), payload, attempt, run_at, last_error
		FROM queue_jobs WHERE state = 'dead' ORDER BY updated_at DESC, id DESC LIMIT $1`
	deadOf = `SELECT id, kind, COALESCE(key, ''), payload, attempt, run_at, last_error
		FROM queue_jobs WHERE state = 'dead' AND kind = $1 ORDER BY updated_at DESC, id DESC`
	revive = `UPDATE queue_jobs SET state = 'pending', attempt = 0, run_at = $1, locked_by = '', lease_until = 0, updated_at = $2
		WHERE id = $3 AND state = 'dead' AND NOT EXISTS (
			SELECT 1 FROM queue_jobs p WHERE p.state = 'pending' AND p.kind = queue_jobs.kind AND p.key = queue_jobs.key)`
)

func micro(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicro(n int64) time.Time { return time.UnixMicro(n).UTC() }

// Enqueue adds a job; a pending job with the same kind and key makes it a
// no-op.
func (q *Queue) Enqueue(ctx context.Context, kind, key string, payload []byte, runAt time.Time) error {
	if kind == "" {
		return errs.E(errs.Invalid, queue.CodeInvalid, "queue: job kind is empty")
	}
	if payload == nil {
		payload = []byte{}
	}
	if _, err := q.pool.Exec(ctx, enqueue, kind, key, payload, micro(runAt), micro(time.Now())); err != nil {
		return pgdb.Classify(fmt.Errorf("pgqueue: enqueue: %w", err))
	}
	q.enqueued.Notify()
	return nil
}

// Enqueued is closed at the next Enqueue in this process (queue.Notifier).
func (q *Queue) Enqueued() <-chan struct{} { return q.enqueued.Next() }

// Claim leases up to max due jobs of kinds to worker until now+lease.
func (q *Queue) Claim(ctx context.Context, worker string, kinds []string, lease time.Duration, now time.Time, max int) ([]queue.Job, error) {
	if worker == "" || lease <= 0 || max <= 0 {
		return nil, errs.E(errs.Invalid, queue.CodeInvalid, "queue: claim needs a worker, a positive lease and a positive max")
	}
	if len(kinds) == 0 {
		return nil, nil
	}
	rows, _ := q.pool.Query(ctx, claim, worker, micro(now.Add(lease)), micro(time.Now()), kinds, micro(now), max)
	jobs, err := scanJobs(rows)
	if err != nil {
		return nil, pgdb.Classify(fmt.Errorf("pgqueue: claim: %w", err))
	}
	// RETURNING gives no order; hand out the oldest due first.
	sort.Slice(jobs, func(i, k int) bool {
		if !jobs[i].RunAt.Equal(jobs[k].RunAt) {
			return jobs[i].RunAt.Before(jobs[k].RunAt)
		}
		return jobs[i].ID < jobs[k].ID
	})
	return jobs, nil
}

// Done removes a job the worker holds.
func (q *Queue) Done(ctx context.Context, id int64, worker string) error {
	return q.holder(ctx, "done", id, worker, done, id, worker)
}

// Retry makes a job the worker holds due again at next.
func (q *Queue) Retry(ctx context.Context, id int64, worker string, msg string, next time.Time) error {
	return q.holder(ctx, "retry", id, worker, retry, micro(next), msg, micro(time.Now()), id, worker)
}

// Fail moves a job the worker holds to the dead letter.
func (q *Queue) Fail(ctx context.Context, id int64, worker string, msg string) error {
	return q.holder(ctx, "fail", id, worker, fail, msg, micro(time.Now()), id, worker)
}

// Release hands a job the worker holds back, claimable at once.
func (q *Queue) Release(ctx context.Context, id int64, worker string) error {
	return q.holder(ctx, "release", id, worker, release, micro(time.Now()), id, worker)
}

// Postpone makes a job the worker holds due at next without counting the
// delivery as an attempt.
func (q *Queue) Postpone(ctx context.Context, id int64, worker string, msg string, next time.Time) error {
	return q.holder(ctx, "postpone", id, worker, postpone, micro(next), msg, micro(time.Now()), id, worker)
}

// holder runs a statement that only the lease holder may run; no row
// changed means someone else holds the job now (or it is gone).
func (q *Queue) holder(ctx context.Context, op string, id int64, worker, query string, args ...any) error {
	tag, err := q.pool.Exec(ctx, query, args...)
	if err != nil {
		return pgdb.Classify(fmt.Errorf("pgqueue: %s: %w", op, err))
	}
	if tag.RowsAffected() != 1 {
		return errs.E(errs.Conflict, queue.CodeLeaseLost, "queue: job %d is not leased to %s", id, worker)
	}
	return nil
}

// Dead lists up to max dead jobs, most recently failed first.
func (q *Queue) Dead(ctx context.Context, max int) ([]queue.Job, error) {
	rows, _ := q.pool.Query(ctx, dead, max)
	jobs, err := scanJobs(rows)
	if err != nil {
		return nil, pgdb.Classify(fmt.Errorf("pgqueue: dead: %w", err))
	}
	return jobs, nil
}

// DeadOf lists every dead job of kind, most recently failed first.
func (q *Queue) DeadOf(ctx context.Context, kind string) ([]queue.Job, error) {
	rows, _ := q.pool.Query(ctx, deadOf, kind)
	jobs, err := scanJobs(rows)
	if err != nil {
		return nil, pgdb.Classify(fmt.Errorf("pgqueue: dead of %s: %w", kind, err))
	}
	return jobs, nil
}

// Revive makes a dead job pending again, due at runAt, unless one of its
// kind and key is pending. A job of its kind and key queued by another
// node meanwhile, which the statement cannot see, breaks the unique
// index: that one does the work.
func (q *Queue) Revive(ctx context.Context, id int64, runAt time.Time) (bool, error) {
	tag, err := q.pool.Exec(ctx, revive, micro(runAt), micro(time.Now()), id)
	if pgdb.IsUniqueViolation(err) {
		return false, nil
	}
	if err != nil {
		return false, pgdb.Classify(fmt.Errorf("pgqueue: revive: %w", err))
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	q.enqueued.Notify()
	return true, nil
}

func scanJobs(rows pgx.Rows) ([]queue.Job, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.Job, error) {
		var j queue.Job
		var runAt int64
		err := r.Scan(&j.ID, &j.Kind, &j.Key, &j.Payload, &j.Attempt, &runAt, &j.Error)
		j.RunAt = fromMicro(runAt)
		return j, err
	})
}

// Depths reports the pending, due and dead jobs of every kind that has
// any, and the due time of the oldest due one, in one grouped query.
func (q *Queue) Depths(ctx context.Context, now time.Time) ([]queue.Depth, error) {
	rows, err := q.pool.Query(ctx, depths, micro(now))
	if err != nil {
		return nil, pgdb.Classify(fmt.Errorf("pgqueue: depths: %w", err))
	}
	byKind := map[string]*queue.Depth{}
	var out []queue.Depth
	for rows.Next() {
		var kind, state string
		var n, due, oldest int64
		if err := rows.Scan(&kind, &state, &n, &due, &oldest); err != nil {
			rows.Close()
			return nil, pgdb.Classify(fmt.Errorf("pgqueue: depths: %w", err))
		}
		d := byKind[kind]
		if d == nil {
			d = &queue.Depth{Kind: kind}
			byKind[kind] = d
		}
		if state == "dead" {
			d.Dead += n
			continue
		}
		d.Pending, d.Due = d.Pending+n, d.Due+due
		if due > 0 {
			d.OldestDue = fromMicro(oldest)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, pgdb.Classify(fmt.Errorf("pgqueue: depths: %w", err))
	}
	for _, d := range byKind {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Kind < out[k].Kind })
	return out, nil
}

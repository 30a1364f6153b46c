// Package sqlitequeue is the embedded implementation of queue.Queue: one
// table, queue_jobs, in a SQLite database — its own file or the store's file
// (its migrations are versioned in queue_migrations, apart from the store's).
//
// A job is pending until Done deletes it or Fail marks it dead. A lease is
// two columns, locked_by and lease_until; a pending job is claimable when it
// is due and its lease (if any) has run out, so a crashed worker's job comes
// back by itself and no node keeps state in memory.
//
// Only Enqueue waits for the disk (and Sync, for the jobs EnqueueDeferred
// queued before it: queue.Deferred). Every other write (Claim, Done, Retry,
// Fail, Release, Postpone) commits without an fsync: losing one to a power
// failure leaves the job pending with its lease running out, which is what
// a worker that crashed before the write leaves too, and the queue already
// delivers at least once to idempotent handlers. Accepted work is never
// lost: Enqueue returns once an fsync of the write-ahead log begun after
// its commit has finished (sqldb.WAL, shared by concurrent enqueues), which
// also makes every earlier commit in the log durable, in order
// (https://sqlite.org/pragma.html#pragma_synchronous, https://sqlite.org/wal.html).
// A process crash loses nothing either way; the operating system still has
// the log. A runner may claim a job in the moment between its enqueue's
// commit and that fsync; should a power failure then take the enqueue
// back, the job has run once although its enqueuer had no answer, which
// at-least-once delivery to idempotent handlers already allows.
package sqlitequeue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/sqldb"
)

var (
	_ queue.Queue     = (*Queue)(nil)
	_ queue.Inspector = (*Queue)(nil)
	_ queue.Notifier  = (*Queue)(nil)
	_ queue.Deferred  = (*Queue)(nil)
)

// Queue is a job queue in SQLite.
type Queue struct {
	db    *sql.DB
	own   bool // Open made db, Close closes it
	stmts sync.Map
	// wal makes an Enqueue durable (see the package comment); nil when
	// the caller opened db (New), whose own synchronous setting then
	// holds, or with RelaxedSync.
	wal *sqldb.WAL
	// enqueued wakes this process's runners (queue.Notifier).
	enqueued queue.Signal
}

// Options tune durability. The zero value is the safe default.
type Options struct {
	// RelaxedSync lets Enqueue, too, commit without an fsync: accepted
	// work then survives a crash of segl but not of the machine, as the
	// store's RelaxedSync does.
	RelaxedSync bool
}

// Open opens or creates the queue in the SQLite file at path, with one
// writer connection in WAL mode whose transactions begin IMMEDIATE, the way
// the store opens its file. It may be the store's own file.
func Open(path string, opts Options) (*Queue, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: open: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	qu, err := New(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	qu.own = true
	if !opts.RelaxedSync {
		if qu.wal, err = sqldb.WALOf(context.Background(), db); err != nil {
			qu.Close()
			return nil, fmt.Errorf("sqlitequeue: %w", err)
		}
	}
	return qu, nil
}

// New uses an open database and brings the queue's table up to date. The
// database should be set up as Open does it (busy_timeout, and
// _txlock=immediate or a single connection); Close leaves it open.
func New(db *sql.DB) (*Queue, error) {
	q := &Queue{db: db}
	if err := q.migrate(context.Background()); err != nil {
		return nil, err
	}
	for _, s := range statements {
		if _, err := q.stmt(context.Background(), s); err != nil {
			q.Close()
			return nil, fmt.Errorf("sqlitequeue: prepare: %w", err)
		}
	}
	return q, nil
}

// Ping reads the queue's table, for readiness: the queue may be a file of
// its own, which can fail apart from the store's, and can take no task
// after a failed fsync of its log (sqldb.WAL).
func (q *Queue) Ping(ctx context.Context) error {
	if q.wal != nil {
		if err := q.wal.Err(); err != nil {
			return err
		}
	}
	var n int
	if err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM queue_migrations`).Scan(&n); err != nil {
		return errs.Wrap(err, errs.Unavailable, errs.CodeDatabaseUnavailable, "sqlitequeue: ping")
	}
	return nil
}

// Close releases the prepared statements, and the database if Open made it.
func (q *Queue) Close() error {
	q.stmts.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	if !q.own {
		return nil
	}
	err := q.db.Close()
	if q.wal != nil {
		err = errors.Join(err, q.wal.Close())
	}
	return err
}

// migrations is append-only: never edit an applied entry, add a new one.
var migrations = []string{
	// 1: the jobs table. key is NULL when the caller gave none, so it never
	// collides; the partial unique index allows one pending job per
	// (kind, key) and any number done or dead. claimable serves Claim.
	`
CREATE TABLE queue_jobs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	key         TEXT,
	payload     BLOB NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('pending', 'dead')),
	attempt     INTEGER NOT NULL DEFAULT 0,
	run_at      INTEGER NOT NULL,
	locked_by   TEXT NOT NULL DEFAULT '',
	lease_until INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX queue_jobs_pending_key ON queue_jobs (kind, key) WHERE state = 'pending';
CREATE INDEX queue_jobs_claimable ON queue_jobs (kind, run_at) WHERE state = 'pending';
CREATE INDEX queue_jobs_dead ON queue_jobs (updated_at) WHERE state = 'dead';
`,
}

func (q *Queue) migrate(ctx context.Context) error {
	if err := sqldb.Migrate(ctx, q.db, "queue_migrations", migrations); err != nil {
		return fmt.Errorf("sqlitequeue: %w", err)
	}
	return nil
}

// stmt returns the prepared statement for query, preparing it once.
func (q *Queue) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := q.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := q.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := q.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// Statements, prepared once by New. The same SQL serves PostgreSQL with $n
// placeholders, kind = ANY($n) for json_each, and FOR UPDATE SKIP LOCKED in
// claim's subquery.
const (
	enqueue = `INSERT INTO queue_jobs (kind, key, payload, state, run_at, created_at, updated_at)
		VALUES (?, NULLIF(?, ''), ?, 'pending', ?, ?, ?)
		ON CONFLICT (kind, key) WHERE state = 'pending' DO NOTHING`
	// claim is one statement: it takes the write lock before it reads
	// (an UPDATE's transaction begins as a write transaction, as BEGIN
	// IMMEDIATE does), so two claimers can never both see a job as free.
	// Its LIMIT is written out (claimQuery), not bound: SQLite plans with
	// a bound LIMIT's value and compiles the statement again whenever that
	// parameter is bound to another one (sqlite3ExprIsInteger marks it
	// with sqlite3VdbeReprepareOnBind), which a runner's free slots do from
	// one claim to the next.
	claim = `UPDATE queue_jobs SET locked_by = ?, lease_until = ?, attempt = attempt + 1, updated_at = ?
		WHERE id IN (
			SELECT id FROM queue_jobs
			WHERE state = 'pending' AND kind IN (SELECT value FROM json_each(?))
				AND run_at <= ? AND lease_until <= ?
			ORDER BY run_at, id LIMIT %d)
		RETURNING id, kind, COALESCE(key, ''), payload, attempt, run_at, last_error`
	done  = `DELETE FROM queue_jobs WHERE id = ? AND state = 'pending' AND locked_by = ?`
	retry = `UPDATE queue_jobs SET run_at = ?, locked_by = '', lease_until = 0, last_error = ?, updated_at = ?
		WHERE id = ? AND state = 'pending' AND locked_by = ?`
	fail = `UPDATE queue_jobs SET state = 'dead', locked_by = '', lease_until = 0, last_error = ?, updated_at = ?
		WHERE id = ? AND state = 'pending' AND locked_by = ?`
	// depths counts by kind and state; the claimable index serves it.
	depths = `SELECT kind, state, COUNT(*), COALESCE(SUM(CASE WHEN run_at <= ? THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN run_at <= ? THEN run_at END), 0)
		FROM queue_jobs GROUP BY kind, state`
	release = `UPDATE queue_jobs SET locked_by = '', lease_until = 0, attempt = attempt - 1, updated_at = ?
		WHERE id = ? AND state = 'pending' AND locked_by = ?`
	postpone = `UPDATE queue_jobs SET run_at = ?, locked_by = '', lease_until = 0, attempt = attempt - 1, last_error = ?,
		updated_at = ? WHERE id = ? AND state = 'pending' AND locked_by = ?`
	dead = `SELECT id, kind, COALESCE(key, ''), payload, attempt, run_at, last_error
		FROM queue_jobs WHERE state = 'dead' ORDER BY updated_at DESC, id DESC LIMIT ?`
	deadOf = `SELECT id, kind, COALESCE(key, ''), payload, attempt, run_at, last_error
		FROM queue_jobs WHERE state = 'dead' AND kind = ? ORDER BY updated_at DESC, id DESC`
	// revive leaves the job dead while one of its kind and key is
	// pending: the unique index allows only one.
	revive = `UPDATE queue_jobs SET state = 'pending', attempt = 0, run_at = ?, locked_by = '', lease_until = 0, updated_at = ?
		WHERE id = ? AND state = 'dead' AND NOT EXISTS (
			SELECT 1 FROM queue_jobs p WHERE p.state = 'pending' AND p.kind = queue_jobs.kind AND p.key = queue_jobs.key)`
)

var statements = []string{enqueue, done, retry, fail, release, postpone, dead, deadOf, revive, depths}

// claimQuery is claim with its LIMIT max: one statement per limit, each
// prepared once (a runner's limits are its few numbers of free slots).
func claimQuery(max int) string { return fmt.Sprintf(claim, max) }

func micro(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicro(n int64) time.Time { return time.UnixMicro(n).UTC() }

// Enqueue adds a job; a pending job with the same kind and key makes it a
// no-op. It returns once the job is on the disk.
func (q *Queue) Enqueue(ctx context.Context, kind, key string, payload []byte, runAt time.Time) error {
	if err := q.insert(ctx, kind, key, payload, runAt); err != nil {
		return err
	}
	if err := q.durable(); err != nil {
		return fmt.Errorf("sqlitequeue: enqueue: %w", err)
	}
	q.enqueued.Notify()
	return nil
}

// EnqueueDeferred is Enqueue without the wait for the disk
// (queue.Deferred): the job is durable once Sync, or a later Enqueue, has
// returned, as every commit before it in the log is.
func (q *Queue) EnqueueDeferred(ctx context.Context, kind, key string, payload []byte, runAt time.Time) error {
	if err := q.insert(ctx, kind, key, payload, runAt); err != nil {
		return err
	}
	q.enqueued.Notify()
	return nil
}

// Sync returns once every job queued before it is on the disk
// (queue.Deferred).
func (q *Queue) Sync() error {
	if err := q.durable(); err != nil {
		return fmt.Errorf("sqlitequeue: sync: %w", err)
	}
	return nil
}

// insert commits a new job, or nothing when one with its kind and key is
// pending.
func (q *Queue) insert(ctx context.Context, kind, key string, payload []byte, runAt time.Time) error {
	if kind == "" {
		return errs.E(errs.Invalid, queue.CodeInvalid, "queue: job kind is empty")
	}
	if payload == nil {
		payload = []byte{}
	}
	now := micro(time.Now())
	st, err := q.stmt(ctx, enqueue)
	if err != nil {
		return fmt.Errorf("sqlitequeue: enqueue: %w", err)
	}
	// One statement, its own transaction, as Claim's: no BEGIN and COMMIT
	// for the driver to parse and run around it.
	if _, err := st.ExecContext(ctx, kind, key, payload, micro(runAt), now, now); err != nil {
		return fmt.Errorf("sqlitequeue: enqueue: %w", sqldb.Full(err))
	}
	return nil
}

// durable returns once every commit made before it is on the disk (see
// the package comment). Without wal the connection's own setting holds.
func (q *Queue) durable() error {
	if q.wal == nil {
		return nil
	}
	return q.wal.Sync()
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
	kindList, err := json.Marshal(kinds)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: claim: %w", err)
	}
	st, err := q.stmt(ctx, claimQuery(max))
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: claim: %w", err)
	}
	// One statement, its own transaction: no BEGIN and COMMIT around it
	// to parse and run. Its commit is the step that ends the rows, whose
	// error scanJobs reports.
	rows, err := st.QueryContext(ctx, worker, micro(now.Add(lease)), micro(time.Now()), string(kindList), micro(now), micro(now))
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: claim: %w", sqldb.Full(err))
	}
	jobs, err := scanJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: claim: %w", sqldb.Full(err))
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
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlitequeue: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlitequeue: %s: %w", op, err)
	}
	if n != 1 {
		return errs.E(errs.Conflict, queue.CodeLeaseLost, "queue: job %d is not leased to %s", id, worker)
	}
	return nil
}

// Dead lists up to max dead jobs, most recently failed first.
func (q *Queue) Dead(ctx context.Context, max int) ([]queue.Job, error) {
	st, err := q.stmt(ctx, dead)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: dead: %w", err)
	}
	rows, err := st.QueryContext(ctx, max)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: dead: %w", err)
	}
	jobs, err := scanJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: dead: %w", err)
	}
	return jobs, nil
}

// DeadOf lists every dead job of kind, most recently failed first.
func (q *Queue) DeadOf(ctx context.Context, kind string) ([]queue.Job, error) {
	st, err := q.stmt(ctx, deadOf)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: dead of %s: %w", kind, err)
	}
	rows, err := st.QueryContext(ctx, kind)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: dead of %s: %w", kind, err)
	}
	jobs, err := scanJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: dead of %s: %w", kind, err)
	}
	return jobs, nil
}

// Revive makes a dead job pending again, due at runAt, unless one of its
// kind and key is pending. Like Claim it does not wait for the disk: a
// revival lost to a power failure leaves the job dead, where the sweep
// that revived it finds it again.
func (q *Queue) Revive(ctx context.Context, id int64, runAt time.Time) (bool, error) {
	res, err := q.exec(ctx, revive, micro(runAt), micro(time.Now()), id)
	if err != nil {
		return false, fmt.Errorf("sqlitequeue: revive: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	q.enqueued.Notify()
	return true, nil
}

func (q *Queue) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(ctx, args...)
	return res, sqldb.Full(err)
}

func scanJobs(rows *sql.Rows) ([]queue.Job, error) {
	defer rows.Close()
	var jobs []queue.Job
	for rows.Next() {
		var j queue.Job
		var runAt int64
		if err := rows.Scan(&j.ID, &j.Kind, &j.Key, &j.Payload, &j.Attempt, &runAt, &j.Error); err != nil {
			return nil, err
		}
		j.RunAt = fromMicro(runAt)
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return jobs, nil
}

// Depths reports the pending, due and dead jobs of every kind that has
// any, and the due time of the oldest due one, in one grouped query.
func (q *Queue) Depths(ctx context.Context, now time.Time) ([]queue.Depth, error) {
	st, err := q.stmt(ctx, depths)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: depths: %w", err)
	}
	rows, err := st.QueryContext(ctx, micro(now), micro(now))
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: depths: %w", sqldb.Full(err))
	}
	byKind := map[string]*queue.Depth{}
	var out []queue.Depth
	for rows.Next() {
		var kind, state string
		var n, due, oldest int64
		if err := rows.Scan(&kind, &state, &n, &due, &oldest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlitequeue: depths: %w", err)
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
		return nil, fmt.Errorf("sqlitequeue: depths: %w", err)
	}
	for _, d := range byKind {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Kind < out[k].Kind })
	return out, nil
}

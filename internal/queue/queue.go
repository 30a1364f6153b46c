// Package queue is the port for durable background work: callbacks,
// notifications, expiry sweeps, re-time-stamping. Everything scheduled goes
// through it (DESIGN §1), so any node of a scaled-out deployment can pick up
// any job and nothing lives only in one process's memory.
//
// Delivery is at least once, guarded by leases: Claim hands a job to one
// worker until its lease ends; a worker that crashes simply never says Done,
// the lease runs out and another worker gets the job. Handlers must therefore
// be idempotent, which together with the lease gives exactly-once in effect.
// The idempotency key on Enqueue keeps the same work from being queued twice
// while it is still pending.
//
// Why our own table and not river (DESIGN §7): river's SQLite driver exists
// in v0.49.0 but not in v0.51, so adopting it would pin the embedded store to
// a version we could not upgrade, and that driver is the least exercised
// part of river. What we need is small — one
// table, five statements, one Runner — and the same SQL (partial unique
// index, UPDATE … RETURNING) runs on PostgreSQL with FOR UPDATE SKIP LOCKED
// added to Claim. All state is in the table; no node holds anything another
// node needs. See docs/architecture.md.
package queue

import (
	"context"
	"time"
)

// Job is one unit of background work as a worker sees it.
type Job struct {
	ID   int64
	Kind string // selects the handler, e.g. "callback" or "notify-signer"
	// Key makes Enqueue idempotent: at most one pending job per (Kind, Key).
	// An empty key never collides.
	Key     string
	Payload []byte
	// Attempt counts deliveries, starting at 1 on the first Claim. It also
	// counts deliveries lost to a crash (the lease ran out), so a job that
	// kills its worker every time still reaches the dead letter.
	Attempt int
	RunAt   time.Time // when the job became (or becomes) due
	Error   string    // the last failure, if any
}

// Queue is the durable store of jobs. Implementations live in sub-packages
// (sqlitequeue, pgqueue) and pass queuetest.Run.
//
// Done, Retry and Fail succeed only for the current lease holder; for anyone
// else they return an errs.Conflict with code "queue-lease-lost", which means
// another worker has taken the job over and will finish it.
type Queue interface {
	// Enqueue adds a job due at runAt. A pending job with the same kind and
	// non-empty key makes it a no-op (a claimed but unfinished job counts as
	// pending). Callers whose work depends on data that may change after a
	// claim should put a version into the key.
	Enqueue(ctx context.Context, kind, key string, payload []byte, runAt time.Time) error
	// Claim atomically leases up to max due jobs of the given kinds to worker
	// until now+lease, oldest due first. Worker names must be unique per
	// running process (the Runner makes one up).
	Claim(ctx context.Context, worker string, kinds []string, lease time.Duration, now time.Time, max int) ([]Job, error)
	// Done removes a finished job.
	Done(ctx context.Context, id int64, worker string) error
	// Retry releases the lease and makes the job due again at next. The
	// caller decides the backoff; the next Claim increments Attempt.
	Retry(ctx context.Context, id int64, worker string, err string, next time.Time) error
	// Fail moves the job to the dead letter, keeping err for an operator.
	Fail(ctx context.Context, id int64, worker string, err string) error
	// Release hands a job back untouched when its worker stops (a node
	// shutting down): the lease ends now, so any worker can claim the job
	// at once instead of after the lease runs out, and the delivery is not
	// counted as an attempt, because the job did not fail. It does not
	// change when the job is due or its last error.
	Release(ctx context.Context, id int64, worker string) error
	// Postpone makes the job due again at next, like Retry, keeping err
	// as its last error, but like Release does not count the delivery as
	// an attempt: the job did not fail, segl's own storage (the database,
	// the object store, the disk) was away, and however long that lasts
	// it must not use up the attempts that lead to the dead letter.
	Postpone(ctx context.Context, id int64, worker string, err string, next time.Time) error
	// Dead lists up to max dead jobs, newest first.
	Dead(ctx context.Context, max int) ([]Job, error)
	// DeadOf lists every dead job of one kind, newest first: for a sweep
	// that revives some (Revive), over a kind whose dead jobs stay few.
	DeadOf(ctx context.Context, kind string) ([]Job, error)
	// Revive makes a dead job pending again, due at runAt, its attempts
	// counted afresh and its last error kept: what it gave up on (an
	// outage, DiedOfOutage) may be over. It reports false and changes
	// nothing when the job is not dead, or when a job of its kind and key
	// is pending, which does the same work.
	Revive(ctx context.Context, id int64, runAt time.Time) (bool, error)
}

// Depth is how much work of one kind waits, for monitoring.
type Depth struct {
	Kind    string
	Pending int64 // not finished and not dead, due or not
	Due     int64 // of those, due now: what workers should be taking
	Dead    int64 // in the dead letter, waiting for an operator
	// OldestDue is the due time of the longest-waiting due job, zero when
	// none is due. now minus it is how far behind the workers are.
	OldestDue time.Time
}

// Inspector is the optional capability of a Queue to report its depth
// cheaply (one grouped query), for the metrics.
type Inspector interface {
	// Depths reports every kind that has pending or dead jobs.
	Depths(ctx context.Context, now time.Time) ([]Depth, error)
}

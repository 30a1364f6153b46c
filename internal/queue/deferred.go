package queue

import (
	"context"
	"time"
)

// Deferred is the optional capability of a Queue to take a job without
// waiting for the disk (sqlitequeue: an fsync of its log per enqueue;
// PostgreSQL's commits are durable by themselves). The job runs like any
// other, but a power failure may take it back until Sync returns. It is
// for a caller that calls Sync before anything depends on the jobs being
// kept (the delivery pump, before it moves its cursor past the entries
// that called for them: several jobs, one fsync), or whose job is queued
// again from elsewhere should it be lost (a completion queued by the last
// signer's act, which the job's "job.signed" feed entry queues too).
type Deferred interface {
	// EnqueueDeferred is Enqueue without the wait for the disk.
	EnqueueDeferred(ctx context.Context, kind, key string, payload []byte, runAt time.Time) error
	// Sync returns once every job queued before it is on the disk.
	Sync() error
}

// EnqueueDeferred queues a job through q's Deferred capability, or with
// Enqueue (which waits for the disk itself) when q has none.
func EnqueueDeferred(ctx context.Context, q Queue, kind, key string, payload []byte, runAt time.Time) error {
	if d, ok := q.(Deferred); ok {
		return d.EnqueueDeferred(ctx, kind, key, payload, runAt)
	}
	return q.Enqueue(ctx, kind, key, payload, runAt)
}

// Sync makes the jobs queued through q with EnqueueDeferred durable; a
// Queue without the capability made each durable as it took it.
func Sync(q Queue) error {
	if d, ok := q.(Deferred); ok {
		return d.Sync()
	}
	return nil
}

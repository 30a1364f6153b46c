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

// Task is one job for EnqueueDeferredBatch: Enqueue's arguments.
type Task struct {
	Kind, Key string
	Payload   []byte
	RunAt     time.Time
}

// DeferredBatch is the optional capability of a Deferred queue to take
// several jobs in one commit (sqlitequeue: one write transaction instead
// of one per job), each as EnqueueDeferred would: a pending job with the
// same kind and key makes that one a no-op. Either every job of the batch
// is taken or none is.
type DeferredBatch interface {
	EnqueueDeferredBatch(ctx context.Context, tasks []Task) error
}

// EnqueueDeferredBatch queues tasks through q's DeferredBatch capability,
// or one at a time with EnqueueDeferred when q has none (a failure then
// leaves the tasks before it queued, which their keys make harmless to
// queue again).
func EnqueueDeferredBatch(ctx context.Context, q Queue, tasks []Task) error {
	if len(tasks) == 0 {
		return nil
	}
	if b, ok := q.(DeferredBatch); ok {
		return b.EnqueueDeferredBatch(ctx, tasks)
	}
	for _, t := range tasks {
		if err := EnqueueDeferred(ctx, q, t.Kind, t.Key, t.Payload, t.RunAt); err != nil {
			return err
		}
	}
	return nil
}

package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/health"
)

// Handler does the work of one job. It must be idempotent: after a crash or
// a lost lease the same job can run again. Its context ends when the lease
// does, after which another worker may already be running the job.
type Handler func(ctx context.Context, j Job) error

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so the Runner moves the job to the dead letter at once
// instead of retrying it (a payload that does not parse, a job that no
// longer exists).
func Permanent(err error) error { return permanent{err} }

// Backoff spaces retries exponentially: Base·2^(attempt-1), at most Max,
// shortened by up to Jitter (0…1) of itself at random so that jobs failing
// together do not retry together.
type Backoff struct {
	Base   time.Duration // default 10s
	Max    time.Duration // default 1h
	Jitter float64       // 0 means none
}

// Delay is how long to wait after the given (1-based) attempt failed.
func (b Backoff) Delay(attempt int) time.Duration {
	base, max := b.Base, b.Max
	if base <= 0 {
		base = 10 * time.Second
	}
	if max <= 0 {
		max = time.Hour
	}
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	if b.Jitter > 0 {
		d -= time.Duration(rand.Float64() * min(b.Jitter, 1) * float64(d))
	}
	return d
}

// RunnerOptions configure a Runner. The zero value is usable.
type RunnerOptions struct {
	// Worker names this runner in leases; it must be unique among running
	// runners. Default: host name, process id and a random suffix.
	Worker string
	// Lease is how long a claimed job belongs to this runner, and the
	// deadline of the handler's context. It must exceed the longest
	// handler run. Default 1 minute.
	Lease time.Duration
	// Poll is the pause between claims when nothing was due. Jobs queued
	// in this process wake the runner at once when the Queue is a
	// Notifier; Poll is how soon jobs queued elsewhere (another node,
	// or coming due) are found. Default 1s.
	Poll time.Duration
	// Concurrency is how many jobs run at once. Default 1.
	Concurrency int
	// MaxAttempts is how many deliveries a job gets before it is dead.
	// Default 10.
	MaxAttempts int
	Backoff     Backoff
	// Observe, when set, hears the outcome of every delivery: "done",
	// "retry", "dead", "released" (handed back at a stop) or "postponed"
	// (segl's storage was away; not counted as an attempt), with the
	// job's kind. For the metrics; it must not block.
	Observe func(kind, outcome string)
	Clock   clock.Clock  // default the system clock
	Log     *slog.Logger // default slog.Default()
}

// Runner claims due jobs and runs their handlers: a handler error or panic
// is retried with backoff, the last allowed attempt or a Permanent error
// moves the job to the dead letter.
type Runner struct {
	q        Queue
	opts     RunnerOptions
	mu       sync.Mutex
	handlers map[string]Handler
}

// NewRunner returns a runner on q; register handlers before Run.
func NewRunner(q Queue, opts RunnerOptions) *Runner {
	if opts.Worker == "" {
		host, _ := os.Hostname()
		opts.Worker = fmt.Sprintf("%s-%d-%08x", host, os.Getpid(), rand.Uint32())
	}
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 1
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Observe == nil {
		opts.Observe = func(kind, outcome string) {}
	}
	return &Runner{q: q, opts: opts, handlers: map[string]Handler{}}
}

// Handle registers h for jobs of kind.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Run claims and runs jobs until ctx ends, keeping up to Concurrency of
// them running. It claims for the idle workers when one finishes and more
// may be due, when a job is queued in this process (Notifier), and every
// Poll otherwise; a slow job never holds up the others, as waiting for a
// whole batch would. A failing queue is retried after Poll and logged once
// per outage (health.Failing); Run only returns ctx's error. When ctx
// ends, running handlers see their context end too, and the jobs they do
// not finish are handed back (Queue.Release) before Run returns.
func (r *Runner) Run(ctx context.Context) error {
	claims := &health.Failing{What: "queue: claim", Log: r.opts.Log.With("worker", r.opts.Worker)}
	var running sync.WaitGroup
	defer running.Wait()
	var mu sync.Mutex
	busy := 0
	freed := make(chan struct{}, 1) // a worker finished since the last look
	for {
		// Taken before claiming, so that a job queued during the claim
		// still wakes the loop.
		var enqueued <-chan struct{}
		if n, ok := r.q.(Notifier); ok {
			enqueued = n.Enqueued()
		}
		mu.Lock()
		idle := r.opts.Concurrency - busy
		mu.Unlock()
		more := idle == 0 // every worker busy: look again when one is free
		if idle > 0 {
			jobs, err := r.claim(ctx, idle)
			if ctx.Err() == nil {
				claims.Note(err, r.opts.Clock.Now())
			}
			mu.Lock()
			busy += len(jobs)
			mu.Unlock()
			for _, j := range jobs {
				running.Go(func() {
					r.run(ctx, j)
					mu.Lock()
					busy--
					mu.Unlock()
					select {
					case freed <- struct{}{}:
					default:
					}
				})
			}
			more = err == nil && len(jobs) == idle // there may be more due right now
		}
		if more {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-freed:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-enqueued:
		case <-time.After(r.opts.Poll):
		}
	}
}

// RunOnce claims one batch of due jobs, runs them and waits for them to
// finish. It returns how many jobs it ran. Tests drive it with a fake clock.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	jobs, err := r.claim(ctx, r.opts.Concurrency)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { r.run(ctx, j) })
	}
	wg.Wait()
	return len(jobs), nil
}

// RunDue runs claims until none finds a due task, and returns how many
// tasks ran: a batch tool's (and a benchmark's) way to empty the queue of
// what is due now without a polling loop.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.RunOnce(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// claim leases up to max due jobs of the kinds that have handlers.
func (r *Runner) claim(ctx context.Context, max int) ([]Job, error) {
	r.mu.Lock()
	kinds := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		kinds = append(kinds, k)
	}
	r.mu.Unlock()
	if len(kinds) == 0 {
		return nil, nil
	}
	sort.Strings(kinds)
	return r.q.Claim(ctx, r.opts.Worker, kinds, r.opts.Lease, r.opts.Clock.Now(), max)
}

// run runs one claimed job and records the outcome. Recording errors are
// only logged: the lease will run out and the job will be delivered again,
// which idempotent handlers tolerate.
func (r *Runner) run(ctx context.Context, j Job) {
	log := r.opts.Log.With("worker", r.opts.Worker, "job", j.ID, "kind", j.Kind, "attempt", j.Attempt)
	// Recording the outcome must not be lost to the caller's cancellation
	// once the work is done.
	rec := context.WithoutCancel(ctx)
	if j.Attempt > r.opts.MaxAttempts {
		// Earlier deliveries never reported back: the worker crashed or
		// lost its lease each time.
		msg := fmt.Sprintf("queue: gave up after %d deliveries without an outcome (last error: %s)", j.Attempt-1, j.Error)
		r.opts.Observe(j.Kind, "dead")
		if err := r.q.Fail(rec, j.ID, r.opts.Worker, msg); err != nil {
			log.Error("queue: fail", "err", err)
		}
		return
	}
	r.mu.Lock()
	h := r.handlers[j.Kind]
	r.mu.Unlock()
	hctx, cancel := context.WithTimeout(ctx, r.opts.Lease)
	err := call(hctx, h, j)
	cancel()
	var perm permanent
	switch {
	case err == nil:
		r.opts.Observe(j.Kind, "done")
		err = r.q.Done(rec, j.ID, r.opts.Worker)
	case ctx.Err() != nil:
		// The runner is stopping (the node shuts down) and cut the
		// handler off: hand the job back so that another node runs it
		// now rather than when the lease would have run out. That is
		// not the job's failure, so it costs no attempt.
		log.Info("queue: runner stopping, job handed back", "err", err)
		r.opts.Observe(j.Kind, "released")
		err = r.q.Release(rec, j.ID, r.opts.Worker)
	case errs.StorageTrouble(err):
		// segl's own storage is away or full: not the job's failure, so
		// an outage of any length costs it no attempt (queue.Postpone).
		// The delay stays that of its current attempt.
		delay := r.opts.Backoff.Delay(j.Attempt)
		log.Info("queue: storage unavailable, job postponed", "err", err, "in", delay)
		r.opts.Observe(j.Kind, "postponed")
		err = r.q.Postpone(rec, j.ID, r.opts.Worker, err.Error(), r.opts.Clock.Now().Add(delay))
	case errors.As(err, &perm) || j.Attempt >= r.opts.MaxAttempts:
		log.Warn("queue: job dead", "err", err)
		r.opts.Observe(j.Kind, "dead")
		msg := err.Error()
		if e := errs.From(err); e != nil && e.Kind == errs.Unavailable && !errors.As(err, &perm) {
			msg = outageMark + e.Code + "): " + msg
		}
		err = r.q.Fail(rec, j.ID, r.opts.Worker, msg)
	default:
		delay := r.opts.Backoff.Delay(j.Attempt)
		log.Info("queue: job failed, will retry", "err", err, "in", delay)
		r.opts.Observe(j.Kind, "retry")
		err = r.q.Retry(rec, j.ID, r.opts.Worker, err.Error(), r.opts.Clock.Now().Add(delay))
	}
	if err != nil {
		log.Error("queue: record outcome", "err", err)
	}
}

// call runs h, turning a panic into an error so one bad job cannot take the
// runner down.
func call(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("queue: handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	if h == nil {
		return Permanent(fmt.Errorf("queue: no handler for kind %q", j.Kind))
	}
	return h(ctx, j)
}

// outageMark begins the last error of a job that went to the dead letter
// through an outage of a service it needs (errs.Unavailable, with its code
// after the mark) rather than through a failure of its own: a dead job's
// row keeps no kind of error, only its text.
const outageMark = "outage ("

// DiedOfOutage reports whether a dead job gave up through an outage (a TSA,
// an OCSP responder or an HSM that stayed away longer than its attempts),
// which a sweep may Revive it for; any other failure (a bug, a panic, work
// that can never be done) stays in the dead letter for an operator, once.
func DiedOfOutage(j Job) bool { return strings.HasPrefix(j.Error, outageMark) }

// Package queuetest is the conformance suite every queue.Queue
// implementation must pass: one Run, many back ends. Time is the `now`
// argument of Claim and a fake clock for the Runner, so leases expire
// without sleeping.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/queue"
)

// Run runs the whole suite. newQueue must return an empty queue each call
// and arrange its own cleanup.
func Run(t *testing.T, newQueue func(t *testing.T) queue.Queue) {
	tests := []struct {
		name string
		fn   func(t *testing.T, q queue.Queue)
	}{
		{"ok/enqueue-claim-done", testEnqueueClaimDone},
		{"ok/not-due-not-claimed", testNotDue},
		{"ok/kinds-filter-and-order", testKindsAndOrder},
		{"ok/duplicate-key-no-op", testDuplicateKey},
		{"ok/deferred-as-enqueued", testDeferred},
		{"ok/lease-hides-then-expires", testLease},
		{"fail/non-holder-refused", testNonHolder},
		{"ok/retry-increments-attempt-and-delays", testRetry},
		{"ok/fail-moves-to-dead", testFail},
		{"ok/concurrent-claimers-disjoint", testConcurrentClaim},
		{"ok/crash-then-takeover", testCrash},
		{"ok/runner-fails-twice-then-succeeds", testRunnerRetries},
		{"ok/runner-recovers-panic", testRunnerPanic},
		{"fail/runner-max-attempts-dead", testRunnerMaxAttempts},
		{"fail/runner-permanent-dead", testRunnerPermanent},
		{"ok/runner-run-loop", testRunnerLoop},
		{"ok/runner-wakes-on-enqueue", testRunnerWakes},
		{"ok/runner-slow-job-holds-up-nobody", testRunnerSlowJob},
		{"ok/release-claimable-at-once", testRelease},
		{"fail/release-by-non-holder", testReleaseNonHolder},
		{"ok/postpone-costs-no-attempt", testPostpone},
		{"fail/postpone-by-non-holder", testPostponeNonHolder},
		{"ok/runner-storage-outage-never-dead", testRunnerStorageOutage},
		{"ok/runner-stop-hands-back", testRunnerStop},
		{"ok/depths", testDepths},
		{"ok/revive", testRevive},
		{"ok/runner-marks-outage", testRunnerMarksOutage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newQueue(t))
		})
	}
}

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const lease = time.Minute

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func enqueue(t *testing.T, q queue.Queue, kind, key, payload string, at time.Time) {
	t.Helper()
	if err := q.Enqueue(context.Background(), kind, key, []byte(payload), at); err != nil {
		t.Fatalf("enqueue %s/%s: %v", kind, key, err)
	}
}

func claim(t *testing.T, q queue.Queue, worker string, now time.Time, max int, kinds ...string) []queue.Job {
	t.Helper()
	if len(kinds) == 0 {
		kinds = []string{"callback"}
	}
	jobs, err := q.Claim(context.Background(), worker, kinds, lease, now, max)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return jobs
}

func claimOne(t *testing.T, q queue.Queue, worker string, now time.Time) queue.Job {
	t.Helper()
	jobs := claim(t, q, worker, now, 10)
	if len(jobs) != 1 {
		t.Fatalf("claimed %d jobs, want 1: %+v", len(jobs), jobs)
	}
	return jobs[0]
}

func claimNone(t *testing.T, q queue.Queue, worker string, now time.Time) {
	t.Helper()
	if jobs := claim(t, q, worker, now, 10); len(jobs) != 0 {
		t.Fatalf("claimed %+v, want nothing", jobs)
	}
}

func testEnqueueClaimDone(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	enqueue(t, q, "callback", "job-1", `{"job":"1"}`, t0)
	j := claimOne(t, q, "w1", t0)
	if j.Kind != "callback" || j.Key != "job-1" || string(j.Payload) != `{"job":"1"}` || j.Attempt != 1 || !j.RunAt.Equal(t0) {
		t.Fatalf("claimed %+v", j)
	}
	if err := q.Done(ctx, j.ID, "w1"); err != nil {
		t.Fatal(err)
	}
	claimNone(t, q, "w1", t0.Add(24*time.Hour))
	if err := q.Done(ctx, j.ID, "w1"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("second Done: %v, want conflict", err)
	}
	// The key is free again once the job is done.
	enqueue(t, q, "callback", "job-1", "again", t0)
	if j2 := claimOne(t, q, "w1", t0); string(j2.Payload) != "again" || j2.ID == j.ID {
		t.Fatalf("re-enqueued job: %+v", j2)
	}
}

func testNotDue(t *testing.T, q queue.Queue) {
	enqueue(t, q, "callback", "k", "", t0.Add(time.Hour))
	claimNone(t, q, "w1", t0)
	claimNone(t, q, "w1", t0.Add(time.Hour-time.Microsecond))
	claimOne(t, q, "w1", t0.Add(time.Hour))
}

func testKindsAndOrder(t *testing.T, q queue.Queue) {
	enqueue(t, q, "callback", "c2", "", t0.Add(2*time.Second))
	enqueue(t, q, "notify", "n1", "", t0)
	enqueue(t, q, "callback", "c1", "", t0.Add(time.Second))
	enqueue(t, q, "callback", "c3", "", t0.Add(3*time.Second))
	jobs := claim(t, q, "w1", t0.Add(time.Minute), 2, "callback")
	if len(jobs) != 2 || jobs[0].Key != "c1" || jobs[1].Key != "c2" {
		t.Fatalf("claimed %+v, want c1 then c2", jobs)
	}
	jobs = claim(t, q, "w1", t0.Add(time.Minute), 10, "callback", "notify")
	if len(jobs) != 2 || jobs[0].Key != "n1" || jobs[1].Key != "c3" {
		t.Fatalf("claimed %+v, want n1 then c3", jobs)
	}
	if jobs := claim(t, q, "w1", t0.Add(time.Minute), 10, "expire"); len(jobs) != 0 {
		t.Fatalf("other kind claimed %+v", jobs)
	}
}

func testDuplicateKey(t *testing.T, q queue.Queue) {
	enqueue(t, q, "callback", "job-1", "first", t0)
	enqueue(t, q, "callback", "job-1", "second", t0) // pending: no-op
	enqueue(t, q, "notify", "job-1", "other kind", t0)
	enqueue(t, q, "callback", "", "no key a", t0) // empty keys never collide
	enqueue(t, q, "callback", "", "no key b", t0)
	jobs := claim(t, q, "w1", t0, 10, "callback")
	if len(jobs) != 3 {
		t.Fatalf("claimed %d callback jobs, want 3: %+v", len(jobs), jobs)
	}
	for _, j := range jobs {
		if j.Key == "job-1" && string(j.Payload) != "first" {
			t.Fatalf("duplicate replaced the payload: %q", j.Payload)
		}
	}
	// A claimed job is still pending: enqueueing its key again is a no-op.
	enqueue(t, q, "callback", "job-1", "third", t0)
	claimNone(t, q, "w2", t0)
	if len(claim(t, q, "w2", t0, 10, "notify")) != 1 {
		t.Fatal("same key of another kind was not kept")
	}
}

// A job queued without waiting for the disk (queue.EnqueueDeferred, a
// plain Enqueue on a queue without the capability) is claimed like any
// other and keeps the key rule; Sync then answers.
func testDeferred(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	for _, payload := range []string{"first", "second"} {
		if err := queue.EnqueueDeferred(ctx, q, "callback", "job-1", []byte(payload), t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := queue.Sync(q); err != nil {
		t.Fatal(err)
	}
	if j := claimOne(t, q, "w1", t0); string(j.Payload) != "first" {
		t.Fatalf("deferred duplicate replaced the payload: %q", j.Payload)
	}
}

func testLease(t *testing.T, q queue.Queue) {
	enqueue(t, q, "callback", "k", "", t0)
	j := claimOne(t, q, "w1", t0)
	claimNone(t, q, "w2", t0)
	claimNone(t, q, "w2", t0.Add(lease-time.Microsecond))
	j2 := claimOne(t, q, "w2", t0.Add(lease))
	if j2.ID != j.ID || j2.Attempt != 2 {
		t.Fatalf("after lease expiry got %+v, want job %d attempt 2", j2, j.ID)
	}
}

func testNonHolder(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	enqueue(t, q, "callback", "k", "", t0)
	j := claimOne(t, q, "w1", t0)
	for name, err := range map[string]error{
		"done":  q.Done(ctx, j.ID, "w2"),
		"retry": q.Retry(ctx, j.ID, "w2", "boom", t0),
		"fail":  q.Fail(ctx, j.ID, "w2", "boom"),
		"gone":  q.Done(ctx, j.ID+1000, "w1"),
	} {
		if !errs.Is(err, errs.Conflict) {
			t.Errorf("%s by non-holder: %v, want conflict", name, err)
		}
	}
	if err := q.Done(ctx, j.ID, "w1"); err != nil {
		t.Fatalf("holder's Done after refusals: %v", err)
	}
}

func testRetry(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	enqueue(t, q, "callback", "k", "p", t0)
	j := claimOne(t, q, "w1", t0)
	next := t0.Add(5 * time.Minute)
	if err := q.Retry(ctx, j.ID, "w1", "503 from sender", next); err != nil {
		t.Fatal(err)
	}
	if err := q.Done(ctx, j.ID, "w1"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("Done after Retry released the lease: %v, want conflict", err)
	}
	claimNone(t, q, "w2", t0.Add(lease)) // lease released, but not yet due
	j2 := claimOne(t, q, "w2", next)
	if j2.ID != j.ID || j2.Attempt != 2 || j2.Error != "503 from sender" || !j2.RunAt.Equal(next) || string(j2.Payload) != "p" {
		t.Fatalf("after retry claimed %+v", j2)
	}
}

func testFail(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	enqueue(t, q, "callback", "k", "p", t0)
	j := claimOne(t, q, "w1", t0)
	if err := q.Fail(ctx, j.ID, "w1", "invalid payload"); err != nil {
		t.Fatal(err)
	}
	claimNone(t, q, "w2", t0.Add(24*time.Hour))
	dead, err := q.Dead(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ID != j.ID || dead[0].Error != "invalid payload" || dead[0].Key != "k" {
		t.Fatalf("dead letter = %+v", dead)
	}
	if err := q.Done(ctx, j.ID, "w1"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("Done on a dead job: %v, want conflict", err)
	}
	// A dead job does not block its key.
	enqueue(t, q, "callback", "k", "fixed", t0)
	if j2 := claimOne(t, q, "w1", t0); string(j2.Payload) != "fixed" {
		t.Fatalf("re-enqueued %+v", j2)
	}
}

func testConcurrentClaim(t *testing.T, q queue.Queue) {
	const jobs, workers = 120, 6
	for i := range jobs {
		enqueue(t, q, "callback", fmt.Sprint(i), "", t0)
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		worker := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				got, err := q.Claim(context.Background(), worker, []string{"callback"}, lease, t0, 4)
				if err != nil {
					errc <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, j := range got {
					if other, dup := seen[j.ID]; dup {
						errc <- fmt.Errorf("job %d claimed by %s and %s", j.ID, other, worker)
					}
					seen[j.ID] = worker
				}
				mu.Unlock()
				for _, j := range got {
					if err := q.Done(context.Background(), j.ID, worker); err != nil {
						errc <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if len(seen) != jobs {
		t.Fatalf("claimed %d distinct jobs, want %d", len(seen), jobs)
	}
}

// testCrash: a worker claims a job and dies without a word; once its lease
// has run out another worker finishes the job, and the dead worker's late
// report is refused.
func testCrash(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	enqueue(t, q, "callback", "job-7", "payload", t0)
	crashed := claimOne(t, q, "node-a", t0)
	claimNone(t, q, "node-b", t0.Add(lease/2))
	j := claimOne(t, q, "node-b", t0.Add(lease+time.Second))
	if j.ID != crashed.ID || j.Attempt != 2 || string(j.Payload) != "payload" {
		t.Fatalf("takeover claimed %+v", j)
	}
	if err := q.Done(ctx, j.ID, "node-b"); err != nil {
		t.Fatal(err)
	}
	if err := q.Done(ctx, crashed.ID, "node-a"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("crashed worker's late Done: %v, want conflict", err)
	}
	claimNone(t, q, "node-c", t0.Add(time.Hour))
}

func newRunner(q queue.Queue, clk clock.Clock, maxAttempts int) *queue.Runner {
	return queue.NewRunner(q, queue.RunnerOptions{Worker: "runner", Lease: lease, MaxAttempts: maxAttempts,
		Backoff: queue.Backoff{Base: time.Second, Max: time.Minute}, Clock: clk, Log: quiet})
}

func runOnce(t *testing.T, r *queue.Runner, want int) {
	t.Helper()
	n, err := r.RunOnce(context.Background())
	if err != nil || n != want {
		t.Fatalf("RunOnce = %d, %v; want %d", n, err, want)
	}
}

func testRunnerRetries(t *testing.T, q queue.Queue) {
	clk := clock.NewFake(t0)
	r := newRunner(q, clk, 5)
	var attempts []int
	r.Handle("callback", func(ctx context.Context, j queue.Job) error {
		attempts = append(attempts, j.Attempt)
		if len(attempts) <= 2 {
			return errors.New("sender answered 503")
		}
		return nil
	})
	enqueue(t, q, "callback", "k", "", t0)
	runOnce(t, r, 1) // fails, retry in 1s
	runOnce(t, r, 0)
	clk.Advance(time.Second)
	runOnce(t, r, 1) // fails, retry in 2s
	clk.Advance(time.Second)
	runOnce(t, r, 0)
	clk.Advance(time.Second)
	runOnce(t, r, 1) // succeeds
	clk.Advance(time.Hour)
	runOnce(t, r, 0)
	if fmt.Sprint(attempts) != "[1 2 3]" {
		t.Fatalf("attempts %v, want [1 2 3]", attempts)
	}
	if dead, _ := q.Dead(context.Background(), 10); len(dead) != 0 {
		t.Fatalf("dead letter = %+v", dead)
	}
}

func testRunnerPanic(t *testing.T, q queue.Queue) {
	clk := clock.NewFake(t0)
	r := newRunner(q, clk, 5)
	calls := 0
	r.Handle("callback", func(ctx context.Context, j queue.Job) error {
		calls++
		if calls == 1 {
			panic("nil map")
		}
		return nil
	})
	enqueue(t, q, "callback", "k", "", t0)
	runOnce(t, r, 1)
	clk.Advance(time.Second)
	runOnce(t, r, 1)
	clk.Advance(time.Hour)
	runOnce(t, r, 0)
	if calls != 2 {
		t.Fatalf("handler ran %d times, want 2", calls)
	}
}

func testRunnerMaxAttempts(t *testing.T, q queue.Queue) {
	clk := clock.NewFake(t0)
	r := newRunner(q, clk, 3)
	calls := 0
	r.Handle("callback", func(ctx context.Context, j queue.Job) error {
		calls++
		return fmt.Errorf("attempt %d failed", j.Attempt)
	})
	enqueue(t, q, "callback", "k", "", t0)
	for range 3 {
		runOnce(t, r, 1)
		clk.Advance(time.Minute)
	}
	runOnce(t, r, 0)
	dead, err := q.Dead(context.Background(), 10)
	if err != nil || len(dead) != 1 || dead[0].Error != "attempt 3 failed" || calls != 3 {
		t.Fatalf("after %d calls dead letter = %+v, %v", calls, dead, err)
	}

	// A job whose deliveries never report back (the worker crashes every
	// time) is also given up after MaxAttempts, without running again.
	enqueue(t, q, "callback", "poison", "", clk.Now())
	for range 3 {
		claimOne(t, q, "doomed", clk.Now())
		clk.Advance(lease)
	}
	calls = 0
	runOnce(t, r, 1)
	if calls != 0 {
		t.Fatal("ran a job past its attempts")
	}
	if dead, _ := q.Dead(context.Background(), 10); len(dead) != 2 || dead[0].Key != "poison" {
		t.Fatalf("dead letter = %+v", dead)
	}
}

func testRunnerPermanent(t *testing.T, q queue.Queue) {
	r := newRunner(q, clock.NewFake(t0), 5)
	r.Handle("callback", func(ctx context.Context, j queue.Job) error {
		return queue.Permanent(errors.New("job no longer exists"))
	})
	enqueue(t, q, "callback", "k", "", t0)
	runOnce(t, r, 1)
	if dead, _ := q.Dead(context.Background(), 10); len(dead) != 1 || dead[0].Attempt != 1 {
		t.Fatalf("dead letter = %+v", dead)
	}
}

// testRunnerLoop drives Run on the real clock: two runners share the work,
// and Run returns when its context ends.
func testRunnerLoop(t *testing.T, q queue.Queue) {
	const n = 20
	now := time.Now()
	for i := range n {
		enqueue(t, q, "callback", fmt.Sprint(i), "", now)
	}
	var mu sync.Mutex
	ran := map[string]int{}
	all := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 2 {
		r := queue.NewRunner(q, queue.RunnerOptions{Worker: fmt.Sprint("loop", w), Poll: 5 * time.Millisecond,
			Concurrency: 3, Log: quiet})
		r.Handle("callback", func(ctx context.Context, j queue.Job) error {
			mu.Lock()
			defer mu.Unlock()
			ran[j.Key]++
			if len(ran) == n {
				select {
				case <-all:
				default:
					close(all)
				}
			}
			return nil
		})
		wg.Go(func() {
			if err := r.Run(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
		})
	}
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Error("runners did not finish the jobs")
	}
	cancel()
	wg.Wait()
	for k, c := range ran {
		if c != 1 {
			t.Errorf("job %s ran %d times", k, c)
		}
	}
}

// neverPolls is a Poll longer than any test: a job a runner so configured
// runs must have been found without polling.
const neverPolls = time.Hour

// guard bounds how long a test waits for something that must happen long
// before the runner's next poll (neverPolls); reaching it means the job was
// not found at all, so it is generous for a loaded machine.
const guard = time.Minute

// runLoop starts r.Run and stops it when the test ends.
func runLoop(t *testing.T, r *queue.Runner) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// await waits for c, failing the test at the guard.
func await(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(guard):
		t.Fatalf("%s: not within %s, and the runner polls only every %s", what, guard, neverPolls)
	}
}

// idleWatch passes a queue through, saying when a claim found nothing due:
// a runner that has made such a claim waits for its next poll or a wake.
type idleWatch struct {
	queue.Queue
	queue.Notifier
	idle chan struct{}
}

func (w *idleWatch) Claim(ctx context.Context, worker string, kinds []string, lease time.Duration, now time.Time, max int) ([]queue.Job, error) {
	jobs, err := w.Queue.Claim(ctx, worker, kinds, lease, now, max)
	if err == nil && len(jobs) == 0 {
		select {
		case w.idle <- struct{}{}:
		default:
		}
	}
	return jobs, err
}

// testRunnerWakes: a job queued through a queue.Notifier runs at once, not
// at the runner's next poll; this is how a completion queued by the last
// signer's request starts without waiting.
func testRunnerWakes(t *testing.T, q queue.Queue) {
	n, ok := q.(queue.Notifier)
	if !ok {
		t.Skip("queue does not notify its runners")
	}
	w := &idleWatch{Queue: q, Notifier: n, idle: make(chan struct{}, 1)}
	ran := make(chan struct{})
	r := queue.NewRunner(w, queue.RunnerOptions{Worker: "w", Poll: neverPolls, Log: quiet})
	r.Handle("callback", func(ctx context.Context, j queue.Job) error { close(ran); return nil })
	runLoop(t, r)
	await(t, w.idle, "the first claim")
	enqueue(t, q, "callback", "k", "", time.Now())
	await(t, ran, "the job queued while the runner waits")
}

// testRunnerSlowJob: while one job runs long (a completion waiting for a
// slow TSA), a job queued meanwhile runs on another worker instead of
// waiting for the slow one to finish.
func testRunnerSlowJob(t *testing.T, q queue.Queue) {
	if _, ok := q.(queue.Notifier); !ok {
		t.Skip("queue does not notify its runners")
	}
	slowStarted, release, quick := make(chan struct{}), make(chan struct{}), make(chan struct{})
	r := queue.NewRunner(q, queue.RunnerOptions{Worker: "w", Poll: neverPolls, Concurrency: 2, Log: quiet})
	r.Handle("callback", func(ctx context.Context, j queue.Job) error {
		if j.Key == "slow" {
			close(slowStarted)
			<-release
			return nil
		}
		close(quick)
		return nil
	})
	defer close(release)
	enqueue(t, q, "callback", "slow", "", time.Now())
	runLoop(t, r)
	await(t, slowStarted, "the slow job")
	enqueue(t, q, "callback", "quick", "", time.Now())
	await(t, quick, "the job queued while the slow one runs")
}

// testRelease: a worker that stops hands its job back; another claims it
// at once (no lease to wait out), as the same attempt, with the job's due
// time and last error unchanged.
func testRelease(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	enqueue(t, q, "callback", "k", "p", t0)
	j := claimOne(t, q, "w1", t0)
	if err := q.Retry(ctx, j.ID, "w1", "503 from sender", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	j = claimOne(t, q, "w1", t0.Add(time.Second))
	if err := q.Release(ctx, j.ID, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := q.Done(ctx, j.ID, "w1"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("Done after Release: %v, want conflict", err)
	}
	j2 := claimOne(t, q, "w2", t0.Add(time.Second))
	if j2.ID != j.ID || j2.Attempt != 2 || j2.Error != "503 from sender" || !j2.RunAt.Equal(t0.Add(time.Second)) || string(j2.Payload) != "p" {
		t.Fatalf("after release claimed %+v, want job %d attempt 2 with its error and due time", j2, j.ID)
	}
}

func testReleaseNonHolder(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	enqueue(t, q, "callback", "k", "", t0)
	j := claimOne(t, q, "w1", t0)
	if err := q.Release(ctx, j.ID, "w2"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("Release by non-holder: %v, want conflict", err)
	}
	claimNone(t, q, "w2", t0)
}

// testPostpone: a job whose storage was away is due again later, as the
// same attempt, with the error kept for an operator.
func testPostpone(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	enqueue(t, q, "callback", "k", "p", t0)
	j := claimOne(t, q, "w1", t0)
	if err := q.Postpone(ctx, j.ID, "w1", "database-unavailable", t0.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	claimNone(t, q, "w2", t0.Add(9*time.Second))
	j2 := claimOne(t, q, "w2", t0.Add(10*time.Second))
	if j2.ID != j.ID || j2.Attempt != 1 || j2.Error != "database-unavailable" || !j2.RunAt.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("after postpone claimed %+v, want job %d attempt 1 due at +10s with its error", j2, j.ID)
	}
}

func testPostponeNonHolder(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	enqueue(t, q, "callback", "k", "", t0)
	j := claimOne(t, q, "w1", t0)
	if err := q.Postpone(ctx, j.ID, "w2", "x", t0); !errs.Is(err, errs.Conflict) {
		t.Fatalf("Postpone by non-holder: %v, want conflict", err)
	}
	claimNone(t, q, "w2", t0)
}

// testRunnerStorageOutage: a handler that fails because segl's own
// storage is away, more times than MaxAttempts, is not moved to the dead
// letter; it runs again at its attempt's delay each time and succeeds once
// the storage is back. An ordinary failure afterwards still counts.
func testRunnerStorageOutage(t *testing.T, q queue.Queue) {
	clk := clock.NewFake(t0)
	r := newRunner(q, clk, 2)
	var attempts []int
	outage := errs.Wrap(errors.New("dial tcp: connection refused"), errs.Unavailable, errs.CodeBlobStoreUnavailable, "the document store is unavailable")
	r.Handle("callback", func(ctx context.Context, j queue.Job) error {
		attempts = append(attempts, j.Attempt)
		if len(attempts) <= 5 {
			return fmt.Errorf("complete: %w", outage)
		}
		return nil
	})
	enqueue(t, q, "callback", "k", "", t0)
	for range 6 {
		runOnce(t, r, 1)
		runOnce(t, r, 0)         // not due before its delay
		clk.Advance(time.Second) // Backoff.Base: the first attempt's delay
	}
	if dead, err := q.Dead(context.Background(), 10); err != nil || len(dead) != 0 {
		t.Fatalf("dead letter after a storage outage: %+v, %v", dead, err)
	}
	if fmt.Sprint(attempts) != "[1 1 1 1 1 1]" {
		t.Fatalf("attempts %v, want the first attempt six times", attempts)
	}
	runOnce(t, r, 0) // done
}

// testRunnerStop: a runner stopped while a handler runs cuts the handler
// off and hands its job back, so another node claims it at once, before
// the lease would have run out, without an attempt spent.
func testRunnerStop(t *testing.T, q queue.Queue) {
	r := newRunner(q, clock.NewFake(t0), 5)
	started := make(chan struct{})
	r.Handle("callback", func(ctx context.Context, j queue.Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	enqueue(t, q, "callback", "k", "p", t0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := r.RunOnce(ctx); done <- err }()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	j := claimOne(t, q, "other-node", t0)
	if j.Key != "k" || j.Attempt != 1 || j.Error != "" {
		t.Fatalf("after stop claimed %+v, want the job again as attempt 1", j)
	}
	if dead, _ := q.Dead(context.Background(), 10); len(dead) != 0 {
		t.Fatalf("dead letter = %+v", dead)
	}
}

// testDepths: a queue that reports its depth (queue.Inspector) counts
// pending, due and dead jobs per kind and names the oldest due time.
func testDepths(t *testing.T, q queue.Queue) {
	in, ok := q.(queue.Inspector)
	if !ok {
		t.Skip("queue does not report its depth")
	}
	ctx := context.Background()
	enqueue(t, q, "callback", "a", "", t0.Add(-time.Minute))
	enqueue(t, q, "callback", "b", "", t0)
	enqueue(t, q, "callback", "later", "", t0.Add(time.Hour))
	enqueue(t, q, "notify", "x", "", t0.Add(-time.Second))
	jobs := claim(t, q, "w1", t0, 1, "notify")
	if len(jobs) != 1 {
		t.Fatalf("claimed %+v, want notify/x", jobs)
	}
	if err := q.Fail(ctx, jobs[0].ID, "w1", "bad address"); err != nil {
		t.Fatal(err)
	}
	got, err := in.Depths(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []queue.Depth{
		{Kind: "callback", Pending: 3, Due: 2, OldestDue: t0.Add(-time.Minute)},
		{Kind: "notify", Dead: 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Depths = %+v, want %+v", got, want)
	}
}

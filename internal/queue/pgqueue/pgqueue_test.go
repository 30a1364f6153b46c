package pgqueue

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/queue/queuetest"
	"github.com/segl/segl/internal/store/postgres"
)

func open(t *testing.T, url string) *Queue {
	t.Helper()
	q, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func TestConformance(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) queue.Queue { return open(t, pgtest.URL(t)) })
}

// TestClaimAcrossNodes has three nodes (each its own pool, as three segl
// processes would) claim from one table at once: every job is handed out
// exactly once.
func TestClaimAcrossNodes(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	nodes := []*Queue{open(t, url), open(t, url), open(t, url)}
	const jobs = 90
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i := range jobs {
		if err := nodes[i%3].Enqueue(ctx, "callback", fmt.Sprint(i), nil, now); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for n, q := range nodes {
		for w := range 2 {
			worker := fmt.Sprintf("node%d/w%d", n, w)
			wg.Go(func() {
				for {
					got, err := q.Claim(ctx, worker, []string{"callback"}, time.Minute, now, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						if other, dup := seen[j.ID]; dup {
							mu.Unlock()
							t.Errorf("job %d claimed by %s and %s", j.ID, other, worker)
							return
						}
						seen[j.ID] = worker
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if len(seen) != jobs {
		t.Fatalf("claimed %d distinct jobs, want %d", len(seen), jobs)
	}
}

// TestSharesStoreDatabase checks that the queue and the store live in one
// database, each with its own migration history.
func TestSharesStoreDatabase(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	for range 2 {
		st, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Enqueue(ctx, "callback", "k", nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		q.Close()
		st.Close()
	}
}

// TestDatabaseOutage: with the database unreachable, the queue answers the
// Unavailable kind (the runner logs it and polls again); once it is back
// the same queue claims the work waiting in it.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	p := pgtest.NewProxy(t, pgtest.URL(t))
	q := open(t, p.URL)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if err := q.Enqueue(ctx, "callback", "before", nil, now); err != nil {
		t.Fatal(err)
	}
	p.Down()
	if _, err := q.Claim(ctx, "w", []string{"callback"}, time.Minute, now, 10); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("claim with the database down: %v, want the unavailable kind", err)
	}
	if err := q.Enqueue(ctx, "callback", "during", nil, now); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("enqueue with the database down: %v, want the unavailable kind", err)
	}
	p.Up()
	var jobs []queue.Job
	var err error
	for range 200 { // a new connection is made on demand
		if jobs, err = q.Claim(ctx, "w", []string{"callback"}, time.Minute, now, 10); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || len(jobs) != 1 || jobs[0].Key != "before" {
		t.Fatalf("after the database came back: %+v, %v", jobs, err)
	}
}

// TestRunnerThroughOutage: a runner polling every 20 ms through a
// database outage logs it once when it starts and once when it ends, with
// the number of failed claims, not at every poll, and runs the work queued
// once the database is back without being restarted.
func TestRunnerThroughOutage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := pgtest.NewProxy(t, pgtest.URL(t))
	q := open(t, p.URL)
	var logs lockedBuffer
	ran := make(chan string, 1)
	r := queue.NewRunner(q, queue.RunnerOptions{Poll: 20 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	r.Handle("callback", func(ctx context.Context, j queue.Job) error { ran <- j.Key; return nil })
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	p.Down()
	waitFor(t, func() bool { return strings.Contains(logs.String(), "queue: claim failed") })
	time.Sleep(300 * time.Millisecond) // many more polls fail meanwhile
	p.Up()
	waitFor(t, func() bool { return q.Enqueue(ctx, "callback", "after", nil, time.Now()) == nil })
	if key := <-ran; key != "after" {
		t.Fatalf("ran %q", key)
	}
	waitFor(t, func() bool { return strings.Contains(logs.String(), "queue: claim works again") })
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 1 {
		t.Fatalf("%d error lines for one outage, want 1:\n%s", n, out)
	}
	if !regexp.MustCompile(`works again.* failed_tries=([2-9]|\d\d+)`).MatchString(out) {
		t.Fatalf("the recovery does not say how many claims failed:\n%s", out)
	}
}

// waitFor polls cond; the bound only stops a broken test.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never happened")
		}
	}
}

// lockedBuffer is a log destination a test may read while loggers write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package delivery_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/delivery"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/mailbox"
	"github.com/segl/segl/internal/mailbox/digipost"
	"github.com/segl/segl/internal/notify"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/testtool"
)

// BenchmarkNoticeDrain queues 10,000 portal jobs, one signer each, and
// measures how fast the workers turn them into e-mail on a local SMTP
// server: per notice a KRR lookup over HTTP, an SMTP delivery, the notice
// record and the signer's new status. Mailpit receives the mail when
// SEGL_MAILPIT names its binary (scripts/test sets it), else the
// in-process devmail server. Reported: notices/s and the peak heap in use
// and peak RSS of the whole test process while draining.
//
//	go test ./internal/delivery -run '^$' -bench NoticeDrain -benchtime 1x
func BenchmarkNoticeDrain(b *testing.B) {
	const jobs = 10_000
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		e.d.SMS = nil // e-mail only: one notice per job
		if bin := os.Getenv("SEGL_MAILPIT"); bin != "" {
			m, err := notify.NewSMTP(notify.SMTPConfig{Addr: startMailpit(b, bin), From: "segl@segl.example",
				TLS: notify.StartTLSOpportunistic})
			if err != nil {
				b.Fatal(err)
			}
			e.d.Mail = m
		}
		sent := &countingMailer{next: e.d.Mail}
		e.d.Mail = sent
		for range jobs {
			e.create(job.Portal, "", job.SignerRequest{PID: ola})
		}
		runner := queue.NewRunner(e.d.Queue, queue.RunnerOptions{Concurrency: 16, Poll: 10 * time.Millisecond, Clock: e.clk})
		e.d.Handlers(runner)
		peakHeap := testtool.PeakHeap()
		b.StartTimer()
		start := time.Now()
		ctx, cancel := context.WithCancel(e.ctx)
		var wg sync.WaitGroup
		wg.Go(func() { runner.Run(ctx) })
		wg.Go(func() { e.d.Pump(ctx, 10*time.Millisecond) })
		// Drained: every notice sent and recorded.
		for sent.n.Load() < jobs || e.recorded(store.ChannelEmail) < jobs {
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		wg.Wait()
		peak := peakHeap()
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		b.ReportMetric(float64(jobs)/elapsed.Seconds(), "notices/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
		b.StartTimer()
	}
}

// recorded counts the notices of a channel in the notice record.
func (e *env) recorded(channel string) int64 {
	rows, err := e.db.UsageRows(e.ctx, t0.Add(-time.Hour), t0.Add(time.Hour), clock.Norway)
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		if r.Item == channel {
			n += r.Count
		}
	}
	return n
}

// countingMailer counts delivered messages.
type countingMailer struct {
	next notify.Mailer
	n    atomic.Int64
}

func (c *countingMailer) Send(ctx context.Context, m notify.Message) error {
	err := c.next.Send(ctx, m)
	if err == nil {
		c.n.Add(1)
	}
	return err
}

func startMailpit(b *testing.B, bin string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	smtpAddr := l.Addr().String()
	l.Close()
	l, _ = net.Listen("tcp", "127.0.0.1:0")
	httpAddr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--disable-version-check", "--smtp", smtpAddr, "--listen", httpAddr,
		"--database", b.TempDir()+"/mailpit.db", "--max", "20000")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", smtpAddr); err == nil {
			c.Close()
			return smtpAddr
		}
		if i == 100 {
			b.Fatal(fmt.Errorf("mailpit did not start"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// BenchmarkMailboxDelivery measures what forwarding the result of a
// completed job to one signer's digital mailbox costs: the mailbox task
// with everything it does in this process, the receipt (signing.Engine on
// the development PKI, its revocation data cached within the second as the
// server has it), the RSA-signed Digipost requests and the
// stand-in that receives them. The jobs are signed and completed before
// the timer starts; each operation is one signer's task. Reported besides
// ns/op: the process's CPU time per signer (user and system, all
// goroutines: what a shared machine disturbs least), the messages the
// mailbox received per signer and their request bodies' size.
//
//	go test ./internal/delivery -run '^$' -bench MailboxDelivery -benchtime 100x -count 5
func BenchmarkMailboxDelivery(b *testing.B) {
	e, st := newSigningEnv(b)
	st.cacheRevocations(e)
	box := e.d.Mailbox
	e.d.Mailbox = nil // completion queues the mailbox tasks: let them find nothing to do
	jobs := make([]*job.Job, b.N)
	for i := range jobs {
		jobs[i] = e.signedJob()
	}
	e.drainAll()
	e.d.Mailbox = box
	for _, j := range jobs {
		if j = e.job(j.ID); j.Status != job.StatusCompleted {
			b.Fatalf("job %s, want completed", j.Status)
		}
		payload := fmt.Sprintf(`{"org":%q,"job":%q}`, j.Org, j.ID) // as the pump queues it
		if err := e.q.Enqueue(e.ctx, delivery.TaskMailbox, "bench/"+j.ID, []byte(payload), e.clk.Now()); err != nil {
			b.Fatal(err)
		}
	}
	body := countBodies(e.d.Mailbox)
	runner := queue.NewRunner(e.q, queue.RunnerOptions{Concurrency: 1, Clock: e.clk})
	e.d.Handlers(runner)
	before := testtool.CPUTime()
	b.ResetTimer()
	ran, err := runner.RunDue(e.ctx)
	b.StopTimer()
	if err != nil || ran != b.N {
		b.Fatalf("ran %d tasks of %d: %v", ran, b.N, err)
	}
	if dead, err := e.q.Dead(e.ctx, 10); err != nil || len(dead) != 0 {
		b.Fatalf("dead tasks: %v %+v", err, dead)
	}
	b.ReportMetric(float64(testtool.CPUTime()-before)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(e.recorded(store.ChannelMailbox))/float64(b.N), "messages/op") // one notice recorded per message
	b.ReportMetric(float64(body.Load())/1024/float64(b.N), "body-KB/op")
}

// cacheRevocations has s answer revocation questions through a
// pki.RevocationCache, as the server's engine does: without it every
// receipt has the development OCSP responder and root sign afresh.
func (s *stands) cacheRevocations(e *env) {
	s.ocsp = &pki.RevocationCache{Source: s.ocsp, Now: e.clk.Now}
}

// countBodies makes the Digipost client m count the bytes of the request
// bodies it sends.
func countBodies(m mailbox.Mailbox) *atomic.Int64 {
	c := m.(*digipost.Client)
	var next http.RoundTripper = digipost.Transport(nil) // as the client's own, without an HTTP
	if c.HTTP != nil && c.HTTP.Transport != nil {
		next = c.HTTP.Transport
	}
	n := &atomic.Int64{}
	c.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(r.ContentLength)
		return next.RoundTrip(r)
	})}
	return n
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkMailboxTasks compares, per two-signer job (Ola and Kari, each
// with a mailbox), a mailbox task per signer (as the pump queued them
// before December 2026, and as the handler still serves them) with one
// task for the job: each task is a durable enqueue, claim and completion,
// a read of the job and a KRR request. The messages are the same.
//
//	go test ./internal/delivery -run '^$' -bench MailboxTasks -benchtime 50x -count 5
func BenchmarkMailboxTasks(b *testing.B) {
	for _, perSigner := range []bool{true, false} {
		name := "per-job"
		if perSigner {
			name = "per-signer"
		}
		b.Run(name, func(b *testing.B) {
			e, st := newSigningEnv(b)
			st.cacheRevocations(e)
			box := e.d.Mailbox
			e.d.Mailbox = nil // complete the jobs without forwarding anything
			jobs := make([]*job.Job, b.N)
			for i := range jobs {
				jobs[i] = e.create(job.Direct, "", job.SignerRequest{PID: ola}, job.SignerRequest{PID: kari})
				for k, who := range []eid.Identity{olaLogin, kariLogin} {
					if _, err := e.svc.Sign(e.ctx, jobs[i].Signers[k].ID, who); err != nil {
						b.Fatal(err)
					}
				}
			}
			e.drainAll()
			e.d.Mailbox = box
			body := countBodies(box)
			runner := queue.NewRunner(e.q, queue.RunnerOptions{Concurrency: 1, Clock: e.clk})
			e.d.Handlers(runner)
			before := testtool.CPUTime()
			b.ResetTimer()
			for _, j := range jobs {
				refs := [][2]string{{j.ID, ""}}
				if perSigner {
					refs = [][2]string{{j.ID, j.Signers[0].ID}, {j.ID, j.Signers[1].ID}}
				}
				for _, ref := range refs {
					payload := fmt.Sprintf(`{"org":%q,"job":%q,"signer":%q}`, org, ref[0], ref[1])
					if err := e.q.Enqueue(e.ctx, delivery.TaskMailbox, "bench/"+ref[0]+"/"+ref[1], []byte(payload), e.clk.Now()); err != nil {
						b.Fatal(err)
					}
				}
			}
			if _, err := runner.RunDue(e.ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if got := e.recorded(store.ChannelMailbox); got != int64(2*b.N) {
				b.Fatalf("%d messages for %d jobs of two signers", got, b.N)
			}
			b.ReportMetric(float64(testtool.CPUTime()-before)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(body.Load())/1024/float64(2*b.N), "body-KB/message")
		})
	}
}

// drainAll is drain without its bound on rounds, for a benchmark's many
// jobs.
func (e *env) drainAll() {
	e.t.Helper()
	for {
		pumped, err := e.d.PumpOnce(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		ran, err := e.runner.RunDue(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if pumped == 0 && ran == 0 {
			return
		}
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	neturl "net/url"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segl/segl/client"
	pkilib "github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/signerbot"
	"github.com/segl/segl/internal/testdocs"
)

// runBench drives job creation against a running segl through the public
// API, as an integrator would, and reports throughput and latency. The
// request loop is bounded by count and by time so it always ends.
func runBench(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("segl bench", flag.ContinueOnError)
	url := fs.String("url", "https://127.0.0.1:8443", "segl base URL (loopback only)")
	data := fs.String("data", envOr("SEGL_DATA", "segl-data"), "data directory of a --dev server (certificates)")
	org := fs.String("org", "317510748", "organisation whose development certificate to use")
	jobs := fs.Int("jobs", 2000, "jobs to create")
	workers := fs.Int("workers", 16, "concurrent requests")
	size := fs.Int("size", 100_000, "PDF size in bytes")
	maxTime := fs.Duration("max-time", 2*time.Minute, "stop after this long even if jobs remain")
	ceremony := fs.Bool("ceremony", false, "complete each job: both signers log in at the development ID-porten and sign through the signer pages; the sender follows the events feed and downloads the signed PDFs once each job is completed (B-LTA)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pki := filepath.Join(*data, "pki")
	c, err := client.New(*url, filepath.Join(pki, "clients", *org+".pem"), filepath.Join(pki, "clients", *org+".key"),
		filepath.Join(pki, "root-ca.pem"))
	if err != nil {
		return err
	}
	doc := testdocs.PDF("segl bench", *size)
	req := client.JobRequest{Title: "Benchmark", Flow: "portal", SignatureType: "authenticated",
		Documents: []client.DocumentRef{{Title: "Kontrakt", File: "doc1"}},
		Signers:   []client.SignerRequest{{PID: "21909825250", Order: 1}, {PID: "03896127682", Order: 2}}}
	run := func(ctx context.Context) error {
		_, err := c.CreateJob(ctx, req, []client.Upload{{Part: "doc1", FileName: "k.pdf", Body: bytes.NewReader(doc)}})
		return err
	}
	if *ceremony {
		roots, err := pkilib.LoadPool(filepath.Join(pki, "root-ca.pem"))
		if err != nil {
			return err
		}
		req.Flow = "direct"
		req.ExitURLs = &client.ExitURLs{Completion: "https://sender.example/done", Rejection: "https://sender.example/no",
			Error: "https://sender.example/error"}
		ctx, cancel := context.WithTimeout(context.Background(), *maxTime)
		defer cancel()
		b := &ceremonyBench{c: c, base: *url, roots: roots, req: req, doc: doc}
		return b.run(ctx, stdout, *jobs, *workers)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *maxTime)
	defer cancel()
	var next, failures atomic.Int64
	latencies := make([][]time.Duration, *workers)
	var firstErr error
	var once sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for w := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*jobs) && ctx.Err() == nil {
				t0 := time.Now()
				if err := run(ctx); err != nil {
					failures.Add(1)
					once.Do(func() { firstErr = err })
					continue
				}
				latencies[w] = append(latencies[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(latencies...)
	slices.Sort(all)
	if len(all) == 0 {
		return fmt.Errorf("bench: no job created: %v", firstErr)
	}
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	fmt.Fprintf(stdout, "created %d jobs (%d failed) in %s with %d workers: %.0f jobs/s\n",
		len(all), failures.Load(), elapsed.Round(time.Millisecond), *workers, float64(len(all))/elapsed.Seconds())
	fmt.Fprintf(stdout, "latency p50 %s  p90 %s  p99 %s  max %s\n", pct(0.50).Round(time.Microsecond),
		pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), all[len(all)-1].Round(time.Microsecond))
	if firstErr != nil {
		fmt.Fprintf(stdout, "first error: %v\n", firstErr)
	}
	return nil
}

// ceremonyBench runs jobs through the whole direct-flow ceremony as their
// signers' browsers and the sender's system would: each signer opens their
// link, logs in at the development ID-porten, signs and lands on the
// sender's completion URL; the sender follows the events feed, as an
// integrator does, and downloads the signed documents once the job is
// completed (PAdES B-LTA, made in the background after the last signer).
type ceremonyBench struct {
	c     *client.Client
	base  string
	roots *x509.CertPool
	req   client.JobRequest
	doc   []byte

	mu       sync.Mutex
	started  map[string]time.Time // job id → when its creation was sent
	lastSign map[string]time.Time // job id → when its last signer's request returned
	docs     map[string][]string  // job id → document ids
	signs    []time.Duration      // every signer's sign request
	settle   []time.Duration      // last signature → completion seen in the feed
	total    []time.Duration      // creation → final documents downloaded
	signed   int                  // jobs whose signers all signed
	firstErr error
	failures atomic.Int64
}

func (b *ceremonyBench) fail(err error) {
	b.failures.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.firstErr == nil {
		b.firstErr = err
	}
}

func (b *ceremonyBench) run(ctx context.Context, stdout io.Writer, jobs, workers int) error {
	b.started, b.lastSign, b.docs = map[string]time.Time{}, map[string]time.Time{}, map[string][]string{}
	completed := make(chan string, jobs)
	start := time.Now()
	var signers, downloaders sync.WaitGroup
	var next atomic.Int64
	for range workers {
		signers.Go(func() {
			for next.Add(1) <= int64(jobs) && ctx.Err() == nil {
				if err := b.signJob(ctx); err != nil {
					b.fail(err)
				}
			}
		})
		downloaders.Go(func() {
			for id := range completed {
				if err := b.download(ctx, id); err != nil {
					b.fail(err)
				}
			}
		})
	}
	allSigned := make(chan struct{})
	go func() { signers.Wait(); close(allSigned) }()
	if err := b.follow(ctx, completed, allSigned); err != nil {
		b.fail(err)
	}
	close(completed)
	downloaders.Wait()
	elapsed := time.Since(start)

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.total) == 0 {
		return fmt.Errorf("bench: no job completed: %v", b.firstErr)
	}
	fmt.Fprintf(stdout, "completed (2 signers each) %d jobs (%d failed) in %s with %d workers: %.0f jobs/s\n",
		len(b.total), b.failures.Load(), elapsed.Round(time.Millisecond), workers, float64(len(b.total))/elapsed.Seconds())
	fmt.Fprintf(stdout, "latency (created → final documents downloaded) %s\n", percentiles(b.total))
	fmt.Fprintf(stdout, "sign request (%d acts) %s\n", len(b.signs), percentiles(b.signs))
	fmt.Fprintf(stdout, "completion (last signature → job.completed seen) %s\n", percentiles(b.settle))
	if b.firstErr != nil {
		fmt.Fprintf(stdout, "first error: %v\n", b.firstErr)
	}
	return nil
}

// percentiles formats p50, p90, p99 and the maximum of d (sorted here).
func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	slices.Sort(d)
	pct := func(p float64) time.Duration {
		return d[min(len(d)-1, int(p*float64(len(d))))].Round(time.Microsecond)
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", pct(0.50), pct(0.90), pct(0.99), d[len(d)-1].Round(time.Microsecond))
}

// signJob creates a job and has each signer sign it through the pages.
func (b *ceremonyBench) signJob(ctx context.Context) error {
	t0 := time.Now()
	j, err := b.c.CreateJob(ctx, b.req, []client.Upload{{Part: "doc1", FileName: "k.pdf", Body: bytes.NewReader(b.doc)}})
	if err != nil {
		return err
	}
	var docs []string
	for _, d := range j.Documents {
		docs = append(docs, d.ID)
	}
	b.mu.Lock()
	b.started[j.ID], b.docs[j.ID] = t0, docs
	b.mu.Unlock()
	for i, s := range j.Signers {
		bot, err := signerbot.New(b.base, b.roots)
		if err != nil {
			return err
		}
		view, err := bot.Login(s.SigningURL, b.req.Signers[i].PID, "")
		if err != nil {
			return err
		}
		t1 := time.Now()
		done, err := bot.Submit(view, "/sign", neturl.Values{"confirm": {"yes"}})
		took := time.Since(t1)
		bot.HTTP.CloseIdleConnections()
		if err != nil {
			return err
		}
		if _, err := done.ExitToken(b.req.ExitURLs.Completion); err != nil {
			return err
		}
		b.mu.Lock()
		b.signs = append(b.signs, took)
		b.lastSign[j.ID] = time.Now()
		b.mu.Unlock()
	}
	b.mu.Lock()
	b.signed++
	b.mu.Unlock()
	return nil
}

// follow reads the events feed and hands every completed job of this run
// to the downloaders, acknowledging what it read, until every job whose
// signers signed has completed.
func (b *ceremonyBench) follow(ctx context.Context, completed chan<- string, allSigned <-chan struct{}) error {
	var after int64
	seen := 0
	for {
		events, err := b.c.Events(ctx, after, 500)
		if err != nil {
			return err
		}
		var seqs []int64
		for _, ev := range events {
			after = ev.Seq
			seqs = append(seqs, ev.Seq)
			if ev.Type != "job.completed" {
				continue
			}
			b.mu.Lock()
			last, ours := b.lastSign[ev.JobID]
			if ours {
				b.settle = append(b.settle, time.Since(last))
			}
			b.mu.Unlock()
			if ours {
				seen++
				completed <- ev.JobID
			}
		}
		if len(seqs) > 0 {
			if _, err := b.c.Ack(ctx, seqs...); err != nil {
				return err
			}
		}
		select {
		case <-allSigned:
			b.mu.Lock()
			done := seen >= b.signed
			b.mu.Unlock()
			if done {
				return nil
			}
		default:
		}
		if len(events) < 500 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// download fetches a completed job's signed documents.
func (b *ceremonyBench) download(ctx context.Context, id string) error {
	b.mu.Lock()
	docs, t0 := b.docs[id], b.started[id]
	b.mu.Unlock()
	for _, d := range docs {
		body, err := b.c.SignedDocument(ctx, id, d)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, body)
		body.Close()
		if err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.total = append(b.total, time.Since(t0))
	b.mu.Unlock()
	return nil
}

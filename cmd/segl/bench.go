package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segl/segl/client"
	pkilib "github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/server"
	"github.com/segl/segl/internal/signerbot"
	"github.com/segl/segl/internal/testdocs"
)

// runBench drives job creation against a running segl through the public
// API, as an integrator would, and reports throughput and latency. The
// request loop is bounded by count and by time so it always ends. Given
// several nodes of one deployment (scripts/cluster), it spreads the load
// over them round-robin, as a load balancer would.
func runBench(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("segl bench", flag.ContinueOnError)
	var urls nodeURLs
	fs.Var(&urls, "url", "segl base URL (loopback only); several nodes of one deployment: repeat the flag or separate with commas (default https://127.0.0.1:8443)")
	data := fs.String("data", envOr("SEGL_DATA", "segl-data"), "data directory of a --dev server (certificates)")
	org := fs.String("org", "317510748", "organisation whose development certificate to use")
	jobs := fs.Int("jobs", 2000, "jobs to create")
	workers := fs.Int("workers", 16, "concurrent requests")
	size := fs.Int("size", 100_000, "PDF size in bytes")
	maxTime := fs.Duration("max-time", 2*time.Minute, "stop after this long even if jobs remain")
	ceremony := fs.Bool("ceremony", false, "complete each job: both signers log in at the development ID-porten and sign through the signer pages, each in a new browser with a TLS connection of its own; the sender follows the events feed and downloads the signed PDFs once each job is completed (B-LTA). "+
		"Unlike a real browser, the signers' browsers do not build and check the server's certificate chain on every connection: it is checked once at the start and the server's certificate pinned, so every connection still authenticates the server, at less of the client's CPU")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The load generator shares the cores it measures: its collector is
	// set as the server's (GOGC=400 unless GOGC is set), not run four
	// times as often.
	server.TuneGC(os.Getenv)
	if len(urls) == 0 {
		urls = nodeURLs{"https://127.0.0.1:8443"}
	}
	pki := filepath.Join(*data, "pki")
	var clients []*client.Client
	for _, u := range urls {
		c, err := client.New(u, filepath.Join(pki, "clients", *org+".pem"), filepath.Join(pki, "clients", *org+".key"),
			filepath.Join(pki, "root-ca.pem"))
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	doc := testdocs.PDF("segl bench", *size)
	req := client.JobRequest{Title: "Benchmark", Flow: "portal", SignatureType: "authenticated",
		Documents: []client.DocumentRef{{Title: "Kontrakt", File: "doc1"}},
		Signers:   []client.SignerRequest{{PID: "21909825250", Order: 1}, {PID: "03896127682", Order: 2}}}
	run := func(ctx context.Context, n int64) error {
		_, err := clients[n%int64(len(clients))].CreateJob(ctx, req, []client.Upload{{Part: "doc1", FileName: "k.pdf", Body: bytes.NewReader(doc)}})
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
		b := &ceremonyBench{clients: clients, bases: urls, req: req, doc: doc}
		for _, u := range urls {
			pin, err := signerbot.PinServer(ctx, u, roots)
			if err != nil {
				return err
			}
			b.pins = append(b.pins, pin)
		}
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
			for n := next.Add(1); n <= int64(*jobs) && ctx.Err() == nil; n = next.Add(1) {
				t0 := time.Now()
				if err := run(ctx, n); err != nil {
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
	fmt.Fprintf(stdout, "created %d jobs (%d failed) in %s with %d workers%s: %.0f jobs/s\n",
		len(all), failures.Load(), elapsed.Round(time.Millisecond), *workers, onNodes(len(urls)), float64(len(all))/elapsed.Seconds())
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
//
// With several nodes, jobs are created on each in turn and every signer's
// pages are on a node other than the one that created the job, so each
// ceremony crosses nodes as it would behind a load balancer: the signing
// link, the login and the signing act must work wherever they land.
type ceremonyBench struct {
	clients []*client.Client // one per node, in --url order
	bases   []string         // the nodes' base URLs
	pins    []*signerbot.Pin // the nodes' certificates, verified at the start
	req     client.JobRequest
	doc     []byte
	fetches atomic.Int64 // downloads so far, to spread them over the nodes

	mu       sync.Mutex
	started  map[string]time.Time // job id → when its creation was sent
	lastSign map[string]time.Time // job id → when its last signer's request returned
	docs     map[string][]string  // job id → document ids
	signs    []time.Duration      // every signer's sign request
	settle   []time.Duration      // last signature → completion seen in the feed
	total    []time.Duration      // creation → final documents downloaded
	signed   int                  // jobs whose signers all signed
	created  []int                // jobs created, per node
	signedOn []int                // signing acts, per node
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
	b.created, b.signedOn = make([]int, len(b.clients)), make([]int, len(b.clients))
	completed := make(chan string, jobs)
	start := time.Now()
	var signers, downloaders sync.WaitGroup
	var next atomic.Int64
	for range workers {
		signers.Go(func() {
			for n := next.Add(1); n <= int64(jobs) && ctx.Err() == nil; n = next.Add(1) {
				if err := b.signJob(ctx, int(n%int64(len(b.clients)))); err != nil {
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
	fmt.Fprintf(stdout, "completed (2 signers each) %d jobs (%d failed) in %s with %d workers%s: %.0f jobs/s\n",
		len(b.total), b.failures.Load(), elapsed.Round(time.Millisecond), workers, onNodes(len(b.clients)), float64(len(b.total))/elapsed.Seconds())
	if len(b.clients) > 1 {
		fmt.Fprintf(stdout, "per node: jobs created %v, signing acts %v (each on a node other than its job's creator)\n",
			b.created, b.signedOn)
	}
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

// signJob creates a job on the node creator and has each signer sign it
// through the pages of another node (signerNode).
func (b *ceremonyBench) signJob(ctx context.Context, creator int) error {
	t0 := time.Now()
	j, err := b.clients[creator].CreateJob(ctx, b.req, []client.Upload{{Part: "doc1", FileName: "k.pdf", Body: bytes.NewReader(b.doc)}})
	if err != nil {
		return err
	}
	var docs []string
	for _, d := range j.Documents {
		docs = append(docs, d.ID)
	}
	b.mu.Lock()
	b.started[j.ID], b.docs[j.ID] = t0, docs
	b.created[creator]++
	b.mu.Unlock()
	for i, s := range j.Signers {
		node := signerNode(creator, i, len(b.bases))
		link, err := onNode(s.SigningURL, b.bases[node])
		if err != nil {
			return err
		}
		bot, err := signerbot.NewPinned(b.bases[node], b.pins[node])
		if err != nil {
			return err
		}
		view, err := bot.Login(link, b.req.Signers[i].PID, "")
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
		b.signedOn[node]++
		b.mu.Unlock()
	}
	b.mu.Lock()
	b.signed++
	b.mu.Unlock()
	return nil
}

// follow reads the events feed and hands every completed job of this run
// to the downloaders, until every job whose signers signed has completed.
// What it read is acknowledged in batches (at most 500 changes at once,
// the API's limit, or what a second brought), as an integrator that keeps
// its place in the feed with after= may: an acknowledgement is a write
// on the server's database, and acknowledging every poll's few changes
// made it one for every 50 ms.
func (b *ceremonyBench) follow(ctx context.Context, completed chan<- string, allSigned <-chan struct{}) error {
	var after int64
	var unacked []int64
	lastAck := time.Now()
	ack := func() error {
		if len(unacked) == 0 {
			return nil
		}
		if _, err := b.clients[0].Ack(ctx, unacked...); err != nil {
			return err
		}
		unacked, lastAck = unacked[:0], time.Now()
		return nil
	}
	seen := 0
	for {
		events, err := b.clients[0].Events(ctx, after, 500)
		if err != nil {
			return err
		}
		for _, ev := range events {
			after = ev.Seq
			unacked = append(unacked, ev.Seq)
			if len(unacked) == 500 {
				if err := ack(); err != nil {
					return err
				}
			}
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
		if time.Since(lastAck) >= time.Second {
			if err := ack(); err != nil {
				return err
			}
		}
		select {
		case <-allSigned:
			b.mu.Lock()
			done := seen >= b.signed
			b.mu.Unlock()
			if done {
				return ack()
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
	c := b.clients[b.fetches.Add(1)%int64(len(b.clients))]
	for _, d := range docs {
		body, err := c.SignedDocument(ctx, id, d)
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

// nodeURLs is --url: the base URLs of one deployment's nodes, given by
// repeating the flag or separating them with commas.
type nodeURLs []string

func (u *nodeURLs) String() string { return strings.Join(*u, ",") }

func (u *nodeURLs) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if s == "" {
			continue
		}
		if p, err := neturl.Parse(s); err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http") {
			return fmt.Errorf("not a base URL: %q", s)
		}
		*u = append(*u, s)
	}
	return nil
}

// onNodes names the number of nodes in a result line, when there are
// several.
func onNodes(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf(" on %d nodes", n)
}

// signerNode is the node whose pages the signer at index i of a job
// created on node creator uses, out of n: never the creator when there is
// another node, and with three or more nodes each of a job's first n-1
// signers on a different one, so a ceremony crosses as many nodes as it can.
func signerNode(creator, i, n int) int {
	if n < 2 {
		return creator
	}
	return (creator + 1 + i%(n-1)) % n
}

// onNode moves a signing link to the node at base: the link's path and
// query are signed with the link key every node shares, and the host is
// only the node that happened to create the job.
func onNode(link, base string) (string, error) {
	u, err := neturl.Parse(link)
	if err != nil {
		return "", fmt.Errorf("bench: signing link: %w", err)
	}
	b, err := neturl.Parse(base)
	if err != nil {
		return "", fmt.Errorf("bench: node URL: %w", err)
	}
	u.Scheme, u.Host = b.Scheme, b.Host
	return u.String(), nil
}

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
	ceremony := fs.Bool("ceremony", false, "complete each job: both signers log in at the development ID-porten and sign through the signer pages, then the signed PDFs are downloaded")
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
		run = func(ctx context.Context) error { return completeJob(ctx, c, *url, roots, req, doc) }
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
	what := "created"
	if *ceremony {
		what = "completed (2 signers each)"
	}
	fmt.Fprintf(stdout, "%s %d jobs (%d failed) in %s with %d workers: %.0f jobs/s\n", what,
		len(all), failures.Load(), elapsed.Round(time.Millisecond), *workers, float64(len(all))/elapsed.Seconds())
	fmt.Fprintf(stdout, "latency p50 %s  p90 %s  p99 %s  max %s\n", pct(0.50).Round(time.Microsecond),
		pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), all[len(all)-1].Round(time.Microsecond))
	if firstErr != nil {
		fmt.Fprintf(stdout, "first error: %v\n", firstErr)
	}
	return nil
}

// completeJob runs one job through the whole direct-flow ceremony as its
// signers' browsers would: each signer opens their link, logs in at the
// development ID-porten, signs and lands on the sender's completion URL; the
// sender then downloads the signed documents.
func completeJob(ctx context.Context, c *client.Client, base string, roots *x509.CertPool, req client.JobRequest, doc []byte) error {
	j, err := c.CreateJob(ctx, req, []client.Upload{{Part: "doc1", FileName: "k.pdf", Body: bytes.NewReader(doc)}})
	if err != nil {
		return err
	}
	for i, s := range j.Signers {
		b, err := signerbot.New(base, roots)
		if err != nil {
			return err
		}
		view, err := b.Login(s.SigningURL, req.Signers[i].PID, "")
		if err != nil {
			return err
		}
		done, err := b.Submit(view, "/sign", neturl.Values{"confirm": {"yes"}})
		b.HTTP.CloseIdleConnections()
		if err != nil {
			return err
		}
		if _, err := done.ExitToken(req.ExitURLs.Completion); err != nil {
			return err
		}
	}
	for _, d := range j.Documents {
		body, err := c.SignedDocument(ctx, j.ID, d.ID)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, body)
		body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

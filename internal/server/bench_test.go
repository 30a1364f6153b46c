package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"runtime/pprof"
	"sync"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/signerbot"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
)

// BenchmarkCreateJob creates jobs (one 100 KB PDF, two signers) through the
// HTTPS API with mutual TLS, client and server in one process on the same
// cores, as docs/benchmarks.md reports. "durable" is the default: every
// document and commit is fsynced; "relaxed" is --relaxed-sync.
func BenchmarkCreateJob(b *testing.B) {
	for _, mode := range []struct {
		name    string
		relaxed bool
	}{{"durable", false}, {"relaxed", true}} {
		b.Run(mode.name, func(b *testing.B) {
			e := newEnvB(b, func(c *config.Config) { c.RelaxedSync = mode.relaxed })
			c := e.client(orgA)
			req := directRequest()
			b.SetBytes(int64(len(pdf100k)))
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, err := c.CreateJob(context.Background(), req, []client.Upload{{Part: "doc1", FileName: "k.pdf",
						ContentType: "application/pdf", Body: bytes.NewReader(pdf100k)}})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}

// BenchmarkCeremony completes direct jobs through the real HTTP ceremony:
// create, both signers log in at the development ID-porten and sign through
// the signer pages; once every job is completed in the background, the
// sender downloads the signed PDFs (PAdES B-LTA).
// `segl bench --ceremony` measures the same across processes. Each signer
// is a fresh browser, so every job pays two TLS handshakes on the client
// side as real signers would (with the server's certificate pinned, as
// `segl bench` has it). cpu-ms/job is the CPU time of the whole
// process (client and server) per job, which on a shared machine varies
// far less than the wall time; where it goes is in -cpuprofile, where the
// client's samples carry the label side=client (see BenchmarkSignerLogin).
func BenchmarkCeremony(b *testing.B) {
	e := newEnvB(b)
	c := e.client(orgA)
	req := directRequest()
	req.LevelOfAssurance = "substantial"
	pids := []string{"21909825250", "03896127682"}
	pin, err := signerbot.PinServer(context.Background(), e.srv.URL, e.srv.Dev.Roots())
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var signed []*client.Job
	b.SetParallelism(4)
	b.ResetTimer()
	cpu := testtool.CPUTime()
	ctx := pprof.WithLabels(context.Background(), pprof.Labels("side", "client"))
	pprof.SetGoroutineLabels(ctx)
	defer pprof.SetGoroutineLabels(context.Background())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			j, err := c.CreateJob(context.Background(), req, []client.Upload{{Part: "doc1", FileName: "k.pdf",
				ContentType: "application/pdf", Body: bytes.NewReader(pdf100k)}})
			if err != nil {
				b.Error(err)
				return
			}
			for i, s := range j.Signers {
				bot, _ := signerbot.NewPinned(e.srv.URL, pin)
				view, err := bot.Login(s.SigningURL, pids[i], "")
				if err == nil {
					var done signerbot.Page
					done, err = bot.Submit(view, "/sign", url.Values{"confirm": {"yes"}})
					if err == nil {
						_, err = done.ExitToken(req.ExitURLs.Completion)
					}
				}
				bot.HTTP.CloseIdleConnections()
				if err != nil {
					b.Error(err)
					return
				}
			}
			mu.Lock()
			signed = append(signed, j)
			mu.Unlock()
		}
	})
	e.settled()
	for _, j := range signed {
		for _, d := range j.Documents {
			body, err := c.SignedDocument(context.Background(), j.ID, d.ID)
			if err == nil {
				_, err = io.Copy(io.Discard, body)
				body.Close()
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	b.ReportMetric(float64((testtool.CPUTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/job")
}

// BenchmarkSignerLogin is a signer's way to their job page, as each signer
// of a ceremony takes it in a new browser: the link's page, the login at
// the development ID-porten (its form, the pushed request and the token
// exchange behind it) and the job page, over a new TLS connection. The
// signer does not sign, so the same link serves every iteration.
// cpu-ms/login is the CPU time of the whole process (client and server);
// in -cpuprofile the client's samples carry the label side=client, so
// -tagfocus and -tagignore split the two.
func BenchmarkSignerLogin(b *testing.B) {
	e := newEnvB(b)
	req := directRequest()
	j, err := e.client(orgA).CreateJob(context.Background(), req, []client.Upload{pdfUpload("doc1")})
	if err != nil {
		b.Fatal(err)
	}
	link, pid := j.Signers[0].SigningURL, req.Signers[0].PID
	pin, err := signerbot.PinServer(context.Background(), e.srv.URL, e.srv.Dev.Roots())
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4)
	b.ResetTimer()
	cpu := testtool.CPUTime()
	pprof.Do(context.Background(), pprof.Labels("side", "client"), func(context.Context) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				bot, err := signerbot.NewPinned(e.srv.URL, pin)
				if err != nil {
					b.Error(err)
					return
				}
				view, err := bot.Login(link, pid, "")
				bot.HTTP.CloseIdleConnections()
				if err == nil && view.Status != 200 {
					err = fmt.Errorf("job page: %d", view.Status)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.StopTimer()
	b.ReportMetric(float64((testtool.CPUTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/login")
}

// BenchmarkDownload downloads a 300 KB document through the API (HTTP/2,
// mutual TLS), as a sender fetches a signed PDF: the edge's writing of a
// body in pieces, net/http's frames and crypto/tls's records, and the
// SDK's reading. cpu-ms/download is the CPU time of the whole process
// (client and server).
func BenchmarkDownload(b *testing.B) {
	e := newEnvB(b)
	c := e.client(orgA)
	doc := testdocs.PDF("Arbeidsavtale", 300_000)
	j, err := c.CreateJob(context.Background(), directRequest(), []client.Upload{{Part: "doc1", FileName: "k.pdf",
		ContentType: "application/pdf", Body: bytes.NewReader(doc)}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.SetParallelism(4)
	b.ResetTimer()
	cpu := testtool.CPUTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body, err := c.Document(context.Background(), j.ID, j.Documents[0].ID)
			if err == nil {
				_, err = io.Copy(io.Discard, body)
				body.Close()
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((testtool.CPUTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/download")
}

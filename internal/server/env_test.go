package server_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/clustertest"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/server"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/validate"
)

// testBy is who changes organisations and users in the tests' own set-up.
var testBy = store.By{Actor: "test", At: time.Now()}

// Two organisations of the synthetic population.
const orgA, orgB = "317510748", "319386416"

// env is segl started in --dev mode on a random port with a fresh data
// directory, as `segl serve --dev` would run it. The port is drawn below
// the kernel's ephemeral range, where parallel tests' connections cannot
// take it while a test restarts the server.
type env struct {
	t    testing.TB
	cfg  config.Config
	srv  *server.Server
	data string
	clk  clock.Clock // nil: the system clock
	log  io.Writer   // nil: no log unless -v; else every record, debug too
}

func newEnv(t *testing.T, mutate ...func(*config.Config)) *env { return newEnvB(t, mutate...) }

// newEnvOnClock starts segl on a clock the test moves; the sweep only runs
// when the test calls RunDue.
func newEnvOnClock(t *testing.T, clk clock.Clock) *env {
	return newEnvClock(t, clk, func(c *config.Config) { c.SweepEvery = time.Hour })
}

func newEnvB(t testing.TB, mutate ...func(*config.Config)) *env {
	return newEnvClock(t, nil, mutate...)
}

func newEnvClock(t testing.TB, clk clock.Clock, mutate ...func(*config.Config)) *env {
	t.Helper()
	data := t.TempDir()
	for attempt := 1; ; attempt++ {
		cfg := config.Default()
		cfg.Dev, cfg.Addr, cfg.Data, cfg.RelaxedSync = true, clustertest.FreeAddr(t), data, true
		cfg.LinkKeyFile = filepath.Join(cfg.Data, "secrets", "link.key")
		for _, m := range mutate {
			m(&cfg)
		}
		e := &env{t: t, cfg: cfg, data: cfg.Data, clk: clk}
		err := e.tryStart()
		if err == nil {
			t.Cleanup(func() { e.stop() })
			return e
		}
		// The port was free when drawn; another test process drawing
		// from the same range may have taken it before segl listened.
		if attempt == 3 || !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatal(err)
		}
	}
}

func (e *env) start() {
	e.t.Helper()
	if err := e.tryStart(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) tryStart() error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.Default()
	}
	if e.log != nil {
		log = slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// Failed background tasks are retried within a second, not ten.
	backoff := queue.Backoff{Base: 200 * time.Millisecond, Max: time.Second}
	s, err := server.Start(context.Background(), e.cfg, server.Options{Clock: e.clk, Log: log, TaskBackoff: backoff})
	if err != nil {
		return err
	}
	e.srv = s
	e.cfg.Addr = s.URL[len("https://"):] // a restart keeps the port
	return nil
}

func (e *env) stop() {
	if e.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Close(ctx); err != nil {
		e.t.Errorf("close: %v", err)
	}
	e.srv = nil
}

func (e *env) restart() {
	e.stop()
	e.start()
}

// client returns an API client with org's development certificate, the
// files DESIGN §6 promises.
func (e *env) client(org string) *client.Client {
	e.t.Helper()
	dir := filepath.Join(e.data, "pki")
	c, err := client.New(e.srv.URL, filepath.Join(dir, "clients", org+".pem"), filepath.Join(dir, "clients", org+".key"),
		filepath.Join(dir, "root-ca.pem"))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// anonymous returns a client presenting no certificate.
func (e *env) anonymous() *client.Client {
	c, err := client.New(e.srv.URL, "", "", filepath.Join(e.data, "pki", "root-ca.pem"))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// clientFor issues a certificate for an organisation that is not onboarded.
func (e *env) clientFor(org, name string) *client.Client {
	e.t.Helper()
	if _, err := e.srv.Dev.IssueClient(pki.Org{Number: org, Name: name}, time.Now()); err != nil {
		e.t.Fatal(err)
	}
	return e.client(org)
}

func directRequest() client.JobRequest {
	exp := time.Now().Add(7 * 24 * time.Hour).UTC().Truncate(time.Second)
	return client.JobRequest{
		Title: "Arbeidsavtale", Flow: "direct", SignatureType: "authenticated", LevelOfAssurance: "substantial",
		Reference: "case-2026-17",
		Documents: []client.DocumentRef{{Title: "Kontrakt", File: "doc1"}},
		Signers:   []client.SignerRequest{{PID: "21909825250", Order: 1}, {PID: "03896127682", Order: 2}},
		ExitURLs: &client.ExitURLs{Completion: "https://sender.example/ok", Rejection: "https://sender.example/no",
			Error: "https://sender.example/err"},
		ExpiresAt: &exp,
	}
}

var pdf100k = testdocs.PDF("Arbeidsavtale", 100_000)

func pdfUpload(part string) client.Upload {
	return client.Upload{Part: part, FileName: part + ".pdf", ContentType: "application/pdf", Body: bytes.NewReader(pdf100k)}
}

func (e *env) mustCreate(c *client.Client, req client.JobRequest) *client.Job {
	e.t.Helper()
	j, err := c.CreateJob(context.Background(), req, []client.Upload{pdfUpload("doc1")})
	if err != nil {
		e.t.Fatalf("create job: %v", err)
	}
	return j
}

// problemOf asserts err is a problem with the given status and code.
func problemOf(t *testing.T, err error, status int, code string) {
	t.Helper()
	p, ok := err.(*client.Problem)
	if !ok {
		t.Fatalf("got %v (%T), want problem %d %s", err, err, status, code)
	}
	if p.Status != status || p.Code != code {
		t.Fatalf("got problem %d %s (%s), want %d %s", p.Status, p.Code, p.Detail, status, code)
	}
	if p.Type != client.ProblemTypePrefix+code {
		t.Fatalf("problem type %q", p.Type)
	}
}

var _ = http.StatusOK

// nssdb makes an NSS database trusting the development root, for pdfsig.
func nssdb(t *testing.T, data string) string {
	t.Helper()
	db := t.TempDir()
	for _, args := range [][]string{{"-N", "-d", db, "--empty-password"},
		{"-A", "-d", db, "-n", "segl-dev-root", "-t", "C,C,C", "-i", filepath.Join(data, "pki", "root-ca.pem")}} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	return db
}

// TestMain gives the tests SoftHSM tokens of their own (hsm_e2e_test.go)
// and removes what tests leave outside their t.TempDir: the segl binary
// seglBinary builds once.
func TestMain(m *testing.M) {
	code := testtool.SoftHSMMain(m)
	if seglBin.path != "" {
		os.RemoveAll(filepath.Dir(seglBin.path))
	}
	os.Exit(code)
}

// completed waits for the background completion of a job whose last signer
// has signed (ceremony.Service.Complete, a queued task) and returns the job
// as the API shows it then: completed, or whatever else it became. The
// bound only stops a broken test; it measures nothing.
func (e *env) completed(c *client.Client, id string) *client.Job {
	e.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		j, err := c.Job(context.Background(), id)
		if err != nil {
			e.t.Fatalf("job %s: %v", id, err)
		}
		if j.Status != client.JobSigned {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s was never completed", id)
		}
	}
}

// settled waits until no job (of any organisation) is signed but not yet
// completed: the background completion of every signed job has run.
func (e *env) settled() {
	e.t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		orgs, err := e.srv.Store.ListOrgs(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		waiting := 0
		for _, o := range orgs {
			list, _, err := e.srv.Store.ListJobs(ctx, o.Number, store.JobQuery{Status: job.StatusSigned})
			if err != nil {
				e.t.Fatal(err)
			}
			waiting += len(list)
		}
		if waiting == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d jobs were never completed", waiting)
		}
	}
}

// orgName is the name segl has for an organisation, as the signer's pages
// show it.
func (e *env) orgName(org string) string {
	e.t.Helper()
	o, err := e.srv.Svc.Store.Org(context.Background(), org)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.Name
}

// signedPasses downloads document docID of job jobID through c and checks it
// with segl's validator against roots: it must pass, with exactly
// signatures signatures when signatures > 0. It returns the file and the
// report.
func signedPasses(t *testing.T, c *client.Client, jobID, docID string, roots *x509.CertPool, signatures int) ([]byte, *validate.Report) {
	t.Helper()
	body, err := c.SignedDocument(context.Background(), jobID, docID)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := validate.PDF(bytes.NewReader(signed), int64(len(signed)), validate.Options{Roots: roots})
	if err != nil || !rep.Passed() || (signatures > 0 && len(rep.Signatures) != signatures) {
		t.Fatalf("signed document %s of job %s (want %d signatures): %v %+v", docID, jobID, signatures, err, rep)
	}
	return signed, rep
}

package server_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/delivery"
	"github.com/segl/segl/internal/queue/sqlitequeue"
)

// scrape fetches the metrics as Prometheus would and returns the sample
// lines by series ("name{labels}" → value).
func scrape(t *testing.T, metricsURL string) map[string]string {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", metricsURL, resp.Status)
	}
	series := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		series[line[:i]] = line[i+1:]
	}
	return series
}

func withMetrics(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }

// TestMetrics runs a complete ceremony and reads what an operator's
// Prometheus would: request latency by route pattern (no job or signer id
// in any label), the jobs' transitions, the signing acts by type, the
// calls to the eID provider, the tasks and the queue's depth.
func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withMetrics)
	if !strings.HasPrefix(e.srv.MetricsURL, "http://127.0.0.1:") {
		t.Fatalf("metrics URL %q", e.srv.MetricsURL)
	}
	ctx := context.Background()
	c := e.client(orgA)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer receiver.Close()
	req := directRequest()
	req.Signers = req.Signers[:1]
	req.CallbackURL = receiver.URL + "/segl"
	j := e.mustCreate(c, req)
	if _, err := c.Job(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	ola := e.browser(t)
	view := ola.login(j.Signers[0].SigningURL, olaPID, "bankid")
	ola.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	eventually(t, "the job completes", func() bool {
		got, err := c.Job(ctx, j.ID)
		return err == nil && got.Status == "completed"
	})

	m := scrape(t, e.srv.MetricsURL)
	for _, want := range []string{
		`segl_http_request_duration_seconds_count{code="201",method="POST",route="POST /api/v1/jobs"}`,
		`segl_http_request_duration_seconds_count{code="200",method="GET",route="GET /api/v1/jobs/{id}"}`,
		`segl_job_transitions_total{status="created"}`,
		`segl_job_transitions_total{status="completed"}`,
		`segl_signing_acts_total{type="authenticated"}`,
		`segl_peer_call_duration_seconds_count{outcome="ok",peer="idporten"}`,
		`go_goroutines`,
	} {
		if v, ok := m[want]; !ok || v == "0" {
			t.Errorf("no %s in the metrics (value %q)", want, v)
		}
	}
	if m[`segl_signing_acts_total{type="authenticated"}`] != "1" {
		t.Errorf("signing acts = %q, want 1", m[`segl_signing_acts_total{type="authenticated"}`])
	}
	for series := range m {
		// Bounded cardinality: ids never become label values.
		if strings.Contains(series, j.ID) || strings.Contains(series, j.Signers[0].ID) {
			t.Errorf("an id in a label: %s", series)
		}
	}
	eventually(t, "the callbacks counted as done tasks", func() bool {
		return scrape(t, e.srv.MetricsURL)[`segl_tasks_total{kind="callback",outcome="done"}`] != ""
	})
}

// TestMetricsQueueDepth: a task that cannot be delivered shows in the
// queue's depth, with the age of the oldest due one, on every scrape.
func TestMetricsQueueDepth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withMetrics)
	ctx := context.Background()
	due := time.Now().Add(-time.Minute)
	if err := e.srv.Queue.Enqueue(ctx, "no-such-kind", "k", nil, due); err != nil {
		t.Fatal(err)
	}
	m := scrape(t, e.srv.MetricsURL)
	if m[`segl_queue_tasks{kind="no-such-kind",state="due"}`] != "1" {
		t.Fatalf("queue depth: %v", m[`segl_queue_tasks{kind="no-such-kind",state="due"}`])
	}
	age := m[`segl_queue_oldest_due_seconds{kind="no-such-kind"}`]
	if age == "" || age == "0" || strings.HasPrefix(age, "-") {
		t.Fatalf("oldest due age = %q, want about 60", age)
	}
}

// TestNoMetricsByDefault: without metrics-addr there is no listener and
// no /metrics on the service's own.
func TestNoMetricsByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if e.srv.MetricsURL != "" {
		t.Fatalf("metrics at %s without metrics-addr", e.srv.MetricsURL)
	}
	resp, err := e.anonymous().HTTP.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics on the service listener: %s", resp.Status)
	}
}

// TestReadyzChecksBlobs: a blob store that does not answer takes the node
// out of the load balancer's rotation, and it comes back by itself.
func TestReadyzChecksBlobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if status, rep := e.readyz(t); status != http.StatusOK || rep.Status != "ready" {
		t.Fatalf("readyz %d %+v", status, rep)
	}
	// The blob directory replaced by a file: every open fails with
	// "not a directory", as a lost mount would.
	blobs := filepath.Join(e.data, "blobs")
	if err := os.Rename(blobs, blobs+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blobs, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	status, rep := e.readyz(t)
	if status != http.StatusServiceUnavailable || rep.Failed["blobs"] == "" || len(rep.Failed) != 1 {
		t.Fatalf("readyz with the blob store gone: %d %+v", status, rep)
	}
	os.Remove(blobs)
	if err := os.Rename(blobs+".away", blobs); err != nil {
		t.Fatal(err)
	}
	if status, rep := e.readyz(t); status != http.StatusOK {
		t.Fatalf("readyz after the blob store is back: %d %+v", status, rep)
	}
}

// TestShutdownFinishesRequestsInFlight: a job upload under way when the
// server is told to stop completes with 201, while new connections are
// refused at once.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	body, w := io.Pipe()
	type result struct {
		j   *client.Job
		err error
	}
	created := make(chan result, 1)
	go func() {
		j, err := c.CreateJob(context.Background(), directRequest(),
			[]client.Upload{{Part: "doc1", FileName: "doc1.pdf", ContentType: "application/pdf", Body: body}})
		created <- result{j, err}
	}()
	half := len(pdf100k) / 2
	writeErr := make(chan error, 1)
	go func() { _, err := w.Write(pdf100k[:half]); writeErr <- err }()
	// The handler is under way once it stages the upload: a file appears
	// in this process's scratch directory (DATA/tmp/<random>/).
	eventually(t, "the server staging the upload", func() bool {
		files, _ := filepath.Glob(filepath.Join(e.data, "tmp", "*", "*"))
		for _, f := range files {
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() && filepath.Base(f) != "lock" {
				return true
			}
		}
		return false
	})
	srv := e.srv
	e.srv = nil // the test stops it
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		closed <- srv.Close(ctx)
	}()
	addr := strings.TrimPrefix(srv.URL, "https://")
	eventually(t, "the listener refuses new connections", func() bool {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	})
	go func() {
		if err := <-writeErr; err == nil {
			w.Write(pdf100k[half:])
		}
		w.Close()
	}()
	r := <-created
	if r.err != nil || r.j.Status != "created" && r.j.Status != "active" {
		t.Fatalf("the upload in flight during shutdown: %+v, %v", r.j, r.err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
}

// TestShutdownHandsBackTasks: a callback under way when the server stops
// is handed back to the queue, so another node can take it at once — not
// after its lease runs out, and without spending an attempt.
func TestShutdownHandsBackTasks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arrived := make(chan struct{}, 16)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does net/http watch the
		// connection and end the context when segl hangs up.
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-r.Context().Done() // a receiver that hangs
	}))
	defer receiver.Close()
	req := directRequest()
	req.CallbackURL = receiver.URL + "/segl"
	e.mustCreate(e.client(orgA), req)
	<-arrived // a callback task is running

	e.stop()
	q, err := sqlitequeue.Open(filepath.Join(e.data, "queue.db"), sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	// Claimed at once by "another node", well inside the minute-long
	// lease the stopped runner had taken.
	jobs, err := q.Claim(context.Background(), "other-node", []string{delivery.TaskCallback}, time.Minute, time.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) == 0 {
		t.Fatal("the callback under way was not handed back")
	}
	for _, j := range jobs {
		if j.Attempt != 1 {
			t.Errorf("handed-back task %d is on attempt %d, want 1 (a shutdown is not a failure)", j.ID, j.Attempt)
		}
	}
	if dead, err := q.Dead(context.Background(), 10); err != nil || len(dead) != 0 {
		t.Fatalf("dead letter %+v, %v", dead, err)
	}
}

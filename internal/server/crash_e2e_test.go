package server_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/clustertest"
	devtsa "github.com/segl/segl/internal/dev/tsa"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/signerbot"
	"github.com/segl/segl/internal/validate"
)

// TestCompletionSurvivesSIGKILL kills a real `segl serve --dev` process
// (SIGKILL: no request finished, no lease handed back) while it completes
// a job, and starts it again on the same data directory. The process is
// caught in the middle: the development TSA's gate (/dev/tsa/hold) lets
// the last signer's act through and holds the completion's document
// time-stamp, with the completion's task leased. After the restart the
// lease runs out (a minute), the task runs again, and the job completes
// exactly once: one job.completed event in the feed and one callback, one
// document time-stamp in the signed PDF (which validates), and `segl audit
// verify` finds the chain intact.
func TestCompletionSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits out a task lease (a minute)")
	}
	var mu sync.Mutex
	callbacks := map[string]int{} // event type → callbacks received
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev client.Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("callback: %v", err)
		}
		mu.Lock()
		callbacks[ev.Type]++
		mu.Unlock()
	}))
	defer receiver.Close()

	cl := clustertest.Start(t, clustertest.Options{Binary: seglBinary(t), Nodes: 1})
	node := cl.Nodes[0]
	c := cl.Client(0, orgA)
	roots, err := pki.LoadPool(filepath.Join(cl.PKI, "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := directRequest()
	req.CallbackURL = receiver.URL + "/segl"
	j, err := c.CreateJob(ctx, req, []client.Upload{pdfUpload("doc1")})
	if err != nil {
		t.Fatal(err)
	}

	// The first act, with the gate open, says how many time-stamps an act
	// asks for; the gate then lets the last act have as many and holds
	// the next one, the completion's.
	before := gate(t, c.HTTP, node.URL, http.MethodGet, "")
	signAct(t, node.URL, roots, j.Signers[0].SigningURL, req.Signers[0].PID)
	act := gate(t, c.HTTP, node.URL, http.MethodGet, "").Passed - before.Passed
	if act == 0 {
		t.Fatal("a signing act asked the TSA for nothing")
	}
	gate(t, c.HTTP, node.URL, http.MethodPost, fmt.Sprintf("?after=%d", act))
	signAct(t, node.URL, roots, j.Signers[1].SigningURL, req.Signers[1].PID)
	// Until the completion waits for its time-stamp; a job that is no
	// longer signed meanwhile got past the gate, and the test is wrong.
	for st := gate(t, c.HTTP, node.URL, http.MethodGet, ""); st.Waiting == 0; st = gate(t, c.HTTP, node.URL, http.MethodGet, "") {
		if got, err := c.Job(ctx, j.ID); err != nil || got.Status != client.JobSigned {
			t.Fatalf("waiting for the completion at the gate: %v %+v", err, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, err := c.Job(ctx, j.ID); err != nil || got.Status != client.JobSigned {
		t.Fatalf("while completing: %v %+v", err, got)
	}
	node.Kill()

	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	c = cl.Client(0, orgA)
	var done *client.Job
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if done, err = c.Job(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		if done.Status != client.JobSigned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job is still signed long after its task's lease ran out\n%s", node.Tail(40))
		}
	}
	if done.Status != client.JobCompleted {
		t.Fatalf("after the restart the job is %s, want completed", done.Status)
	}

	events, err := c.Events(ctx, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	completed := 0
	for _, ev := range events {
		if ev.JobID == j.ID && ev.Type == "job.completed" {
			completed++
		}
	}
	if completed != 1 {
		t.Errorf("%d job.completed events, want 1", completed)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		n := callbacks["job.completed"]
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
	}
	body, err := c.SignedDocument(ctx, j.ID, j.Documents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := validate.PDF(bytes.NewReader(signed), int64(len(signed)), validate.Options{Roots: roots})
	stamps := 0
	for _, s := range rep.Signatures {
		if s.Kind == "document-timestamp" {
			stamps++
		}
	}
	if err != nil || !rep.Passed() || len(rep.Signatures) != 3 || stamps != 1 {
		t.Fatalf("the completed document: %v, %d signatures of which %d document time-stamps, want 2 acts and 1 time-stamp: %+v",
			err, len(rep.Signatures), stamps, rep)
	}
	// Another callback would come only from another job.completed entry,
	// and its task runs at once: let it have its chance before counting.
	node.Stop()
	mu.Lock()
	if n := callbacks["job.completed"]; n != 1 {
		t.Errorf("%d job.completed callbacks, want 1", n)
	}
	mu.Unlock()
	out, err := exec.Command(seglBinary(t), "audit", "verify", "--data", node.Data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "intact") {
		t.Fatalf("segl audit verify: %v\n%s", err, out)
	}
}

// gate asks the development TSA's gate (/dev/tsa/hold) with method and
// query, and returns its state.
func gate(t *testing.T, hc *http.Client, base, method, query string) devtsa.State {
	t.Helper()
	r, err := http.NewRequest(method, base+"/dev/tsa/hold"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := hc.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st devtsa.State
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("%s /dev/tsa/hold%s: %d %v", method, query, res.StatusCode, err)
	}
	return st
}

// signAct has the signer behind link log in as pid, as a fresh browser,
// and sign.
func signAct(t *testing.T, base string, roots *x509.CertPool, link, pid string) {
	t.Helper()
	bot, err := signerbot.New(base, roots)
	if err != nil {
		t.Fatal(err)
	}
	defer bot.HTTP.CloseIdleConnections()
	view, err := bot.Login(link, pid, "")
	if err != nil {
		t.Fatal(err)
	}
	done, err := bot.Submit(view, "/sign", url.Values{"confirm": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := done.ExitToken("https://sender.example/ok"); err != nil {
		t.Fatalf("after signing: %v", err)
	}
}

package server_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/blob/s3"
	"github.com/segl/segl/internal/blob/s3/s3test"
	"github.com/segl/segl/internal/clustertest"
	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/queue/pgqueue"
	"github.com/segl/segl/internal/signerbot"
	"github.com/segl/segl/internal/validate"
)

// TestThreeNodesOneKilled runs three `segl serve --dev` processes on one
// PostgreSQL database and one S3 bucket and spreads direct-flow ceremonies
// over them: each job is created on one node, its signers open their links
// and log in on a second and sign on a third (the session and the form's
// CSRF token made by the second). Mid-run one node is killed
// with SIGKILL, and started again. Afterwards every job that was answered
// 201 exists and is completed, every signer signed once, every signed PDF
// passes `segl validate` and pdfsig, `segl audit verify` finds the one
// chain the three nodes wrote intact, and no background task is left due
// or dead (those the killed node held are taken over when their leases
// run out).
func TestThreeNodesOneKilled(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	bucket := s3test.Shared(t).Bucket(t)
	cl := clustertest.Start(t, clustertest.Options{Binary: seglBinary(t), Nodes: 3,
		Args: append([]string{"--database-url", dbURL}, s3Args(t, bucket)...)})
	l := newCeremonyLoad(t, cl)

	const jobs = 24
	victim := cl.Nodes[1]
	var kills sync.WaitGroup
	kills.Go(func() {
		l.waitFor(func() bool { return l.signedActs() >= 10 })
		victim.Kill()
		// Load runs on the two nodes left until it has made progress
		// without the victim, then the victim comes back.
		at := l.signedActs()
		l.waitFor(func() bool { return l.signedActs() >= at+6 })
		if err := victim.Start(); err != nil {
			l.fail(err)
		}
	})
	l.run(jobs, 3)
	kills.Wait()
	l.report()
	l.check(dbURL)
}

// TestDatabaseAndObjectStoreOutages runs two nodes on a PostgreSQL server
// and an S3 server of this test's own and, while ceremonies run, stops the
// database for outageLength and starts it again, then the object store the
// same. During each outage the API answers 503 problem+json with
// Retry-After and the signer pages say to try again, never 500; afterwards
// the nodes recover by themselves (no restart) and the same checks as
// after a killed node hold.
func TestDatabaseAndObjectStoreOutages(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	dbURL := pg.Database(t)
	objects := s3test.Start(t)
	bucket := objects.Bucket(t)
	cl := clustertest.Start(t, clustertest.Options{Binary: seglBinary(t), Nodes: 2,
		Args: append([]string{"--database-url", dbURL}, s3Args(t, bucket)...)})
	l := newCeremonyLoad(t, cl)

	var outages sync.WaitGroup
	outages.Go(func() {
		l.waitFor(func() bool { return l.signedActs() >= 4 })
		l.outage("database", pg.Halt, pg.Resume, func(i int) error {
			b := l.bot(i)
			page, err := b.Get(onNode(l.anyLink(), l.cl.Nodes[i].URL))
			if err != nil {
				return err
			}
			return wantTryAgain(page)
		})
		// A signer who signs while the documents cannot be read is told
		// to try again, and signs once they can.
		probe, err := l.create(0, "probe")
		if err != nil {
			l.fail(err)
			return
		}
		l.outage("object store", func() error { objects.Stop(); return nil }, objects.Restart, func(i int) error {
			b := l.bot(i)
			view, err := b.Login(onNode(probe.Signers[0].SigningURL, l.cl.Nodes[i].URL), olaPID, "")
			if err != nil {
				return err
			}
			if err := pageError(view, 200); err != nil {
				return err
			}
			page, err := b.Submit(view, "/sign", url.Values{"confirm": {"yes"}})
			if err != nil {
				return err
			}
			return wantTryAgain(page)
		})
		for s, pid := range []string{olaPID, kariPID} {
			if err := l.sign(s, probe, s, pid); err != nil {
				l.fail(fmt.Errorf("the probe job's signer %d after the outages: %w", s+1, err))
			}
		}
	})
	l.run(16, 3)
	outages.Wait()
	l.report()
	l.check(dbURL)
}

// outageLength is how long each outage lasts; issue 11 asks for 20 s.
const outageLength = 20 * time.Second

// outage stops a dependency while the load runs, checks on every node
// that a job creation is answered 503 problem+json with Retry-After and
// that signer, the probe of a signer's page, is told to try again, and
// starts the dependency again after outageLength.
func (l *ceremonyLoad) outage(what string, stop, start func() error, signer func(node int) error) {
	l.t.Logf("%s: down", what)
	if err := stop(); err != nil {
		l.fail(err)
		return
	}
	began := time.Now()
	for i := range l.cl.Nodes {
		_, err := l.clients[i].CreateJob(context.Background(), directRequest(), []client.Upload{pdfUpload("doc1")})
		var p *client.Problem
		if !errors.As(err, &p) || p.Status != http.StatusServiceUnavailable {
			l.fail(fmt.Errorf("%s down: job creation on node %d: %v, want 503", what, i, err))
		}
		if err := signer(i); err != nil {
			l.fail(fmt.Errorf("%s down: signer on node %d: %w", what, i, err))
		}
	}
	// The outage lasts its length whatever the probes took; the load
	// keeps asking meanwhile.
	time.Sleep(time.Until(began.Add(outageLength)))
	if err := start(); err != nil {
		l.fail(err)
		return
	}
	l.t.Logf("%s: up after %s; %d answers so far said to try again", what, time.Since(began).Round(time.Second), l.unavailable.Load())
}

// wantTryAgain checks that p is the page that says to try again later.
func wantTryAgain(p signerbot.Page) error {
	if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "Prøv igjen") {
		return fmt.Errorf("%s: got %d %q, want 503 and “Prøv igjen”", p.URL, p.Status, p.H1())
	}
	return nil
}

// s3Args are the flags of a node whose documents are in bucket, with its
// keys in files as production keeps them.
func s3Args(t *testing.T, o s3.Options) []string {
	dir := t.TempDir()
	access, secret := filepath.Join(dir, "access"), filepath.Join(dir, "secret")
	os.WriteFile(access, []byte(o.AccessKey+"\n"), 0o600)
	os.WriteFile(secret, []byte(o.SecretKey+"\n"), 0o600)
	return []string{"--s3-endpoint", o.Endpoint, "--s3-bucket", o.Bucket, "--s3-access-key-file", access,
		"--s3-secret-key-file", secret}
}

// ceremonyLoad runs direct-flow ceremonies over the nodes of a cluster as
// an integrator and the signers' browsers would behind a load balancer
// that stops sending to a node that does not answer: a request that finds
// no node is tried on the next, one answered 503 is tried again later.
// Every answer is watched: a 5xx other than a 503 that says to try again
// fails the test.
type ceremonyLoad struct {
	t       *testing.T
	cl      *clustertest.Cluster
	roots   *x509.CertPool
	clients []*client.Client // the sender's API client on each node

	unavailable atomic.Int64 // 503 answers that said to try again
	away        atomic.Int64 // requests that found no node, or whose answer was cut
	acts        atomic.Int64 // signers who signed

	mu      sync.Mutex
	created []*client.Job // every job answered 201
	errs    []error
}

// give is the bound of a whole run and of each wait; it only stops a
// broken test, as the tasks a killed node held wait for their leases
// (a minute) to run out.
const give = 3 * time.Minute

func newCeremonyLoad(t *testing.T, cl *clustertest.Cluster) *ceremonyLoad {
	roots, err := pki.LoadPool(filepath.Join(cl.PKI, "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	l := &ceremonyLoad{t: t, cl: cl, roots: roots}
	for i := range cl.Nodes {
		c := cl.Client(i, orgA)
		c.HTTP.Transport = &watch{next: c.HTTP.Transport, l: l}
		l.clients = append(l.clients, c)
	}
	return l
}

func (l *ceremonyLoad) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *ceremonyLoad) failed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.errs) > 0
}

func (l *ceremonyLoad) signedActs() int { return int(l.acts.Load()) }

// waitFor polls cond until it holds, the load fails, or give runs out.
func (l *ceremonyLoad) waitFor(cond func() bool) {
	for deadline := time.Now().Add(give); !cond() && !l.failed(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			l.fail(errors.New("a condition of the test never came true"))
			return
		}
	}
}

// anyLink is a signing link of a job created so far.
func (l *ceremonyLoad) anyLink() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.created) == 0 {
		return ""
	}
	return l.created[len(l.created)-1].Signers[0].SigningURL
}

// run creates jobs jobs with workers at once and has both signers of each
// sign, each job on different nodes. A step that fails for a reason other
// than a node or a dependency being away stops the load; report tells.
func (l *ceremonyLoad) run(jobs, workers int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < jobs && !l.failed(); i = int(next.Add(1)) - 1 {
				if err := l.ceremony(i); err != nil {
					l.fail(fmt.Errorf("job %d: %w", i, err))
				}
			}
		})
	}
	wg.Wait()
}

// report fails the test with every failure of the load.
func (l *ceremonyLoad) report() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		l.t.Error(err)
	}
	if l.t.Failed() {
		l.t.FailNow()
	}
}

// ceremony runs job i: created on node i, its signer s logging in on node
// i+1+s and signing on node i+2+s (modulo the nodes).
func (l *ceremonyLoad) ceremony(i int) error {
	j, err := l.create(i, fmt.Sprintf("load-%d", i))
	if err != nil {
		return err
	}
	for s, pid := range []string{olaPID, kariPID} {
		if err := l.sign(i+1+s, j, s, pid); err != nil {
			return fmt.Errorf("signer %d: %w", s+1, err)
		}
		l.acts.Add(1)
	}
	return nil
}

// create creates a job on node i, retried under key, and remembers it.
func (l *ceremonyLoad) create(i int, key string) (*client.Job, error) {
	var j *client.Job
	req := directRequest() // once: a retry under key must send the same request, expiry included
	err := l.retry(i, func(node int) (err error) {
		j, err = l.clients[node].CreateJob(context.Background(), req, []client.Upload{pdfUpload("doc1")},
			client.CreateOptions{IdempotencyKey: key})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	l.mu.Lock()
	l.created = append(l.created, j)
	l.mu.Unlock()
	return j, nil
}

// sign has signer s of j log in on node at and sign on the node after it,
// moving on when a node is away and waiting when segl says to try again.
// After an attempt whose outcome the browser never saw, the API says
// whether the signature was made.
func (l *ceremonyLoad) sign(at int, j *client.Job, s int, pid string) error {
	deadline := time.Now().Add(give)
	for attempt := 0; ; attempt++ {
		login, sign := l.node(at+attempt), l.node(at+attempt+1)
		err := l.signOnce(login, sign, j.Signers[s].SigningURL, pid)
		l.count(err)
		if err == nil {
			return nil
		}
		if !retryable(err) || time.Now().After(deadline) {
			return err
		}
		var now *client.Job
		if err := l.retry(at, func(node int) (err error) { now, err = l.clients[node].Job(context.Background(), j.ID); return err }); err != nil {
			return err
		}
		if now.Signers[s].Status == "signed" {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// signOnce is one attempt: a fresh browser opens the link on node login,
// logs in at that node's development ID-porten and gets the job page, and
// then posts the page's sign form to node sign: the session cookie and the
// form's CSRF token, both made by one node, are good on any node. It lands
// on the sender's completion URL.
//
// In about one run of five on a busy machine, the sign form of a signer
// whose job was created as the database went down was once answered 404
// after both outages. The likely cause was the test's S3 server, not segl:
// SeaweedFS answered 404 for objects written before its restart until it
// had registered its volumes again (internal/blob/s3 TestOutage showed it
// in 2 runs of 8). scripts/s3-test-server now waits until what the last
// run stored reads back; since then this test passed 3 runs of 3 and the
// S3 outage test 8 of 8. A failure still prints the page's text.
func (l *ceremonyLoad) signOnce(login, sign int, link, pid string) (err error) {
	b := l.bot(login)
	defer func() {
		// signerbot says "not the form" of a page that said to try again.
		if err != nil && b.HTTP.Transport.(*watch).last.Load() == http.StatusServiceUnavailable {
			err = errTryAgain
		}
	}()
	view, err := b.Login(onNode(link, l.cl.Nodes[login].URL), pid, "")
	if err != nil {
		return err
	}
	if err := pageError(view, 200); err != nil {
		return err
	}
	// The job page's form, with the CSRF token the login node wrote into
	// it, is sent to the other node, with the session cookie.
	b.Base, _ = url.Parse(l.cl.Nodes[sign].URL)
	view.URL, _ = url.Parse(onNode(view.URL.String(), l.cl.Nodes[sign].URL))
	done, err := b.Submit(view, "/sign", url.Values{"confirm": {"yes"}})
	if err != nil {
		return err
	}
	if err := pageError(done, http.StatusSeeOther); err != nil {
		return fmt.Errorf("%w (the form came from node %d): %s", err, login, mainText(done))
	}
	_, err = done.ExitToken(directRequest().ExitURLs.Completion)
	return err
}

// errTryAgain is a page that said to try again later.
var errTryAgain = errors.New("segl said to try again later")

// pageError says what is wrong with a page that is not the one wanted.
func pageError(p signerbot.Page, want int) error {
	switch {
	case p.Status == want:
		return nil
	case p.Status == http.StatusServiceUnavailable:
		return errTryAgain
	}
	return fmt.Errorf("%s: got %d %q, want %d", p.URL, p.Status, p.H1(), want)
}

// mainText is the start of a page's main element, which says what went
// wrong, for a failure message.
func mainText(p signerbot.Page) string {
	body := p.Body
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	return body[:min(len(body), 800)]
}

// retryable is a failure the load balancer or the user would retry: no
// node answered, the answer was cut, or segl said to try again.
func retryable(err error) bool {
	var ue *url.Error
	var p *client.Problem
	return errors.Is(err, errTryAgain) || errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF) ||
		(errors.As(err, &p) && p.Status == http.StatusServiceUnavailable)
}

// count notes a request that found no node.
func (l *ceremonyLoad) count(err error) {
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF) {
		l.away.Add(1)
	}
}

// retry calls f on node from, then on the following nodes, until it
// succeeds or fails for a reason that is not retryable.
func (l *ceremonyLoad) retry(from int, f func(node int) error) error {
	deadline := time.Now().Add(give)
	for attempt := 0; ; attempt++ {
		err := f(l.node(from + attempt))
		l.count(err)
		if err == nil || !retryable(err) || time.Now().After(deadline) {
			return err
		}
		if attempt%len(l.cl.Nodes) == len(l.cl.Nodes)-1 {
			time.Sleep(200 * time.Millisecond) // every node refused: wait a little
		}
	}
}

func (l *ceremonyLoad) node(i int) int { return i % len(l.cl.Nodes) }

// bot is a fresh signer's browser on node i whose answers are watched.
func (l *ceremonyLoad) bot(i int) *signerbot.Browser {
	b, err := signerbot.New(l.cl.Nodes[i].URL, l.roots)
	if err != nil {
		l.t.Fatal(err)
	}
	b.HTTP.Transport = &watch{next: b.HTTP.Transport, l: l}
	return b
}

// onNode is link with its scheme and host replaced by node's.
func onNode(link, node string) string {
	u, _ := url.Parse(link)
	n, _ := url.Parse(node)
	u.Scheme, u.Host = n.Scheme, n.Host
	return u.String()
}

// watch sees every answer of the load: a 503 must say to try again later
// (problem+json with Retry-After, or a page saying so); any other 5xx
// fails the test.
type watch struct {
	next http.RoundTripper
	l    *ceremonyLoad
	last atomic.Int64 // the status of the last answer
}

func (w *watch) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := w.next.RoundTrip(req)
	if err == nil {
		w.last.Store(int64(res.StatusCode))
	}
	if err != nil || res.StatusCode < 500 {
		return res, err
	}
	body, rerr := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return res, nil // cut: the caller sees it as such
	}
	ct := res.Header.Get("Content-Type")
	switch {
	case res.StatusCode == http.StatusServiceUnavailable && ct == "application/problem+json" && res.Header.Get("Retry-After") != "":
		w.l.unavailable.Add(1)
	case res.StatusCode == http.StatusServiceUnavailable && strings.HasPrefix(ct, "text/html") && bytes.Contains(body, []byte("Prøv igjen")):
		w.l.unavailable.Add(1)
	default:
		w.l.fail(fmt.Errorf("%s %s: %d %s %q", req.Method, req.URL.Path, res.StatusCode, ct, body[:min(len(body), 300)]))
	}
	return res, nil
}

// check asserts what must hold once the load is over: every created job
// exists and completes, every signer signed once, every signed PDF passes
// segl validate and pdfsig, the audit chain is intact and no background
// task is due or dead.
func (l *ceremonyLoad) check(dbURL string) {
	t := l.t
	ctx := context.Background()
	dir := t.TempDir()
	var files []string
	nss := nssdb(t, filepath.Dir(l.cl.PKI))
	for k, j := range l.created {
		var got *client.Job
		for deadline := time.Now().Add(give); ; time.Sleep(100 * time.Millisecond) {
			err := l.retry(k, func(node int) (err error) { got, err = l.clients[node].Job(ctx, j.ID); return err })
			if err != nil {
				t.Fatalf("job %s, answered 201: %v", j.ID, err)
			}
			if got.Status != client.JobSigned || time.Now().After(deadline) {
				break
			}
		}
		if got.Status != client.JobCompleted {
			t.Fatalf("job %s is %s, want completed", j.ID, got.Status)
		}
		var signed []byte
		err := l.retry(k, func(node int) error {
			body, err := l.clients[node].SignedDocument(ctx, j.ID, j.Documents[0].ID)
			if err != nil {
				return err
			}
			defer body.Close()
			signed, err = io.ReadAll(body)
			return err
		})
		if err != nil {
			t.Fatalf("signed document of %s: %v", j.ID, err)
		}
		// Two signers and the document time-stamp: a signer who signed
		// twice would add a fourth.
		rep, err := validate.PDF(bytes.NewReader(signed), int64(len(signed)), validate.Options{Roots: l.roots})
		if err != nil || !rep.Passed() || len(rep.Signatures) != 3 {
			t.Fatalf("signed PDF of %s: %v, passed %v, %d signatures", j.ID, err, err == nil && rep.Passed(), len(rep.Signatures))
		}
		f := filepath.Join(dir, j.ID+".pdf")
		os.WriteFile(f, signed, 0o600)
		files = append(files, f)
		// pdfsig checks the signers' two signatures (it cannot check a
		// document time-stamp): a third signer signature would show.
		out, _ := exec.Command("pdfsig", "-nssdir", nss, f).CombinedOutput()
		if n := strings.Count(string(out), "Signature Validation: Signature is Valid."); n != 2 {
			t.Fatalf("pdfsig %s: %d valid signatures, want 2\n%s", j.ID, n, out)
		}
	}
	bin := seglBinary(t)
	if out, err := exec.Command(bin, append([]string{"validate", "--data", filepath.Dir(l.cl.PKI)}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("segl validate: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "audit", "verify", "--database-url", dbURL, "--trust", filepath.Join(l.cl.PKI, "root-ca.pem")).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "intact") {
		t.Fatalf("segl audit verify: %v\n%s", err, out)
	}
	l.tasksSettled(dbURL)
	t.Logf("%d jobs completed; %d answers said to try again; %d requests found no node or were cut", len(l.created),
		l.unavailable.Load(), l.away.Load())
}

// tasksSettled waits until no background task is due, and fails if one is
// dead: none was lost with a node or an outage.
func (l *ceremonyLoad) tasksSettled(dbURL string) {
	ctx := context.Background()
	q, err := pgqueue.Open(ctx, dbURL)
	if err != nil {
		l.t.Fatal(err)
	}
	defer q.Close()
	for deadline := time.Now().Add(give); ; time.Sleep(200 * time.Millisecond) {
		depths, err := q.Depths(ctx, time.Now())
		if err != nil {
			l.t.Fatal(err)
		}
		due := 0
		for _, d := range depths {
			if d.Dead > 0 {
				dead, _ := q.Dead(ctx, 5)
				l.t.Fatalf("dead tasks: %+v; %+v", depths, dead)
			}
			due += int(d.Due)
		}
		if due == 0 {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("tasks still due: %+v", depths)
		}
	}
}

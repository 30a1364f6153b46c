package delivery_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/tsp"
	"github.com/segl/segl/internal/validate"
)

// stands are the in-process TSA, OCSP responder and CRL issuer of the
// development PKI, counting the calls they answer. hook, when set, runs before a
// time-stamp is made: a test uses it to interfere at that moment.
type stands struct {
	tsa  *tsp.Authority
	ocsp pki.RevocationSource
	dev  *pki.Dev

	mu      sync.Mutex
	stamps  int
	answers int
	hook    func(ctx context.Context) error
}

func (s *stands) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	s.mu.Lock()
	s.stamps++
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		if err := hook(ctx); err != nil {
			return nil, err
		}
	}
	return s.tsa.Stamp(ctx, h, digest)
}

// Certificates keeps the TSA's optional capability (signing.CertifiedStamper).
func (s *stands) Certificates() []*x509.Certificate { return s.tsa.Certificates() }

func (s *stands) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	s.mu.Lock()
	s.answers++
	s.mu.Unlock()
	return s.ocsp.OCSP(ctx, cert, issuer)
}

// CRL counts with the OCSP responses: both are revocation data asked for.
func (s *stands) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	s.mu.Lock()
	s.answers++
	s.mu.Unlock()
	return s.ocsp.CRL(ctx, cert, issuer)
}

// calls returns the numbers of time-stamps and revocation data (OCSP
// responses and CRLs) made so far.
func (s *stands) calls() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stamps, s.answers
}

func (s *stands) setHook(h func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = h
}

// newSigningEnv is newEnv with a signing engine on the development PKI,
// its TSA and OCSP responder counted.
func newSigningEnv(t testing.TB) (*env, *stands) {
	e := newEnv(t)
	dir := t.TempDir()
	dev, err := pki.LoadOrCreateDev(dir, pki.Options{Now: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := pki.OpenRevocations(dev.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := tsp.NewAuthority(dev.TSA.Key, dev.TSA.Cert, dev.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	tsa.Clock = tsp.Synced(e.clk)
	st := &stands{tsa: tsa, ocsp: pki.DevOCSP{Dev: dev, Revoked: revoked, Now: e.clk.Now}, dev: dev}
	engine, err := signing.New(signing.Config{Seal: dev.Seal, Anchors: []*x509.Certificate{dev.Root}, TSA: st, OCSP: st,
		Blobs: e.svc.Blobs, Clock: e.clk, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Engine = engine
	return e, st
}

// olaLogin is Ola's verified login. The ID token only has to be there:
// the evidence keeps it, nothing here checks it.
var olaLogin = eid.Identity{PID: ola, Name: "Ola Nordmann", Assurance: eid.High, Method: "BankID", AuthTime: t0,
	IDToken: "eyJhbGciOiJSUzI1NiJ9.eyJwaWQiOiIyMTkwOTgyNTI1MCJ9.c2ln"}

// signedJob makes a one-signer job and has Ola sign it: the job is then
// signed, its completion queued.
func (e *env) signedJob() *job.Job {
	e.t.Helper()
	j := e.create(job.Direct, "", job.SignerRequest{PID: ola})
	done, err := e.svc.Sign(e.ctx, j.Signers[0].ID, olaLogin)
	if err != nil {
		e.t.Fatal(err)
	}
	if done.Status != job.StatusSigned {
		e.t.Fatalf("job %s after its last signer, want signed", done.Status)
	}
	return done
}

// checkCompletedOnce asserts that j completed with exactly one
// job.completed event, and that its document is a valid PAdES B-LTA: the
// signer's seal and the document time-stamp, by internal/validate.
func (e *env) checkCompletedOnce(st *stands, id string) {
	e.t.Helper()
	j := e.job(id)
	if j.Status != job.StatusCompleted {
		e.t.Fatalf("job %s, want completed", j.Status)
	}
	changes, err := e.db.ChangesAfter(e.ctx, 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	completed := 0
	for _, c := range changes {
		if c.JobID == id && c.Type == "job.completed" {
			completed++
		}
	}
	if completed != 1 {
		e.t.Fatalf("%d job.completed events, want 1", completed)
	}
	o, err := blob.OpenSpans(e.ctx, e.svc.Blobs, j.Documents[0].Signed.Spans())
	if err != nil {
		e.t.Fatal(err)
	}
	defer o.Close()
	pdf, err := io.ReadAll(o)
	if err != nil {
		e.t.Fatal(err)
	}
	rep, err := validate.PDF(o, int64(len(pdf)), validate.Options{Roots: st.dev.Roots()})
	if err != nil || !rep.Passed() || len(rep.Signatures) != 2 || rep.Signatures[1].Kind != "document-timestamp" {
		e.t.Fatalf("the completed document: %v %+v", err, rep)
	}
}

// TestCompletionAfterCrash: the node completing a signed job dies in the
// middle (its document time-stamp never comes back and it never reports
// to the queue, holding the task's lease). Once the lease has run out
// another node completes the job, once: one job.completed event, and a
// document that validates as PAdES B-LTA.
func TestCompletionAfterCrash(t *testing.T) {
	e, st := newSigningEnv(t)
	j := e.signedJob()

	tasks, err := e.q.Claim(e.ctx, "node-a", []string{ceremony.TaskComplete}, time.Minute, e.clk.Now(), 1)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("claim the completion: %v, %d tasks", err, len(tasks))
	}
	stamping := make(chan struct{})
	st.setHook(func(ctx context.Context) error {
		close(stamping)
		<-ctx.Done() // the answer never comes: the node is gone
		return ctx.Err()
	})
	ctx, kill := context.WithCancel(e.ctx)
	died := make(chan error, 1)
	go func() { died <- e.svc.Complete(ctx, org, j.ID) }()
	<-stamping
	kill()
	if err := <-died; err == nil {
		t.Fatal("the killed completion reported success")
	}
	st.setHook(nil)
	if got := e.job(j.ID).Status; got != job.StatusSigned {
		t.Fatalf("after the crash the job is %s, want signed", got)
	}

	// Meanwhile the signer's receipt works: their signed revision and
	// the evidence are there while the job waits for its completion.
	d, o, err := e.svc.SignerSignedDocument(e.ctx, j.Signers[0].ID, j.Documents[0].ID, olaLogin)
	if err != nil {
		t.Fatalf("the signer's signed document while the job is signed: %v", err)
	}
	o.Close()
	if d.Signed.SHA256 != j.Documents[0].Signed.SHA256 || d.Signed.SHA256 == "" {
		t.Fatalf("the receipt offers %q, want the act's revision %q", d.Signed.SHA256, j.Documents[0].Signed.SHA256)
	}
	if ev, err := e.svc.Blobs.Open(e.ctx, e.job(j.ID).Signers[0].Evidence); err != nil {
		t.Fatalf("the signer's evidence while the job is signed: %v", err)
	} else {
		ev.Close()
	}

	e.drain() // node-a still holds the lease: nothing to do yet
	if got := e.job(j.ID).Status; got != job.StatusSigned {
		t.Fatalf("the task ran while node-a held its lease: %s", got)
	}
	e.clk.Advance(2 * time.Minute)
	e.drain()
	e.clk.Advance(time.Hour)
	e.drain()
	e.checkCompletedOnce(st, j.ID)
	if dead, err := e.q.Dead(e.ctx, 10); err != nil || len(dead) != 0 {
		t.Fatalf("dead tasks: %v %+v", err, dead)
	}
}

// TestCompletionLostRaceAsksOnce: when the job is saved by someone else
// while it is being completed, the completion loses its compare-and-swap
// and records the revisions it made on the fresh job: the TSA and the
// OCSP responder are asked exactly as often as for a completion that won.
func TestCompletionLostRaceAsksOnce(t *testing.T) {
	e, st := newSigningEnv(t)

	calm := e.signedJob()
	stamps0, answers0 := st.calls()
	if err := e.svc.Complete(e.ctx, org, calm.ID); err != nil {
		t.Fatal(err)
	}
	stamps1, answers1 := st.calls()
	wantStamps, wantAnswers := stamps1-stamps0, answers1-answers0
	if wantStamps != 1 || wantAnswers == 0 {
		t.Fatalf("a completion made %d time-stamps and %d OCSP requests, want 1 and some", wantStamps, wantAnswers)
	}

	raced := e.signedJob()
	before := e.job(raced.ID).Version
	var once sync.Once
	st.setHook(func(ctx context.Context) error {
		once.Do(func() {
			// Someone else saves the job first, as a notice would.
			other := e.job(raced.ID)
			if err := e.db.SaveJob(ctx, other, nil); err != nil {
				t.Error(err)
			}
		})
		return nil
	})
	stamps0, answers0 = st.calls()
	if err := e.svc.Complete(e.ctx, org, raced.ID); err != nil {
		t.Fatal(err)
	}
	stamps1, answers1 = st.calls()
	if got := e.job(raced.ID).Version; got != before+2 {
		t.Fatalf("version %d after the race, want %d: the other save and the completion", got, before+2)
	}
	if stamps1-stamps0 != wantStamps || answers1-answers0 != wantAnswers {
		t.Errorf("the raced completion made %d time-stamps and %d OCSP requests, want %d and %d",
			stamps1-stamps0, answers1-answers0, wantStamps, wantAnswers)
	}
	// A second delivery of the task finds the job completed and asks nobody.
	if err := e.svc.Complete(e.ctx, org, raced.ID); err != nil {
		t.Fatal(err)
	}
	if stamps2, answers2 := st.calls(); stamps2 != stamps1 || answers2 != answers1 {
		t.Errorf("completing a completed job asked the TSA or OCSP again")
	}
	e.checkCompletedOnce(st, raced.ID)
	e.checkCompletedOnce(st, calm.ID)
}

// TestNoSecondCompletionTask: the signer's request queues the completion
// and it runs before the feed is pumped (the usual order under load); the
// feed's job.signed entry, read once the job is completed, queues no
// second completion task, which would only find the job completed.
func TestNoSecondCompletionTask(t *testing.T) {
	e, st := newSigningEnv(t)
	j := e.signedJob()
	if ran, err := e.runner.RunOnce(e.ctx); err != nil || ran != 1 {
		t.Fatalf("run the queued completion: %d tasks, %v", ran, err)
	}
	e.checkCompletedOnce(st, j.ID)
	if _, err := e.d.PumpOnce(e.ctx); err != nil {
		t.Fatal(err)
	}
	depths, err := e.q.(queue.Inspector).Depths(e.ctx, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range depths {
		if d.Kind == ceremony.TaskComplete && d.Pending != 0 {
			t.Errorf("%d completion tasks queued for a completed job, want 0", d.Pending)
		}
	}
}

package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/delivery"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/mailbox"
	"github.com/segl/segl/internal/mailbox/digipost"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/validate"
)

// TestMailboxOneMessagePerSigner: a signer gets one message in their
// digital mailbox, the signed document as its primary document (a
// signature pdfsig finds valid) and the receipt attached (naming the
// document by its SHA-256), and one notice is recorded for it.
func TestMailboxOneMessagePerSigner(t *testing.T) {
	e, st := newSigningEnv(t)
	j := e.signedJob()
	e.drain()
	j = e.job(j.ID)
	if j.Status != job.StatusCompleted {
		t.Fatalf("job %s, want completed", j.Status)
	}
	inbox := e.boxes.Inbox(ola)
	if len(inbox) != 1 {
		t.Fatalf("Ola's mailbox holds %d messages, want 1", len(inbox))
	}
	m := inbox[0]
	if m.Subject != "Arbeidsavtale" || len(m.Attachments) != 1 || m.Attachments[0].Subject != "Kvittering: Arbeidsavtale" {
		t.Fatalf("message %q with attachments %+v, want the document with the receipt attached", m.Subject, m.Attachments)
	}
	nss := nssdb(t, filepath.Join(st.dev.Dir, "root-ca.pem"))
	// pdfsig checks the signer's seal (it cannot check the document
	// time-stamp); validate checks both.
	if out := pdfsig(t, nss, m.Body); !strings.Contains(out, "Signature is Valid.") || !strings.Contains(out, "Certificate is Trusted.") {
		t.Fatalf("pdfsig on the signed document:\n%s", out)
	}
	rep, err := validate.PDF(bytes.NewReader(m.Body), int64(len(m.Body)), validate.Options{Roots: st.dev.Roots()})
	if err != nil || !rep.Passed() || len(rep.Signatures) != 2 {
		t.Fatalf("the signed document in the mailbox: %v %+v", err, rep)
	}
	receipt := m.Attachments[0].Body
	if out := pdfsig(t, nss, receipt); !strings.Contains(out, "Signature is Valid.") {
		t.Fatalf("pdfsig on the receipt:\n%s", out)
	}
	if text := pdftotext(t, receipt); !strings.Contains(text, j.Documents[0].SHA256) {
		t.Errorf("the receipt does not name the document's SHA-256 %s:\n%s", j.Documents[0].SHA256, text)
	}
	if n := e.mailboxNotices(j.ID); n != 1 {
		t.Errorf("%d mailbox notices recorded, want 1", n)
	}
}

// TestMailboxRetryAfterLostAnswer: the mailbox takes the message but its
// answer is lost, so the task fails and is retried. The retry sends the
// same message id, the mailbox refuses it as a duplicate, and the task
// records its notice: one message, one notice.
func TestMailboxRetryAfterLostAnswer(t *testing.T) {
	e, _ := newSigningEnv(t)
	var requests atomic.Int32
	lossy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		e.boxes.ServeHTTP(rec, r)
		if requests.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway) // delivered, but the answer never arrives
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer lossy.Close()
	c := *e.d.Mailbox.(*digipost.Client)
	c.BaseURL = lossy.URL
	e.d.Mailbox = &c

	j := e.signedJob()
	e.drain()
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d requests before the retry, want 1", n)
	}
	if n := e.mailboxNotices(j.ID); n != 0 {
		t.Fatalf("%d notices recorded for a delivery whose answer was lost", n)
	}
	e.clk.Advance(10 * time.Minute) // past the queue's backoff
	e.drain()
	if n := requests.Load(); n != 2 {
		t.Fatalf("%d requests, want 2: the message and its retry", n)
	}
	if inbox := e.boxes.Inbox(ola); len(inbox) != 1 || len(inbox[0].Documents()) != 2 {
		t.Fatalf("Ola's mailbox: %d messages, want 1 of 2 documents", len(inbox))
	}
	if n := e.mailboxNotices(j.ID); n != 1 {
		t.Errorf("%d mailbox notices recorded, want 1", n)
	}
	if dead, err := e.q.Dead(e.ctx, 10); err != nil || len(dead) != 0 {
		t.Fatalf("dead tasks: %v %+v", err, dead)
	}
}

// TestMailboxReceiptOfRecordedEvidence: a receipt says what the evidence
// the job's record names says, and nothing else. Ola signs two jobs,
// recorded as jobs were before evidence was kept inside the act's update:
// each evidence a blob of its own. On disk the first job's evidence is
// then replaced by the second's, a validly signed evidence of another act
// (which a check of its XML signature accepts). The first job's message
// does not go out with a receipt of the second job's facts: its task
// fails, nothing is recorded for it, and the second job's message is
// delivered as usual.
func TestMailboxReceiptOfRecordedEvidence(t *testing.T) {
	e, _ := newSigningEnv(t)
	first, second := e.evidenceAlone(e.signedJob()), e.evidenceAlone(e.signedJob())
	path := func(key string) string { return filepath.Join(e.blobDir, "sha256", key[:2], key) }
	other, err := os.ReadFile(path(second.Signers[0].Evidence))
	if err != nil {
		t.Fatal(err)
	}
	replaced := path(first.Signers[0].Evidence)
	if err := os.Chmod(replaced, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(replaced, other, 0o600); err != nil {
		t.Fatal(err)
	}
	e.drain()
	for _, j := range []*job.Job{first, second} {
		if got := e.job(j.ID).Status; got != job.StatusCompleted {
			t.Fatalf("job %s, want completed", got)
		}
	}
	e.onlySecondDelivered(first, second)
}

// TestMailboxUpgrade: tasks queued before one message per signer sent a
// message per signed document and another for the receipt, each recorded
// under a notice of its own. A signer whose document went that way but
// not yet the receipt gets the receipt alone; one who got both gets
// nothing more.
func TestMailboxUpgrade(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sent    []string // the old notices recorded: "document", "receipt"
		want    []string // the subjects of the message now, primary first; none for no message
		notices int
	}{
		{"ok/document-sent-receipt-missing", []string{"document"}, []string{"Kvittering: Arbeidsavtale"}, 2},
		{"ok/both-sent", []string{"document", "receipt"}, nil, 2},
		{"ok/receipt-sent-document-missing", []string{"receipt"}, []string{"Arbeidsavtale"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newSigningEnv(t)
			j := e.signedJob()
			s := j.Signers[0]
			for _, what := range tc.sent {
				key, template := j.ID+"/"+s.ID+"/"+j.Documents[0].ID+"/mailbox", "signed-document"
				if what == "receipt" {
					key, template = j.ID+"/"+s.ID+"/receipt/mailbox", "receipt"
				}
				if _, err := e.db.RecordNotice(e.ctx, store.Notice{Key: key, Org: org, JobID: j.ID, SignerID: s.ID,
					Channel: store.ChannelMailbox, Template: template, At: e.clk.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			e.drain()
			if got := e.job(j.ID).Status; got != job.StatusCompleted {
				t.Fatalf("job %s, want completed", got)
			}
			inbox := e.boxes.Inbox(ola)
			var got []string
			if len(inbox) == 1 {
				for _, d := range inbox[0].Documents() {
					got = append(got, d.Subject)
				}
			}
			if len(inbox) > 1 || strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%d messages, documents %q; want %q", len(inbox), got, tc.want)
			}
			if n := e.mailboxNotices(j.ID); n != tc.notices {
				t.Errorf("%d mailbox notices, want %d", n, tc.notices)
			}
		})
	}
}

// mailboxNotices counts the mailbox notices recorded for a job.
func (e *env) mailboxNotices(jobID string) int {
	e.t.Helper()
	notices, err := e.db.JobNotices(e.ctx, org, jobID)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, x := range notices {
		if x.Channel == store.ChannelMailbox {
			n++
		}
	}
	return n
}

// nssdb is an NSS database that trusts the development root, for pdfsig.
func nssdb(t *testing.T, root string) string {
	t.Helper()
	testtool.Need(t, "certutil", "libnss3-tools")
	db := t.TempDir()
	for _, args := range [][]string{{"-N", "-d", db, "--empty-password"},
		{"-A", "-d", db, "-n", "segl-dev-root", "-t", "C,C,C", "-i", root}} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	return db
}

func pdfsig(t *testing.T, nss string, pdf []byte) string {
	t.Helper()
	testtool.Need(t, "pdfsig", "poppler-utils")
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("pdfsig", "-nssdir", nss, f).CombinedOutput()
	return string(out)
}

func pdftotext(t testing.TB, pdf []byte) string {
	t.Helper()
	testtool.Need(t, "pdftotext", "poppler-utils")
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestMailboxSeveralDocuments: a job of two documents signed one by one
// (made before documents were combined) gives one message too: the first
// signed document, the second and the receipt attached, each named by
// its title.
func TestMailboxSeveralDocuments(t *testing.T) {
	e, _ := newSigningEnv(t)
	j := e.createWith([]string{"Kontrakt", "Vedlegg"}, job.Direct, "", job.SignerRequest{PID: ola})
	if _, err := e.svc.Sign(e.ctx, j.Signers[0].ID, olaLogin); err != nil {
		t.Fatal(err)
	}
	e.drain()
	j = e.job(j.ID)
	if j.Status != job.StatusCompleted || j.Combined() != nil {
		t.Fatalf("job %s, combined %v: want completed, not combined", j.Status, j.Combined() != nil)
	}
	inbox := e.boxes.Inbox(ola)
	if len(inbox) != 1 {
		t.Fatalf("Ola's mailbox holds %d messages, want 1", len(inbox))
	}
	var got []string
	for _, d := range inbox[0].Documents() {
		got = append(got, d.Subject)
	}
	if want := []string{"Arbeidsavtale: Kontrakt", "Arbeidsavtale: Vedlegg", "Kvittering: Arbeidsavtale"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("documents %q, want %q", got, want)
	}
	for i, d := range inbox[0].Documents()[:2] {
		o, err := blob.OpenSpans(e.ctx, e.svc.Blobs, j.Documents[i].Signed.Spans())
		if err != nil {
			t.Fatal(err)
		}
		signed, err := io.ReadAll(o)
		o.Close()
		if err != nil || !bytes.Equal(d.Body, signed) {
			t.Errorf("document %d is not the signed %s (%v)", i, j.Documents[i].Title, err)
		}
	}
	if n := e.mailboxNotices(j.ID); n != 1 {
		t.Errorf("%d mailbox notices recorded, want 1", n)
	}
}

// TestMailboxOneTaskPerJob: the signers of a job get their messages from
// one mailbox task, which asks KRR once for all of them: Ola (Digipost)
// and Kari (e-Boks) each get one message; Per, signing in a role, none.
// A task queued for one signer before this (its payload names the signer)
// still serves that signer alone.
func TestMailboxOneTaskPerJob(t *testing.T) {
	e, _ := newSigningEnv(t)
	var mu sync.Mutex
	ran := map[string]int{}
	e.runner = queue.NewRunner(e.q, queue.RunnerOptions{Concurrency: 4, Clock: e.clk, Backoff: queue.Backoff{Base: time.Minute},
		Observe: func(kind, outcome string) {
			mu.Lock()
			ran[kind+"/"+outcome]++
			mu.Unlock()
		}})
	e.d.Handlers(e.runner)
	j := e.create(job.Direct, "", job.SignerRequest{PID: ola}, job.SignerRequest{PID: kari},
		job.SignerRequest{PID: per, OnBehalfOf: org})
	for i, who := range []eid.Identity{olaLogin, kariLogin, perLogin} {
		if _, err := e.svc.Sign(e.ctx, j.Signers[i].ID, who); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	if got := e.job(j.ID).Status; got != job.StatusCompleted {
		t.Fatalf("job %s, want completed", got)
	}
	for _, pid := range []string{ola, kari} {
		if inbox := e.boxes.Inbox(pid); len(inbox) != 1 || len(inbox[0].Documents()) != 2 {
			t.Errorf("%s's mailbox: %d messages, want 1 with the document and the receipt", pid, len(inbox))
		}
	}
	if n := len(e.boxes.Inbox(per)); n != 0 {
		t.Errorf("Per signed in a role but got %d messages", n)
	}
	mu.Lock()
	tasks := ran[delivery.TaskMailbox+"/done"]
	mu.Unlock()
	if tasks != 1 || e.mailboxNotices(j.ID) != 2 {
		t.Errorf("%d mailbox tasks and %d notices, want 1 task and 2 notices", tasks, e.mailboxNotices(j.ID))
	}

	// An old task for Kari alone finds her message delivered; one for a
	// signer of another job delivers to that signer only.
	other := e.create(job.Direct, "", job.SignerRequest{PID: ola}, job.SignerRequest{PID: kari})
	for i, who := range []eid.Identity{olaLogin, kariLogin} {
		if _, err := e.svc.Sign(e.ctx, other.Signers[i].ID, who); err != nil {
			t.Fatal(err)
		}
	}
	box := e.d.Mailbox
	e.d.Mailbox = nil // complete it without forwarding anything
	e.drain()
	e.d.Mailbox = box
	for _, ref := range [][2]string{{j.ID, j.Signers[1].ID}, {other.ID, other.Signers[1].ID}} {
		payload := fmt.Sprintf(`{"org":%q,"job":%q,"signer":%q}`, org, ref[0], ref[1])
		if err := e.q.Enqueue(e.ctx, delivery.TaskMailbox, ref[0]+"/"+ref[1], []byte(payload), e.clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	if n, m := len(e.boxes.Inbox(ola)), len(e.boxes.Inbox(kari)); n != 1 || m != 2 {
		t.Errorf("after the old tasks Ola has %d messages (want 1), Kari %d (want 2)", n, m)
	}
}

// TestMailboxStoreOncePerTask: the mailbox task of a two-signer job reads
// the job once and the job's notices once, and records both messages'
// notices in one write.
func TestMailboxStoreOncePerTask(t *testing.T) {
	e, _ := newSigningEnv(t)
	j := e.create(job.Direct, "", job.SignerRequest{PID: ola}, job.SignerRequest{PID: kari})
	for i, who := range []eid.Identity{olaLogin, kariLogin} {
		if _, err := e.svc.Sign(e.ctx, j.Signers[i].ID, who); err != nil {
			t.Fatal(err)
		}
	}
	box := e.d.Mailbox
	e.d.Mailbox = nil // complete the job without forwarding anything
	e.drain()
	e.d.Mailbox = box
	reads := &countingStore{Store: e.d.Store}
	e.d.Store, e.svc.Store = reads, reads
	payload := fmt.Sprintf(`{"org":%q,"job":%q}`, org, j.ID)
	if err := e.q.Enqueue(e.ctx, delivery.TaskMailbox, "test/"+j.ID, []byte(payload), e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if n, m := len(e.boxes.Inbox(ola)), len(e.boxes.Inbox(kari)); n != 1 || m != 1 {
		t.Fatalf("Ola %d messages, Kari %d; want 1 each", n, m)
	}
	if jobs, notices := reads.jobs.Load(), reads.notices.Load(); jobs != 1 || notices != 1 {
		t.Errorf("the task read the job %d times and its notices %d times, want once each", jobs, notices)
	}
	if writes := reads.writes.Load(); writes != 1 || e.mailboxNotices(j.ID) != 2 {
		t.Errorf("%d writes of %d notices, want 1 of 2", writes, e.mailboxNotices(j.ID))
	}
}

// TestMailboxNoticesLost: both signers' messages are delivered but their
// notices are not recorded (the commit fails, as it would in a crash).
// The task's retry sends the same messages again, the mailbox refuses
// them as duplicates, and the notices are recorded: one message each.
func TestMailboxNoticesLost(t *testing.T) {
	e, _ := newSigningEnv(t)
	failing := &countingStore{Store: e.d.Store}
	failing.failWrites.Store(true)
	e.d.Store = failing
	j := e.create(job.Direct, "", job.SignerRequest{PID: ola}, job.SignerRequest{PID: kari})
	for i, who := range []eid.Identity{olaLogin, kariLogin} {
		if _, err := e.svc.Sign(e.ctx, j.Signers[i].ID, who); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	if n, m := len(e.boxes.Inbox(ola)), len(e.boxes.Inbox(kari)); n != 1 || m != 1 || e.mailboxNotices(j.ID) != 0 {
		t.Fatalf("Ola %d messages, Kari %d, %d notices; want 1, 1 and none recorded", n, m, e.mailboxNotices(j.ID))
	}
	failing.failWrites.Store(false)
	e.clk.Advance(10 * time.Minute) // past the queue's backoff
	e.drain()
	if n, m := len(e.boxes.Inbox(ola)), len(e.boxes.Inbox(kari)); n != 1 || m != 1 || e.mailboxNotices(j.ID) != 2 {
		t.Fatalf("after the retry: Ola %d messages, Kari %d, %d notices; want 1, 1 and 2", n, m, e.mailboxNotices(j.ID))
	}
	if dead, err := e.q.Dead(e.ctx, 10); err != nil || len(dead) != 0 {
		t.Fatalf("dead tasks: %v %+v", err, dead)
	}
}

// countingStore counts reads of jobs and of notices, and writes of
// notices, in the real store; with failWrites set, the writes of notices
// fail.
type countingStore struct {
	store.Store
	jobs, notices, writes atomic.Int32
	failWrites            atomic.Bool
}

var errWriteFailed = errors.New("test: notices not recorded")

func (c *countingStore) RecordNotice(ctx context.Context, n store.Notice) (bool, error) {
	c.writes.Add(1)
	if c.failWrites.Load() {
		return false, errWriteFailed
	}
	return c.Store.RecordNotice(ctx, n)
}

func (c *countingStore) RecordNotices(ctx context.Context, ns []store.Notice) error {
	c.writes.Add(1)
	if c.failWrites.Load() {
		return errWriteFailed
	}
	return c.Store.RecordNotices(ctx, ns)
}

func (c *countingStore) Job(ctx context.Context, org, id string) (*job.Job, error) {
	c.jobs.Add(1)
	return c.Store.Job(ctx, org, id)
}

func (c *countingStore) HasNotice(ctx context.Context, key string) (bool, error) {
	c.notices.Add(1)
	return c.Store.HasNotice(ctx, key)
}

func (c *countingStore) JobNotices(ctx context.Context, org, jobID string) ([]store.Notice, error) {
	c.notices.Add(1)
	return c.Store.JobNotices(ctx, org, jobID)
}

var (
	kariLogin = eid.Identity{PID: kari, Name: "Kari Nordmann", Assurance: eid.High, Method: "BankID", AuthTime: t0,
		IDToken: "eyJhbGciOiJSUzI1NiJ9.eyJwaWQiOiIwMzg5NjEyNzY4MiJ9.c2ln"}
	perLogin = eid.Identity{PID: per, Name: "Per Hansen", Assurance: eid.High, Method: "BankID", AuthTime: t0,
		IDToken: "eyJhbGciOiJSUzI1NiJ9.eyJwaWQiOiIxMDgxOTMxNzU5OSJ9.c2ln"}
)

// TestMailboxOneSignerDown: while the mailbox fails for Kari, Ola still
// gets his message; the task's retry delivers Kari's and not Ola's again.
func TestMailboxOneSignerDown(t *testing.T) {
	e, _ := newSigningEnv(t)
	var down atomic.Bool
	down.Store(true)
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if down.Load() && bytes.Contains(body, []byte(kari)) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.boxes.ServeHTTP(w, r)
	}))
	defer flaky.Close()
	c := *e.d.Mailbox.(*digipost.Client)
	c.BaseURL = flaky.URL
	e.d.Mailbox = &c

	j := e.create(job.Direct, "", job.SignerRequest{PID: kari}, job.SignerRequest{PID: ola})
	for i, who := range []eid.Identity{kariLogin, olaLogin} {
		if _, err := e.svc.Sign(e.ctx, j.Signers[i].ID, who); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	if n, m := len(e.boxes.Inbox(ola)), len(e.boxes.Inbox(kari)); n != 1 || m != 0 {
		t.Fatalf("with Kari's mailbox down: Ola %d messages (want 1), Kari %d (want 0)", n, m)
	}
	down.Store(false)
	e.clk.Advance(10 * time.Minute) // past the queue's backoff
	e.drain()
	if n, m := len(e.boxes.Inbox(ola)), len(e.boxes.Inbox(kari)); n != 1 || m != 1 {
		t.Fatalf("after the retry: Ola %d messages, Kari %d; want 1 each", n, m)
	}
	if dead, err := e.q.Dead(e.ctx, 10); err != nil || len(dead) != 0 {
		t.Fatalf("dead tasks: %v %+v", err, dead)
	}
}

// TestMailboxNoticesAfterDeadline: the task's context ends (its lease's
// deadline, a shutdown) just after the mailbox took the message. The
// notice of what went is still recorded, so no retry asks the mailbox
// again.
func TestMailboxNoticesAfterDeadline(t *testing.T) {
	e, _ := newSigningEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	e.d.Mailbox = cancelAfterDeliver{Mailbox: e.d.Mailbox, cancel: cancel}
	j := e.signedJob()
	for range 100 {
		if ctx.Err() != nil {
			break
		}
		pumped, err := e.d.PumpOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ran, err := e.runner.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
		if pumped == 0 && ran == 0 {
			t.Fatal("the queue drained without delivering to the mailbox")
		}
	}
	if inbox := e.boxes.Inbox(ola); len(inbox) != 1 {
		t.Fatalf("Ola's mailbox holds %d messages, want 1", len(inbox))
	}
	if n := e.mailboxNotices(j.ID); n != 1 {
		t.Errorf("%d mailbox notices recorded after the task's context ended, want 1", n)
	}
}

// cancelAfterDeliver ends a context once its Mailbox took a message.
type cancelAfterDeliver struct {
	mailbox.Mailbox
	cancel context.CancelFunc
}

func (c cancelAfterDeliver) Deliver(ctx context.Context, pid string, msg mailbox.Message) (mailbox.Receipt, error) {
	r, err := c.Mailbox.Deliver(ctx, pid, msg)
	c.cancel()
	return r, err
}

// evidenceAlone records j's first signer's evidence as every evidence was
// recorded before it was kept inside the act's update: a blob of its own,
// named by its SHA-256.
func (e *env) evidenceAlone(j *job.Job) *job.Job {
	e.t.Helper()
	s := &j.Signers[0]
	o, err := blob.OpenSpans(e.ctx, e.svc.Blobs, s.EvidenceSpans())
	if err == nil {
		o, err = signing.OpenEvidence(o) // deflated in the act's update
	}
	if err != nil {
		e.t.Fatal(err)
	}
	ref, err := e.svc.Blobs.Put(e.ctx, o, o.Size())
	o.Close()
	if err != nil {
		e.t.Fatal(err)
	}
	if ref.Key != s.EvidenceSHA256 {
		e.t.Fatalf("the evidence read back has SHA-256 %s, recorded %s", ref.Key, s.EvidenceSHA256)
	}
	s.Evidence, s.EvidenceAt, s.EvidenceSize, s.EvidenceSHA256 = ref.Key, 0, 0, ""
	if err := e.db.SaveJob(e.ctx, j, nil); err != nil {
		e.t.Fatal(err)
	}
	return e.job(j.ID)
}

// TestMailboxReceiptOfChangedEvidence: an evidence kept inside the act's
// update is checked against the SHA-256 the record names as one stored
// alone is. One byte of the first job's evidence is changed on disk; its
// message does not go out, and the second job's is delivered.
func TestMailboxReceiptOfChangedEvidence(t *testing.T) {
	e, _ := newSigningEnv(t)
	first, second := e.signedJob(), e.signedJob()
	s := first.Signers[0]
	if s.EvidenceSize == 0 || s.Evidence != last(first.Documents[0].Signed.Parts).Key {
		t.Fatalf("the evidence is recorded at %s+%d, want inside the act's update %+v", s.Evidence, s.EvidenceAt, first.Documents[0].Signed.Parts)
	}
	f, err := os.OpenFile(filepath.Join(e.blobDir, "sha256", s.Evidence[:2], s.Evidence), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A letter of the evidence's text, far from the XML around it.
	at := s.EvidenceAt + s.EvidenceSize/2
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1
	_, err = f.WriteAt(b, at)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.onlySecondDelivered(first, second)
}

func last[T any](s []T) T { return s[len(s)-1] }

// onlySecondDelivered checks that Ola's mailbox got the second job's
// message and not the first's, and that only the second's is recorded.
func (e *env) onlySecondDelivered(first, second *job.Job) {
	e.t.Helper()
	inbox := e.boxes.Inbox(ola)
	if len(inbox) != 1 {
		e.t.Fatalf("Ola's mailbox holds %d messages, want 1: the second job's", len(inbox))
	}
	if text := pdftotext(e.t, inbox[0].Attachments[0].Body); !strings.Contains(text, second.ID) {
		e.t.Errorf("the receipt delivered is not the second job's:\n%s", text)
	}
	if n, m := e.mailboxNotices(first.ID), e.mailboxNotices(second.ID); n != 0 || m != 1 {
		e.t.Errorf("mailbox notices: %d for the first job (want 0), %d for the second (want 1)", n, m)
	}
}

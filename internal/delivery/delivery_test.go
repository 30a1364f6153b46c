package delivery_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/delivery"
	devmail "github.com/segl/segl/internal/dev/mail"
	devmailbox "github.com/segl/segl/internal/dev/mailbox"
	"github.com/segl/segl/internal/dev/population"
	devregistry "github.com/segl/segl/internal/dev/registry"
	devsms "github.com/segl/segl/internal/dev/sms"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/mailbox/digipost"
	"github.com/segl/segl/internal/notify"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/queue/sqlitequeue"
	"github.com/segl/segl/internal/registry/krr"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/sqlite"
	"github.com/segl/segl/internal/testdocs"
)

// The synthetic population's people the tests address.
const (
	org     = "317510748"
	ola     = "21909825250" // KRR active, e-mail and mobile, Digipost
	kari    = "03896127682" // KRR active, e-Boks
	ingrid  = "21875637271" // reserved
	per     = "10819317599" // no contact data
	nora    = "14918702408" // deceased: KRR entry deleted
	lars    = "02859824113" // active, no digital mailbox
	ahmed   = "13870176591" // active, chose English in KRR
	jonas   = "25899027909" // active, chose nynorsk in KRR
	sender  = "06927433549" // a portal user of org
	website = "https://segl.example"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// env is delivery with every channel a real adapter talking to the
// stand-ins: SMTP to devmail, the HTTP SMS gateway, KRR and Digipost.
type env struct {
	t      testing.TB
	ctx    context.Context
	clk    *clock.Fake
	db     *sqlite.DB
	svc    *ceremony.Service
	d      *delivery.Service
	runner *queue.Runner
	q      queue.Queue
	mail   *devmail.Server
	sms    *devsms.Gateway
	boxes  *devmailbox.Handler
	// blobDir is the blob store's directory (blob/fs).
	blobDir string
	ids     int
	// creator makes the jobs: a portal user unless a test says otherwise.
	creator string
}

func newEnv(t testing.TB) *env {
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	q, err := sqlitequeue.Open(filepath.Join(dir, "queue.db"), sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	blobs, err := fs.Open(filepath.Join(dir, "blobs"), fs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), clk: clock.NewFake(t0), db: db, q: q, creator: "pid:" + sender,
		blobDir: filepath.Join(dir, "blobs")}
	e.svc = &ceremony.Service{Store: db, Blobs: blobs, Clock: e.clk, Limits: job.DefaultLimits,
		LinkKey: bytes.Repeat([]byte("k"), 32), Queue: q}
	if err := db.PutOrg(e.ctx, store.By{Actor: "test", At: t0}, store.Org{Number: org, Name: "Lånekassen test", Active: true,
		SignatureTypes: []job.SignatureType{job.Authenticated}, ContactEmail: "post@lanekassen.example"}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutUser(e.ctx, store.By{Actor: "test", At: t0}, store.User{Org: org, PID: sender, Name: "Jon", Email: "jon@lanekassen.example",
		Role: store.RoleSender, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}

	pop, err := population.Load()
	if err != nil {
		t.Fatal(err)
	}
	e.mail = &devmail.Server{}
	addr, err := e.mail.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.mail.Close() })
	mailer, err := notify.NewSMTP(notify.SMTPConfig{Addr: addr, From: "segl@segl.example", TLS: notify.StartTLSOpportunistic, Clock: e.clk})
	if err != nil {
		t.Fatal(err)
	}
	e.sms = &devsms.Gateway{Token: "sms-token"}
	e.boxes = devmailbox.New(pop, devmailbox.Options{})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	smsServer, krrServer, boxServer := httptest.NewServer(e.sms), httptest.NewServer(devregistry.New(pop, devregistry.Options{})), httptest.NewServer(e.boxes)
	t.Cleanup(smsServer.Close)
	t.Cleanup(krrServer.Close)
	t.Cleanup(boxServer.Close)
	e.d = &delivery.Service{Store: db, Queue: q, Svc: e.svc, Mail: mailer,
		SMS:         &notify.HTTPGateway{URL: smsServer.URL, Token: "sms-token", Sender: "segl"},
		Contacts:    &krr.Client{BaseURL: krrServer.URL, Token: func(context.Context) (string, error) { return "t", nil }},
		Mailbox:     &digipost.Client{BaseURL: boxServer.URL, SenderID: "segl", Key: key},
		BaseURL:     website,
		HTTP:        delivery.CallbackClient(true), // the test receivers listen on loopback
		RemindAfter: 72 * time.Hour, Clock: e.clk, Log: nil}
	e.runner = queue.NewRunner(q, queue.RunnerOptions{Concurrency: 4, Clock: e.clk, Backoff: queue.Backoff{Base: time.Minute}})
	e.d.Handlers(e.runner)
	return e
}

// drain pumps the feed and runs due tasks until nothing is left to do now.
func (e *env) drain() {
	e.t.Helper()
	for range 100 {
		pumped, err := e.d.PumpOnce(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		ran, err := e.runner.RunOnce(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if pumped == 0 && ran == 0 {
			return
		}
	}
	e.t.Fatal("the queue never drained")
}

func (e *env) newID() string {
	e.ids++
	return fmt.Sprintf("0193-%08d", e.ids)
}

// create stores a portal job for the signers, made by a portal user.
func (e *env) create(flow job.Flow, callback string, signers ...job.SignerRequest) *job.Job {
	e.t.Helper()
	return e.createWith([]string{"Kontrakt"}, flow, callback, signers...)
}

// createWith is create with a document of each title, signed one by one
// (not combined).
func (e *env) createWith(titles []string, flow job.Flow, callback string, signers ...job.SignerRequest) *job.Job {
	e.t.Helper()
	exp := t0.Add(30 * 24 * time.Hour)
	r := &job.Request{Title: "Arbeidsavtale", Description: "Signer innen fristen", Flow: flow,
		SignatureType: job.Authenticated, Signers: signers, ExpiresAt: &exp, CallbackURL: callback}
	if flow == job.Direct {
		r.ExitURLs = job.ExitURLs{Completion: website + "/ok", Rejection: website + "/no", Error: website + "/err"}
	}
	var docs []job.Document
	for _, title := range titles {
		pdf := testdocs.PDF(title, 2000)
		ref, err := e.svc.Blobs.Put(e.ctx, bytes.NewReader(pdf), 1<<20)
		if err != nil {
			e.t.Fatal(err)
		}
		docs = append(docs, job.Document{ID: e.newID(), Title: title, FileName: strings.ToLower(title) + ".pdf", MediaType: "application/pdf",
			Size: ref.Size, SHA256: ref.Key, Pages: 1})
	}
	j, ev := job.New(r, org, e.creator, docs, e.newID, e.clk.Now(), job.DefaultLimits)
	if err := e.db.CreateJob(e.ctx, j, ev, nil); err != nil {
		e.t.Fatal(err)
	}
	return j
}

func (e *env) job(id string) *job.Job {
	e.t.Helper()
	j, err := e.db.Job(e.ctx, org, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// sign records signer i's signature the way the ceremony saves it.
func (e *env) sign(j *job.Job, i int) *job.Job {
	e.t.Helper()
	j = e.job(j.ID)
	ev, err := j.SignBy(j.Signers[i].ID, "pid:x", e.clk.Now(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.SaveJob(e.ctx, j, ev); err != nil {
		e.t.Fatal(err)
	}
	return j
}

// mails returns the subjects of captured e-mail per recipient.
func (e *env) mails() map[string][]string {
	out := map[string][]string{}
	for _, m := range e.mail.Messages() {
		p, err := m.Parse()
		if err != nil {
			e.t.Fatal(err)
		}
		out[p.To] = append(out[p.To], p.Subject)
	}
	return out
}

func (e *env) smsTo() map[string][]string {
	out := map[string][]string{}
	for _, m := range e.sms.Messages() {
		out[m.To] = append(out[m.To], m.Text)
	}
	return out
}

// TestNoticesFollowKRR: portal signers are told at their KRR contact
// data, reserved, deleted and unreachable persons are not (and the job
// says why), a signer in a role and one addressed by e-mail get it at the
// sender's address, every notice goes out once however often the workers
// run, and a reminder follows after the configured time.
func TestNoticesFollowKRR(t *testing.T) {
	e := newEnv(t)
	j := e.create(job.Portal, "",
		job.SignerRequest{PID: ola}, job.SignerRequest{PID: ingrid}, job.SignerRequest{PID: per},
		job.SignerRequest{PID: nora}, job.SignerRequest{PID: lars, OnBehalfOf: "319386416", Email: "lars@innovasjon.example"},
		job.SignerRequest{Email: "guest@example.test"})
	e.drain()
	e.drain()

	got := e.job(j.ID)
	want := []struct {
		status job.SignerStatus
		notice string
	}{
		{job.SignerNotified, "email+sms"},
		{job.SignerReserved, delivery.NoticeReserved},
		{job.SignerWaiting, delivery.NoticeNoContact},
		{job.SignerWaiting, delivery.NoticeInactive},
		{job.SignerNotified, "email"},
		{job.SignerNotified, "email"},
	}
	for i, w := range want {
		if s := got.Signers[i]; s.Status != w.status || s.Notice != w.notice {
			t.Errorf("signer %d: %s %q, want %s %q", i, s.Status, s.Notice, w.status, w.notice)
		}
	}
	mails := e.mails()
	subject := "Lånekassen test ber deg signere «Arbeidsavtale»"
	for _, to := range []string{"ola.nordmann@example.test", "lars@innovasjon.example", "guest@example.test"} {
		if len(mails[to]) != 1 || mails[to][0] != subject {
			t.Errorf("mail to %s: %q, want one %q", to, mails[to], subject)
		}
	}
	if len(mails) != 3 {
		t.Errorf("mail went to %d addresses, want 3: %v", len(mails), mails)
	}
	sms := e.smsTo()
	if len(sms) != 1 || len(sms["+4793682884"]) != 1 {
		t.Fatalf("SMS: %v, want one to Ola", sms)
	}
	// The e-mail-only signer's link is their own, which leads to the code.
	for _, m := range e.mail.Messages() {
		p, _ := m.Parse()
		if p.To == "guest@example.test" && !strings.Contains(p.Text, website+e.svc.SigningPath(got.Signers[5].ID)) {
			t.Errorf("guest's mail lacks their link:\n%s", p.Text)
		}
	}

	e.clk.Advance(72*time.Hour + time.Second)
	e.drain()
	mails = e.mails()
	if n := len(mails["ola.nordmann@example.test"]); n != 2 || !strings.HasPrefix(mails["ola.nordmann@example.test"][1], "Påminnelse") {
		t.Errorf("after the reminder time Ola has %q", mails["ola.nordmann@example.test"])
	}
	if n := len(e.smsTo()["+4793682884"]); n != 2 {
		t.Errorf("Ola has %d SMS, want 2", n)
	}
	e.clk.Advance(72 * time.Hour)
	e.drain()
	if n := len(e.mails()["ola.nordmann@example.test"]); n != 2 {
		t.Errorf("one reminder only: Ola has %d mails", n)
	}
}

// TestNoticeInTheSignersLanguage: a person who chose English in KRR gets
// the notice in English.
func TestNoticeInTheSignersLanguage(t *testing.T) {
	e := newEnv(t)
	e.create(job.Portal, "", job.SignerRequest{PID: ahmed})
	e.drain()
	got := e.mails()["ahmed.ali@example.test"]
	if len(got) != 1 || got[0] != `Lånekassen test asks you to sign "Arbeidsavtale"` {
		t.Fatalf("Ahmed got %q", got)
	}
	if sms := e.smsTo()["+4797204784"]; len(sms) != 1 || !strings.Contains(sms[0], "has sent you") {
		t.Fatalf("Ahmed's SMS: %q", sms)
	}
}

// TestNoticeInNynorsk: a person who chose nynorsk in KRR gets the notice
// in nynorsk, by e-mail and SMS.
func TestNoticeInNynorsk(t *testing.T) {
	e := newEnv(t)
	e.create(job.Portal, "", job.SignerRequest{PID: jonas})
	e.drain()
	var body string
	for _, m := range e.mail.Messages() {
		if p, err := m.Parse(); err == nil && p.To == "jonas.strand@example.test" {
			body = p.Text
		}
	}
	if !strings.Contains(body, "har sendt deg eit dokument til signering: «Arbeidsavtale».") || !strings.Contains(body, "Opne lenkja") {
		t.Fatalf("Jonas's e-mail:\n%s", body)
	}
	if sms := e.smsTo()["+4796038428"]; len(sms) != 1 || !strings.Contains(sms[0], "har sendt deg «Arbeidsavtale» til signering") {
		t.Fatalf("Jonas's SMS: %q", sms)
	}
}

// TestSequentialTurns: a later signer is told only when it is their turn.
func TestSequentialTurns(t *testing.T) {
	e := newEnv(t)
	j := e.create(job.Portal, "", job.SignerRequest{PID: ola, Order: 1}, job.SignerRequest{PID: kari, Order: 2})
	e.drain()
	if m := e.mails(); len(m) != 1 || len(m["ola.nordmann@example.test"]) != 1 {
		t.Fatalf("first round: %v", m)
	}
	e.sign(j, 0)
	e.drain()
	if m := e.mails(); len(m) != 2 || len(m["kari.nordmann@example.test"]) != 1 {
		t.Fatalf("after Ola signed: %v", m)
	}
}

// TestMailDown: while the SMTP server refuses, nothing is lost and the SMS
// goes out regardless; the task is retried after its backoff and each
// notice then arrives exactly once.
func TestMailDown(t *testing.T) {
	e := newEnv(t)
	var down sync.Mutex
	refusing := true
	e.mail.Reject = func(verb, arg string) (int, string) {
		down.Lock()
		defer down.Unlock()
		if refusing && verb == "RCPT" {
			return 451, "4.3.0 try again later"
		}
		return 0, ""
	}
	j := e.create(job.Portal, "", job.SignerRequest{PID: ola})
	e.drain()
	if n := len(e.mail.Messages()); n != 0 {
		t.Fatalf("%d mails while refusing", n)
	}
	// The SMS does not wait for the mail relay.
	if s := e.smsTo(); len(s["+4793682884"]) != 1 {
		t.Fatalf("SMS while the relay refuses: %v", s)
	}
	if s := e.job(j.ID).Signers[0]; s.Status != job.SignerNotified || s.Notice != "sms" {
		t.Fatalf("signer %s %q after the SMS alone", s.Status, s.Notice)
	}
	down.Lock()
	refusing = false
	down.Unlock()
	e.clk.Advance(2 * time.Minute)
	e.drain()
	if m := e.mails(); len(m["ola.nordmann@example.test"]) != 1 {
		t.Fatalf("after the server came back: %v", m)
	}
	if s := e.smsTo(); len(s["+4793682884"]) != 1 {
		t.Fatalf("SMS after the retry: %v", s)
	}
	if s := e.job(j.ID).Signers[0]; s.Status != job.SignerNotified || s.Notice != "email+sms" {
		t.Fatalf("signer %s %q", s.Status, s.Notice)
	}
}

// TestCompletion: the sender hears that the job completed, and signers who
// signed for themselves and have a digital mailbox get the signed document
// there; the signer in a role and the one without a mailbox do not.
func TestCompletion(t *testing.T) {
	e := newEnv(t)
	j := e.create(job.Portal, "", job.SignerRequest{PID: ola}, job.SignerRequest{PID: kari, OnBehalfOf: "317510748",
		Email: "kari@lanekassen.example"}, job.SignerRequest{PID: lars})
	signed := testdocs.PDF("signed", 3000)
	ref, err := e.svc.Blobs.Put(e.ctx, bytes.NewReader(signed), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e.sign(j, i)
	}
	j = e.job(j.ID)
	j.Documents[0].Signed = job.Revision{SHA256: ref.Key, Size: ref.Size}
	ev, err := j.Complete(e.clk.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SaveJob(e.ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.drain()
	if m := e.mails()["jon@lanekassen.example"]; len(m) != 1 || m[0] != "Ferdig signert: «Arbeidsavtale»" {
		t.Errorf("the sender got %q", m)
	}
	inbox := e.boxes.Inbox(ola)
	if len(inbox) != 1 || !bytes.Equal(inbox[0].Body, signed) {
		t.Fatalf("Ola's mailbox: %d deliveries", len(inbox))
	}
	if n := len(e.boxes.Inbox(kari)); n != 0 {
		t.Errorf("Kari signed in a role but got %d deliveries", n)
	}
	notices, _ := e.db.JobNotices(e.ctx, org, j.ID)
	var boxes int
	for _, n := range notices {
		if n.Channel == store.ChannelMailbox {
			boxes++
		}
	}
	if boxes != 1 {
		t.Errorf("%d mailbox notices recorded, want 1", boxes)
	}
}

// TestJobEndedNotice: an API job that expires tells the organisation's
// contact address.
func TestJobEndedNotice(t *testing.T) {
	e := newEnv(t)
	e.creator = "cert:1"
	j := e.create(job.Direct, "", job.SignerRequest{PID: ola})
	e.clk.Set(j.ExpiresAt.Add(time.Minute))
	if _, err := e.svc.RunDue(e.ctx, 10); err != nil {
		t.Fatal(err)
	}
	e.drain()
	m := e.mails()
	if len(m) != 1 || len(m["post@lanekassen.example"]) != 1 || m["post@lanekassen.example"][0] != "Ikke signert: «Arbeidsavtale»" {
		t.Fatalf("mail: %v", m)
	}
}

// TestCallbacks: every change is posted, signed with the organisation's
// secret, retried until the receiver accepts it, and posted once after.
func TestCallbacks(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	fail := true
	var got []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(delivery.HeaderSignature)
		ts := regexp.MustCompile(`^t=(\d+),`).FindStringSubmatch(sig)
		if ts == nil {
			t.Errorf("signature header %q", sig)
			return
		}
		at := time.Unix(int64(mustAtoi(t, ts[1])), 0)
		want := delivery.Sign(e.svc.CallbackSecret(org), at, body)
		if !hmac.Equal([]byte(sig), []byte(want)) {
			t.Errorf("signature %q does not verify", sig)
		}
		mu.Lock()
		defer mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got = append(got, r.Header.Get(delivery.HeaderEventID)+" "+string(body))
	}))
	defer receiver.Close()
	j := e.create(job.Direct, receiver.URL+"/cb", job.SignerRequest{PID: ola})
	e.drain()
	mu.Lock()
	fail = false
	mu.Unlock()
	e.clk.Advance(5 * time.Minute)
	e.drain()
	e.sign(j, 0)
	e.drain()
	e.clk.Advance(time.Hour)
	e.drain()
	mu.Lock()
	defer mu.Unlock()
	// Callbacks run in parallel and may arrive out of order; the sequence
	// number (Segl-Event-Id, "seq") orders them.
	slices.Sort(got)
	// The last signer's act also makes the job signed (job.signed); its
	// completion needs a signing engine, which this test has not.
	if len(got) != 4 {
		t.Fatalf("%d callbacks, want job.created, job.active, signer.signed, job.signed once each:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i, typ := range []string{"job.created", "job.active", "signer.signed", "job.signed"} {
		if !strings.Contains(got[i], `"type":"`+typ+`"`) || !strings.Contains(got[i], j.ID) {
			t.Errorf("callback %d: %s, want %s", i, got[i], typ)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOneTimeCode: a signer addressed by mobile gets a code by SMS; a
// wrong code counts, the right one is spent, and five wrong ones end it.
func TestOneTimeCode(t *testing.T) {
	e := newEnv(t)
	j := e.create(job.Direct, "", job.SignerRequest{Mobile: "+4791234567", Email: "guest@example.test"})
	signer := j.Signers[0].ID
	token := e.svc.SignerToken(signer)
	if err := e.svc.RequestCode(e.ctx, signer, "wrong-token"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("code for a wrong link: %v", err)
	}
	if err := e.svc.CheckCode(e.ctx, signer, token, "123456"); code(err) != "code-missing" {
		t.Fatalf("check before any code: %v", err)
	}
	if err := e.svc.RequestCode(e.ctx, signer, token); err != nil {
		t.Fatal(err)
	}
	e.drain()
	sms := e.smsTo()["+4791234567"]
	if len(sms) != 1 {
		t.Fatalf("SMS: %q", sms)
	}
	sent := regexp.MustCompile(`\b\d{6}\b`).FindString(sms[0])
	if sent == "" {
		t.Fatalf("no code in %q", sms[0])
	}
	if err := e.svc.RequestCode(e.ctx, signer, token); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if n := len(e.smsTo()["+4791234567"]); n != 1 {
		t.Fatalf("a second code within a minute: %d SMS", n)
	}
	wrong := "000000"
	if wrong == sent {
		wrong = "111111"
	}
	if err := e.svc.CheckCode(e.ctx, signer, token, wrong); code(err) != "code-wrong" {
		t.Fatalf("wrong code: %v", err)
	}
	if err := e.svc.CheckCode(e.ctx, signer, token, sent); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if err := e.svc.CheckCode(e.ctx, signer, token, sent); code(err) != "code-expired" {
		t.Fatalf("the code twice: %v", err)
	}

	e.clk.Advance(2 * time.Minute)
	if err := e.svc.RequestCode(e.ctx, signer, token); err != nil {
		t.Fatal(err)
	}
	e.drain()
	all := e.smsTo()["+4791234567"]
	fresh := regexp.MustCompile(`\b\d{6}\b`).FindString(all[len(all)-1])
	for range 5 {
		e.svc.CheckCode(e.ctx, signer, token, wrongFor(fresh))
	}
	if err := e.svc.CheckCode(e.ctx, signer, token, fresh); code(err) != "code-expired" {
		t.Fatalf("after five wrong guesses: %v", err)
	}
	rows, _ := e.db.UsageRows(e.ctx, t0, t0.Add(time.Hour), clock.Norway)
	if len(rows) != 1 || rows[0].Item != store.ChannelSMS || rows[0].Count != 2 {
		t.Fatalf("usage: %+v, want 2 SMS", rows)
	}
}

func wrongFor(code string) string {
	if code == "999999" {
		return "000000"
	}
	return "999999"
}

func code(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestCallbackToPrivateAddressRefused: with the production client, a
// callback URL that leads to segl's own host is never called; the task
// gives up at once and an operator sees why.
func TestCallbackToPrivateAddressRefused(t *testing.T) {
	e := newEnv(t)
	e.d.HTTP = delivery.CallbackClient(false)
	called := false
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	defer receiver.Close()
	e.create(job.Direct, strings.Replace(receiver.URL, "127.0.0.1", "localhost", 1)+"/cb", job.SignerRequest{PID: ola})
	e.drain()
	if called {
		t.Fatal("a callback reached a loopback address")
	}
	dead, err := e.d.Queue.Dead(e.ctx, 10)
	if err != nil || len(dead) == 0 || !strings.Contains(dead[0].Error, "not public") {
		t.Fatalf("dead letter: %+v, %v", dead, err)
	}
}

// order records, in one list, the pump's tasks, the queue's syncs and the
// cursor's moves.
type order struct {
	mu     sync.Mutex
	events []string
}

func (o *order) note(ev string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.events); n == 0 || o.events[n-1] != ev {
		o.events = append(o.events, ev)
	}
}

type orderedQueue struct {
	queue.Queue
	*order
}

func (q orderedQueue) Enqueue(ctx context.Context, kind, key string, payload []byte, runAt time.Time) error {
	q.note("synced task")
	return q.Queue.Enqueue(ctx, kind, key, payload, runAt)
}

func (q orderedQueue) EnqueueDeferred(ctx context.Context, kind, key string, payload []byte, runAt time.Time) error {
	q.note("task")
	return q.Queue.(queue.Deferred).EnqueueDeferred(ctx, kind, key, payload, runAt)
}

func (q orderedQueue) Sync() error {
	q.note("sync")
	return q.Queue.(queue.Deferred).Sync()
}

type orderedStore struct {
	*sqlite.DB
	*order
}

func (s orderedStore) SetCursor(ctx context.Context, name string, seq int64) error {
	s.note("cursor")
	return s.DB.SetCursor(ctx, name, seq)
}

// TestPumpSyncsItsTasksBeforeTheCursor: the pump queues a batch's tasks
// without waiting for the disk each, and syncs the queue once before the
// cursor passes the entries that called for them, so that a power failure
// can take back tasks only together with the cursor's move.
func TestPumpSyncsItsTasksBeforeTheCursor(t *testing.T) {
	e := newEnv(t)
	var o order
	d := *e.d
	d.Queue, d.Store = orderedQueue{e.q, &o}, orderedStore{e.db, &o}
	j := e.create(job.Portal, "https://receiver.example/cb", job.SignerRequest{PID: ola}, job.SignerRequest{PID: kari})
	e.sign(j, 0)
	if _, err := d.PumpOnce(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.events, ", "); got != "task, sync, cursor" {
		t.Fatalf("the pump did %s; want task, sync, cursor", got)
	}
}

package server_test

import (
	"context"
	"crypto/hmac"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/delivery"
	devmail "github.com/segl/segl/internal/dev/mail"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/validate"
)

// eventually polls cond until it holds; background work has no moment to
// wait for. The limit only stops a broken test, it measures nothing.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never happened: %s", what)
}

// mailTo returns the captured mail to addr.
func (e *env) mailTo(addr string) []*devmail.Parsed {
	var out []*devmail.Parsed
	for _, m := range e.srv.DevDelivery.Mail.Messages() {
		p, err := m.Parse()
		if err == nil && p.To == addr {
			out = append(out, p)
		}
	}
	return out
}

// TestDeliveryPortalJob: a portal job made through the API reaches its
// signer by e-mail and SMS at his KRR contact data, he signs in the
// portal, and then the sender's contact address hears of it, his digital
// mailbox receives the signed document (which validates), and the
// integrator got a callback for every change, signed with its secret.
func TestDeliveryPortalJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	org, err := e.srv.Store.Org(ctx, orgA)
	if err != nil {
		t.Fatal(err)
	}
	org.ContactEmail = "post@lanekassen.example"
	if err := e.srv.Store.PutOrg(ctx, testBy, org); err != nil {
		t.Fatal(err)
	}
	c := e.client(orgA)
	secret, err := c.CallbackSecret(ctx)
	if err != nil || len(secret) < 32 {
		t.Fatalf("callback secret %q: %v", secret, err)
	}
	var mu sync.Mutex
	var callbacks []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(delivery.HeaderSignature)
		m := regexp.MustCompile(`^t=(\d+),v1=`).FindStringSubmatch(sig)
		if m == nil {
			t.Errorf("callback without a signature: %q", sig)
			return
		}
		ts, _ := strconv.ParseInt(m[1], 10, 64)
		if !hmac.Equal([]byte(sig), []byte(delivery.Sign(secret, time.Unix(ts, 0), body))) {
			t.Errorf("callback signature does not verify: %q", sig)
		}
		mu.Lock()
		callbacks = append(callbacks, string(body))
		mu.Unlock()
	}))
	defer receiver.Close()

	req := directRequest()
	req.Flow, req.ExitURLs, req.Title, req.CallbackURL = "portal", nil, "Låneavtale", receiver.URL+"/segl"
	req.Signers = []client.SignerRequest{{PID: olaPID}}
	j := e.createWithText(c, req)

	eventually(t, "the notice to Ola", func() bool { return len(e.mailTo("ola.nordmann@example.test")) == 1 })
	notice := e.mailTo("ola.nordmann@example.test")[0]
	link := regexp.MustCompile(`https://\S+/sign/login\?task=\S+`).FindString(notice.Text)
	if notice.Subject != "Lånekassen test ber deg signere «Låneavtale»" || link == "" {
		t.Fatalf("notice: %q\n%s", notice.Subject, notice.Text)
	}
	eventually(t, "Ola notified", func() bool {
		got, err := c.Job(ctx, j.ID)
		return err == nil && got.Signers[0].Status == "notified"
	})
	sms := e.srv.DevDelivery.SMS.Messages()
	if len(sms) != 1 || sms[0].To != "+4793682884" || !strings.Contains(sms[0].Text, "Låneavtale") {
		t.Fatalf("SMS: %+v", sms)
	}

	b := e.browser(t)
	// The development view of captured mail and SMS shows both.
	if view := b.get("/dev/mail"); view.status != 200 || !strings.Contains(view.body, "ber deg signere «Låneavtale»") ||
		!strings.Contains(view.body, "4793682884") {
		t.Fatalf("/dev/mail: %d\n%s", view.status, view.body)
	}
	// The notice's link logs him in and opens the task.
	view := b.idp(b.get(link), olaPID, "bankid")
	view.want(t, 200, "Låneavtale")
	b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).want(t, 200, "Du har signert")

	// The signed documents and, attached after them, his receipt (issue
	// 14): one message.
	eventually(t, "the signed document and the receipt in Ola's mailbox", func() bool {
		return len(e.srv.DevDelivery.Mailboxes.Inbox(olaPID)) == 1
	})
	inbox := e.srv.DevDelivery.Mailboxes.Inbox(olaPID)[0].Documents()
	if len(inbox) != len(j.Documents)+1 {
		t.Fatalf("Ola's message has %d documents, want %d", len(inbox), len(j.Documents)+1)
	}
	for _, d := range inbox {
		rep, err := validate.PDF(strings.NewReader(string(d.Body)), int64(len(d.Body)), validate.Options{Roots: e.srv.Dev.Roots()})
		if err != nil || !rep.Passed() {
			t.Fatalf("the mailbox copy %q does not validate: %v %+v", d.Subject, err, rep)
		}
	}
	if last := inbox[len(inbox)-1]; last.Subject != "Kvittering: Låneavtale" {
		t.Errorf("the last mailbox delivery is %q, want the receipt", last.Subject)
	} else {
		checkReceiptPDF(t, e, last.Body, "Låneavtale", "Ola Nordmann", "eID: BankID")
	}
	eventually(t, "the sender's notice", func() bool { return len(e.mailTo("post@lanekassen.example")) == 1 })
	if s := e.mailTo("post@lanekassen.example")[0].Subject; s != "Ferdig signert: «Låneavtale»" {
		t.Fatalf("sender's notice: %q", s)
	}
	wantTypes := []string{"job.created", "job.active", "signer.notified", "signer.signing", "signer.signed", "job.signed", "job.completed"}
	eventually(t, "every callback", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(callbacks) >= len(wantTypes)
	})
	mu.Lock()
	defer mu.Unlock()
	var types []string
	for _, cb := range callbacks {
		types = append(types, regexp.MustCompile(`"type":"([^"]+)"`).FindStringSubmatch(cb)[1])
	}
	slices.Sort(types)
	sorted := slices.Clone(wantTypes)
	slices.Sort(sorted)
	if !slices.Equal(types, sorted) {
		t.Fatalf("callbacks %v, want each of %v once", types, wantTypes)
	}
}

// TestOneTimeCodeCeremony: a signer addressed by e-mail must enter the
// code sent there before the eID login; a wrong code is an error next to
// the field; somebody else with the link gets no further than the code.
func TestOneTimeCodeCeremony(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	req := directRequest()
	req.Signers = []client.SignerRequest{{Email: "guest@example.test"}}
	j := e.mustCreate(c, req)
	link := j.Signers[0].SigningURL

	b := e.browser(t)
	start := b.get(link)
	start.want(t, 200, "Bekreft at lenken er din")
	if strings.Contains(start.body, "/login\"") {
		t.Fatal("the code page offers a login before the code")
	}
	sent := b.submit(start, "/code/send", nil)
	sent.want(t, 200, "Bekreft at lenken er din")
	if !strings.Contains(sent.body, "Vi har sendt deg en kode") {
		t.Fatalf("no word of the code being sent:\n%s", sent.body)
	}
	eventually(t, "the code by e-mail", func() bool { return len(e.mailTo("guest@example.test")) == 1 })
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(e.mailTo("guest@example.test")[0].Text)
	if code == "" {
		t.Fatal("no code in the mail")
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	bad := b.submit(sent, "/code", url.Values{"code": {wrong}})
	bad.want(t, http.StatusUnprocessableEntity, "Bekreft at lenken er din")
	if !strings.Contains(bad.body, "Koden er ikke riktig") || !strings.Contains(bad.body, `aria-invalid="true"`) {
		t.Fatalf("wrong code page:\n%s", bad.body)
	}

	// Somebody else who has the link only gets the code page.
	other := e.browser(t)
	other.get(link).want(t, 200, "Bekreft at lenken er din")

	ok := b.submit(bad, "/code", url.Values{"code": {code[:3] + " " + code[3:]}})
	ok.want(t, 200, "Signer dokumenter")
	view := b.idp(b.submit(ok, "/login", nil), kariPID, "")
	view.want(t, 200, "Arbeidsavtale")
	b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	e.completed(c, j.ID)
	if got, err := c.Job(context.Background(), j.ID); err != nil || got.Status != "completed" {
		t.Fatalf("job after the code signer: %v %+v", err, got)
	}
}

// TestOneTimeCodePageAsksForACodeFirst: before any code was sent, the page
// offers only to send one, as its primary button; it neither asks for a
// code nor says one was sent, not even after a confirm without a code; the
// field and "Bekreft koden" come once a code was asked for (issue 14 item 2).
func TestOneTimeCodePageAsksForACodeFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := directRequest()
	req.Signers = []client.SignerRequest{{Email: "guest@example.test"}}
	link := e.mustCreate(e.client(orgA), req).Signers[0].SigningURL
	noCodeYet := func(p page) {
		t.Helper()
		p.hasNot(t, "Bekreft koden", `name="code"`, "Vi har sendt deg en kode", "Send en ny kode")
		buttons := regexp.MustCompile(`<button[^>]*>([^<]*)</button>`).FindAllStringSubmatch(p.body, -1)
		if len(buttons) == 0 || buttons[0][1] != "Send meg en kode" || strings.Contains(buttons[0][0], "secondary") {
			t.Fatalf("the first button is not a primary \"Send meg en kode\": %q", buttons)
		}
	}

	b := e.browser(t)
	start := b.get(link)
	start.want(t, 200, "Bekreft at lenken er din")
	noCodeYet(start)
	// A confirm without a code (an old page, or a hand-made request) says
	// to ask for one, and points at the button that does.
	oldPage := start
	oldPage.body = strings.Replace(start.body, `/code/send"`, `/code"`, 1)
	missing := b.submit(oldPage, "/code", url.Values{"code": {"123456"}})
	missing.want(t, http.StatusUnprocessableEntity, "Bekreft at lenken er din")
	missing.has(t, `<a href="#send">Be om en kode først.</a>`, `id="send"`)
	noCodeYet(missing)

	sent := b.submit(start, "/code/send", nil)
	sent.want(t, 200, "Bekreft at lenken er din")
	sent.has(t, "Vi har sendt deg en kode", `name="code"`, "Bekreft koden", "Send en ny kode")
	sent.hasNot(t, "Send meg en kode")
	// Coming back to the link while the code is live: the field, but no
	// claim that a code was just sent.
	eventually(t, "the code by e-mail", func() bool { return len(e.mailTo("guest@example.test")) == 1 })
	again := b.get(link)
	again.has(t, `name="code"`, "Bekreft koden")
	again.hasNot(t, "Vi har sendt deg en kode")
}

// TestOneTimeCodeLock: somebody with a link but not the mailbox its codes
// go to has fifteen guesses over the job's life. A hundred wrong guesses
// at once are counted as five: five answers that the code is wrong, the
// rest that it has expired. The fifteenth wrong guess, at the third code,
// locks the link: its page says so and to contact the sender, also for a
// fresh code; the job and the signer have failed, the sender's feed says
// signer.locked, and the sender's contact address is told.
func TestOneTimeCodeLock(t *testing.T) {
	t.Parallel()
	clk := &movableClock{}
	e := newEnvOnClock(t, clk)
	ctx := context.Background()
	org, _ := e.srv.Store.Org(ctx, orgA)
	org.ContactEmail = "post@lanekassen.example"
	if err := e.srv.Store.PutOrg(ctx, testBy, org); err != nil {
		t.Fatal(err)
	}
	c := e.client(orgA)
	req := directRequest()
	req.Signers = []client.SignerRequest{{Email: "guest@example.test", Order: 1}, {PID: kariPID, Order: 2}}
	j := e.mustCreate(c, req)
	b := e.browser(t)
	start := b.get(j.Signers[0].SigningURL)
	start.want(t, 200, "Bekreft at lenken er din")

	codes := 0
	// newCode asks for a code a minute after the last and reads it from
	// the mail.
	newCode := func() (page, string) {
		t.Helper()
		clk.moveTo(clk.Now().Add(time.Minute + time.Second))
		sent := b.submit(start, "/code/send", nil)
		sent.want(t, 200, "Bekreft at lenken er din")
		codes++
		eventually(t, "the code by e-mail", func() bool { return len(e.mailTo("guest@example.test")) == codes })
		code := regexp.MustCompile(`\b\d{6}\b`).FindString(e.mailTo("guest@example.test")[codes-1].Text)
		if code == "" {
			t.Fatal("no code in the mail")
		}
		if code == "000000" {
			return sent, "111111"
		}
		return sent, "000000"
	}

	sent, wrong := newCode()
	const n = 100
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := b.bot.Submit(sent.bot(), "/code", url.Values{"code": {wrong}})
			if err != nil || p.Status != http.StatusUnprocessableEntity {
				bodies[i] = fmt.Sprintf("%d %v", p.Status, err)
				return
			}
			bodies[i] = p.Body
		}()
	}
	wg.Wait()
	answered, expired := 0, 0
	for _, body := range bodies {
		switch {
		case strings.Contains(body, "Koden er ikke riktig"):
			answered++
		case strings.Contains(body, "Koden har gått ut"):
			expired++
		default:
			t.Fatalf("a concurrent guess got:\n%.400s", body)
		}
	}
	if answered != 5 || expired != n-5 {
		t.Fatalf("%d wrong guesses at once: %d answered, %d told the code expired; want 5 and %d", n, answered, expired, n-5)
	}

	// Two more codes, five wrong guesses each: the last one locks.
	for round := range 2 {
		sent, wrong = newCode()
		for i := range 5 {
			p := b.submit(sent, "/code", url.Values{"code": {wrong}})
			if round == 1 && i == 4 {
				p.want(t, http.StatusForbidden, "Lenken er låst")
				if !strings.Contains(p.body, "Ta kontakt med avsenderen") {
					t.Fatalf("the locked page:\n%s", p.body)
				}
				continue
			}
			p.want(t, http.StatusUnprocessableEntity, "Bekreft at lenken er din")
		}
	}
	clk.moveTo(clk.Now().Add(time.Hour))
	b.submit(start, "/code/send", nil).want(t, http.StatusForbidden, "Lenken er låst")
	e.browser(t).get(j.Signers[0].SigningURL).want(t, http.StatusForbidden, "Lenken er låst")
	if n := len(e.mailTo("guest@example.test")); n != 3 {
		t.Fatalf("%d codes sent, want 3", n)
	}

	got, err := c.Job(ctx, j.ID)
	if err != nil || got.Status != "failed" || got.Signers[0].Status != "failed" || got.Signers[1].Status != "cancelled" {
		t.Fatalf("the sender's view of the job: %v %+v", err, got)
	}
	events, err := c.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range events {
		if ev.JobID == j.ID {
			types = append(types, ev.Type+"/"+ev.SignerStatus)
		}
	}
	if !slices.Contains(types, "signer.locked/failed") || !slices.Contains(types, "job.failed/") {
		t.Fatalf("the sender's feed: %v", types)
	}
	eventually(t, "the sender's notice", func() bool { return len(e.mailTo("post@lanekassen.example")) == 1 })
}

// lockLink locks a code signer's link as fifteen wrong guesses at three
// codes do.
func (e *env) lockLink(link string) {
	e.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, signer, token := context.Background(), path.Base(u.Path), u.Query().Get("t")
	for range 3 {
		code, err := e.srv.Svc.NewCode(ctx, signer)
		if err != nil {
			e.t.Fatal(err)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for range 5 {
			err = e.srv.Svc.CheckCode(ctx, signer, token, wrong)
		}
		if err == nil {
			e.t.Fatal("a wrong code was taken")
		}
	}
	if _, _, err := e.srv.Svc.SignerByLink(ctx, signer, token); !errs.Is(err, errs.Forbidden) {
		e.t.Fatalf("the link after fifteen wrong codes: %v", err)
	}
}

// TestSigningInARole: a signer asked to sign for an organisation is told so
// before signing, and the confirmation says for whom (MISSION I7).
func TestSigningInARole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := directRequest()
	req.Signers = []client.SignerRequest{{PID: kariPID, OnBehalfOf: orgB}}
	j := e.mustCreate(e.client(orgA), req)
	view := e.browser(t).login(j.Signers[0].SigningURL, kariPID, "")
	view.want(t, 200, "Arbeidsavtale")
	for _, want := range []string{"Du signerer på vegne av en virksomhet", "for Innovasjon test AS (organisasjonsnummer " + orgB + ")",
		"vil signere dem på vegne av Innovasjon test AS",
		// Kari holds no role in Innovasjon test AS (its general manager is Lars).
		"Enhetsregisteret viser ikke at du kan signere alene"} {
		if !strings.Contains(view.body, want) {
			t.Errorf("the job page lacks %q", want)
		}
	}
	// Lars (larsPID), its general manager, is told the register shows his right, and
	// the audit log keeps what the register said with his act.
	req.Signers = []client.SignerRequest{{PID: larsPID, OnBehalfOf: orgB}}
	j = e.mustCreate(e.client(orgA), req)
	b := e.browser(t)
	view = b.login(j.Signers[0].SigningURL, larsPID, "")
	if !strings.Contains(view.body, "Enhetsregisteret viser at du kan signere alene") {
		t.Fatalf("Lars's page:\n%s", view.body)
	}
	b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	var details string
	e.srv.Store.AuditRecords(context.Background(), 0, func(r audit.Record) error {
		if r.Action == "signer.signed" && r.JobID == j.ID {
			details = string(r.Details)
		}
		return nil
	})
	for _, want := range []string{`"on_behalf_of":"` + orgB + `"`, `"register_may_sign":true`, `"register_roles":["DAGL"]`} {
		if !strings.Contains(details, want) {
			t.Errorf("the audit record of the act lacks %s: %s", want, details)
		}
	}
}

// TestSigningWhileMailIsDown: with the SMTP relay refusing everything, a
// portal job is still signed to completion (the signer got the SMS); the
// sender's notice waits, and arrives once the relay is back.
func TestSigningWhileMailIsDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	org, _ := e.srv.Store.Org(ctx, orgA)
	org.ContactEmail = "post@lanekassen.example"
	if err := e.srv.Store.PutOrg(ctx, testBy, org); err != nil {
		t.Fatal(err)
	}
	e.srv.DevDelivery.MailDown.Store(true)
	c := e.client(orgA)
	req := directRequest()
	req.Flow, req.ExitURLs, req.Title = "portal", nil, "Husleieavtale"
	req.Signers = []client.SignerRequest{{PID: olaPID}}
	j := e.mustCreate(c, req)

	eventually(t, "the SMS to Ola", func() bool { return len(e.srv.DevDelivery.SMS.Messages()) == 1 })
	b := e.browser(t)
	view := b.link(b.idp(b.get("/sign/login"), olaPID, "bankid"), "Husleieavtale")
	b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).want(t, 200, "Du har signert")
	e.completed(c, j.ID)
	if got, err := c.Job(ctx, j.ID); err != nil || got.Status != "completed" {
		t.Fatalf("job while mail is down: %v %+v", err, got)
	}
	if n := len(e.srv.DevDelivery.Mail.Messages()); n != 0 {
		t.Fatalf("%d mails went through a relay that is down", n)
	}
	e.srv.DevDelivery.MailDown.Store(false)
	eventually(t, "the sender's notice once the relay is back", func() bool {
		return len(e.mailTo("post@lanekassen.example")) == 1
	})
	// Ola signed meanwhile: a request to sign would be pointless now.
	if n := len(e.mailTo("ola.nordmann@example.test")); n != 0 {
		t.Fatalf("Ola got %d requests to sign a job he had signed", n)
	}
}

// TestPortalSignerByEmail: a portal job's signer addressed by e-mail gets
// a notice with their own link, enters the code sent to the same address,
// logs in, signs and gets the receipt (a portal job has no sender's site
// to return to).
func TestPortalSignerByEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	req := directRequest()
	req.Flow, req.ExitURLs, req.Title = "portal", nil, "Leieavtale"
	req.Signers = []client.SignerRequest{{Email: "guest@example.test"}}
	j := e.mustCreate(c, req)
	eventually(t, "the notice", func() bool { return len(e.mailTo("guest@example.test")) == 1 })
	link := regexp.MustCompile(`https://\S+/sign/\S+\?t=[0-9a-f]+`).FindString(e.mailTo("guest@example.test")[0].Text)
	if link == "" {
		t.Fatalf("no signing link in the notice:\n%s", e.mailTo("guest@example.test")[0].Text)
	}
	b := e.browser(t)
	sent := b.submit(b.get(link), "/code/send", nil)
	eventually(t, "the code", func() bool { return len(e.mailTo("guest@example.test")) == 2 })
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(e.mailTo("guest@example.test")[1].Text)
	start := b.submit(sent, "/code", url.Values{"code": {code}})
	view := b.idp(b.submit(start, "/login", nil), kariPID, "")
	view.want(t, 200, "Leieavtale")
	b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).want(t, 200, "Du har signert")
	e.completed(c, j.ID)
	if got, err := c.Job(context.Background(), j.ID); err != nil || got.Status != "completed" {
		t.Fatalf("job: %v %+v", err, got)
	}
}

// TestDevMailInNorwegianTime: the development view of captured mail gives
// the time each message came in Norwegian time, with the zone, as the
// messages give their deadlines, not in the server's zone (issue 14 item 10).
func TestDevMailInNorwegianTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := directRequest()
	req.Flow, req.ExitURLs, req.Title = "portal", nil, "Låneavtale"
	req.Signers = []client.SignerRequest{{PID: olaPID}}
	e.createWithText(e.client(orgA), req)
	eventually(t, "the notice to Ola", func() bool { return len(e.mailTo("ola.nordmann@example.test")) == 1 })
	msgs := e.srv.DevDelivery.Mail.Messages()
	at := msgs[len(msgs)-1].Received
	view := e.browser(t).get("/dev/mail")
	want := at.In(clock.Norway).Format("15:04:05 MST")
	if view.status != 200 || !strings.Contains(view.body, want+" — to ola.nordmann@example.test") {
		t.Fatalf("/dev/mail does not give %q:\n%s", want, view.body)
	}
}

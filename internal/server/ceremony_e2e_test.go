package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/signerbot"
	"github.com/segl/segl/internal/validate"
)

// The signing ceremony end to end, as a person's browser goes through it:
// a plain http.Client with a cookie jar against segl started with --dev,
// through the development ID-porten's HTML form, to the sender's exit URL.

// browser is one person's web browser: signerbot's, failing the test on
// any error.
type browser struct {
	t   *testing.T
	e   *env
	bot *signerbot.Browser
}

func (e *env) browser(t *testing.T) *browser {
	t.Helper()
	bot, err := signerbot.New(e.srv.URL, e.srv.Dev.Roots())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bot.HTTP.CloseIdleConnections)
	return &browser{t: t, e: e, bot: bot}
}

// page is a response as the browser ended up with it.
type page struct {
	status   int
	url      *url.URL
	location string
	header   http.Header
	body     string
}

func (b *browser) check(p signerbot.Page, err error) page {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: p.Status, url: p.URL, location: p.Location, header: p.Header, body: p.Body}
}

func (p page) bot() signerbot.Page {
	return signerbot.Page{Status: p.status, URL: p.url, Location: p.location, Header: p.header, Body: p.body}
}

func (b *browser) get(target string) page { b.t.Helper(); return b.check(b.bot.Get(target)) }

func (b *browser) submit(p page, suffix string, fields url.Values) page {
	b.t.Helper()
	return b.check(b.bot.Submit(p.bot(), suffix, fields))
}

func (b *browser) link(p page, text string) page {
	b.t.Helper()
	return b.check(b.bot.Link(p.bot(), text))
}

func (b *browser) idp(p page, pid, method string) page {
	b.t.Helper()
	return b.check(b.bot.IDPorten(p.bot(), pid, method))
}

func (b *browser) login(link, pid, method string) page {
	b.t.Helper()
	return b.check(b.bot.Login(link, pid, method))
}

func (p page) h1() string { return p.bot().H1() }

func (p page) want(t *testing.T, status int, h1 string) {
	t.Helper()
	if p.status != status || (h1 != "" && p.h1() != h1) {
		t.Fatalf("%s: got %d %q, want %d %q\n%s", p.url, p.status, p.h1(), status, h1, p.body)
	}
}

func (p page) exitToken(t *testing.T, exit string) string {
	t.Helper()
	token, err := p.bot().ExitToken(exit)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

const (
	olaPID  = "21909825250" // BankID, MinID, Buypass
	kariPID = "03896127682" // BankID, MinID
)

var textDoc = "Jeg samtykker til vilkårene.\nBlåbær, ærfugl og øl.\n"

func (e *env) createWithText(c *client.Client, req client.JobRequest) *client.Job {
	e.t.Helper()
	req.Documents = append(req.Documents, client.DocumentRef{Title: "Samtykke", File: "doc2"})
	j, err := c.CreateJob(context.Background(), req, []client.Upload{pdfUpload("doc1"),
		{Part: "doc2", FileName: "samtykke.txt", ContentType: "text/plain", Body: strings.NewReader(textDoc)}})
	if err != nil {
		e.t.Fatalf("create job: %v", err)
	}
	return j
}

func TestCeremonyDirectTwoSignersToCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	j := e.createWithText(c, directRequest())
	link1, link2 := j.Signers[0].SigningURL, j.Signers[1].SigningURL

	// Kari, second in order, comes first: she can read but not yet sign.
	kari := e.browser(t)
	early := kari.login(link2, kariPID, "")
	early.want(t, 200, "Arbeidsavtale")
	if !strings.Contains(early.body, "Du kan signere når de som skal signere før deg, har signert") ||
		strings.Contains(early.body, `/sign"`) {
		t.Fatalf("Kari may sign before Ola:\n%s", early.body)
	}

	ola := e.browser(t)
	view := ola.login(link1, olaPID, "bankid")
	view.want(t, 200, "Arbeidsavtale")
	// The session, ID token included, fits in a cookie (browsers keep 4096
	// bytes of name and value).
	for _, ck := range ola.bot.HTTP.Jar.Cookies(view.url) {
		if len(ck.Name)+len(ck.Value) > 3500 {
			t.Errorf("cookie %s is %d bytes", ck.Name, len(ck.Value))
		}
	}
	for _, want := range []string{"Kontrakt", "doc1.pdf", j.Documents[0].SHA256, "Samtykke", "samtykke.txt",
		j.Documents[1].SHA256, "Ola Nordmann", "Du signerer som nummer 1 av 2."} {
		if !strings.Contains(view.body, want) {
			t.Errorf("the job page lacks %q", want)
		}
	}
	pdf := ola.link(view, "Les «Kontrakt» (PDF)")
	if pdf.status != 200 || pdf.header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(pdf.header.Get("Content-Disposition"), "inline") || !strings.HasPrefix(pdf.body, "%PDF-") {
		t.Fatalf("reading the PDF: %d %v", pdf.status, pdf.header)
	}
	text := ola.link(view, "Les «Samtykke» (tekst)")
	if text.header.Get("Content-Type") != "text/plain; charset=utf-8" || text.body != textDoc {
		t.Fatalf("reading the text: %v %q", text.header, text.body)
	}

	// Not ticking "I have read…" is an error in the form, not a signature.
	unticked := ola.submit(view, "/sign", nil)
	unticked.want(t, 400, "Arbeidsavtale")
	if !strings.Contains(unticked.body, `<a href="#confirm">`) || !strings.Contains(unticked.body, `aria-invalid="true"`) {
		t.Fatalf("no error summary linking to the checkbox:\n%s", unticked.body)
	}
	token1 := ola.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")

	st, err := c.Status(ctx, token1)
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != j.ID || st.Status != "active" || st.Signers[0].Status != "signed" || st.Signers[1].Status != "waiting" {
		t.Fatalf("status after Ola: %+v", st)
	}
	_, err = e.client(orgB).Status(ctx, token1)
	problemOf(t, err, http.StatusNotFound, "job-not-found")
	// The last hex digit changed, always to a different one.
	last := "0"
	if strings.HasSuffix(token1, "0") {
		last = "1"
	}
	_, err = c.Status(ctx, token1[:len(token1)-1]+last)
	problemOf(t, err, http.StatusNotFound, "status-token-invalid")

	// The form again (a second click, the back button): never a second signature.
	again := ola.submit(view, "/sign", url.Values{"confirm": {"yes"}})
	again.exitToken(t, "https://sender.example/ok")

	// Kari's turn now.
	view2 := kari.get(early.url.String())
	view2.want(t, 200, "Arbeidsavtale")
	if !strings.Contains(view2.body, "Du signerer som nummer 2 av 2.") {
		t.Errorf("Kari's position is not shown")
	}
	token2 := kari.submit(view2, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	e.completed(c, j.ID)
	done, err := c.Status(ctx, token2)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != "completed" || done.Signers[1].Status != "signed" {
		t.Fatalf("status after Kari: %+v", done)
	}

	// The signed result: the seal for each signer and the archive time-stamp.
	signedPasses(t, c, j.ID, j.Documents[0].ID, e.srv.Dev.Roots(), 3)

	// Ola's link again, in his browser: his receipt.
	receipt := ola.get(link1)
	receipt.want(t, 200, "Du har signert")
	if !strings.Contains(receipt.body, done.Documents[0].SHA256) || !strings.Contains(receipt.body, "Alle har signert") {
		t.Fatalf("receipt:\n%s", receipt.body)
	}
}

// A used link in another browser says "already signed", refuses to act
// (410) and leads only to the receipt, behind the signer's own login.
func TestCeremonyReplayedLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	j := e.mustCreate(c, directRequest())
	link := j.Signers[0].SigningURL
	ola := e.browser(t)
	view := ola.login(link, olaPID, "")
	ola.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")

	other := e.browser(t)
	used := other.get(link)
	used.want(t, http.StatusGone, "Du har allerede signert")
	if strings.Contains(used.body, "Arbeidsavtale") || strings.Contains(used.body, "Kontrakt") {
		t.Fatalf("the used link shows the job before login:\n%s", used.body)
	}
	// Posting the old signing form from this browser: no session, no signature.
	if p := other.submit(view, "/sign", url.Values{"confirm": {"yes"}}); p.status != http.StatusForbidden {
		t.Fatalf("a form from another browser: %d", p.status)
	}
	// Kari cannot see Ola's receipt…
	wrong := other.idp(other.submit(used, "/login", nil), kariPID, "")
	wrong.want(t, http.StatusForbidden, "Oppdraget er til en annen person")
	// …Ola can, and can download his signed file.
	used = other.get(link)
	receipt := other.idp(other.submit(used, "/login", nil), olaPID, "")
	receipt.want(t, 200, "Du har signert")
	file := other.link(receipt, "Last ned signert «Kontrakt»")
	if file.status != 200 || !strings.HasPrefix(file.body, "%PDF-") ||
		file.header.Get("Content-Disposition") != `attachment; filename=doc1-signed.pdf` {
		t.Fatalf("signed file: %d %v", file.status, file.header)
	}
	// Kari has not signed yet: Ola's revision is B-T, long-term data comes
	// with completion.
	rep, err := validate.PDF(strings.NewReader(file.body), int64(len(file.body)), validate.Options{Roots: e.srv.Dev.Roots()})
	if err != nil || len(rep.Signatures) != 1 || rep.Signatures[0].Result.Indication == validate.TotalFailed {
		t.Fatalf("signed file: %v %+v", err, rep)
	}
	// A link with a wrong token is not found at all.
	u, _ := url.Parse(link)
	u.RawQuery = "t=" + strings.Repeat("0", 40)
	other.get(u.String()).want(t, http.StatusNotFound, "")
}

func TestCeremonyDirectReject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	j := e.mustCreate(c, directRequest())
	ola := e.browser(t)
	view := ola.login(j.Signers[0].SigningURL, olaPID, "")

	long := strings.Repeat("æ", 1001)
	tooLong := ola.submit(view, "/reject", url.Values{"reason": {long}})
	tooLong.want(t, http.StatusBadRequest, "Arbeidsavtale")
	if !strings.Contains(tooLong.body, `<a href="#reason">`) || !strings.Contains(tooLong.body, long+"</textarea>") ||
		!strings.Contains(tooLong.body, "<details class=\"disclosure\" open>") {
		t.Fatalf("no error summary for the reason, or the text was lost:\n%s", tooLong.body)
	}
	// The reject button asks first: nothing has ended yet.
	confirm := ola.submit(tooLong, "/reject", url.Values{"reason": {"Feil lønn"}})
	confirm.want(t, http.StatusOK, "Vil du avvise oppdraget?")
	confirm.has(t, "Feil lønn", "Ja, avvis oppdraget", "Nei, gå tilbake")
	if got, err := c.Job(ctx, j.ID); err != nil || got.Status != "active" {
		t.Fatalf("the job before the rejection was confirmed: %v %+v", err, got)
	}
	// "No" goes back to the job page with the reason kept, form open.
	back := ola.submit(confirm, "/reject", url.Values{"confirm": {"no"}})
	back.want(t, http.StatusOK, "Arbeidsavtale")
	back.has(t, "Feil lønn</textarea>", "<details class=\"disclosure\" open>")
	if got, err := c.Job(ctx, j.ID); err != nil || got.Status != "active" {
		t.Fatalf("the job after \"no\": %v %+v", err, got)
	}
	confirm = ola.submit(back, "/reject", url.Values{"reason": {"Feil lønn"}})
	token := ola.submit(confirm, "/reject", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/no")
	st, err := c.Status(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "rejected" || st.Signers[0].Status != "rejected" || st.Signers[1].Status != "cancelled" {
		t.Fatalf("after rejection: %+v", st)
	}
	// Kari's link has ended with the job.
	e.browser(t).get(j.Signers[1].SigningURL).want(t, http.StatusGone, "Lenken er utløpt eller allerede brukt")
	// Ola's own link shows what he did.
	ola.get(j.Signers[0].SigningURL).want(t, 200, "Du har avvist oppdraget")
}

func TestCeremonyWrongPerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.mustCreate(e.client(orgA), directRequest())
	b := e.browser(t)
	page := b.login(j.Signers[0].SigningURL, kariPID, "")
	page.want(t, http.StatusForbidden, "Oppdraget er til en annen person")
	// No session is left to act with.
	b.get("/sign/"+j.Signers[0].ID+"/job").want(t, http.StatusUnauthorized, "Økten din er avsluttet")
	// "Log in again" leads back to the link.
	b.link(page, "Logg inn på nytt").want(t, 200, "Signer dokumenter")
}

func TestCeremonyAssuranceTooLow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := directRequest()
	req.LevelOfAssurance = "high"
	j := e.mustCreate(e.client(orgA), req)
	b := e.browser(t)
	start := b.get(j.Signers[0].SigningURL)
	if !strings.Contains(start.body, "høyt sikkerhetsnivå") {
		t.Errorf("the start page does not say the level:\n%s", start.body)
	}
	page := b.idp(b.submit(start, "/login", nil), olaPID, "minid")
	page.want(t, http.StatusForbidden, "Oppdraget krever høyere sikkerhetsnivå")
	again := b.idp(b.submit(b.link(page, "Logg inn på høyt sikkerhetsnivå"), "/login", nil), olaPID, "bankid")
	again.want(t, 200, "Arbeidsavtale")
}

func TestCeremonyLoginTampering(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.mustCreate(e.client(orgA), directRequest())
	link := j.Signers[0].SigningURL

	// The callback comes back with a changed state: refused, and the
	// pending login is spent, so the genuine callback finds nothing.
	b := e.browser(t)
	form := b.submit(b.get(link), "/login", nil)
	b.bot.Follow = false
	back := b.idp(form, olaPID, "")
	b.bot.Follow = true
	callback, err := url.Parse(back.location)
	if err != nil || back.status != http.StatusSeeOther || callback.Path != "/sign/callback" {
		t.Fatalf("the IdP did not send the browser back: %d %q", back.status, back.location)
	}
	q := callback.Query()
	genuine := callback.String()
	state := q.Get("state")
	tail := "xx" // a different ending, however the state ends
	if strings.HasSuffix(state, tail) {
		tail = "yy"
	}
	q.Set("state", state[:len(state)-2]+tail)
	callback.RawQuery = q.Encode()
	b.get(callback.String()).want(t, http.StatusUnauthorized, "Innloggingen kunne ikke bekreftes")
	b.get(genuine).want(t, http.StatusUnauthorized, "Økten din er avsluttet")

	// A callback replayed after a good login is refused too.
	b = e.browser(t)
	form = b.submit(b.get(link), "/login", nil)
	b.bot.Follow = false
	back = b.idp(form, olaPID, "")
	b.bot.Follow = true
	b.get(back.location).want(t, 200, "Arbeidsavtale")
	b.get(back.location).want(t, http.StatusUnauthorized, "Innloggingen er utløpt")

	// Another browser's callback (a login CSRF attempt) finds no session.
	e.browser(t).get(back.location).want(t, http.StatusUnauthorized, "Økten din er avsluttet")

	// Cancelling at ID-porten ends the attempt: back to the sender's error URL.
	b = e.browser(t)
	form = b.submit(b.get(link), "/login", nil)
	token := b.link(form, "Avbryt").exitToken(t, "https://sender.example/err")
	st, err := e.client(orgA).Status(context.Background(), token)
	if err != nil || st.Status != "active" {
		t.Fatalf("status after a cancelled login: %v %+v", err, st)
	}
}

func TestCeremonyPortal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	portal := func(title, level string, signers ...client.SignerRequest) *client.Job {
		req := directRequest()
		req.Flow, req.ExitURLs, req.Title, req.LevelOfAssurance, req.Signers = "portal", nil, title, level, signers
		return e.createWithText(c, req)
	}
	plain := portal("Samtykkeerklæring", "substantial", client.SignerRequest{PID: olaPID})
	high := portal("Kjøpekontrakt", "high", client.SignerRequest{PID: olaPID})
	later := portal("Leieavtale", "substantial", client.SignerRequest{PID: kariPID, Order: 1}, client.SignerRequest{PID: olaPID, Order: 2})
	direct := e.mustCreate(c, directRequest())

	b := e.browser(t)
	home := b.get("/sign/")
	home.want(t, 200, "Dine signeringsoppdrag")
	tasks := b.idp(b.link(home, "Logg inn"), olaPID, "minid")
	tasks.want(t, 200, "Dine signeringsoppdrag")
	if !strings.Contains(tasks.body, "Samtykkeerklæring") || !strings.Contains(tasks.body, "Kjøpekontrakt") ||
		strings.Contains(tasks.body, "Leieavtale") || strings.Contains(tasks.body, "Arbeidsavtale") {
		t.Fatalf("tasks:\n%s", tasks.body)
	}
	// Not the portal's: a direct job, a task not yet Ola's turn.
	b.get("/sign/"+direct.Signers[0].ID+"/job").want(t, http.StatusNotFound, "")
	b.get("/sign/"+later.Signers[1].ID+"/job").want(t, 200, "Leieavtale")

	// The high job needs a login on level high.
	tooLow := b.link(tasks, "Kjøpekontrakt")
	tooLow.want(t, http.StatusForbidden, "Oppdraget krever høyere sikkerhetsnivå")
	view := b.idp(b.link(tooLow, "Logg inn på høyt sikkerhetsnivå"), olaPID, "bankid")
	view.want(t, 200, "Kjøpekontrakt")
	receipt := b.submit(view, "/sign", url.Values{"confirm": {"yes"}})
	receipt.want(t, 200, "Du har signert")
	if receipt.url.Path != "/sign/"+high.Signers[0].ID+"/receipt" {
		t.Fatalf("after signing: %s", receipt.url)
	}
	e.completed(c, high.ID)
	got, err := c.Job(context.Background(), high.ID)
	if err != nil || got.Status != "completed" {
		t.Fatalf("the high job: %v %+v", err, got)
	}
	for i, d := range got.Documents {
		if !strings.Contains(receipt.body, d.SHA256) || !strings.Contains(receipt.body, high.Documents[i].SHA256) {
			t.Errorf("the receipt lacks the hashes of %s", d.Title)
		}
	}
	file := b.link(receipt, "Last ned signert «Samtykke»")
	rep, err := validate.PDF(strings.NewReader(file.body), int64(len(file.body)), validate.Options{Roots: e.srv.Dev.Roots()})
	if err != nil || !rep.Passed() || len(rep.Signatures) != 2 {
		t.Fatalf("signed text document: %v %+v", err, rep)
	}
	// The receipt to keep (issue 14 item 6): sealed by segl, accepted by
	// our validator, pdfsig and qpdf, and saying what was signed, by whom,
	// with which eID and level.
	kept := b.link(receipt, "Last ned kvittering (PDF)")
	if ct := kept.header.Get("Content-Type"); ct != "application/pdf" || !strings.Contains(kept.header.Get("Content-Disposition"), "kvittering.pdf") {
		t.Fatalf("receipt download: %s, %s", ct, kept.header.Get("Content-Disposition"))
	}
	checkReceiptPDF(t, e, []byte(kept.body), "Kjøpekontrakt", "Ola Nordmann", "eID: BankID", "Sikkerhetsnivå: høyt",
		high.Documents[0].SHA256, high.Documents[1].SHA256)

	// Back to the list: one task left, signed in turn.
	tasks = b.link(receipt, "Tilbake til signeringsoppdragene")
	if strings.Contains(tasks.body, "Kjøpekontrakt") || !strings.Contains(tasks.body, "Samtykkeerklæring") {
		t.Fatalf("tasks after signing:\n%s", tasks.body)
	}
	view = b.link(tasks, "Samtykkeerklæring")
	// A form without the CSRF token is refused.
	forged := url.Values{"confirm": {"yes"}, "csrf_token": {"x"}}
	b.submit(view, "/sign", forged).want(t, http.StatusForbidden, "Skjemaet kunne ikke sendes")
	b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).want(t, 200, "Du har signert")
	if got := e.completed(c, plain.ID); got.Status != "completed" {
		t.Fatalf("the plain job: %+v", got)
	}
	tasks = b.get("/sign/")
	if !strings.Contains(tasks.body, "Du har ingen signeringsoppdrag ennå.") {
		t.Fatalf("tasks at the end:\n%s", tasks.body)
	}
	// Logging out ends the session.
	out := b.submit(tasks, "/sign/logout", nil)
	out.want(t, 200, "Dine signeringsoppdrag")
	b.get("/sign/"+plain.Signers[0].ID+"/receipt").want(t, http.StatusUnauthorized, "")
	b.get("/sign/"+plain.Signers[0].ID+"/receipt.pdf").want(t, http.StatusUnauthorized, "")
}

// checkReceiptPDF checks a signer's receipt with tools we did not write
// and for the text it must hold.
func checkReceiptPDF(t *testing.T, e *env, data []byte, want ...string) {
	t.Helper()
	rep, err := validate.PDF(bytes.NewReader(data), int64(len(data)), validate.Options{Roots: e.srv.Dev.Roots()})
	if err != nil || !rep.Passed() || len(rep.Signatures) != 1 || !strings.Contains(rep.Signatures[0].Signer.Subject, "segl TTP seal") {
		t.Fatalf("receipt: %v %+v", err, rep)
	}
	f := filepath.Join(t.TempDir(), "receipt.pdf")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Fatalf("qpdf on the receipt: %v\n%s", err, out)
	}
	out, _ := exec.Command("pdfsig", "-nssdir", nssdb(t, e.data), f).CombinedOutput()
	if !strings.Contains(string(out), "Signature is Valid.") || !strings.Contains(string(out), "Certificate is Trusted.") {
		t.Fatalf("pdfsig on the receipt:\n%s", out)
	}
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append(want, "Kvittering for signering") {
		if !strings.Contains(string(text), w) {
			t.Errorf("the receipt lacks %q:\n%s", w, text)
		}
	}
}

// An advanced signature: the login is asked for on level high whatever the
// job's level, and the signer's own key from the remote signing service
// (CSC API v2, the development stand-in at /dev/csc/) signs.
func TestCeremonyAdvanced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	req := directRequest()
	req.SignatureType = "advanced"
	req.Signers = req.Signers[:1]
	j := e.mustCreate(c, req)

	b := e.browser(t)
	start := b.get(j.Signers[0].SigningURL)
	form := b.submit(start, "/login", nil)
	if !strings.Contains(form.body, "høyt") {
		t.Fatalf("the login does not ask for level high:\n%s", form.body)
	}
	view := b.idp(form, olaPID, "bankid")
	view.want(t, 200, "Arbeidsavtale")
	if !strings.Contains(view.body, "din egen signeringsnøkkel") {
		t.Errorf("the job page does not say it signs with the signer's own key")
	}
	token := b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	e.completed(c, j.ID)
	st, err := c.Status(ctx, token)
	if err != nil || st.Status != "completed" {
		t.Fatalf("status: %v %+v", err, st)
	}
	_, rep := signedPasses(t, c, j.ID, j.Documents[0].ID, e.srv.Dev.Roots(), 2)
	if subj := rep.Signatures[0].Signer.Subject; !strings.Contains(subj, "Ola Nordmann") {
		t.Fatalf("signed by %s, want Ola's own certificate", subj)
	}
}

// In the portal a login on level substantial sees an advanced task, but
// the remote signing service gives the key only on level high: a page says
// so, and logging in again on level high leads back to the task.
func TestCeremonyAdvancedNeedsHighLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	req := directRequest()
	req.Flow, req.ExitURLs, req.SignatureType, req.Signers = "portal", nil, "advanced", req.Signers[:1]
	j := e.mustCreate(c, req)

	b := e.browser(t)
	tasks := b.idp(b.get("/sign/login"), olaPID, "minid")
	view := b.link(tasks, "Arbeidsavtale")
	view.want(t, 200, "Arbeidsavtale")
	refused := b.submit(view, "/sign", url.Values{"confirm": {"yes"}})
	refused.want(t, http.StatusForbidden, "Logg inn på nytt for å signere med egen nøkkel")
	view = b.idp(b.link(refused, "Logg inn på høyt sikkerhetsnivå"), olaPID, "bankid")
	view.want(t, 200, "Arbeidsavtale")
	b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).want(t, 200, "Du har signert")
	e.completed(c, j.ID)
	if got, err := c.Job(context.Background(), j.ID); err != nil || got.Status != "completed" {
		t.Fatalf("job: %v %+v", err, got)
	}
}

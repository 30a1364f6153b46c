package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// The central administration (/admin) end to end: a browser with a cookie
// jar logs in through the development ID-porten's form, as in the
// ceremony tests, and the results are checked in the store and through
// the organisations' API.

const (
	adminPID   = "07839635529" // Åse Bjørnstad, the central administrator in --dev
	onboardOrg = "971234563"   // a valid organisation number in no population
)

// adminLogin logs in at /admin as pid with BankID (level high).
func (b *browser) adminLogin(pid string) page {
	b.t.Helper()
	start := b.get("/admin/")
	start.want(b.t, http.StatusOK, "Sentral administrasjon")
	return b.idp(b.link(start, "Logg inn med ID-porten"), pid, "bankid")
}

var csrfTokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// adminPost posts fields to path with the CSRF token of page p, whatever
// forms p has: what a person could forge from their own session.
func (b *browser) adminPost(p page, path string, fields url.Values) page {
	b.t.Helper()
	m := csrfTokenRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", p.url)
	}
	form := url.Values{"csrf_token": {m[1]}}
	for k, v := range fields {
		form[k] = v
	}
	req, err := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.check(b.bot.Do(req))
}

// onboarding is a complete, valid onboarding form.
func onboarding() url.Values {
	return url.Values{"number": {onboardOrg}, "name": {"Barnevernet test"}, "types": {"authenticated", "advanced"},
		"contact": {"post@barnevernet.example"}, "cert": {"CN=Fagsystem,O=Barnevernet test,2.5.4.97=#0c0f4e54524e4f2d393731323334353633"},
		"admin_pid": {kariPID}, "admin_name": {"Kari Nordmann"}, "admin_email": {"kari@barnevernet.example"}}
}

func TestAdminRefusesOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ola := e.browser(t)
	refused := ola.adminLogin(olaPID)
	refused.want(t, http.StatusForbidden, "Du har ikke tilgang til administrasjonen")
	if !strings.Contains(refused.body, "Du er logget inn som Ola Nordmann") {
		t.Errorf("the 403 page does not say who is logged in:\n%s", refused.body)
	}
	// Every page, and every form posted with a valid token of his own
	// session, is refused.
	for _, p := range []string{"/admin/", "/admin/orgs/new", "/admin/orgs/" + orgA, "/admin/usage", "/admin/usage.csv"} {
		if got := ola.get(p); got.status != http.StatusForbidden || strings.HasPrefix(got.header.Get("Content-Type"), "text/csv") {
			t.Errorf("%s as Ola: %d %s", p, got.status, got.header.Get("Content-Type"))
		}
	}
	ola.adminPost(refused, "/admin/orgs/new", onboarding()).want(t, http.StatusForbidden, "Du har ikke tilgang til administrasjonen")
	ola.adminPost(refused, "/admin/orgs/"+orgA+"/deactivate", nil).want(t, http.StatusForbidden, "")
	if _, err := e.srv.Store.Org(ctx, onboardOrg); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Ola onboarded an organisation: %v", err)
	}
	if o, _ := e.srv.Store.Org(ctx, orgA); !o.Active {
		t.Fatal("Ola deactivated an organisation")
	}
	// Logging out leaves nothing behind.
	ola.submit(refused, "/admin/logout", nil).want(t, http.StatusOK, "Sentral administrasjon")
}

func TestAdminOnboardsAnOrganisation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.browser(t)
	list := admin.adminLogin(adminPID)
	list.want(t, http.StatusOK, "Virksomheter")
	for _, want := range []string{orgA, "Lånekassen test", orgB, "Innovasjon test AS", "Autentisert signatur, Avansert signatur"} {
		if !strings.Contains(list.body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	before, _ := e.srv.Store.ListOrgs(ctx)
	form := admin.get("/admin/orgs/new")
	form.want(t, http.StatusOK, "Registrer virksomhet")

	// Bad input: the form again with every error next to its field, and
	// nothing stored.
	bad := onboarding()
	bad["number"], bad["admin_pid"], bad["contact"] = []string{"123456789"}, []string{"12345678901"}, []string{"post@"}
	delete(bad, "types")
	refused := admin.submit(form, "/admin/orgs/new", bad)
	refused.want(t, http.StatusUnprocessableEntity, "Registrer virksomhet")
	for _, want := range []string{
		`<a href="#number">Organisasjonsnummeret må ha ni siffer og riktig kontrollsiffer.</a>`,
		`<a href="#types">Velg minst én signaturtype.</a>`,
		`<a href="#contact">E-postadressen for varsler må se ut som navn@virksomhet.no.</a>`,
		`<a href="#admin_pid">Fødselsnummeret må ha elleve siffer og være gyldig.</a>`,
		`aria-describedby="number-hint number-error" aria-invalid="true"`,
		`<p class="field-error" id="admin_pid-error">`,
		`value="Barnevernet test"`,
	} {
		if !strings.Contains(refused.body, want) {
			t.Errorf("the refused form lacks %s", want)
		}
	}
	// A number already onboarded.
	taken := onboarding()
	taken["number"] = []string{orgA}
	admin.submit(form, "/admin/orgs/new", taken).want(t, http.StatusUnprocessableEntity, "Registrer virksomhet")
	after, _ := e.srv.Store.ListOrgs(ctx)
	if len(after) != len(before) {
		t.Fatalf("refused forms stored organisations: %d before, %d after", len(before), len(after))
	}
	if o, _ := e.srv.Store.Org(ctx, orgA); o.Name != "Lånekassen test" || o.ContactEmail != "" {
		t.Fatalf("a refused form changed %s: %+v", orgA, o)
	}
	if _, err := e.srv.Store.User(ctx, orgA, kariPID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a refused form added a user: %v", err)
	}

	// The organisation onboarded, with its first portal administrator.
	done := admin.submit(form, "/admin/orgs/new", onboarding())
	done.want(t, http.StatusOK, "Barnevernet test")
	if done.url.Path != "/admin/orgs/"+onboardOrg || !strings.Contains(done.body, "Virksomheten er registrert") ||
		!strings.Contains(done.body, "Kari Nordmann") {
		t.Fatalf("after onboarding: %s\n%s", done.url, done.body)
	}
	o, err := e.srv.Store.Org(ctx, onboardOrg)
	if err != nil || !o.Active || o.Name != "Barnevernet test" || o.ContactEmail != "post@barnevernet.example" ||
		!strings.HasPrefix(o.CertSubject, "CN=Fagsystem,") || !o.Allows(job.Authenticated) || !o.Allows(job.Advanced) {
		t.Fatalf("stored: %v %+v", err, o)
	}
	users, err := e.srv.Store.ListUsers(ctx, onboardOrg)
	if err != nil || len(users) != 1 {
		t.Fatalf("users: %v %+v", err, users)
	}
	if u := users[0]; u.PID != kariPID || u.Name != "Kari Nordmann" || u.Email != "kari@barnevernet.example" ||
		u.Role != store.RoleAdmin || u.CreatedBy != "admin:"+adminPID {
		t.Fatalf("first portal administrator: %+v", u)
	}
	if list := admin.get("/admin/"); !strings.Contains(list.body, onboardOrg) || !strings.Contains(list.body, "Barnevernet test") {
		t.Fatalf("the new organisation is not listed:\n%s", list.body)
	}

	// Editing: a bad e-mail is refused, a good change is kept.
	edit := admin.submit(done, "/admin/orgs/"+onboardOrg, url.Values{"name": {"Barnevernet"}, "types": {"authenticated"},
		"contact": {"ikke en adresse"}})
	edit.want(t, http.StatusUnprocessableEntity, "Barnevernet test")
	if !strings.Contains(edit.body, "E-postadressen for varsler må se ut som navn@virksomhet.no.") {
		t.Fatalf("the edit form lacks the error:\n%s", edit.body)
	}
	saved := admin.submit(done, "/admin/orgs/"+onboardOrg, url.Values{"name": {"Barnevernet"}, "types": {"authenticated"},
		"contact": {"ny@barnevernet.example"}})
	saved.want(t, http.StatusOK, "Barnevernet")
	if o, _ := e.srv.Store.Org(ctx, onboardOrg); o.Name != "Barnevernet" || o.Allows(job.Advanced) || o.CertSubject != "" || !o.Active {
		t.Fatalf("after editing: %+v", o)
	}
}

func TestAdminDeactivationStopsTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	admin := e.browser(t)
	admin.adminLogin(adminPID).want(t, http.StatusOK, "Virksomheter")
	page := admin.get("/admin/orgs/" + orgA)
	page.want(t, http.StatusOK, "Lånekassen test")

	off := admin.submit(page, "/deactivate", nil)
	off.want(t, http.StatusOK, "Lånekassen test")
	if !strings.Contains(off.body, "Virksomheten er deaktivert.") {
		t.Fatalf("no confirmation:\n%s", off.body)
	}
	_, err := c.CreateJob(ctx, directRequest(), []client.Upload{pdfUpload("doc1")})
	problemOf(t, err, http.StatusForbidden, "organisation-inactive")
	if list := admin.get("/admin/"); !strings.Contains(list.body, "<strong>Deaktivert</strong>") {
		t.Errorf("the list does not show the deactivation")
	}

	admin.submit(off, "/reactivate", nil).want(t, http.StatusOK, "Lånekassen test")
	e.mustCreate(c, directRequest())
}

// The usage report against a scripted set of jobs and notices, priced on
// the price list: every CSV line, the totals and VAT exactly.
func TestAdminUsageReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	svc := e.srv.Svc
	a, b := e.client(orgA), e.client(orgB)

	// Every job keeps a signer who has not signed, so that none completes
	// and the delivery worker forwards nothing to digital mailboxes: the
	// notices are the test's own.
	// Lånekassen: two authenticated signatures; a job nobody signed.
	three := directRequest()
	three.Signers = append(three.Signers, client.SignerRequest{PID: "06927433549", Order: 3})
	j1 := e.mustCreate(a, three)
	if _, err := svc.Sign(ctx, j1.Signers[0].ID, ola); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sign(ctx, j1.Signers[1].ID, kari); err != nil {
		t.Fatal(err)
	}
	e.mustCreate(a, directRequest())
	// Innovasjon: one authenticated signature (Kari) and one advanced
	// signature (Ola, with his own key, through the pages).
	kariFirst := directRequest()
	kariFirst.Signers = []client.SignerRequest{{PID: kariPID, Order: 1}, {PID: olaPID, Order: 2}}
	j2 := e.mustCreate(b, kariFirst)
	if _, err := svc.Sign(ctx, j2.Signers[0].ID, kari); err != nil {
		t.Fatal(err)
	}
	adv := directRequest()
	adv.SignatureType = "advanced"
	j3 := e.mustCreate(b, adv)
	olaBrowser := e.browser(t)
	view := olaBrowser.idp(olaBrowser.submit(olaBrowser.get(j3.Signers[0].SigningURL), "/login", nil), olaPID, "bankid")
	olaBrowser.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")

	// Notices, recorded as the delivery worker records them.
	notices := []store.Notice{
		{Org: orgA, JobID: j1.ID, Channel: store.ChannelSMS},
		{Org: orgA, JobID: j1.ID, Channel: store.ChannelSMS},
		{Org: orgA, JobID: j1.ID, Channel: store.ChannelEmail},
		{Org: orgA, JobID: j1.ID, Channel: store.ChannelCallback},
		{Org: orgB, JobID: j3.ID, Channel: store.ChannelMailbox},
		{Org: orgB, JobID: j2.ID, Channel: store.ChannelSMS},
	}
	for i, n := range notices {
		n.Key, n.Template, n.At = fmt.Sprintf("test/%d", i), "sign-request", time.Now()
		if _, err := e.srv.Store.RecordNotice(ctx, n); err != nil {
			t.Fatal(err)
		}
	}

	month := time.Now().UTC().Format("2006-01")
	admin := e.browser(t)
	admin.adminLogin(adminPID).want(t, http.StatusOK, "Virksomheter")
	csv := admin.get("/admin/usage.csv?from=" + month + "&to=" + month)
	if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(csv.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV: %d %v", csv.status, csv.header)
	}
	want := []string{
		"org_number,org_name,month,item,count,unit_price_nok,amount_nok",
		orgA + ",Lånekassen test," + month + ",authenticated,2,1.72,3.44",
		orgA + ",Lånekassen test," + month + ",sms,2,0.40,0.80",
		orgA + ",Lånekassen test," + month + ",email,1,0.00,0.00",
		orgB + ",Innovasjon test AS," + month + ",authenticated,1,1.72,1.72",
		orgB + ",Innovasjon test AS," + month + ",advanced,1,1.99,1.99",
		orgB + ",Innovasjon test AS," + month + ",sms,1,0.40,0.40",
		orgB + ",Innovasjon test AS," + month + ",mailbox,1,0.00,0.00",
	}
	got := strings.Split(strings.TrimSuffix(csv.body, "\r\n"), "\r\n")
	if !slices.Equal(got, want) {
		t.Fatalf("CSV:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var total int64 // øre
	for _, line := range got[1:] {
		var kr, ore int64
		fmt.Sscanf(line[strings.LastIndexByte(line, ',')+1:], "%d.%d", &kr, &ore)
		total += kr*100 + ore
	}
	if total != 835 {
		t.Fatalf("the CSV amounts sum to %d øre, want 835", total)
	}

	// The page (the current month by default): per organisation and in
	// all, excluding VAT, VAT 25 % and including VAT.
	report := admin.get("/admin/usage")
	report.want(t, http.StatusOK, "Bruk og fakturagrunnlag")
	for _, want := range []string{
		`<td class="num">4,24</td>`, `<td class="num">1,06</td>`, `<td class="num">5,30</td>`, // Lånekassen
		`<td class="num">4,11</td>`, `<td class="num">1,03</td>`, `<td class="num">5,14</td>`, // Innovasjon
		"<dd>8,35</dd>", "<dd>2,09</dd>", "<dd>10,44</dd>", // all
		"Prises etter prislisten for Digital postkasse",
	} {
		if !strings.Contains(report.body, want) {
			t.Errorf("the usage page lacks %s", want)
		}
	}
	if strings.Contains(report.body, "callback") {
		t.Errorf("callbacks are on the bill")
	}
	// Another period holds nothing; a bad month is an error in the form.
	empty := admin.get("/admin/usage.csv?from=2026-01&to=2026-01")
	if month != "2026-01" && empty.body != want[0]+"\r\n" {
		t.Errorf("January 2026: %q", empty.body)
	}
	bad := admin.get("/admin/usage?from=2026-13")
	bad.want(t, http.StatusUnprocessableEntity, "Bruk og fakturagrunnlag")
	if !strings.Contains(bad.body, `<a href="#from">Skriv måneden som år og måned, for eksempel 2026-11.</a>`) {
		t.Errorf("the bad month's error is not shown:\n%s", bad.body)
	}
}

// TestAdminSeesFailedTasks: a background task that gives up (here one whose
// payload cannot be read) is listed for the central administrator with its
// error.
func TestAdminSeesFailedTasks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	payload := []byte(`{"org": "` + orgA + `", "job": "0193-broken", "signer": 7}`)
	if err := e.srv.Queue.Enqueue(ctx, "notify-signer", "broken", payload, time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the task in the dead letter", func() bool {
		dead, err := e.srv.Queue.Dead(ctx, 10)
		return err == nil && len(dead) == 1
	})
	b := e.browser(t)
	b.adminLogin(adminPID)
	page := b.get("/admin/tasks")
	page.want(t, http.StatusOK, "Feilede bakgrunnsoppgaver")
	for _, want := range []string{"notify-signer", orgA, "0193-broken", "cannot unmarshal"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestAdminSeesRenewalsDue: a completed archived job's signed document is
// listed on /admin/tasks among the renewals due (whether the sweep has
// queued it yet or not, it is due within the page's 30 days).
func TestAdminSeesRenewalsDue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now()
	n := 0
	ids := func() string { n++; return fmt.Sprintf("0193-archived-%d", n) }
	r := &job.Request{Title: "Arkiv", Flow: job.Portal, SignatureType: job.Authenticated,
		Retention: job.Retention{Archive: true, Years: 30}, Signers: []job.SignerRequest{{PID: "21909825250"}}}
	docs := []job.Document{{ID: ids(), Title: "Arkiv", FileName: "a.pdf", MediaType: "application/pdf", Size: 9,
		SHA256: "4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5"}}
	j, ev := job.New(r, orgA, "cert:1", docs, ids, now, job.DefaultLimits)
	if err := e.srv.Store.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	signed, err := j.SignBy(j.Signers[0].ID, "pid:21909825250", now, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Documents[0].Signed = job.Revision{SHA256: docs[0].SHA256, Size: 9}
	done, err := j.Complete(now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Store.SaveJob(ctx, j, append(signed, done...)); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.adminLogin(adminPID)
	page := b.get("/admin/tasks")
	page.want(t, http.StatusOK, "Feilede bakgrunnsoppgaver")
	if !strings.Contains(page.body, "Arkivfornyelser som forfaller") || !strings.Contains(page.body, j.Documents[0].ID) || !strings.Contains(page.body, j.ID) {
		t.Errorf("the page does not list the archived document %s of job %s", j.Documents[0].ID, j.ID)
	}
}

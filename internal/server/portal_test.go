package server_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/testdocs"
)

// The sender portal (/portal) end to end: browsers with cookie jars log
// in through the development ID-porten's form, send documents as a user
// would with the new-job form, and check what the pages show; the store
// and the organisation's API confirm what happened.

const larsPID = "02859824113" // administrator of orgB in --dev

// portalLogin logs in at /portal as pid with BankID (level high).
func (b *browser) portalLogin(pid string) page {
	b.t.Helper()
	start := b.get("/portal/")
	start.want(b.t, http.StatusOK, "Send dokumenter til signering")
	return b.idp(b.link(start, "Logg inn"), pid, "bankid")
}

var portalTokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// file is one document chosen in the new-job form.
type file struct {
	name, contentType string
	body              []byte
}

func pdfFile(name string) file {
	return file{name: name, contentType: "application/pdf", body: pdf100k}
}

// sendJob fills in the new-job form of page p (multipart/form-data, as a
// browser sends it) with fields and files, file i in document row i+1,
// and sends it.
func (b *browser) sendJob(p page, fields url.Values, files ...file) page {
	b.t.Helper()
	m := portalTokenRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", p.url)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", m[1])
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for i, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="document-%d-file"; filename="%s"`, i+1, f.name))
		h.Set("Content-Type", f.contentType)
		part, err := mw.CreatePart(h)
		if err != nil {
			b.t.Fatal(err)
		}
		part.Write(f.body)
	}
	mw.Close()
	req, err := http.NewRequest("POST", b.e.srv.URL+"/portal/jobs", &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.check(b.bot.Do(req))
}

// jobFields is a complete new-job form for one signer by identity number.
func jobFields(title, signerPID string) url.Values {
	return url.Values{"title": {title}, "signature_type": {"authenticated"}, "level_of_assurance": {"substantial"},
		"order": {"parallel"}, "signer-1-pid": {signerPID}}
}

func (p page) has(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Errorf("%s (%d) does not say %q", p.url, p.status, s)
		}
	}
}

func (p page) hasNot(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.body, s) {
			t.Errorf("%s (%d) says %q", p.url, p.status, s)
		}
	}
}

// jobCount is how many jobs the organisation has, as its API sees them.
func (e *env) jobCount(org string) int {
	e.t.Helper()
	list, err := e.client(org).ListJobs(context.Background(), client.ListOptions{Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(list.Jobs)
}

// The role matrix of MISSION I4: an administrator grants a colleague
// access as a sender; the sender sees only her own jobs, the
// administrator all of the organisation's; nobody sees another
// organisation's; only administrators manage users.
func TestPortalRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	// Kari is nobody's user yet: a readable refusal, not a portal.
	kari := e.browser(t)
	kari.portalLogin(kariPID).want(t, http.StatusForbidden, "Du har ikke tilgang til avsenderportalen")

	ola := e.browser(t)
	home := ola.portalLogin(olaPID)
	home.want(t, http.StatusOK, "Signeringsoppdrag")
	home.has(t, "Ola Nordmann, for Lånekassen test", "Det er ingen oppdrag her ennå.")
	users := ola.link(home, "Brukere")
	users.want(t, http.StatusOK, "Brukere")
	granted := ola.submit(users, "/portal/users", url.Values{"pid": {"038961 27682"}, "name": {"Kari Nordmann"},
		"email": {"kari@lanekassen.example"}, "role": {"sender"}})
	granted.want(t, http.StatusOK, "Brukere")
	granted.has(t, "Tilgangen er gitt.", "Kari Nordmann", kariPID)
	u, err := e.srv.Store.User(ctx, orgA, kariPID)
	if err != nil || u.Role != store.RoleSender || u.CreatedBy != "pid:"+olaPID || u.Email != "kari@lanekassen.example" {
		t.Fatalf("Kari as a user: %v %+v", err, u)
	}

	// Kari sends a job through the form; Ola one too, and the
	// organisation's case system one through the API.
	kari = e.browser(t)
	kariHome := kari.portalLogin(kariPID)
	kariHome.want(t, http.StatusOK, "Signeringsoppdrag")
	kariHome.hasNot(t, `href="/portal/users"`)
	kariJob := kari.sendJob(kari.link(kariHome, "Nytt oppdrag"), jobFields("Karis avtale", olaPID), pdfFile("avtale.pdf"))
	kariJob.want(t, http.StatusOK, "Karis avtale")
	kariJob.has(t, "Venter på signering", "avtale.pdf", olaPID, "Last ned originalen av «Karis avtale»")
	olaJob := ola.sendJob(ola.get("/portal/jobs/new"), jobFields("Olas avtale", kariPID), pdfFile("olas.pdf"))
	olaJob.want(t, http.StatusOK, "Olas avtale")
	e.mustCreate(e.client(orgA), directRequest())

	kari.get("/portal/").has(t, "Karis avtale", "0 av 1")
	kari.get("/portal/").hasNot(t, "Olas avtale", "Arbeidsavtale", "Opprettet av")
	all := ola.get("/portal/")
	all.has(t, "Karis avtale", "Olas avtale", "Arbeidsavtale", "Kari Nordmann", "Fagsystem (API)")

	// A sender reaches neither a colleague's job nor the users; another
	// organisation reaches nothing of Lånekassen's.
	kari.get(olaJob.url.Path).want(t, http.StatusNotFound, "")
	kari.get("/portal/users").want(t, http.StatusForbidden, "Bare for administratorer")
	doc := kari.link(kariJob, "Last ned originalen av «Karis avtale»")
	if doc.status != http.StatusOK || doc.header.Get("Content-Type") != "application/pdf" || doc.body != string(pdf100k) ||
		!strings.HasPrefix(doc.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download of the original: %d %v", doc.status, doc.header)
	}
	kari.get(olaJob.url.Path+"/documents/x").want(t, http.StatusNotFound, "")
	lars := e.browser(t)
	lars.portalLogin(larsPID).want(t, http.StatusOK, "Signeringsoppdrag")
	lars.get(kariJob.url.Path).want(t, http.StatusNotFound, "")
	lars.get(doc.url.Path).want(t, http.StatusNotFound, "")
	lars.get("/portal/").hasNot(t, "Karis avtale", "Olas avtale")

	// Ola cancels Kari's job (he administers); a final job has no cancel
	// button.
	cancelled := ola.submit(ola.get(kariJob.url.Path), "/cancel", nil)
	cancelled.want(t, http.StatusOK, "Karis avtale")
	cancelled.has(t, "Avbrutt")
	cancelled.hasNot(t, "/cancel")
	id := strings.TrimPrefix(kariJob.url.Path, "/portal/jobs/")
	if j, err := e.client(orgA).Job(ctx, id); err != nil || j.Status != "cancelled" {
		t.Fatalf("the cancelled job through the API: %v %+v", err, j)
	}

	// Ola deletes it now rather than when its retention ends; its
	// original is then gone for good.
	cancelled.has(t, "Slett oppdraget nå", "personopplysninger slettes ")
	deleted := ola.submit(cancelled, "/delete", nil)
	deleted.want(t, http.StatusOK, "Slettet oppdrag")
	deleted.has(t, "personopplysninger ble slettet")
	deleted.hasNot(t, "/delete", "avtale.pdf")
	ola.get(doc.url.Path).want(t, http.StatusGone, "")
	if j, err := e.client(orgA).Job(ctx, id); err != nil || j.DeletedAt == nil {
		t.Fatalf("the deleted job through the API: %v %+v", err, j)
	}

	// Roles change; nobody changes themselves; removed is removed.
	ola.submit(ola.get("/portal/users"), "/portal/users/role", url.Values{"role": {"admin"}}).has(t, "Rollen er endret.")
	kari.get("/portal/users").want(t, http.StatusOK, "Brukere")
	self := ola.submit(ola.get("/portal/users"), "/portal/users/remove", url.Values{"pid": {olaPID}})
	self.want(t, http.StatusForbidden, "Du kan ikke endre din egen tilgang")
	ola.submit(ola.get("/portal/users"), "/portal/users/remove", nil).has(t, "Tilgangen er fjernet.")
	kari.get("/portal/").want(t, http.StatusForbidden, "Du har ikke tilgang til avsenderportalen")
}

// Bad input gives the form back (422) with a readable error next to the
// field, and creates nothing.
func TestPortalBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Limits.MaxDocumentBytes = 200 << 10 })
	ola := e.browser(t)
	form := ola.link(ola.portalLogin(olaPID), "Nytt oppdrag")
	form.want(t, http.StatusOK, "Nytt signeringsoppdrag")
	with := func(f url.Values, k, v string) url.Values { f.Set(k, v); return f }
	for _, tc := range []struct {
		name   string
		fields url.Values
		files  []file
		want   string
	}{
		{"fail/not-pdf-or-text", jobFields("Avtale", olaPID), []file{{"avtale.docx", "application/msword", []byte("PK\x03\x04 word")}},
			"«avtale.docx» er verken PDF eller ren tekst"},
		{"fail/broken-pdf", jobFields("Avtale", olaPID), []file{{"avtale.pdf", "application/pdf", []byte("not a pdf")}},
			"«avtale.pdf» er ikke en PDF som kan leses"},
		{"fail/invalid-pid", jobFields("Avtale", "21909825251"), []file{pdfFile("avtale.pdf")},
			"Undertegner 1: fødselsnummeret er ikke gyldig"},
		{"fail/too-large", jobFields("Avtale", olaPID), []file{{"stor.pdf", "application/pdf", testdocs.PDF("Stor", 300_000)}},
			"«stor.pdf» er for stor. Hvert dokument kan være høyst 200 kB"},
		{"fail/no-documents", jobFields("Avtale", olaPID), nil, "Velg minst ett dokument"},
		{"fail/no-signers", jobFields("Avtale", ""), []file{pdfFile("avtale.pdf")}, "Legg til minst én undertegner"},
		{"fail/no-title", jobFields("", olaPID), []file{pdfFile("avtale.pdf")}, "Skriv en tittel"},
		{"fail/past-deadline", with(jobFields("Avtale", olaPID), "expires", "2020-01-01"), []file{pdfFile("avtale.pdf")},
			"Velg en dato fra i dag til og med"},
		{"fail/bad-mobile", with(jobFields("Avtale", ""), "signer-3-mobile", "12"), []file{pdfFile("avtale.pdf")},
			"Undertegner 3: mobilnummeret er ikke gyldig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.jobCount(orgA)
			files, size := e.diskUse()
			p := ola.sendJob(form, tc.fields, tc.files...)
			p.want(t, http.StatusUnprocessableEntity, "Nytt signeringsoppdrag")
			p.has(t, tc.want, "Det er en feil i skjemaet", "velg dokumentene på nytt", `aria-invalid="true"`)
			if !strings.Contains(p.body, `value="`+tc.fields.Get("title")+`"`) {
				t.Errorf("the form forgot the title")
			}
			if after := e.jobCount(orgA); after != before {
				t.Fatalf("%d jobs before, %d after a refused form", before, after)
			}
			if f, n := e.diskUse(); f != files || n != size {
				t.Fatalf("%d files, %d bytes on disk before; %d, %d after a refused form", files, size, f, n)
			}
		})
	}

	// Right after, a good form: two documents, signers in turn by e-mail
	// and by mobile as people type it.
	fields := url.Values{"title": {"Samtykke"}, "signature_type": {"authenticated"}, "level_of_assurance": {"high"},
		"order": {"sequential"}, "signer-1-email": {"kari@example.no"}, "signer-2-mobile": {"912 34 567"},
		"reference": {"sak 2026/17"}, "expires": {""}, "document-2-title": {"Vilkår for lånet"}}
	ok := ola.sendJob(form, fields, pdfFile("avtale.pdf"), file{"vilkår.txt", "text/plain", []byte(textDoc)})
	ok.want(t, http.StatusOK, "Samtykke")
	ok.has(t, "Én etter én", "kari@example.no", "4791234567", "vilkår.txt", "sak 2026/17", "Høyt")
	list, err := e.client(orgA).ListJobs(context.Background(), client.ListOptions{})
	if err != nil || len(list.Jobs) != 1 {
		t.Fatalf("jobs: %v %+v", err, list)
	}
	j, err := e.client(orgA).Job(context.Background(), list.Jobs[0].ID)
	if err != nil || j.Flow != "portal" || len(j.Documents) != 2 || len(j.Signers) != 2 ||
		j.Signers[0].Order != 1 || j.Signers[1].Order != 2 || j.Signers[1].Mobile != "+4791234567" || j.LevelOfAssurance != "high" {
		t.Fatalf("the job as sent: %v %+v", err, j)
	}
	// The title written for the second document; the first, untitled one
	// of two, titled after its file.
	if j.Documents[0].Title != "Avtale" || j.Documents[1].Title != "Vilkår for lånet" {
		t.Fatalf("document titles %q, %q", j.Documents[0].Title, j.Documents[1].Title)
	}
}

// A job followed to the end: the signer signs in the signer portal, and
// the sender downloads the signed document and the evidence, which
// another organisation cannot.
func TestPortalSignedJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ola := e.browser(t)
	ola.portalLogin(olaPID)
	sent := ola.sendJob(ola.get("/portal/jobs/new"), jobFields("Låneavtale", kariPID), pdfFile("lån.pdf"))
	sent.want(t, http.StatusOK, "Låneavtale")

	kari := e.browser(t)
	task := kari.link(kari.idp(kari.get("/sign/login"), kariPID, "bankid"), "Låneavtale")
	kari.submit(task, "/sign", url.Values{"confirm": {"yes"}}).want(t, http.StatusOK, "Du har signert")

	e.settled()
	done := ola.get(sent.url.Path)
	done.has(t, "Ferdig signert", "Har signert", "Kari Nordmann", "Alle har signert.")
	// The job's one document, untitled in the form, has the job's title.
	signed := ola.link(done, "Last ned ferdig signert «Låneavtale»")
	if signed.status != http.StatusOK || signed.header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(signed.body, "%PDF-") || !strings.Contains(signed.header.Get("Content-Disposition"), "signed.pdf") {
		t.Fatalf("signed download: %d %v", signed.status, signed.header)
	}
	evidence := ola.link(done, "Last ned signeringsbeviset til Kari Nordmann")
	if evidence.status != http.StatusOK || !strings.Contains(evidence.body, "SignedProperties") {
		t.Fatalf("evidence download: %d %v", evidence.status, evidence.header)
	}
	lars := e.browser(t)
	lars.portalLogin(larsPID)
	lars.get(signed.url.Path).want(t, http.StatusNotFound, "")
	lars.get(evidence.url.Path).want(t, http.StatusNotFound, "")
}

// A person who is a user of several organisations chooses whom to act
// for; one who is not refused a choice that is not theirs; a deactivated
// organisation is closed.
func TestPortalOrganisations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	lars := e.browser(t)
	users := lars.link(lars.portalLogin(larsPID), "Brukere")
	lars.submit(users, "/portal/users", url.Values{"pid": {olaPID}, "name": {"Ola Nordmann"}, "role": {"sender"}}).
		has(t, "Tilgangen er gitt.")
	orgBName := orgName(t, e, orgB)

	ola := e.browser(t)
	choice := ola.portalLogin(olaPID)
	choice.want(t, http.StatusOK, "Velg virksomhet")
	choice.has(t, "Lånekassen test", orgBName)
	other := ola.submit(choice, "/portal/org", url.Values{"org": {orgB}})
	other.want(t, http.StatusOK, "Signeringsoppdrag")
	other.has(t, "Ola Nordmann, for "+orgBName, "Bytt virksomhet")
	other.hasNot(t, `href="/portal/users"`)
	ola.submit(ola.get("/portal/org"), "/portal/org", url.Values{"org": {"974760673"}}).want(t, http.StatusForbidden, "Du har ikke tilgang til avsenderportalen")

	o, err := e.srv.Store.Org(ctx, orgB)
	if err != nil {
		t.Fatal(err)
	}
	o.Active = false
	if err := e.srv.Store.PutOrg(ctx, testBy, o); err != nil {
		t.Fatal(err)
	}
	ola.get("/portal/").want(t, http.StatusForbidden, "Virksomheten kan ikke bruke segl nå")
	ola.submit(ola.get("/portal/org"), "/portal/org", url.Values{"org": {orgA}}).want(t, http.StatusOK, "Signeringsoppdrag")
}

func orgName(t *testing.T, e *env, number string) string {
	t.Helper()
	o, err := e.srv.Store.Org(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return o.Name
}

// TestPortalLoginTooLow: a MinID login to the portal ends on a page at a
// URL of its own (not the spent callback with its code) that says the
// portal needs the high level and which eIDs give it, in the portal's
// words ("oppdrag" is the signer's), and logs in again from there
// (issue 14 item 9).
func TestPortalLoginTooLow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser(t)
	start := b.get("/portal/")
	page := b.idp(b.link(start, "Logg inn"), olaPID, "minid")
	page.want(t, http.StatusForbidden, "Avsenderportalen krever høyt sikkerhetsnivå")
	page.has(t, "BankID, Buypass eller Commfides", `href="/portal/login"`)
	page.hasNot(t, "Oppdraget", "oppdraget")
	if page.url.Path != "/portal/login/failed" || page.url.Query().Has("code") {
		t.Fatalf("the page is at %s", page.url)
	}
	// Reloading it explains again; it does not turn into "login expired".
	b.get(page.url.String()).want(t, http.StatusForbidden, "Avsenderportalen krever høyt sikkerhetsnivå")
	// No session was left: the portal still asks for a login.
	b.get("/portal/jobs/new").want(t, http.StatusUnauthorized, "")
	again := b.idp(b.link(page, "Logg inn på høyt sikkerhetsnivå"), olaPID, "bankid")
	again.want(t, http.StatusOK, "Signeringsoppdrag")
}

// The portal's list at volume: a table of reference, title, signers,
// status, dates; a search in titles, references and signers' names in
// any case; a status filter; sorting; pages whose links keep all of it.
// No identity number is shown on the list.
func TestPortalJobList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	api := e.client(orgA)
	for i := range 26 {
		req := directRequest()
		req.Reference = fmt.Sprintf("sak 2026/%d", i+1)
		e.mustCreate(api, req)
	}
	odd := directRequest()
	odd.Title, odd.Reference = "Leieavtale for Øvre Ås", "ØK-9"
	leie := e.mustCreate(api, odd)
	if _, err := api.CancelJob(context.Background(), leie.ID); err != nil {
		t.Fatal(err)
	}

	ola := e.browser(t)
	list := ola.portalLogin(olaPID)
	list.has(t, "Alle oppdrag: 27, side 1 av 2", `<th scope="col" aria-sort="descending"><a href="/portal/?dir=asc&amp;sort=created">Opprettet`,
		"Leieavtale for Øvre Ås", "ØK-9", "Avbrutt", "født 21. oktober 1998", "Fagsystem (API)", "Neste side")
	list.hasNot(t, "21909825250", "sak 2026/1<")
	if n := strings.Count(list.body, `<tr>`); n != 26 { // the header's and 25 jobs
		t.Errorf("%d table rows on a page", n)
	}

	found := ola.get("/portal/?q=" + url.QueryEscape("øvre ÅS"))
	found.has(t, "Oppdrag som passer: 1, side 1 av 1", "Leieavtale for Øvre Ås")
	found.hasNot(t, "sak 2026/", "Neste side")
	ola.get("/portal/?q=ingenting+slikt").has(t, "Ingen oppdrag passer med søket.")
	ola.get("/portal/?status=cancelled").has(t, "Oppdrag som passer: 1,", "Leieavtale for Øvre Ås")

	// Searched, filtered and sorted by title, two pages: the next page's
	// link keeps the search, the filter and the sort.
	sorted := ola.get("/portal/?q=arbeidsavtale&status=active&sort=title&dir=asc")
	sorted.has(t, "Oppdrag som passer: 26, side 1 av 2", `<th scope="col" aria-sort="ascending"><a href="/portal/?`)
	sorted.hasNot(t, "Leieavtale")
	next := ola.link(sorted, "Neste side")
	if q := next.url.Query(); q.Get("q") != "arbeidsavtale" || q.Get("status") != "active" || q.Get("sort") != "title" ||
		q.Get("dir") != "asc" || q.Get("page") != "2" {
		t.Fatalf("the next page's link: %s", next.url)
	}
	next.has(t, "Oppdrag som passer: 26, side 2 av 2", "Forrige side")
	past := ola.get("/portal/?q=arbeidsavtale&page=9")
	past.has(t, "Oppdrag som passer: 26, side 2 av 2")
	if past.url.Query().Get("page") != "2" {
		t.Errorf("a page past the end went to %s", past.url)
	}
	if n := strings.Count(next.body, `<tr>`); n != 2 {
		t.Errorf("%d table rows on the last page", n)
	}
}

package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/asice"
	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/server"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/validate"
	"github.com/segl/segl/internal/xades"
)

// Posten's signature API, driven by a client of our own that speaks as
// Posten's Java and .NET client libraries do (../shared/reference/
// posten-api.md): multipart/mixed parts found by content type, with no
// names (Java) or with Content-Disposition: attachment (.NET); the root URL
// ending in /api; a bare ?polling_queue for the default queue (Java); an
// empty body to ask for a new redirect URL (.NET). Every XML message either
// side produces is validated against Posten's schemas with xmllint.

const postenXSD = "../postenapi/testdata/posten-signature-api/xsd/direct-and-portal.xsd"

type postenStyle int

const (
	javaStyle postenStyle = iota
	dotnetStyle
)

// postenClient is one organisation's integration.
type postenClient struct {
	t     *testing.T
	http  *http.Client
	root  string // as the Java client's ServiceEnvironment: ends in /api
	org   string
	sign  xades.SignOptions
	style postenStyle
	// invalidOnPurpose skips the check of the request XML the clients make
	// before sending, to send XML that breaks the schema.
	invalidOnPurpose bool
}

func (e *env) posten(t *testing.T, org string, style postenStyle) *postenClient {
	t.Helper()
	certPEM, keyPEM := filepath.Join(e.data, "pki", "clients", org+".pem"), filepath.Join(e.data, "pki", "clients", org+".key")
	pair, err := tls.LoadX509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.LoadSigner(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pki.LoadCertificates(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{pair},
		RootCAs: e.srv.Dev.Roots(), MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	sign := xades.SignOptions{Signer: key, Certificate: certs[0], Chain: certs[1:]}
	if style == dotnetStyle {
		sign.Chain = nil // .NET's KeyInfo holds the leaf alone (X509IncludeOption.EndCertOnly)
	}
	return &postenClient{t: t, http: &http.Client{Transport: tr}, root: e.srv.URL + "/api", org: org, sign: sign, style: style}
}

type postenResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request and validates any XML that comes back.
func (p *postenClient) do(method, target, contentType string, body []byte) postenResponse {
	p.t.Helper()
	if !strings.HasPrefix(target, "https://") {
		target = p.root + target
	}
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/xml")
	req.Header.Set("User-Agent", "posten-signature-api-client-java/7.0.7 (segl test)")
	resp, err := p.http.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") && rootNamespace(out) != xadesNS {
		testtool.SchemaValid(p.t, postenXSD, out)
	}
	return postenResponse{status: resp.StatusCode, header: resp.Header, body: out}
}

// xadesNS is the namespace of a signer's XAdES, the one XML download that
// is not a message of Posten's schemas.
const xadesNS = "http://www.w3.org/2000/09/xmldsig#"

func rootNamespace(doc []byte) string {
	var root struct{ XMLName xml.Name }
	xml.Unmarshal(doc, &root)
	return root.XMLName.Space
}

func (r postenResponse) want(t *testing.T, status int) postenResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %d, want %d\n%s", r.status, status, r.body)
	}
	return r
}

func (r postenResponse) decode(t *testing.T, v any) {
	t.Helper()
	if err := xml.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%v\n%s", err, r.body)
	}
}

// wantError asserts an <error> with the code, as the clients read it.
func (r postenResponse) wantError(t *testing.T, status int, code string) {
	t.Helper()
	var e struct {
		Code, Message, Type string
	}
	e.Code = "?"
	if r.status == status && strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		var x struct {
			Code    string `xml:"error-code"`
			Message string `xml:"error-message"`
			Type    string `xml:"error-type"`
		}
		xml.Unmarshal(r.body, &x)
		e.Code, e.Message, e.Type = x.Code, x.Message, x.Type
	}
	if r.status != status || e.Code != code || e.Type != "CLIENT" {
		t.Fatalf("got %d %s, want %d %s\n%s", r.status, e.Code, status, code, r.body)
	}
}

// bundle makes the ASiC-E as the clients do, signed with the
// organisation's enterprise certificate.
func (p *postenClient) bundle(manifest string, docs []xades.ASiCFile) []byte {
	p.t.Helper()
	testtool.SchemaValid(p.t, postenXSD, []byte(manifest))
	var buf bytes.Buffer
	if err := asice.Write(&buf, docs, []byte(manifest), p.sign, time.Now()); err != nil {
		p.t.Fatal(err)
	}
	return buf.Bytes()
}

// create posts a job (F1, F2).
func (p *postenClient) create(flow, request string, bundle []byte) postenResponse {
	p.t.Helper()
	if !p.invalidOnPurpose {
		testtool.SchemaValid(p.t, postenXSD, []byte(request))
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct {
		contentType string
		content     []byte
	}{{"application/xml", []byte(request)}, {"application/octet-stream", bundle}} {
		h := textproto.MIMEHeader{"Content-Type": {part.contentType}}
		if p.style == dotnetStyle {
			h.Set("Content-Disposition", "attachment")
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			p.t.Fatal(err)
		}
		w.Write(part.content)
	}
	mw.Close()
	return p.do("POST", "/"+p.org+"/"+flow+"/signature-jobs", "multipart/mixed; boundary="+mw.Boundary(), body.Bytes())
}

// poll asks a queue for a change (F3, F4): Java sends a bare
// ?polling_queue for the default queue, .NET nothing.
func (p *postenClient) poll(flow, queue string) postenResponse {
	p.t.Helper()
	target := "/" + p.org + "/" + flow + "/signature-jobs"
	switch {
	case queue != "":
		target += "?polling_queue=" + url.QueryEscape(queue)
	case p.style == javaStyle:
		target += "?polling_queue"
	}
	r := p.do("GET", target, "", nil)
	if r.status == http.StatusOK || r.status == http.StatusNoContent || r.status == http.StatusTooManyRequests {
		// Java parses the header with ISO_DATE_TIME and fails without it.
		if _, err := time.Parse(time.RFC3339Nano, r.header.Get("X-Next-permitted-poll-time")); err != nil {
			p.t.Fatalf("poll %d: X-Next-permitted-poll-time %q: %v", r.status, r.header.Get("X-Next-permitted-poll-time"), err)
		}
	}
	return r
}

// The client's view of the responses, as JAXB or XmlSerializer reads them.
type directJobResponse struct {
	ID        int64  `xml:"signature-job-id"`
	StatusURL string `xml:"status-url"`
	Signers   []struct {
		Href        string `xml:"href,attr"`
		PID         string `xml:"personal-identification-number"`
		RedirectURL string `xml:"redirect-url"`
	} `xml:"signer"`
}

type signerURL struct {
	Signer string `xml:"signer,attr"`
	URL    string `xml:",chardata"`
}

type directStatus struct {
	ID                 int64       `xml:"signature-job-id"`
	Status             string      `xml:"signature-job-status"`
	Signers            []signerURL `xml:"status"`
	ConfirmationURL    string      `xml:"confirmation-url"`
	XAdES              []signerURL `xml:"xades-url"`
	PAdES              string      `xml:"pades-url"`
	DeleteDocumentsURL string      `xml:"delete-documents-url"`
}

type portalStatus struct {
	ID              int64  `xml:"signature-job-id"`
	Status          string `xml:"status"`
	ConfirmationURL string `xml:"confirmation-url"`
	CancellationURL string `xml:"cancellation-url"`
	Signatures      []struct {
		Status string `xml:"status"`
		PID    string `xml:"personal-identification-number"`
		XAdES  string `xml:"xades-url"`
	} `xml:"signatures>signature"`
	PAdES string `xml:"signatures>pades-url"`
}

func postenDocs() []xades.ASiCFile {
	return []xades.ASiCFile{{Name: "0000_arbeidsavtale.pdf", MediaType: "application/pdf", Content: pdf100k}}
}

const directJobXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<direct-signature-job-request xmlns="http://signering.posten.no/schema/v1">
    <reference>case-2026-17</reference>
    <exit-urls>
        <completion-url>https://sender.example/ok</completion-url>
        <rejection-url>https://sender.example/no</rejection-url>
        <error-url>https://sender.example/err</error-url>
    </exit-urls>
    <status-retrieval-method>WAIT_FOR_CALLBACK</status-retrieval-method>
</direct-signature-job-request>`

func directManifestXML(org string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<direct-signature-job-manifest xmlns="http://signering.posten.no/schema/v1">
    <signer><personal-identification-number>` + olaPID + `</personal-identification-number></signer>
    <signer><personal-identification-number>` + kariPID + `</personal-identification-number></signer>
    <sender><organization-number>` + org + `</organization-number></sender>
    <title>Arbeidsavtale</title>
    <description>Signer arbeidsavtalen</description>
    <documents>
        <document href="0000_arbeidsavtale.pdf" mime="application/pdf"><title>Kontrakt</title></document>
    </documents>
    <identifier-in-signed-documents>PERSONAL_IDENTIFICATION_NUMBER_AND_NAME</identifier-in-signed-documents>
</direct-signature-job-manifest>`
}

func portalJobXML(queue string) string {
	q := ""
	if queue != "" {
		q = "<polling-queue>" + queue + "</polling-queue>"
	}
	return `<?xml version="1.0" encoding="UTF-8"?><portal-signature-job-request xmlns="http://signering.posten.no/schema/v1"><reference>leie-17</reference>` + q + `</portal-signature-job-request>`
}

func portalManifestXML(org, title string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<portal-signature-job-manifest xmlns="http://signering.posten.no/schema/v1">
    <signers>
        <signer order="1">
            <personal-identification-number>` + olaPID + `</personal-identification-number>
            <notifications><email address="ola@example.test"/><sms number="91234567"/></notifications>
        </signer>
        <signer order="2">
            <personal-identification-number>` + kariPID + `</personal-identification-number>
            <notifications><email address="kari@example.test"/></notifications>
        </signer>
    </signers>
    <sender><organization-number>` + org + `</organization-number></sender>
    <title>` + title + `</title>
    <documents>
        <document href="0000_arbeidsavtale.pdf" mime="application/pdf"><title>Kontrakt</title></document>
    </documents>
    <availability><available-seconds>864000</available-seconds></availability>
</portal-signature-job-manifest>`
}

// checkPAdES downloads the PAdES, checks it with tools we did not write,
// and returns it.
func (p *postenClient) checkPAdES(e *env, padesURL string, signatures int) []byte {
	p.t.Helper()
	t := p.t
	r := p.do("GET", padesURL, "", nil).want(t, http.StatusOK)
	rep, err := validate.PDF(bytes.NewReader(r.body), int64(len(r.body)), validate.Options{Roots: e.srv.Dev.Roots()})
	if err != nil || !rep.Passed() || len(rep.Signatures) != signatures {
		t.Fatalf("PAdES: %v %+v", err, rep)
	}
	f := filepath.Join(t.TempDir(), "pades.pdf")
	os.WriteFile(f, r.body, 0o600)
	for _, tool := range []string{"pdfsig", "qpdf"} {
		if _, err := exec.LookPath(tool); err != nil {
			testtool.Missing(t, "%s not installed", tool)
		}
	}
	out, _ := exec.Command("pdfsig", "-nssdir", nssdb(t, e.data), f).CombinedOutput()
	if !strings.Contains(string(out), "Signature is Valid.") || strings.Contains(string(out), "Signature is Invalid") {
		t.Fatalf("pdfsig:\n%s", out)
	}
	if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	return r.body
}

// checkXAdES downloads a signer's XAdES and checks it with xmlsec1.
func (p *postenClient) checkXAdES(e *env, xadesURL string) {
	p.t.Helper()
	t := p.t
	r := p.do("GET", xadesURL, "", nil).want(t, http.StatusOK)
	if _, err := xades.Verify(r.body); err != nil {
		t.Fatalf("xades: %v", err)
	}
	if _, err := exec.LookPath("xmlsec1"); err != nil {
		testtool.Missing(t, "xmlsec1 not installed")
	}
	f := filepath.Join(t.TempDir(), "xades.xml")
	os.WriteFile(f, r.body, 0o600)
	out, err := exec.Command("xmlsec1", "--verify", "--trusted-pem", filepath.Join(e.data, "pki", "root-ca.pem"),
		"--id-attr:Id", "urn:segl:evidence:1:Evidence",
		"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", f).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("xmlsec1: %v\n%s", err, out)
	}
}

// A direct job with two signers, as the Java client runs it: create,
// redirect each signer through the real signer pages, status by the token
// the exit URL receives, a new redirect URL, XAdES and PAdES, confirm.
func TestPostenDirectJobJava(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, javaStyle)

	who := p.do("GET", "/"+orgA, "", nil).want(t, http.StatusOK)
	if string(who.body) != "You are "+orgA {
		t.Fatalf("root resource: %q", who.body)
	}

	var created directJobResponse
	p.create("direct", directJobXML, p.bundle(directManifestXML(orgA), postenDocs())).want(t, http.StatusOK).decode(t, &created)
	if created.ID <= 0 || created.StatusURL == "" || len(created.Signers) != 2 || created.Signers[0].PID != olaPID {
		t.Fatalf("created %+v", created)
	}
	// The job is segl's one job: /api/v1 lists it.
	list, err := e.client(orgA).ListJobs(t.Context(), client.ListOptions{})
	if err != nil || len(list.Jobs) != 1 || list.Jobs[0].Title != "Arbeidsavtale" || list.Jobs[0].Flow != "direct" {
		t.Fatalf("/api/v1 sees %+v, %v", list, err)
	}

	ola := e.browser(t)
	view := ola.login(created.Signers[0].RedirectURL, olaPID, "bankid")
	view.want(t, 200, "Arbeidsavtale")
	token1 := ola.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")

	var st directStatus
	p.do("GET", created.StatusURL+"?status_query_token="+url.QueryEscape(token1), "", nil).want(t, http.StatusOK).decode(t, &st)
	if st.ID != created.ID || st.Status != "IN_PROGRESS" || len(st.Signers) != 2 || st.Signers[0].URL != "SIGNED" ||
		st.Signers[0].Signer != olaPID || st.Signers[1].URL != "WAITING" || len(st.XAdES) != 1 || st.XAdES[0].Signer != olaPID {
		t.Fatalf("status after Ola: %+v", st)
	}
	p.do("GET", created.StatusURL+"?status_query_token="+url.QueryEscape(token1+"0"), "", nil).
		wantError(t, http.StatusForbidden, "INVALID_STATUS_QUERY_TOKEN")

	// Java asks for a new redirect URL with the update request.
	var signer struct {
		PID         string `xml:"personal-identification-number"`
		RedirectURL string `xml:"redirect-url"`
	}
	p.do("POST", created.Signers[1].Href, "application/xml",
		[]byte(`<direct-signer-update-request xmlns="http://signering.posten.no/schema/v1"><redirect-url/></direct-signer-update-request>`)).
		want(t, http.StatusOK).decode(t, &signer)
	if signer.PID != kariPID || signer.RedirectURL == "" {
		t.Fatalf("new redirect URL: %+v", signer)
	}

	kari := e.browser(t)
	view2 := kari.login(signer.RedirectURL, kariPID, "bankid")
	token2 := kari.submit(view2, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	e.settled()
	st = directStatus{} // Unmarshal appends to slices
	p.do("GET", created.StatusURL+"?status_query_token="+url.QueryEscape(token2), "", nil).want(t, http.StatusOK).decode(t, &st)
	if st.Status != "COMPLETED_SUCCESSFULLY" || len(st.XAdES) != 2 || st.PAdES == "" || st.ConfirmationURL == "" {
		t.Fatalf("status after Kari: %+v", st)
	}
	for _, x := range st.XAdES {
		p.checkXAdES(e, x.URL)
	}
	p.checkPAdES(e, st.PAdES, 3)
	p.do("POST", st.ConfirmationURL, "", nil).want(t, http.StatusOK)

	// The sender deletes the documents early, as Java's deleteDocuments
	// does: they are gone from segl's API too, and deleting again is fine.
	if st.DeleteDocumentsURL == "" {
		t.Fatalf("no delete-documents-url on a completed job: %+v", st)
	}
	p.do("DELETE", st.DeleteDocumentsURL, "", nil).want(t, http.StatusOK)
	p.do("DELETE", st.DeleteDocumentsURL, "", nil).want(t, http.StatusOK)
	p.do("GET", st.PAdES, "", nil).want(t, http.StatusGone)
	p.do("GET", st.XAdES[0].URL, "", nil).want(t, http.StatusGone)
}

// A portal job with two signers in order, as the .NET client runs it:
// parts with Content-Disposition, a named polling queue, signing in the
// portal, polling to completion, downloads, confirm; then an empty queue
// (204), polling too early (429), and cancelling too late (409).
func TestPostenPortalJobDotnet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, dotnetStyle)
	const queue = "avdeling-øst"
	var created struct {
		ID              int64  `xml:"signature-job-id"`
		CancellationURL string `xml:"cancellation-url"`
	}
	p.create("portal", portalJobXML(queue), p.bundle(portalManifestXML(orgA, "Leieavtale"), postenDocs())).
		want(t, http.StatusOK).decode(t, &created)
	if created.ID <= 0 || created.CancellationURL == "" {
		t.Fatalf("created %+v", created)
	}
	// Nothing in the default queue: the job is in its own.
	p.poll("portal", "").want(t, http.StatusNoContent)

	var st portalStatus
	p.poll("portal", queue).want(t, http.StatusOK).decode(t, &st)
	if st.ID != created.ID || st.Status != "IN_PROGRESS" || len(st.Signatures) != 2 || st.Signatures[0].Status != "WAITING" {
		t.Fatalf("first poll: %+v", st)
	}
	p.do("POST", st.ConfirmationURL, "", nil).want(t, http.StatusOK)

	for _, person := range []string{olaPID, kariPID} {
		b := e.browser(t)
		home := b.get("/sign/")
		tasks := b.idp(b.link(home, "Logg inn"), person, "bankid")
		view := b.link(tasks, "Leieavtale")
		b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).want(t, 200, "Du har signert")
	}

	e.settled()
	st = portalStatus{} // Unmarshal appends to slices
	p.poll("portal", queue).want(t, http.StatusOK).decode(t, &st)
	if st.Status != "COMPLETED_SUCCESSFULLY" || st.Signatures[0].Status != "SIGNED" || st.Signatures[1].Status != "SIGNED" ||
		st.Signatures[1].XAdES == "" || st.PAdES == "" || st.CancellationURL != "" {
		t.Fatalf("after signing: %+v", st)
	}
	for _, s := range st.Signatures {
		p.checkXAdES(e, s.XAdES)
	}
	p.checkPAdES(e, st.PAdES, 3)
	p.do("POST", st.ConfirmationURL, "", nil).want(t, http.StatusOK)

	empty := p.poll("portal", queue).want(t, http.StatusNoContent)
	if len(empty.body) != 0 {
		t.Fatalf("204 with a body: %q", empty.body)
	}
	early := p.poll("portal", queue).want(t, http.StatusTooManyRequests)
	if early.header.Get("X-Next-permitted-poll-time") != empty.header.Get("X-Next-permitted-poll-time") {
		t.Fatalf("429 names another time than the 204: %v %v", early.header, empty.header)
	}
	p.do("POST", created.CancellationURL, "", nil).wantError(t, http.StatusConflict, "JOB_COMPLETED")
}

// .NET asks for a new redirect URL with an empty body; a portal job is
// cancelled with 200 (not 204: .NET before 10.0.2 refuses 204).
func TestPostenRedirectURLAndCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, dotnetStyle)
	var created directJobResponse
	p.create("direct", directJobXML, p.bundle(directManifestXML(orgA), postenDocs())).want(t, http.StatusOK).decode(t, &created)
	var signer struct {
		RedirectURL string `xml:"redirect-url"`
	}
	p.do("POST", created.Signers[0].Href, "", nil).want(t, http.StatusOK).decode(t, &signer)
	if signer.RedirectURL != created.Signers[0].RedirectURL {
		t.Fatalf("redirect URL %q, want %q", signer.RedirectURL, created.Signers[0].RedirectURL)
	}

	var portal struct {
		CancellationURL string `xml:"cancellation-url"`
	}
	p.create("portal", portalJobXML(""), p.bundle(portalManifestXML(orgA, "Kjøpekontrakt"), postenDocs())).
		want(t, http.StatusOK).decode(t, &portal)
	cancelled := p.do("POST", portal.CancellationURL, "", nil).want(t, http.StatusOK)
	if len(cancelled.body) != 0 {
		t.Fatalf("cancel answered %q", cancelled.body)
	}
	var st portalStatus
	p.poll("portal", "").want(t, http.StatusOK).decode(t, &st)
	if st.Status != "FAILED" || st.Signatures[0].Status != "CANCELLED" {
		t.Fatalf("after cancelling: %+v", st)
	}
}

// Bad input gets the documented error and creates nothing.
func TestPostenBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, javaStyle)
	good := p.bundle(directManifestXML(orgA), postenDocs())

	// The document changed after the sender signed the bundle.
	tampered := replaceEntry(t, good, "0000_arbeidsavtale.pdf", append(bytes.Clone(pdf100k), '\n'))
	wrongDocs := postenDocs()
	wrongDocs[0].Name = "0001_annet.pdf"
	otherOrg := e.posten(t, orgB, javaStyle)

	for _, tc := range []struct {
		name   string
		do     func() postenResponse
		status int
		code   string
	}{
		{"fail/tampered-bundle", func() postenResponse { return p.create("direct", directJobXML, tampered) },
			http.StatusBadRequest, "INVALID_DOCUMENT_BUNDLE_SIGNATURE"},
		{"fail/not-a-bundle", func() postenResponse { return p.create("direct", directJobXML, pdf100k) },
			http.StatusBadRequest, "INVALID_DOCUMENT_BUNDLE"},
		{"fail/manifest-disagrees-with-documents", func() postenResponse {
			return p.create("direct", directJobXML, p.bundle(directManifestXML(orgA), wrongDocs))
		}, http.StatusBadRequest, "MANIFEST_MISMATCH"},
		{"fail/bundle-signed-by-another-organisation", func() postenResponse {
			return p.create("direct", directJobXML, otherOrg.bundle(directManifestXML(orgA), postenDocs()))
		}, http.StatusBadRequest, "INVALID_DOCUMENT_BUNDLE_SIGNATURE"},
		{"fail/xml-breaks-the-schema", func() postenResponse {
			p.invalidOnPurpose = true
			defer func() { p.invalidOnPurpose = false }()
			return p.create("direct", strings.Replace(directJobXML, "<reference>", "<referanse>x</referanse><reference>", 1), good)
		}, http.StatusBadRequest, "SCHEMA_VALIDATION_ERROR"},
		{"fail/manifest-sender-is-another-organisation", func() postenResponse {
			return p.create("direct", directJobXML, p.bundle(directManifestXML(orgB), postenDocs()))
		}, http.StatusBadRequest, "SENDER_MISMATCH"},
		{"fail/unknown-organisation-in-url", func() postenResponse {
			return p.do("GET", "/999999999/portal/signature-jobs", "", nil)
		}, http.StatusForbidden, "BROKER_NOT_AUTHORIZED"},
		{"fail/not-an-organisation-number", func() postenResponse {
			return p.do("GET", "/v2", "", nil)
		}, http.StatusNotFound, "NOT_FOUND"},
		{"fail/unknown-path-under-an-organisation", func() postenResponse {
			return p.do("GET", "/"+orgA+"/direct/signature-jobs/1/no-such-thing", "", nil)
		}, http.StatusNotFound, "NOT_FOUND"},
		{"fail/wrong-method-on-a-known-path", func() postenResponse {
			r := p.do("PUT", "/"+orgA+"/direct/signature-jobs", "application/xml", []byte("<x/>"))
			if got := r.header.Get("Allow"); got != "GET, HEAD, POST" {
				p.t.Errorf("Allow: %q, want the methods the path takes", got)
			}
			return r
		}, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{"fail/wrong-method-on-the-connection-check", func() postenResponse {
			r := p.do("POST", "/"+orgA, "", nil)
			if got := r.header.Get("Allow"); got != "GET, HEAD" {
				p.t.Errorf("Allow: %q, want the methods the path takes", got)
			}
			return r
		}, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{"fail/organisation-not-onboarded", func() postenResponse {
			e.clientFor("974760673", "Ikke kunde AS")
			return e.posten(t, "974760673", javaStyle).do("GET", "/310000001", "", nil)
		}, http.StatusForbidden, "NOT_AUTHORIZED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.t = t
			tc.do().wantError(t, tc.status, tc.code)
		})
	}
	// /api/v1 keeps its own problem+json for the paths it does not have.
	for _, path := range []string{"/v1/no-such-thing", "/v2/x"} {
		r := p.do("GET", path, "", nil).want(t, http.StatusNotFound)
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: Content-Type %q, want /api/v1's problem+json", path, ct)
		}
	}
	list, err := e.client(orgA).ListJobs(t.Context(), client.ListOptions{})
	if err != nil || len(list.Jobs) != 0 {
		t.Fatalf("bad input created %+v (%v)", list, err)
	}
}

// replaceEntry rewrites a ZIP with one entry's content replaced.
func replaceEntry(t *testing.T, in []byte, name string, content []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == name {
			data = content
		}
		w, _ := zw.Create(f.Name)
		w.Write(data)
	}
	zw.Close()
	return out.Bytes()
}

// A direct signer named only by the sender's signer-identifier, in a job
// followed by polling: whoever the sender sends to the redirect URL logs
// in and signs, with no one-time code, and the statuses name the signer as
// the sender did.
func TestPostenDirectSignerIdentifierPolling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, javaStyle)
	request := strings.Replace(directJobXML, "WAIT_FOR_CALLBACK", "POLLING", 1)
	manifest := strings.Replace(directManifestXML(orgA),
		"<signer><personal-identification-number>"+olaPID+"</personal-identification-number></signer>\n", "", 1)
	manifest = strings.Replace(manifest, "<personal-identification-number>"+kariPID+"</personal-identification-number>",
		"<signer-identifier>kunde 1337</signer-identifier>", 1)
	var created struct {
		StatusURL string `xml:"status-url"`
		Signers   []struct {
			Identifier  string `xml:"signer-identifier"`
			RedirectURL string `xml:"redirect-url"`
		} `xml:"signer"`
	}
	p.create("direct", request, p.bundle(manifest, postenDocs())).want(t, http.StatusOK).decode(t, &created)
	if created.StatusURL != "" || len(created.Signers) != 1 || created.Signers[0].Identifier != "kunde 1337" {
		t.Fatalf("created %+v", created)
	}

	kari := e.browser(t)
	view := kari.login(created.Signers[0].RedirectURL, kariPID, "bankid")
	view.want(t, 200, "Arbeidsavtale")
	kari.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	e.settled()

	var st directStatus
	p.poll("direct", "").want(t, http.StatusOK).decode(t, &st)
	if st.Status != "COMPLETED_SUCCESSFULLY" || st.Signers[0].Signer != "kunde 1337" || st.Signers[0].URL != "SIGNED" ||
		len(st.XAdES) != 1 || st.XAdES[0].Signer != "kunde 1337" {
		t.Fatalf("status %+v", st)
	}
	p.do("POST", st.ConfirmationURL, "", nil).want(t, http.StatusOK)
	p.poll("direct", "").want(t, http.StatusNoContent)
}

// A broker acts for an organisation only while the central administrator
// says so on the organisation's page: before, it is refused and nothing is
// created; allowed, its job is the organisation's (its API, its portal,
// naming the broker as creator and in the audit log), with the bundle
// signed by the broker's certificate or the organisation's own; revoked,
// it is refused at its next request.
func TestPostenBroker(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	broker := e.posten(t, orgB, javaStyle)
	broker.org = orgA // orgB's certificate, orgA's URLs
	own := e.posten(t, orgA, javaStyle)
	e.clientFor("974760673", "Ukjent megler AS")
	stranger := e.posten(t, "974760673", javaStyle)

	create := func(signer *postenClient) postenResponse {
		return broker.create("portal", portalJobXML("megler"), signer.bundle(portalManifestXML(orgA, "Meglet avtale"), postenDocs()))
	}
	broker.do("GET", "/"+orgA, "", nil).wantError(t, http.StatusForbidden, "BROKER_NOT_AUTHORIZED")
	create(broker).wantError(t, http.StatusForbidden, "BROKER_NOT_AUTHORIZED")
	if n := e.jobCount(orgA); n != 0 {
		t.Fatalf("a refused broker created %d jobs", n)
	}

	admin := e.browser(t)
	admin.adminLogin(adminPID).want(t, http.StatusOK, "Virksomheter")
	submitBrokers := func(brokers string) page {
		t.Helper()
		return admin.submit(admin.get("/admin/orgs/"+orgA), "/admin/orgs/"+orgA, url.Values{"name": {"Lånekassen test"},
			"types": {"authenticated", "advanced"}, "contact": {"post@lanekassen.example"}, "brokers": {brokers}})
	}
	setBrokers := func(brokers string) {
		t.Helper()
		submitBrokers(brokers).want(t, http.StatusOK, "Lånekassen test")
	}
	// A broker must be onboarded itself: the form says so and keeps nothing.
	refused := submitBrokers(orgB + ", 974760673")
	refused.want(t, http.StatusUnprocessableEntity, "Lånekassen test")
	refused.has(t, "Alle meglere må være registrerte virksomheter.")
	if o, _ := e.srv.Store.Org(ctx, orgA); len(o.Brokers) != 0 {
		t.Fatalf("a refused form saved brokers: %+v", o)
	}
	setBrokers(orgB)
	if o, _ := e.srv.Store.Org(ctx, orgA); !o.AllowsBroker(orgB) {
		t.Fatalf("brokers not saved: %+v", o)
	}

	who := broker.do("GET", "/"+orgA, "", nil).want(t, http.StatusOK)
	if want := "You are " + orgB + ", operating on behalf of " + orgA; string(who.body) != want {
		t.Fatalf("root resource %q, want %q", who.body, want)
	}
	// The broker signs the bundle with its own certificate, or has the
	// sender sign it; a third party's signature is refused.
	create(stranger).wantError(t, http.StatusBadRequest, "INVALID_DOCUMENT_BUNDLE_SIGNATURE")
	create(broker).want(t, http.StatusOK)
	create(own).want(t, http.StatusOK)

	list, err := e.client(orgA).ListJobs(ctx, client.ListOptions{})
	if err != nil || len(list.Jobs) != 2 || list.Jobs[0].Title != "Meglet avtale" {
		t.Fatalf("orgA's API sees %+v, %v", list, err)
	}
	if n := e.jobCount(orgB); n != 0 {
		t.Fatalf("the broker's own organisation has %d jobs", n)
	}
	j, err := e.srv.Store.Job(ctx, orgA, list.Jobs[0].ID)
	if err != nil || !strings.HasPrefix(j.Creator, "broker:"+orgB+"/cert:") {
		t.Fatalf("job creator %q, %v", j.Creator, err)
	}
	var created []string
	err = e.srv.Store.AuditRecords(ctx, 0, func(r audit.Record) error {
		if r.Action == "job.created" {
			created = append(created, r.Org+" "+r.Actor)
		}
		return nil
	})
	if err != nil || len(created) != 2 || created[0] != orgA+" "+j.Creator {
		t.Fatalf("audit of the creations: %v, %v", created, err)
	}
	ola := e.browser(t)
	home := ola.portalLogin(olaPID)
	home.want(t, http.StatusOK, "Signeringsoppdrag")
	home.has(t, "Meglet avtale", "Megler "+orgB+" (API)")

	// The broker follows the jobs it sent: polling orgA's queue.
	var st portalStatus
	broker.poll("portal", "megler").want(t, http.StatusOK).decode(t, &st)
	broker.do("POST", st.ConfirmationURL, "", nil).want(t, http.StatusOK)

	setBrokers("")
	broker.do("GET", "/"+orgA, "", nil).wantError(t, http.StatusForbidden, "BROKER_NOT_AUTHORIZED")
	create(broker).wantError(t, http.StatusForbidden, "BROKER_NOT_AUTHORIZED")
	broker.poll("portal", "megler").wantError(t, http.StatusForbidden, "BROKER_NOT_AUTHORIZED")
	if n := e.jobCount(orgA); n != 2 {
		t.Fatalf("orgA has %d jobs after the revocation, want 2", n)
	}
}

// secondNode starts another segl on e's data directory and database, on
// e's clock, as a second node behind a load balancer runs.
func (e *env) secondNode(t *testing.T) *server.Server {
	t.Helper()
	cfg := e.cfg
	cfg.Addr = "127.0.0.1:0"
	s, err := server.Start(t.Context(), cfg, server.Options{Clock: e.clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return s
}

// Polling state is the nodes' shared state, not each node's: with two
// nodes on one database, a job one node delivered is not delivered by the
// other, an empty queue on one is "too early" on the other with the same
// time, a delivery confirmed on the other node is acknowledged, and after
// ten minutes only the unconfirmed job comes again, on either node.
func TestPostenPollingAcrossNodes(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			mutate := []func(*config.Config){func(c *config.Config) { c.SweepEvery = time.Hour }}
			if db == "postgres" {
				dbURL := pgtest.URL(t)
				mutate = append(mutate, func(c *config.Config) { c.DatabaseURL = dbURL })
			}
			clk := &movableClock{}
			e := newEnvClock(t, clk, mutate...)
			node2 := e.secondNode(t)
			p1 := e.posten(t, orgA, dotnetStyle)
			p2 := e.posten(t, orgA, dotnetStyle)
			p2.root = node2.URL + "/api"
			onNode2 := func(link string) string { return strings.Replace(link, e.srv.URL, node2.URL, 1) }

			for _, title := range []string{"Avtale 1", "Avtale 2"} {
				p1.create("portal", portalJobXML("kø"), p1.bundle(portalManifestXML(orgA, title), postenDocs())).want(t, http.StatusOK)
			}
			// The first signers' notices change the jobs too: once they are
			// out, the jobs stay as they are.
			eventually(t, "the first signers notified", func() bool {
				list, _, err := e.srv.Store.ListJobs(t.Context(), orgA, store.JobQuery{})
				for _, ref := range list {
					j, err := e.srv.Store.Job(t.Context(), orgA, ref.ID)
					if err != nil || j.Signers[0].Notice == "" {
						return false
					}
				}
				return err == nil && len(list) == 2
			})
			var first, second portalStatus
			p1.poll("portal", "kø").want(t, http.StatusOK).decode(t, &first)
			p2.poll("portal", "kø").want(t, http.StatusOK).decode(t, &second)
			if first.ID == second.ID {
				t.Fatalf("both nodes delivered job %d", first.ID)
			}
			empty := p2.poll("portal", "kø").want(t, http.StatusNoContent)
			early := p1.poll("portal", "kø").want(t, http.StatusTooManyRequests)
			if got, want := early.header.Get("X-Next-permitted-poll-time"), empty.header.Get("X-Next-permitted-poll-time"); got != want {
				t.Fatalf("node 1 says poll at %s, node 2 said %s", got, want)
			}

			p2.do("POST", onNode2(first.ConfirmationURL), "", nil).want(t, http.StatusOK)
			clk.moveTo(clk.Now().Add(11 * time.Minute))
			var again portalStatus
			p2.poll("portal", "kø").want(t, http.StatusOK).decode(t, &again)
			if again.ID != second.ID {
				t.Fatalf("after ten minutes node 2 delivered job %d, want the unconfirmed %d", again.ID, second.ID)
			}
			var last portalStatus
			if r := p1.poll("portal", "kø"); r.status != http.StatusNoContent {
				r.decode(t, &last)
				t.Fatalf("node 1 delivered job %d (%s) again, first %d, second %d", last.ID, last.Status, first.ID, second.ID)
			}
		})
	}
}

package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/xades"
)

// The documents of a combined Posten job (issue 13, docs/posten-api.md):
// the signers sign one combined PDF, whose PAdES the clients download.
type combinedDoc struct {
	href, mime, title string
	content           []byte
	shows             string // text the combined PDF shows of it
}

var (
	combinedA = combinedDoc{"0000_arbeidsavtale.pdf", "application/pdf", "Kontrakt",
		testdocs.PDF("Arbeidsavtale for Storgata 1", 30_000), "Arbeidsavtale for Storgata 1"}
	combinedB = combinedDoc{"0001_husorden.pdf", "application/pdf", "Husordensregler",
		testdocs.PDF("Husordensregler for Storgata 1", 20_000), "Husordensregler for Storgata 1"}
	// combinedText is a plain-text document, rendered into the combined
	// PDF as the engine renders one.
	combinedText = combinedDoc{"0002_vedlegg.txt", "text/plain", "Vedlegg om parkering",
		[]byte("Vedlegg om parkering\n\nBilen står på plass 14, også om vinteren.\n"), "Bilen står på plass 14, også om vinteren."}
)

func combinedDocs(docs []combinedDoc) []xades.ASiCFile {
	var files []xades.ASiCFile
	for _, d := range docs {
		files = append(files, xades.ASiCFile{Name: d.href, MediaType: d.mime, Content: d.content})
	}
	return files
}

// combinedManifest replaces the one document of a Posten manifest with docs.
func combinedManifest(manifest string, docs []combinedDoc) string {
	var b strings.Builder
	b.WriteString("<documents>")
	for _, d := range docs {
		fmt.Fprintf(&b, "\n        <document href=%q mime=%q><title>%s</title></document>", d.href, d.mime, d.title)
	}
	b.WriteString("\n    </documents>")
	return strings.Replace(manifest, `<documents>
        <document href="0000_arbeidsavtale.pdf" mime="application/pdf"><title>Kontrakt</title></document>
    </documents>`, b.String(), 1)
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// A direct job with two documents and two signers, through the real
// signer pages to completion: pades-url once someone has signed, one
// PAdES with both signers' signatures and the document time-stamp,
// a front page naming both documents by SHA-256 and then their pages, XAdES
// per signer naming every document; deleting the documents leaves no blob
// of the job, the combined document's included.
func TestPostenCombinedDirect(t *testing.T) {
	t.Parallel()
	clk := &movableClock{}
	e := newEnvOnClock(t, clk)
	p := e.posten(t, orgA, javaStyle)
	docs := []combinedDoc{combinedA, combinedB}
	var created directJobResponse
	p.create("direct", directJobXML, p.bundle(combinedManifest(directManifestXML(orgA), docs), combinedDocs(docs))).
		want(t, http.StatusOK).decode(t, &created)

	j := onlyJob(t, e)
	if len(j.Documents) != 3 || j.Documents[0].Role != "original" || j.Documents[1].Role != "original" ||
		j.Documents[2].Role != "combined" || j.Documents[0].SHA256 != hexSum(combinedA.content) || j.Documents[1].SHA256 != hexSum(combinedB.content) {
		t.Fatalf("/api/v1 documents: %+v", j.Documents)
	}
	combined := j.Documents[2]

	ola := e.browser(t)
	view := ola.login(created.Signers[0].RedirectURL, olaPID, "bankid")
	showsCombined(t, view, combined.FileName, docs)
	token1 := ola.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	var st directStatus
	p.do("GET", created.StatusURL+"?status_query_token="+url.QueryEscape(token1), "", nil).want(t, http.StatusOK).decode(t, &st)
	if st.PAdES == "" || len(st.XAdES) != 1 {
		t.Fatalf("status after Ola: %+v", st)
	}
	p.do("GET", st.PAdES, "", nil).want(t, http.StatusOK) // Ola's signature so far

	kari := e.browser(t)
	token2 := kari.submit(kari.login(created.Signers[1].RedirectURL, kariPID, "bankid"), "/sign",
		url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	e.settled()
	st = directStatus{}
	p.do("GET", created.StatusURL+"?status_query_token="+url.QueryEscape(token2), "", nil).want(t, http.StatusOK).decode(t, &st)
	if st.Status != "COMPLETED_SUCCESSFULLY" || len(st.XAdES) != 2 || st.PAdES == "" {
		t.Fatalf("status after Kari: %+v", st)
	}
	checkCombinedPAdES(t, e, p, st.PAdES, docs, combined)
	for _, x := range st.XAdES {
		checkCombinedXAdES(t, e, p, x.URL, docs, combined.SHA256)
	}
	// The originals stay as uploaded and unsigned: their /signed says so
	// and names the combined document, whose signed PDF holds them.
	for _, d := range j.Documents[:2] {
		_, err := e.client(orgA).SignedDocument(t.Context(), j.ID, d.ID)
		problemOf(t, err, http.StatusConflict, "signed-in-combined-document")
		var p *client.Problem
		if !errors.As(err, &p) || p.Document != combined.ID || !strings.Contains(p.Detail, combined.ID) {
			t.Fatalf("original %s: the problem does not name the combined document %s: %+v", d.Title, combined.ID, err)
		}
	}

	p.do("POST", st.ConfirmationURL, "", nil).want(t, http.StatusOK)
	p.do("DELETE", st.DeleteDocumentsURL, "", nil).want(t, http.StatusOK)
	p.do("GET", st.PAdES, "", nil).want(t, http.StatusGone)
	// Blobs written within the last hour are kept for the sweep (a new
	// job may be storing the same content); an hour later it deletes them.
	clk.moveTo(clk.Now().Add(2 * time.Hour))
	if _, err := e.srv.Svc.SweepBlobs(t.Context()); err != nil {
		t.Fatal(err)
	}
	noBlobs(t, e.data)
}

// A portal job with three documents, two PDFs and a text document, and
// two signers in order, signed in the portal: the combined PDF shows the
// text document's text after the PDFs'; the archive client's download is
// the combined PAdES too.
func TestPostenCombinedPortal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, dotnetStyle)
	docs := []combinedDoc{combinedA, combinedB, combinedText}
	p.create("portal", portalJobXML(""), p.bundle(combinedManifest(portalManifestXML(orgA, "Leieavtale"), docs), combinedDocs(docs))).
		want(t, http.StatusOK)
	j := onlyJob(t, e)
	combined := j.Documents[len(j.Documents)-1]
	if len(j.Documents) != 4 || combined.Role != "combined" || j.Documents[2].MediaType != "text/plain" {
		t.Fatalf("/api/v1 documents: %+v", j.Documents)
	}

	for _, person := range []string{olaPID, kariPID} {
		b := e.browser(t)
		tasks := b.idp(b.link(b.get("/sign/"), "Logg inn"), person, "bankid")
		view := b.link(tasks, "Leieavtale")
		showsCombined(t, view, combined.FileName, docs)
		done := b.submit(view, "/sign", url.Values{"confirm": {"yes"}})
		done.want(t, 200, "Du har signert")
		noSignedLinks(t, done, j.Documents[:3])
	}
	e.settled()
	var st portalStatus
	p.poll("portal", "").want(t, http.StatusOK).decode(t, &st)
	if st.Status != "COMPLETED_SUCCESSFULLY" || len(st.Signatures) != 2 || st.PAdES == "" {
		t.Fatalf("after signing: %+v", st)
	}
	pades := checkCombinedPAdES(t, e, p, st.PAdES, docs, combined)
	for _, s := range st.Signatures {
		checkCombinedXAdES(t, e, p, s.XAdES, docs, combined.SHA256)
	}
	archived := p.do("GET", "/"+orgA+"/archive/documents/"+j.ID+"/pades", "", nil).want(t, http.StatusOK)
	if !bytes.Equal(archived.body, pades) {
		t.Fatal("the archive client's PAdES is not the job's PAdES")
	}

	// The sender's portal marks the combined document and the originals,
	// and offers the combined document signed.
	sender := e.browser(t)
	sender.portalLogin(olaPID)
	view := sender.get("/portal/jobs/" + j.ID)
	view.has(t, "Samlet dokument: forsiden og alle dokumentene i én PDF.", "Original, som lastet opp.", combined.FileName)
	noSignedLinks(t, view, j.Documents[:3])
	signed := sender.link(view, "Last ned ferdig signert «Leieavtale»")
	if signed.status != http.StatusOK || !bytes.Equal([]byte(signed.body), pades) {
		t.Fatalf("the portal's signed download: %d, %d bytes, not the PAdES", signed.status, len(signed.body))
	}

	// Deleted, the document is no longer in the archive: the archive
	// client's 404 ARCHIVED_DOCUMENT_NOT_FOUND, not /api/v1's 410.
	if _, err := e.client(orgA).DeleteJob(t.Context(), j.ID); err != nil {
		t.Fatal(err)
	}
	var gone struct {
		Code string `xml:"error-code"`
	}
	p.do("GET", "/"+orgA+"/archive/documents/"+j.ID+"/pades", "", nil).want(t, http.StatusNotFound).decode(t, &gone)
	if gone.Code != "ARCHIVED_DOCUMENT_NOT_FOUND" {
		t.Fatalf("archive after deletion: %q", gone.Code)
	}
}

// showsCombined asserts that a signer's page offers the combined
// document to read and sign and lists the originals below it.
func showsCombined(t *testing.T, view page, fileName string, docs []combinedDoc) {
	t.Helper()
	body := string(view.body)
	read, originals := strings.Index(body, "<dd>"+fileName+"</dd>"), strings.Index(body, "Dokumentene slik avsenderen sendte dem")
	if read < 0 || originals < read || !strings.Contains(body[originals:], "<dd>"+docs[len(docs)-1].href+"</dd>") {
		t.Fatalf("the signer's page does not show the combined document and then the originals:\n%s", body)
	}
}

// noSignedLinks asserts that a page offers no signed download of the
// originals, which are kept as uploaded and never signed on their own:
// neither the portal's (…/documents/{doc}/signed) nor the signer's
// (…/signed/{doc}).
func noSignedLinks(t *testing.T, view page, originals []client.Document) {
	t.Helper()
	for _, d := range originals {
		view.hasNot(t, "/documents/"+d.ID+"/signed", "/signed/"+d.ID)
	}
}

// onlyJob is the one job of orgA, as /api/v1 shows it.
func onlyJob(t *testing.T, e *env) *client.Job {
	t.Helper()
	list, err := e.client(orgA).ListJobs(t.Context(), client.ListOptions{})
	if err != nil || len(list.Jobs) != 1 {
		t.Fatalf("/api/v1 lists %+v, %v", list, err)
	}
	j, err := e.client(orgA).Job(t.Context(), list.Jobs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// checkCombinedPAdES downloads the job's PAdES and checks it as a user
// would: pdfsig finds both signers' signatures valid and the document
// time-stamp, which segl's validator passes with them (checkPAdES, and
// segl validate); qpdf --check is clean (checkPAdES); the front page
// names every document by title, file name and SHA-256 and numbers its
// page as the combined document's, and the documents' pages follow it,
// each document's text in order; segl validate passes.
func checkCombinedPAdES(t *testing.T, e *env, p *postenClient, padesURL string, docs []combinedDoc, combined client.Document) []byte {
	t.Helper()
	body := p.checkPAdES(e, padesURL, 3)
	f := filepath.Join(t.TempDir(), "pades.pdf")
	if err := os.WriteFile(f, body, 0o600); err != nil {
		t.Fatal(err)
	}
	// pdfsig lists the document time-stamp but cannot validate that kind
	// ("Unable to validate this type of signature"); segl's validator
	// did, in checkPAdES, and segl validate does below.
	out, _ := exec.Command("pdfsig", "-nssdir", nssdb(t, e.data), f).CombinedOutput()
	if strings.Count(string(out), "Signature #") != 3 || strings.Count(string(out), "Signature is Valid.") != 2 ||
		strings.Contains(string(out), "Invalid") || !strings.Contains(string(out), "time-stamping unit") {
		t.Fatalf("pdfsig: want two valid signatures and the document time-stamp\n%s", out)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		testtool.Missing(t, "pdftotext not installed")
	}
	front, err := exec.Command("pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "1", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, front)
	}
	wants := []string{fmt.Sprintf("Side 1 av %d / Page 1 of %d", combined.Pages, combined.Pages)}
	for _, d := range docs {
		wants = append(wants, d.title, d.href, hexSum(d.content))
	}
	for _, want := range wants {
		if !strings.Contains(string(front), want) {
			t.Errorf("the front page does not show %q:\n%s", want, front)
		}
	}
	all, err := exec.Command("pdftotext", "-enc", "UTF-8", "-f", "2", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, all)
	}
	at := 0
	for _, d := range docs {
		i := strings.Index(string(all[at:]), d.shows)
		if i < 0 {
			t.Fatalf("after the front page and the documents before it, want %q:\n%s", d.shows, all)
		}
		at += i + len(d.shows)
	}
	if out, err := exec.Command(seglBinary(t), "validate", "--data", e.data, f).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "TOTAL_PASSED") {
		t.Fatalf("segl validate: %v\n%s", err, out)
	}
	return body
}

// checkCombinedXAdES checks a signer's XAdES with xmlsec1 (checkXAdES)
// and that it names every original and the combined document by SHA-256.
func checkCombinedXAdES(t *testing.T, e *env, p *postenClient, xadesURL string, docs []combinedDoc, combinedSHA string) {
	t.Helper()
	p.checkXAdES(e, xadesURL)
	r := p.do("GET", xadesURL, "", nil).want(t, http.StatusOK)
	v, err := xades.Verify(r.body)
	if err != nil {
		t.Fatal(err)
	}
	var named, want []string
	for _, d := range v.Facts.Documents {
		named = append(named, hex.EncodeToString(d.SHA256))
	}
	for _, d := range docs {
		want = append(want, hexSum(d.content))
	}
	want = append(want, combinedSHA)
	if strings.Join(named, ",") != strings.Join(want, ",") {
		t.Fatalf("the evidence names %v, want %v", named, want)
	}
}

// noBlobs asserts that the blob store of the data directory holds
// nothing: the test's one job was deleted, with its originals, its
// combined document, every revision's parts and the evidence.
func noBlobs(t *testing.T, data string) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(data, "blobs", "sha256"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		t.Errorf("%s is still there", path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

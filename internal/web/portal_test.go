package web

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// The portal chooses many texts in Go or by status: every one must be in
// both catalogues, with .title and .text for an error page.
func TestPortalKeysExist(t *testing.T) {
	e := newEnv(t, Options{})
	files, err := filepath.Glob("portal*.go")
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`"(portal\.[a-z0-9.+_-]*[a-z0-9])"`)
	pageRE := regexp.MustCompile(`^portal\.error\.[a-z-]+$`) // explain's keys: pages of their own
	var keys []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(src), -1) {
			if pageRE.MatchString(m[1]) {
				keys = append(keys, m[1]+".title", m[1]+".text")
				continue
			}
			keys = append(keys, m[1])
		}
	}
	if len(keys) < 20 {
		t.Fatalf("only %d keys found: is the pattern right?", len(keys))
	}
	for _, s := range []job.Status{job.StatusCreated, job.StatusActive, job.StatusSigned, job.StatusCompleted, job.StatusRejected,
		job.StatusExpired, job.StatusCancelled, job.StatusFailed} {
		keys = append(keys, "portal.status."+string(s))
	}
	for _, s := range []job.SignerStatus{job.SignerWaiting, job.SignerNotified, job.SignerReserved, job.SignerSigned,
		job.SignerRejected, job.SignerExpired, job.SignerCancelled, job.SignerFailed} {
		keys = append(keys, "portal.signer."+string(s))
	}
	for _, n := range notices {
		keys = append(keys, "portal.notice."+n)
	}
	keys = append(keys, "portal.type.authenticated", "portal.type.advanced", "portal.level.substantial", "portal.level.high",
		"portal.role."+string(store.RoleAdmin), "portal.role."+string(store.RoleSender))
	for _, d := range doneKeys {
		keys = append(keys, "portal.users.done."+d)
	}
	for _, k := range keys {
		for _, lang := range Languages {
			if _, ok := e.web.catalogues[lang][k]; !ok {
				t.Errorf("%q missing in %s", k, lang)
			}
		}
	}
}

func portalWeb(t *testing.T) *Web {
	t.Helper()
	w, err := New(Options{Key: testKey, Staff: &Staff{Svc: &ceremony.Service{Limits: job.DefaultLimits}}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// What the request's validation and the document checks refuse lands next
// to the input the sender must correct, in words they understand.
func TestPortalJobErrors(t *testing.T) {
	w := portalWeb(t)
	rows := []int{1, 3} // the second row was left empty
	files := []formDoc{{file: &multipart.FileHeader{Filename: "avtale.pdf"}, row: 1}, {file: &multipart.FileHeader{Filename: "bilde.png"}, row: 3}}
	field := func(f, code string) *errs.Error { return errs.Field(f, code, "whatever the domain says") }
	for _, tc := range []struct {
		name       string
		err        *errs.Error
		input, say string
	}{
		{"pid-of-the-row", field("signers[1].pid", "invalid-pid"), "signer-3-pid",
			"Undertegner 3: fødselsnummeret er ikke gyldig. Det skal være 11 siffer"},
		{"no-address", field("signers[0]", "missing-signer-address"), "signer-1-pid",
			"Undertegner 1: oppgi fødselsnummer, eller e-postadresse eller mobilnummer"},
		{"on-behalf-of", field("signers[0].on_behalf_of", "invalid-orgnr"), "signer-1-org",
			"Undertegner 1: organisasjonsnummeret er ikke gyldig. Det skal være 9 siffer"},
		{"document-by-index", field("documents[1]", "unsupported-media-type"), "documents", "«bilde.png» er verken PDF eller ren tekst"},
		{"document-by-part", &errs.Error{Kind: errs.TooLarge, Code: "document-too-large", Field: "doc1"}, "documents",
			"«avtale.pdf» er for stor. Hvert dokument kan være høyst 10 MB"},
		{"no-documents", field("documents", "missing-field"), "documents", "Velg minst ett dokument"},
		{"document-title", field("documents[1].title", "too-long"), "document-3-title", "Dokument 3: tittelen kan være høyst 200 tegn"},
		{"too-many-signers", field("signers", "too-many-signers"), "signer-1-pid", "Et oppdrag kan ha høyst 10 undertegnere"},
		{"title", field("title", "missing-field"), "title", "Skriv en tittel"},
		{"type-not-allowed", field("signature_type", "signature-type-not-allowed"), "signature_type",
			"Virksomheten deres kan ikke bruke denne signaturtypen"},
		{"unknown-code", field("reference", "something-new"), "reference", "Sjekk det du har skrevet her"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, ok := w.jobErrors(Bokmal, tc.err, rows, files)
			if !ok || len(list) != 1 || list[0] != (portalError{tc.input, tc.say}) {
				t.Fatalf("got %v %+v, want %s: %q", ok, list, tc.input, tc.say)
			}
		})
	}
	joined := errs.Join([]*errs.Error{field("title", "missing-field"), field("signers", "missing-field")})
	if list, ok := w.jobErrors(English, joined, rows, files); !ok || len(list) != 2 || list[1].Text != "Add at least one signer" {
		t.Fatalf("every problem at once: %+v", list)
	}
	if _, ok := w.jobErrors(Bokmal, errs.E(errs.Forbidden, "organisation-inactive", "closed"), rows, files); ok {
		t.Fatal("a refusal that is not about the input became a form error")
	}
}

// The form becomes the job request a sender means: empty rows left out,
// the order of the rows for signers in turn, numbers as people type them,
// a deadline at the end of the chosen day in Norway.
func TestPortalFormRequest(t *testing.T) {
	v := url.Values{"title": {" Avtale "}, "signature_type": {"advanced"}, "level_of_assurance": {"high"},
		"order": {"sequential"}, "expires": {"2026-03-31"},
		"signer-1-pid": {"219098 25250"}, "signer-3-mobile": {"912 34 567"}, "signer-3-org": {"317 510 748"}}
	f := readJobForm(v, 10, 2)
	req, rows, dateErr := f.request()
	if dateErr || req.Title != "Avtale" || req.Flow != job.Portal || req.SignatureType != job.Advanced || req.LevelOfAssurance != job.High {
		t.Fatalf("request: %v %+v", dateErr, req)
	}
	want := []job.SignerRequest{{PID: "21909825250", Order: 1}, {Mobile: "+4791234567", OnBehalfOf: "317510748", Order: 2}}
	if len(req.Signers) != 2 || req.Signers[0] != want[0] || req.Signers[1] != want[1] || len(rows) != 2 || rows[1] != 3 {
		t.Fatalf("signers %+v from rows %v", req.Signers, rows)
	}
	if end := time.Date(2026, 3, 31, 21, 59, 0, 0, time.UTC); !req.ExpiresAt.Equal(end) {
		t.Fatalf("deadline %v, want %v", req.ExpiresAt, end)
	}

	v.Set("order", "parallel")
	v.Set("expires", "31.03.2026")
	req, _, dateErr = readJobForm(v, 10, 2).request()
	if !dateErr || req.Signers[1].Order != 1 {
		t.Fatalf("parallel with a date that is not one: %v %+v", dateErr, req.Signers)
	}
}

// Each document takes the title written in its own row; an empty title
// becomes the job's title for a job's one document, else a title made of
// the file name, never the bare file name the signer would read as
// «contract».
func TestPortalDocumentTitles(t *testing.T) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	// As a browser sends the form: every row's inputs, in order, the
	// empty file input as a part without a file name.
	for i, name := range []string{"scan_0042.pdf", "", "arbeids-avtale.pdf"} {
		part, _ := mw.CreateFormFile(fmt.Sprintf("document-%d-file", i+1), name)
		if name != "" {
			part.Write([]byte("%PDF-1.7"))
		}
		mw.WriteField(fmt.Sprintf("document-%d-title", i+1), []string{"Arbeidsavtale", "Ignored: no file in this row", ""}[i])
	}
	mw.Close()
	r := httptest.NewRequest("POST", "/portal/jobs", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		t.Fatal(err)
	}
	f := readJobForm(r.PostForm, 2, 3)
	docs := formDocuments(r, f.DocTitles)
	if len(docs) != 2 || docs[0].row != 1 || docs[1].row != 3 {
		t.Fatalf("documents %+v", docs)
	}
	if got := docs[0].title("Avtale", 2); got != "Arbeidsavtale" {
		t.Errorf("given title: %q", got)
	}
	if got := docs[1].title("Avtale", 2); got != "Arbeids avtale" {
		t.Errorf("title from the file name: %q", got)
	}
	if got := docs[1].title("Avtale om permisjon", 1); got != "Avtale om permisjon" {
		t.Errorf("the one document's title: %q", got)
	}
	for name, want := range map[string]string{"contract.pdf": "Contract", "øvelse_2026.txt": "Øvelse 2026", ".pdf": ".pdf"} {
		if got := fileTitle(name); got != want {
			t.Errorf("fileTitle(%q) = %q, want %q", name, got, want)
		}
	}
}

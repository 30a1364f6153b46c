package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/tsp"
)

func TestCreateReadListCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)

	j := e.mustCreate(c, directRequest())
	if j.Status != "active" || len(j.Signers) != 2 || len(j.Documents) != 1 {
		t.Fatalf("created job: %+v", j)
	}
	sum := sha256.Sum256(pdf100k)
	if d := j.Documents[0]; d.SHA256 != hex.EncodeToString(sum[:]) || d.Size != int64(len(pdf100k)) ||
		d.MediaType != "application/pdf" || d.Pages != 1 {
		t.Fatalf("document: %+v", d)
	}
	for _, s := range j.Signers {
		if s.Status != "waiting" || !strings.HasPrefix(s.SigningURL, e.srv.URL+"/sign/") {
			t.Fatalf("signer: %+v", s)
		}
	}

	got, err := c.Job(ctx, j.ID)
	if err != nil || got.ID != j.ID || got.Reference != "case-2026-17" || got.Signers[1].PID != "03896127682" {
		t.Fatalf("get: %+v, %v", got, err)
	}

	body, err := c.Document(ctx, j.ID, j.Documents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(body)
	body.Close()
	if !bytes.Equal(back, pdf100k) {
		t.Fatal("downloaded document differs from the upload")
	}

	list, err := c.ListJobs(ctx, client.ListOptions{})
	if err != nil || len(list.Jobs) != 1 || list.Jobs[0].ID != j.ID {
		t.Fatalf("list: %+v, %v", list, err)
	}

	cancelled, err := c.CancelJob(ctx, j.ID)
	if err != nil || cancelled.Status != "cancelled" || cancelled.Signers[0].Status != "cancelled" {
		t.Fatalf("cancel: %+v, %v", cancelled, err)
	}
	if cancelled.Signers[0].SigningURL != "" {
		t.Fatal("a cancelled signer still gets a signing URL")
	}
	_, err = c.CancelJob(ctx, j.ID)
	problemOf(t, err, http.StatusConflict, "job-state")
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	want := map[string]bool{}
	for range 5 {
		want[e.mustCreate(c, directRequest()).ID] = true
	}
	seen := map[string]bool{}
	cursor := ""
	for page := 0; page < 5; page++ {
		list, err := c.ListJobs(ctx, client.ListOptions{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range list.Jobs {
			if seen[j.ID] {
				t.Fatalf("job %s listed twice", j.ID)
			}
			seen[j.ID] = true
		}
		if cursor = list.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("paged through %d jobs, want %d", len(seen), len(want))
	}
	_, err := c.ListJobs(ctx, client.ListOptions{Status: "done"})
	problemOf(t, err, http.StatusBadRequest, "invalid-status")
}

func TestEventsUntilAcknowledged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	j := e.mustCreate(c, directRequest())
	if _, err := c.CancelJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	events, err := c.Events(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type)
	}
	if got := strings.Join(types, ","); got != "job.created,job.active,job.cancelled,signer.cancelled,signer.cancelled" {
		t.Fatalf("events: %s", got)
	}
	again, _ := c.Events(ctx, 0, 0)
	if len(again) != len(events) {
		t.Fatal("unacknowledged events were not delivered again")
	}
	n, err := c.Ack(ctx, events[0].Seq, events[1].Seq)
	if err != nil || n != 2 {
		t.Fatalf("ack: %d, %v", n, err)
	}
	left, _ := c.Events(ctx, 0, 0)
	if len(left) != 3 || left[0].Type != "job.cancelled" {
		t.Fatalf("after ack: %+v", left)
	}
	page, _ := c.Events(ctx, left[0].Seq, 1)
	if len(page) != 1 || page[0].Seq != left[1].Seq {
		t.Fatalf("paging after %d: %+v", left[0].Seq, page)
	}
}

func TestRestartKeepsJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	j := e.mustCreate(e.client(orgA), directRequest())
	if _, err := e.client(orgA).CancelJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	root1, _ := os.ReadFile(e.data + "/pki/root-ca.pem")
	e.restart()
	root2, _ := os.ReadFile(e.data + "/pki/root-ca.pem")
	if !bytes.Equal(root1, root2) {
		t.Fatal("restart made a new development root")
	}
	got, err := e.client(orgA).Job(ctx, j.ID)
	if err != nil || got.Status != "cancelled" || len(got.Documents) != 1 {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	body, err := e.client(orgA).Document(ctx, j.ID, j.Documents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	body.Close()
}

// TestTenantIsolation tries every job route with another organisation's
// certificate: the answer is always 404, never 403, so ids leak nothing.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, b := e.client(orgA), e.client(orgB)
	j := e.mustCreate(a, directRequest())
	docID := j.Documents[0].ID

	_, err := b.Job(ctx, j.ID)
	problemOf(t, err, http.StatusNotFound, "job-not-found")
	_, err = b.CancelJob(ctx, j.ID)
	problemOf(t, err, http.StatusNotFound, "job-not-found")
	_, err = b.Document(ctx, j.ID, docID)
	problemOf(t, err, http.StatusNotFound, "job-not-found")
	_, err = b.SignedDocument(ctx, j.ID, docID)
	problemOf(t, err, http.StatusNotFound, "job-not-found")
	_, err = b.Evidence(ctx, j.ID, j.Signers[0].ID)
	problemOf(t, err, http.StatusNotFound, "job-not-found")
	// A's own, not yet signed: a conflict that says so.
	_, err = a.SignedDocument(ctx, j.ID, docID)
	problemOf(t, err, http.StatusConflict, "not-signed-yet")
	_, err = a.Evidence(ctx, j.ID, j.Signers[0].ID)
	problemOf(t, err, http.StatusConflict, "not-signed-yet")
	list, err := b.ListJobs(ctx, client.ListOptions{})
	if err != nil || len(list.Jobs) != 0 {
		t.Fatalf("B lists A's jobs: %+v %v", list, err)
	}
	events, _ := b.Events(ctx, 0, 0)
	if len(events) != 0 {
		t.Fatalf("B sees A's events: %+v", events)
	}
	mine, _ := a.Events(ctx, 0, 0)
	if n, _ := b.Ack(ctx, mine[0].Seq); n != 0 {
		t.Fatal("B acknowledged A's event")
	}
	if still, _ := a.Events(ctx, 0, 0); len(still) != len(mine) {
		t.Fatal("A's events disappeared after B's ack")
	}
	if got, _ := a.Job(ctx, j.ID); got.Status != "active" {
		t.Fatalf("A's job changed: %s", got.Status)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	_, err := e.anonymous().ListJobs(ctx, client.ListOptions{})
	problemOf(t, err, http.StatusUnauthorized, "client-certificate-required")

	// A valid certificate for an organisation nobody onboarded.
	_, err = e.clientFor("974760673", "Ukjent etat").ListJobs(ctx, client.ListOptions{})
	problemOf(t, err, http.StatusForbidden, "organisation-unknown")

	// segl's own seal certificate chains to the same root but is not an
	// enterprise client certificate.
	dir := e.data + "/pki/"
	seal, err := client.New(e.srv.URL, dir+"seal.pem", dir+"seal.key", dir+"root-ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	_, err = seal.ListJobs(ctx, client.ListOptions{})
	problemOf(t, err, http.StatusForbidden, "certificate-not-for-client-auth")

	// An organisation the administrator deactivated.
	o, _ := e.srv.Store.Org(ctx, orgB)
	o.Active = false
	if err := e.srv.Store.PutOrg(ctx, testBy, o); err != nil {
		t.Fatal(err)
	}
	_, err = e.client(orgB).ListJobs(ctx, client.ListOptions{})
	problemOf(t, err, http.StatusForbidden, "organisation-inactive")
	e.restart() // the dev onboarding must not reactivate it
	_, err = e.client(orgB).ListJobs(ctx, client.ListOptions{})
	problemOf(t, err, http.StatusForbidden, "organisation-inactive")

	// An organisation that registered its certificate's subject accepts
	// only that certificate.
	raw, err := os.ReadFile(dir + "clients/" + orgA + ".pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.srv.Store.Org(ctx, orgA)
	a.CertSubject = "CN=Another system,O=Lånekassen test"
	if err := e.srv.Store.PutOrg(ctx, testBy, a); err != nil {
		t.Fatal(err)
	}
	_, err = e.client(orgA).ListJobs(ctx, client.ListOptions{})
	problemOf(t, err, http.StatusForbidden, "certificate-not-registered")
	a.CertSubject = leaf.Subject.String()
	if err := e.srv.Store.PutOrg(ctx, testBy, a); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client(orgA).ListJobs(ctx, client.ListOptions{}); err != nil {
		t.Fatalf("the registered certificate %q: %v", a.CertSubject, err)
	}

	// The OpenAPI document needs no certificate.
	resp, err := e.anonymous().HTTP.Get(e.srv.URL + "/api/v1/openapi.json")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("openapi: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestIdempotentRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	req := directRequest()
	key := client.CreateOptions{IdempotencyKey: "case-17-attempt"}
	first, err := c.CreateJob(ctx, req, []client.Upload{pdfUpload("doc1")}, key)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateJob(ctx, req, []client.Upload{pdfUpload("doc1")}, key)
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry: %v, %v; want job %s again", again, err, first.ID)
	}
	list, _ := c.ListJobs(ctx, client.ListOptions{})
	if len(list.Jobs) != 1 {
		t.Fatalf("%d jobs after a retried create", len(list.Jobs))
	}
	req.Title = "Another contract"
	_, err = c.CreateJob(ctx, req, []client.Upload{pdfUpload("doc1")}, key)
	problemOf(t, err, http.StatusConflict, "idempotency-key-reused")
	// Another organisation may use the same key for its own job.
	if _, err := e.client(orgB).CreateJob(ctx, directRequest(), []client.Upload{pdfUpload("doc1")}, key); err != nil {
		t.Fatalf("same key, other org: %v", err)
	}
}

// TestBadInput sends one broken thing at a time; each gives its own stable
// problem code and leaves no job behind.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	encrypted, err := os.ReadFile("../pdf/testdata/encrypted.pdf")
	if err != nil {
		t.Fatal(err)
	}
	// Document JavaScript (the /Names tree), which normalisation cannot
	// remove; JavaScript only in actions is removed and accepted.
	withJS, err := os.ReadFile("../pdf/testdata/javascript-names.pdf")
	if err != nil {
		t.Fatal(err)
	}
	doc := func(body []byte, ct string) []client.Upload {
		return []client.Upload{{Part: "doc1", FileName: "f", ContentType: ct, Body: bytes.NewReader(body)}}
	}
	pdf := doc(pdf100k, "application/pdf")
	past := time.Now().Add(-time.Hour)
	far := time.Now().Add(100 * 24 * time.Hour)
	tests := []struct {
		name    string
		mutate  func(r *client.JobRequest)
		uploads []client.Upload
		status  int
		code    string
	}{
		{"fail/pid-checksum", func(r *client.JobRequest) { r.Signers[0].PID = "21909825251" }, pdf, 400, "invalid-pid"},
		{"fail/email", func(r *client.JobRequest) { r.Signers[0] = client.SignerRequest{Email: "ola(at)example"} }, pdf, 400, "invalid-email"},
		{"fail/mobile", func(r *client.JobRequest) { r.Signers[0] = client.SignerRequest{Mobile: "93682884"} }, pdf, 400, "invalid-mobile"},
		{"fail/no-signer-address", func(r *client.JobRequest) { r.Signers[0] = client.SignerRequest{Order: 1} }, pdf, 400, "missing-signer-address"},
		{"fail/flow", func(r *client.JobRequest) { r.Flow = "sometime" }, pdf, 400, "invalid-flow"},
		{"fail/signature-type", func(r *client.JobRequest) { r.SignatureType = "qualified" }, pdf, 400, "invalid-signature-type"},
		{"fail/level-of-assurance", func(r *client.JobRequest) { r.LevelOfAssurance = "low" }, pdf, 400, "invalid-level-of-assurance"},
		{"fail/title-missing", func(r *client.JobRequest) { r.Title = "" }, pdf, 400, "missing-field"},
		{"fail/expiry-in-past", func(r *client.JobRequest) { r.ExpiresAt = &past }, pdf, 400, "invalid-expiry"},
		{"fail/expiry-beyond-90-days", func(r *client.JobRequest) { r.ExpiresAt = &far }, pdf, 400, "invalid-expiry"},
		{"fail/exit-url-not-https", func(r *client.JobRequest) { r.ExitURLs.Completion = "http://sender.example/" }, pdf, 400, "invalid-url"},
		{"fail/too-many-signers", func(r *client.JobRequest) {
			for i := range 10 {
				r.Signers = append(r.Signers, client.SignerRequest{Email: fmt.Sprintf("s%d@example.test", i)})
			}
		}, pdf, 400, "too-many-signers"},
		{"fail/missing-document-part", func(r *client.JobRequest) { r.Documents[0].File = "doc2" }, pdf, 400, "missing-document-part"},
		{"fail/unreferenced-part", func(r *client.JobRequest) {}, append(doc(pdf100k, "application/pdf"),
			client.Upload{Part: "extra", FileName: "x.pdf", Body: bytes.NewReader(pdf100k)}), 400, "unreferenced-document-part"},
		{"fail/not-a-pdf", func(r *client.JobRequest) {}, doc([]byte("\x89PNG\r\n\x1a\n...."), "image/png"), 400, "unsupported-media-type"},
		{"fail/declared-pdf-is-not", func(r *client.JobRequest) {}, doc([]byte("hello"), "application/pdf"), 400, "invalid-pdf"},
		{"fail/broken-pdf", func(r *client.JobRequest) {}, doc(pdf100k[:5000], "application/pdf"), 400, "invalid-pdf"},
		{"fail/encrypted-pdf", func(r *client.JobRequest) {}, doc(encrypted, "application/pdf"), 400, "encrypted-pdf"},
		{"fail/pdf-with-javascript", func(r *client.JobRequest) {}, doc(withJS, "application/pdf"), 400, "pdf-javascript"},
		{"fail/already-signed-pdf", func(r *client.JobRequest) {}, doc(testdocs.SignedPDF("Signert"), "application/pdf"), 400, "signed-upload"},
		{"fail/dynamic-xfa-form", func(r *client.JobRequest) {}, doc(testdocs.DynamicXFAPDF("Skjema"), "application/pdf"), 400, "dynamic-xfa"},
		{"fail/text-not-utf8", func(r *client.JobRequest) {}, doc([]byte("bl\xe5b\xe6r"), "text/plain"), 400, "invalid-text-document"},
		{"fail/empty-document", func(r *client.JobRequest) {}, doc(nil, "application/pdf"), 400, "empty-document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := directRequest()
			tt.mutate(&req)
			_, err := c.CreateJob(ctx, req, tt.uploads)
			problemOf(t, err, tt.status, tt.code)
		})
	}
	t.Run("ok/plain-text", func(t *testing.T) {
		j, err := c.CreateJob(ctx, directRequest(), doc([]byte("Jeg samtykker.\nBlåbærsyltetøy\n"), "text/plain"))
		if err != nil || j.Documents[0].MediaType != "text/plain" {
			t.Fatalf("text document: %+v, %v", j, err)
		}
	})
	t.Run("fail/raw-requests", func(t *testing.T) {
		for _, tt := range []struct {
			name, contentType, body, code string
		}{
			{"json-body", "application/json", `{}`, "unsupported-content-type"},
			{"no-job-part", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"doc1\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4\r\n--X--\r\n", "missing-job-part"},
			{"unknown-field", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n{\"titel\":\"x\"}\r\n--X--\r\n", "invalid-json"},
			{"truncated-multipart", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n{\"title\"", "invalid-multipart"},
		} {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/jobs", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			resp, err := c.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var p client.Problem
			json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if resp.Header.Get("Content-Type") != "application/problem+json" || p.Code != tt.code {
				t.Errorf("%s: %d %s %q, want %s", tt.name, resp.StatusCode, resp.Header.Get("Content-Type"), p.Code, tt.code)
			}
		}
	})
	list, _ := c.ListJobs(ctx, client.ListOptions{})
	if len(list.Jobs) != 1 {
		t.Fatalf("%d jobs stored; only the plain-text one was valid", len(list.Jobs))
	}
	t.Run("ok/pdf-javascript-only-in-actions", func(t *testing.T) {
		// normalisation drops the /OpenAction script before signing
		actionJS, err := os.ReadFile("../pdf/testdata/javascript.pdf")
		if err != nil {
			t.Fatal(err)
		}
		key := client.CreateOptions{IdempotencyKey: "warnings-1"}
		req := directRequest() // once: its expiry is now plus a week, to the second
		j, err := c.CreateJob(ctx, req, doc(actionJS, "application/pdf"), key)
		if err != nil || j.Documents[0].Pages != 1 {
			t.Fatalf("pdf with an /OpenAction script: %+v, %v", j, err)
		}
		// the sender is told what is removed, and of which document
		if len(j.Warnings) != 1 || j.Warnings[0].Code != "javascript-removed" || j.Warnings[0].Document != j.Documents[0].ID {
			t.Fatalf("warnings %+v, want one javascript-removed for %s", j.Warnings, j.Documents[0].ID)
		}
		again, err := c.CreateJob(ctx, req, doc(actionJS, "application/pdf"), key)
		if err != nil || again.ID != j.ID || len(again.Warnings) != 1 || again.Warnings[0] != j.Warnings[0] {
			t.Fatalf("replay: %+v, %v; want job %s with the same warning", again, err, j.ID)
		}
		got, err := c.Job(ctx, j.ID)
		if err != nil || len(got.Warnings) != 0 {
			t.Fatalf("a later read of the job repeats the warnings: %+v, %v", got.Warnings, err)
		}
	})
}

// diskUse counts the files and bytes under the blob store and the
// temporary directory: what a request leaves on disk.
func (e *env) diskUse() (files int, size int64) {
	e.t.Helper()
	for _, dir := range []string{"blobs", "tmp"} {
		err := filepath.WalkDir(filepath.Join(e.data, dir), func(_ string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			files, size = files+1, size+info.Size()
			return nil
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return files, size
}

// TestRefusalLeavesNothing: a refused request leaves the blob store and
// the temporary directory as they were, whatever part of it was wrong and
// however much of it was uploaded; an accepted one stores its documents
// once and leaves no temporary file either.
func TestRefusalLeavesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	junk := make([]byte, 1<<20)
	rand.Read(junk)
	doc1, doc2 := testdocs.PDF("Avtale", 200_000), testdocs.PDF("Vedlegg", 300_000)
	twoDocs := func() []client.Upload {
		return []client.Upload{
			{Part: "doc1", FileName: "avtale.pdf", ContentType: "application/pdf", Body: bytes.NewReader(doc1)},
			{Part: "doc2", FileName: "vedlegg.pdf", ContentType: "application/pdf", Body: bytes.NewReader(doc2)}}
	}
	withTwo := func(r *client.JobRequest) {
		r.Documents = append(r.Documents, client.DocumentRef{Title: "Vedlegg", File: "doc2"})
	}
	files, size := e.diskUse()
	for _, tt := range []struct {
		name    string
		mutate  func(r *client.JobRequest)
		uploads []client.Upload
		code    string
	}{
		{"fail/not-a-pdf", withTwo, []client.Upload{
			{Part: "doc1", FileName: "a.pdf", ContentType: "application/pdf", Body: bytes.NewReader(junk)},
			{Part: "doc2", FileName: "b.pdf", ContentType: "application/pdf", Body: bytes.NewReader(junk[1:])}}, "invalid-pdf"},
		{"fail/invalid-pid-valid-documents", func(r *client.JobRequest) {
			withTwo(r)
			r.Signers[0].PID = "21909825251"
		}, twoDocs(), "invalid-pid"},
		{"fail/second-document-too-large", withTwo, []client.Upload{
			{Part: "doc1", FileName: "avtale.pdf", ContentType: "application/pdf", Body: bytes.NewReader(doc1)},
			{Part: "doc2", FileName: "big.pdf", Body: &endless{limit: e.cfg.Limits.MaxDocumentBytes + 1}}}, "document-too-large"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := directRequest()
			tt.mutate(&req)
			_, err := c.CreateJob(ctx, req, tt.uploads)
			var p *client.Problem
			if !errors.As(err, &p) || p.Code != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if f, n := e.diskUse(); f != files || n != size {
				t.Fatalf("%d files, %d bytes on disk before; %d, %d after a refused request", files, size, f, n)
			}
		})
	}
	req := directRequest()
	withTwo(&req)
	if _, err := c.CreateJob(ctx, req, twoDocs()); err != nil {
		t.Fatal(err)
	}
	if f, n := e.diskUse(); f != files+2 || n != size+int64(len(doc1)+len(doc2)) {
		t.Fatalf("%d files, %d bytes after storing two documents; want %d, %d", f, n, files+2, size+int64(len(doc1)+len(doc2)))
	}
}

// TestCrashLeftTempFilesRemoved: temporary files that a killed process
// left in DATA/tmp are gone after the next start.
func TestCrashLeftTempFilesRemoved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stop()
	// What a kill -9 in the middle of a signing act leaves: a process
	// directory whose lock nobody holds any more, with a revision in it,
	// and a file of a version that wrote into DATA/tmp itself.
	dead := filepath.Join(e.data, "tmp", "0123456789abcdef")
	old := filepath.Join(e.data, "tmp", "segl-spool-2.pdf")
	past := time.Now().Add(-time.Minute)
	if err := errors.Join(os.MkdirAll(dead, 0o700),
		os.WriteFile(filepath.Join(dead, "lock"), nil, 0o600),
		os.WriteFile(filepath.Join(dead, "segl-sign-1.pdf"), pdf100k, 0o600),
		os.WriteFile(old, pdf100k, 0o600), os.Chtimes(old, past, past)); err != nil {
		t.Fatal(err)
	}
	e.start()
	for _, p := range []string{dead, old} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived a restart: %v", p, err)
		}
	}
	if f, _ := e.diskUse(); f != 1 { // the running server's lock file
		t.Errorf("%d files in the blob store and DATA/tmp, want only the lock", f)
	}
}

// TestManyBrokenEntriesBounded: a job part of 1 MiB holding 340,000 empty
// signers is refused as too many signers, with a short answer, and the
// server neither decodes nor reports every entry: the answer stays under
// 16 KiB and the process (server and client) allocates less than 16 MiB
// for the request (about 4 MiB measured; one problem per signer was a
// 70 MB answer and some 260 MB of heap).
func TestManyBrokenEntriesBounded(t *testing.T) {
	e := newEnv(t)
	c := e.client(orgA)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormField("job")
	part.Write([]byte(`{"title":"x","flow":"direct","signature_type":"authenticated",` +
		`"exit_urls":{"completion":"https://a.example/","rejection":"https://a.example/","error":"https://a.example/"},` +
		`"documents":[{"title":"d","file":"doc1"}],"signers":[{}`))
	for range 340_000 - 1 {
		part.Write([]byte(`,{}`))
	}
	part.Write([]byte(`]}`))
	w, _ := mw.CreateFormFile("doc1", "a.pdf")
	w.Write(pdf100k)
	mw.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/jobs", bytes.NewReader(body.Bytes()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	var p client.Problem
	if err := json.Unmarshal(answer, &p); err != nil || resp.StatusCode != 400 || p.Code != "too-many-signers" {
		t.Fatalf("%d %q: %v", resp.StatusCode, p.Code, err)
	}
	if len(answer) > 16<<10 {
		t.Errorf("the answer is %d bytes long", len(answer))
	}
	grew := after.TotalAlloc - before.TotalAlloc
	t.Logf("answer %d bytes, %d KiB allocated", len(answer), grew>>10)
	if grew > 16<<20 {
		t.Errorf("allocated %d MiB for the request", grew>>20)
	}
}

// endless streams zeros after a PDF header without ever holding them.
type endless struct{ n, limit int64 }

func (z *endless) Read(p []byte) (int, error) {
	if z.n >= z.limit {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.limit-z.n)]
	clear(p)
	if z.n == 0 {
		copy(p, "%PDF-1.7\n")
	}
	z.n += int64(len(p))
	return len(p), nil
}

// TestOversizeUploadRefused streams a document over the 10 MiB limit and
// checks it is refused with 413 while the heap stays far below the upload:
// the bytes are never collected in memory. (The peak heap is measured, not
// the total allocated: over HTTP/2 the server reads the refused body to its
// end, and under the race detector sync.Pool drops buffers on purpose, so
// the allocation total counts churn that is never held.)
func TestOversizeUploadRefused(t *testing.T) {
	e := newEnv(t)
	c := e.client(orgA)
	const size = 40 << 20
	runtime.GC()
	base := heapNow()
	stop := peakHeap()
	_, err := c.CreateJob(context.Background(), directRequest(),
		[]client.Upload{{Part: "doc1", FileName: "big.pdf", Body: &endless{limit: size}}})
	peak := stop()
	problemOf(t, err, http.StatusRequestEntityTooLarge, "document-too-large")
	if peak > base+size/2 {
		t.Fatalf("the heap grew by %d MiB while refusing a %d MiB upload", (peak-base)>>20, size>>20)
	}
	list, _ := c.ListJobs(context.Background(), client.ListOptions{})
	if len(list.Jobs) != 0 {
		t.Fatal("a job was stored")
	}
}

// TestAuditLogChain checks that API actions land in the hash chain, that
// `segl audit verify` logic accepts it, and that an edit is caught.
func TestAuditLogChain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	j := e.mustCreate(e.client(orgA), directRequest())
	e.client(orgA).CancelJob(ctx, j.ID)
	var v audit.Verifier
	var actions []string
	err := e.srv.Store.AuditRecords(ctx, 0, func(r audit.Record) error {
		actions = append(actions, r.Action)
		if r.Action == "job.created" && !strings.Contains(string(r.Details), j.Documents[0].SHA256) {
			t.Errorf("job.created does not record the document hash: %s", r.Details)
		}
		return v.Next(r)
	})
	// The development onboarding comes first (org.saved, user.saved per
	// organisation), then the job's five.
	want := []string{"job.created", "job.active", "job.cancelled", "signer.cancelled", "signer.cancelled"}
	if err != nil || v.Count != int64(len(actions)) || !slices.Equal(actions[len(actions)-5:], want) {
		t.Fatalf("verify: %v after %d records (%v)", err, v.Count, actions)
	}
	var _ store.Store = e.srv.Store
}

// TestDevTimeStampAuthority asks the running server's /dev/tsa with the
// same client the signing code will use, and checks the answer with openssl.
func TestDevTimeStampAuthority(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	roots := e.srv.Dev.Roots()
	c := &tsp.Client{URL: e.srv.URL + "/dev/tsa", Roots: roots, HTTP: e.anonymous().HTTP}
	data := []byte("segl time-stamp check")
	sum := sha256.Sum256(data)
	token, err := c.Stamp(context.Background(), crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(dir+"/data", data, 0o600)
	os.WriteFile(dir+"/token.der", token, 0o600)
	out, err := exec.Command("openssl", "ts", "-verify", "-data", dir+"/data", "-in", dir+"/token.der", "-token_in",
		"-CAfile", e.data+"/pki/root-ca.pem", "-untrusted", e.data+"/pki/tsa.pem").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v\n%s", err, out)
	}
}

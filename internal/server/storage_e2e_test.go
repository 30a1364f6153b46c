package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/dev/population"
	"github.com/segl/segl/internal/signerbot"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
)

// storageJob is what storageRun did: the job, what was uploaded, and
// what the data directory held once the job was completed.
type storageJob struct {
	job      *client.Job
	uploaded int64 // bytes of the uploaded documents
	disk     int64 // bytes of every file in the data directory
	blobs    int64 // of them, the blob store's
}

// storageRun creates a direct job of docs PDFs of size bytes each and
// signers sequential signers of the synthetic population, has each sign
// in turn through the signer pages, waits for the job's completion (PAdES
// B-LTA) and measures the data directory.
func (e *env) storageRun(tb testing.TB, docs, size, signers int) storageJob {
	tb.Helper()
	ctx := context.Background()
	pop, err := population.Load()
	if err != nil {
		tb.Fatal(err)
	}
	req := directRequest()
	req.Signers = nil
	for _, p := range pop.People {
		if len(req.Signers) < signers && len(p.EIDs) > 0 {
			req.Signers = append(req.Signers, client.SignerRequest{PID: p.PID, Order: len(req.Signers) + 1})
		}
	}
	if len(req.Signers) != signers {
		tb.Fatalf("the population has %d people who can log in, want %d", len(req.Signers), signers)
	}
	req.Documents = nil
	var uploads []client.Upload
	var uploaded int64
	for i := range docs {
		part := fmt.Sprintf("doc%d", i+1)
		pdf := testdocs.PDF(fmt.Sprintf("Dokument %d", i+1), size)
		uploaded += int64(len(pdf))
		req.Documents = append(req.Documents, client.DocumentRef{Title: "Dokument " + part, File: part})
		uploads = append(uploads, client.Upload{Part: part, FileName: part + ".pdf", ContentType: "application/pdf",
			Body: bytes.NewReader(pdf)})
	}
	c := e.client(orgA)
	j, err := c.CreateJob(ctx, req, uploads)
	if err != nil {
		tb.Fatalf("create job: %v", err)
	}
	for i, s := range j.Signers {
		bot, err := signerbot.New(e.srv.URL, e.srv.Dev.Roots())
		if err != nil {
			tb.Fatal(err)
		}
		view, err := bot.Login(s.SigningURL, req.Signers[i].PID, "")
		if err != nil {
			tb.Fatalf("signer %d: %v", i+1, err)
		}
		done, err := bot.Submit(view, "/sign", url.Values{"confirm": {"yes"}})
		if err == nil {
			_, err = done.ExitToken(req.ExitURLs.Completion)
		}
		if err != nil {
			tb.Fatalf("signer %d: %v", i+1, err)
		}
	}
	if got := e.completed(c, j.ID); got.Status != client.JobCompleted {
		tb.Fatalf("job %s is %s, want completed", j.ID, got.Status)
	}
	out := storageJob{job: j, uploaded: uploaded}
	err = filepath.WalkDir(e.data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out.disk += info.Size()
		if strings.HasPrefix(path, filepath.Join(e.data, "blobs")+string(filepath.Separator)) {
			out.blobs += info.Size()
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestRevisionsStoredOnce signs a job of 4 documents of 3 MB by 4
// signers in turn and checks that each revision was stored once: the data
// directory (blobs, databases, keys) holds at most 1.3 times the uploaded
// bytes, where storing every revision whole held about six times as much.
// (What each act appends, about 64 KB a document, does not grow with the
// document: with 1 MB documents it alone is 0.3 times the upload.)
// The B-LTA file, read back from its parts, is the file whose SHA-256 was
// recorded (the ETag and the audit trail's final_sha256), is served with
// its length and in ranges, and passes pdfsig and qpdf --check.
func TestRevisionsStoredOnce(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"pdfsig", "qpdf"} {
		if _, err := exec.LookPath(tool); err != nil {
			testtool.Missing(t, "%s not installed", tool)
		}
	}
	e := newEnv(t)
	run := e.storageRun(t, 4, 3_000_000, 4)
	t.Logf("uploaded %d bytes; data directory %d (blobs %d): %.3f × uploaded", run.uploaded, run.disk, run.blobs,
		float64(run.disk)/float64(run.uploaded))
	if limit := run.uploaded * 13 / 10; run.disk > limit {
		t.Errorf("the data directory holds %d bytes, more than 1.3 × the %d uploaded", run.disk, run.uploaded)
	}

	ctx := context.Background()
	c := e.client(orgA)
	j, err := e.srv.Store.Job(ctx, orgA, run.job.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range j.Documents {
		if len(d.Signed.Parts) != 3+4+1 { // the prepared file (its own bytes around the upload's padding), 4 acts, completion
			t.Errorf("document %s is stored in %d parts: %+v", d.ID, len(d.Signed.Parts), d.Signed.Parts)
		}
	}
	d := j.Documents[0]
	target := e.srv.URL + "/api/v1/jobs/" + j.ID + "/documents/" + d.ID + "/signed"
	resp, err := c.HTTP.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	file, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %v", resp.StatusCode, err)
	}
	sum := sha256.Sum256(file)
	if hex.EncodeToString(sum[:]) != d.Signed.SHA256 || int64(len(file)) != d.Signed.Size ||
		resp.Header.Get("ETag") != `"`+d.Signed.SHA256+`"` || resp.ContentLength != d.Signed.Size {
		t.Fatalf("downloaded %d bytes with SHA-256 %x, ETag %s, Content-Length %d; stored %s, %d bytes",
			len(file), sum, resp.Header.Get("ETag"), resp.ContentLength, d.Signed.SHA256, d.Signed.Size)
	}
	if !auditNames(t, e, j.ID, `"final_sha256":["`+d.Signed.SHA256) {
		t.Fatal("the audit trail does not name the downloaded file's SHA-256")
	}
	// A range across the end of the prepared file and into the first act's
	// update comes from two spans (of one blob: the prepared file's own
	// bytes and the act's update are stored together).
	from := d.Signed.Parts[0].Size + d.Signed.Parts[1].Size + d.Signed.Parts[2].Size - 100
	rq, _ := http.NewRequest("GET", target, nil)
	rq.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, from+999))
	resp, err = c.HTTP.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, file[from:from+1000]) {
		t.Fatalf("range: %d, %d bytes, equal %v", resp.StatusCode, len(part), bytes.Equal(part, file[from:from+1000]))
	}

	f := filepath.Join(t.TempDir(), "signed.pdf")
	if err := os.WriteFile(f, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("pdfsig", "-nssdir", nssdb(t, e.data), f).CombinedOutput()
	if strings.Count(string(out), "Signature is Valid.") < 4 || strings.Contains(string(out), "Signature is Invalid") {
		t.Fatalf("pdfsig:\n%s", out)
	}
	if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
}

// auditNames reports whether an audit record of job id contains s.
func auditNames(t *testing.T, e *env, id, s string) bool {
	t.Helper()
	found := false
	err := e.srv.Store.AuditRecords(context.Background(), 0, func(r audit.Record) error {
		if r.JobID == id && bytes.Contains(r.Details, []byte(s)) {
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// BenchmarkRevisionStorage runs the job of issue 10: 20 documents of
// 10 MB, 10 signers in turn, to completion, and reports the bytes of the
// data directory per uploaded byte (docs/benchmarks.md). One iteration
// takes minutes: run it with -benchtime 1x.
func BenchmarkRevisionStorage(b *testing.B) {
	for range b.N {
		e := newEnvB(b)
		run := e.storageRun(b, 20, 10_000_000, 10)
		b.ReportMetric(float64(run.disk)/float64(run.uploaded), "disk-bytes/uploaded-byte")
		b.ReportMetric(float64(run.blobs)/float64(run.uploaded), "blob-bytes/uploaded-byte")
		e.stop()
	}
}

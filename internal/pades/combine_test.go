package pades_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pdfa"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/validate"
)

// TestSealCombined seals, at B-LTA, a combined document as a job of
// Posten's API gets one (issue 13): a front page rendered by
// pdfa.RenderText followed by two documents. The combined document is the
// first revision, segl's validator passes the whole, and pdfsig finds the
// seal valid and its certificate trusted (the revisions B-LTA adds after
// it are the validation data and the document time-stamp).
func TestSealCombined(t *testing.T) {
	for _, tool := range []string{"pdfsig", "certutil", "qpdf"} {
		if _, err := exec.LookPath(tool); err != nil {
			testtool.Missing(t, "%s not installed (Debian packages poppler-utils, libnss3-tools, qpdf)", tool)
		}
	}
	var front bytes.Buffer
	if _, err := pdfa.RenderText(&front, strings.NewReader("1. Avtale\n2. Vedlegg"), pdfa.Meta{Title: "Forside", Lang: "nb",
		Created: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	docs := [][]byte{front.Bytes(), testdocs.PDF("Avtale", 20_000), testdocs.PDF("Vedlegg", 5_000)}
	var srcs []pdf.CombineSource
	for _, d := range docs {
		srcs = append(srcs, pdf.CombineSource{R: bytes.NewReader(d), Size: int64(len(d))})
	}
	var combined bytes.Buffer
	if _, err := pdf.Combine(&combined, srcs); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	out := e.sealDoc(t, combined.Bytes(), pades.BLTA)
	if !bytes.HasPrefix(out, combined.Bytes()) {
		t.Fatal("the combined document is not the first revision")
	}
	rep, err := validate.PDF(bytes.NewReader(out), int64(len(out)), validate.Options{Roots: e.dev.Roots()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indication != validate.TotalPassed {
		t.Fatalf("validation: %s: %+v", rep.Indication, rep)
	}
	path := filepath.Join(t.TempDir(), "sealed.pdf")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("qpdf", "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, b)
	}
	b, _ := exec.Command("pdfsig", "-nssdir", trustOnly(t, e.dev.Root), path).CombinedOutput()
	report := string(b)
	first, _, _ := strings.Cut(report, "Signature #2")
	for _, want := range []string{"Signature is Valid.", "Certificate is Trusted."} {
		if !strings.Contains(first, want) {
			t.Errorf("pdfsig does not say %q of the seal:\n%s", want, report)
		}
	}
}

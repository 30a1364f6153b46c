package pdf_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pdfa"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
)

// render makes a PDF/A-3b document of text with pdfa.RenderText, as segl
// makes the front page of a combined document.
func render(t *testing.T, title, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := pdfa.RenderText(&b, strings.NewReader(text), pdfa.Meta{Title: title, Lang: "nb",
		Created: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func combineAll(t *testing.T, docs ...[]byte) ([]byte, pdf.CombineResult) {
	t.Helper()
	var srcs []pdf.CombineSource
	for _, d := range docs {
		srcs = append(srcs, pdf.CombineSource{R: bytes.NewReader(d), Size: int64(len(d))})
	}
	var out bytes.Buffer
	res, err := pdf.Combine(&out, srcs)
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), res
}

// tool runs a command on data written to a file and returns its output.
func tool(t *testing.T, data []byte, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		testtool.Missing(t, "%s not installed", name)
	}
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	args = append(args, path)
	if name == "pdftotext" {
		args = append(args, "-") // to stdout
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

func claimOf(t *testing.T, data []byte) (pdf.PDFAClaim, pdf.Dict) {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	xmp, err := r.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := r.Resolve(r.Trailer()["Root"])
	if err != nil {
		t.Fatal(err)
	}
	return pdf.ReadPDFAClaim(xmp), cat.(pdf.Dict)
}

// TestCombinePDFA combines a front page rendered by pdfa.RenderText with
// two rendered documents: the combination claims PDF/A-3b, with the front
// page's output intent, and Apache PDFBox's preflight, which knows
// PDF/A-1b only, finds nothing wrong when the claim says part 1 (what
// PDF/A-3 adds to PDF/A-1 is attachments, which it has none of). With a
// document that claims nothing, the combination claims nothing either.
func TestCombinePDFA(t *testing.T) {
	front := render(t, "Forside", "Dokumenter i denne jobben:\n1. Avtale\n2. Vedlegg")
	avtale := render(t, "Avtale", "Avtalen gjelder levering av tjenester.")
	vedlegg := render(t, "Vedlegg", "Vedlegg A: prisliste.")
	out, res := combineAll(t, front, avtale, vedlegg)
	if !res.PDFA || !slices.Equal(res.Pages, []int{1, 1, 1}) {
		t.Fatalf("result %+v", res)
	}
	tool(t, out, "qpdf", "--check")
	text := tool(t, out, "pdftotext", "-q")
	if a, b, c := strings.Index(text, "Dokumenter i denne jobben"), strings.Index(text, "Avtalen gjelder"), strings.Index(text, "Vedlegg A"); a < 0 || b < a || c < b {
		t.Errorf("text out of order:\n%s", text)
	}
	claim, cat := claimOf(t, out)
	if claim != (pdf.PDFAClaim{Part: 3, Conformance: "B"}) || cat["OutputIntents"] == nil || string(cat["Lang"].(pdf.String)) != "nb" {
		t.Fatalf("claim %+v, catalog %v", claim, cat)
	}
	for _, d := range res.Dropped {
		if !strings.Contains(d, "XMP metadata") && !strings.Contains(d, "output intents") &&
			!strings.Contains(d, "document information") && !strings.Contains(d, "viewer preferences") {
			t.Errorf("dropped %q", d)
		}
	}

	part1 := bytes.Replace(out, []byte("<pdfaid:part>3</pdfaid:part>"), []byte("<pdfaid:part>1</pdfaid:part>"), 1)
	path := filepath.Join(t.TempDir(), "part1.pdf")
	if err := os.WriteFile(path, part1, 0o644); err != nil {
		t.Fatal(err)
	}
	if problems := testtool.Preflight(t, path); problems != nil {
		t.Errorf("preflight:\n%s", strings.Join(problems, "\n"))
	}

	// An output intent for four colour components (a CMYK printer) in
	// the second document: one output intent cannot serve both.
	cmyk := bytes.Replace(avtale, []byte("/N 3 /Alternate /DeviceRGB"), []byte("/N 4 /Alternate /DeviceRGB"), 1)
	if bytes.Equal(cmyk, avtale) {
		t.Fatal("no output profile found to change")
	}
	out, res = combineAll(t, front, cmyk)
	if claim, _ := claimOf(t, out); res.PDFA || claim != (pdf.PDFAClaim{}) ||
		!slices.Contains(res.Dropped, "the PDF/A claim (the documents' output intents differ)") {
		t.Errorf("claim %+v with different output intents (%+v)", claim, res)
	}

	plain := testdocs.PDF("Not PDF/A", 1000)
	out, res = combineAll(t, front, plain)
	claim, cat = claimOf(t, out)
	if res.PDFA || claim != (pdf.PDFAClaim{}) || cat["OutputIntents"] != nil || cat["Metadata"] != nil {
		t.Fatalf("a combination with a document that is not PDF/A claims %+v (%+v)", claim, res)
	}
	if !slices.Contains(res.Dropped, "the PDF/A claim (d2 claims no PDF/A-1, -2 or -3 at level B)") {
		t.Errorf("dropped %q", res.Dropped)
	}
}

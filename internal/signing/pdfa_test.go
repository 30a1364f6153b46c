package signing

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pdfa"
	"github.com/segl/segl/internal/testtool"
)

// lifted are the PDF/A-1b rules that Apache PDFBox's preflight (which
// knows PDF/A-1b only) reports for a conformant PDF/A-3b file, each lifted
// by ISO 19005-3: the part number itself (6.6.4: part 3) and embedded
// files (6.8: allowed when associated through /AF with an
// /AFRelationship). Any other problem preflight reports is a real one.
var lifted = []string{
	"7.11.2 : Error on MetaData, part must be 1",
	// Embedded files, forbidden by PDF/A-1 6.1.11: in a file specification
	// and in the name dictionary.
	"1.2.9 : Body Syntax error, EmbeddedFile entry is present in a FileSpecification dictionary",
	"1.4.7 : Trailer Syntax error, EmbeddedFile entry is present in the Names dictionary",
}

func liftedByPDFA3(problem string) bool {
	for _, l := range lifted {
		if strings.HasPrefix(problem, l) {
			return true
		}
	}
	return false
}

// preflight writes data to a file and runs testtool.Preflight on it.
func preflight(t *testing.T, data []byte) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return testtool.Preflight(t, path)
}

// claimOf reads the PDF/A claim of a document's XMP metadata.
func claimOf(t *testing.T, data []byte) pdf.PDFAClaim {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	xmp, err := r.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	return pdf.ReadPDFAClaim(xmp)
}

// pdfaUpload is a PDF/A-<part>b document: a PDF/A-3b rendering whose XMP
// claims part 1 or 2 instead (the metadata is uncompressed and the digit
// keeps every offset). A rendering has no attachments, transparency or
// other feature PDF/A-1b forbids, so the claim is true; preflight checks
// it for part 1.
func pdfaUpload(t *testing.T, part byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := pdfa.RenderText(&b, strings.NewReader(vedlegg), pdfa.Meta{Title: "Vedlegg", Lang: "nb",
		Created: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	if bytes.Count(data, []byte("<pdfaid:part>3</pdfaid:part>")) != 1 {
		t.Fatal("the rendering's XMP does not claim part 3 in clear")
	}
	return bytes.Replace(data, []byte("<pdfaid:part>3</pdfaid:part>"), []byte("<pdfaid:part>"+string(part)+"</pdfaid:part>"), 1)
}

// TestPDFAClaimStaysTrue signs PDF/A-1b and PDF/A-2b uploads and a text
// upload and checks the claims: the uploads come out claiming PDF/A-3b
// (the evidence they now carry is allowed by PDF/A-3 only), the text stays
// PDF/A-3b; Apache PDFBox's preflight finds the PDF/A-1b upload valid
// before signing, and nothing but what PDF/A-3 lifts in any of them
// after, CIDSet of segl's font subsets included.
func TestPDFAClaimStaysTrue(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	j := Job{ID: "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e78", Title: "Arkiv", SenderOrg: "312345679",
		Identifier: job.ShowName, Signers: 2, Lang: "nb"}

	a1, a2 := pdfaUpload(t, '1'), pdfaUpload(t, '2')
	if problems := preflight(t, a1); problems != nil {
		t.Fatalf("preflight on the PDF/A-1b upload: %v", problems)
	}
	for _, p := range preflight(t, a2) {
		if !liftedByPDFA3(p) {
			t.Errorf("preflight on the PDF/A-2b upload: %s", p)
		}
	}
	docs := []*document{
		prepare(t, e, j, "a1", "PDF/A-1b", "a1.pdf", "application/pdf", a1),
		prepare(t, e, j, "a2", "PDF/A-2b", "a2.pdf", "application/pdf", a2),
		prepare(t, e, j, "txt", "Tekst", "tekst.txt", "text/plain; charset=utf-8", []byte(vedlegg)),
	}
	// Prepared, before any signature: the text rendering with its
	// signature page, and the uploads with theirs.
	for _, d := range docs {
		for _, p := range preflight(t, d.data) {
			if !liftedByPDFA3(p) {
				t.Errorf("preflight on prepared %s: %s", d.meta.ID, p)
			}
		}
	}
	// Two acts: the second's appearance, like the first's, draws with
	// the signature page's font (pdfa.AppearanceText).
	sign(t, e, Act{Job: j, Slot: 0, Signer: ola, SignedAt: time.Date(2026, 3, 5, 11, 2, 3, 0, time.UTC)}, docs)
	sign(t, e, Act{Job: j, Slot: 1, Signer: kari, SignedAt: time.Date(2026, 3, 5, 12, 2, 3, 0, time.UTC)}, docs)
	for _, d := range docs {
		complete(t, e, d)
		t.Run(d.meta.ID, func(t *testing.T) {
			if c := claimOf(t, d.data); c != (pdf.PDFAClaim{Part: 3, Conformance: "B"}) {
				t.Errorf("claim after signing %+v, want PDF/A-3b", c)
			}
			for _, p := range preflight(t, d.data) {
				if !liftedByPDFA3(p) {
					t.Errorf("preflight after signing: %s", p)
				}
			}
			if out := run(t, d.data, "qpdf", "--check", "{}"); !strings.Contains(out, "No syntax or stream encoding errors found") {
				t.Errorf("qpdf --check:\n%s", out)
			}
		})
	}
}

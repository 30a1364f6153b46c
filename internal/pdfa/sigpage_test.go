package pdfa

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/pdf"
)

// appendPages is what the PDF writer does with SignaturePage's objects: an
// incremental update (ISO 32000-1 7.5.6) that writes them, a new version of
// the page tree root with the pages added, and a cross-reference section.
func appendPages(t *testing.T, doc []byte, sig Signatures) []byte {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	tr := r.Trailer()
	size, _ := tr["Size"].(pdf.Int)
	root, _ := tr["Root"].(pdf.Ref)
	cat := dict(t, r, root)
	pagesRef, _ := cat["Pages"].(pdf.Ref)
	node := dict(t, r, pagesRef)

	next := int(size)
	po, err := SignaturePage(sig, pagesRef, func() (pdf.Ref, error) {
		next++
		return pdf.Ref{Num: next - 1}, nil
	})
	if err != nil {
		t.Fatalf("SignaturePage: %v", err)
	}

	out := bytes.NewBuffer(bytes.Clone(doc))
	offs := map[int]int{}
	for _, o := range po.Objects {
		offs[o.Ref.Num] = out.Len()
		if _, err := o.WriteTo(out); err != nil {
			t.Fatal(err)
		}
	}
	if len(offs) != next-int(size) {
		t.Fatalf("%d objects returned, %d allocated", len(offs), next-int(size))
	}
	var kids []string
	for _, k := range node["Kids"].(pdf.Array) {
		kids = append(kids, k.(pdf.Ref).String())
	}
	for _, p := range po.Pages {
		kids = append(kids, p.String())
	}
	count, _ := node["Count"].(pdf.Int)
	offs[pagesRef.Num] = out.Len()
	fmt.Fprintf(out, "%d 0 obj\n<< /Type /Pages /Count %d /Kids [%s] >>\nendobj\n",
		pagesRef.Num, int(count)+len(po.Pages), strings.Join(kids, " "))

	xref := out.Len()
	fmt.Fprintf(out, "xref\n%d 1\n%010d 00000 n \n%d %d\n", pagesRef.Num, offs[pagesRef.Num], size, next-int(size))
	for n := int(size); n < next; n++ {
		fmt.Fprintf(out, "%010d 00000 n \n", offs[n])
	}
	id := tr["ID"].(pdf.Array)
	fmt.Fprintf(out, "trailer\n<< /Size %d /Root %v /Info %v /ID [<%x> <%x>] /Prev %d >>\nstartxref\n%d\n%%%%EOF\n",
		next, root, tr["Info"], id[0], id[1], r.Revisions()[0], xref)
	return out.Bytes()
}

func TestSignaturePage(t *testing.T) {
	doc, info := render(t, consent, Meta{Title: "Samtykke", Lang: "nb", Created: created})
	oslo := time.FixedZone("CET", 3600)
	sig := Signatures{
		Document: "Samtykke",
		Signers: []Signer{
			{Name: "Ærlige Åse Østby", Method: "BankID, nivå høyt / level high", SignedAt: time.Date(2026, 3, 5, 14, 10, 0, 0, oslo)},
			{Name: "Ola Nordmann", OnBehalfOf: "Eksempel AS (912 345 678)", Method: "MinID", SignedAt: time.Date(2026, 3, 6, 9, 0, 1, 0, oslo)},
		},
	}
	data := appendPages(t, doc, sig)
	qpdfCheck(t, data)
	pi, err := pdf.Check(bytes.NewReader(data), int64(len(data)))
	if err != nil || pi.Pages != info.Pages+1 || pi.Revisions != 2 {
		t.Fatalf("pdf.Check = %+v, %v; want %d pages in 2 revisions", pi, err, info.Pages+1)
	}
	fonts := tool(t, data, "pdffonts")
	if n := len(regexp.MustCompile(`(?m)^[A-Z]{6}\+DejaVuSans +CID TrueType +Identity-H +yes yes yes `).FindAllString(fonts, -1)); n != 2 {
		t.Errorf("pdffonts: want two embedded subsets with ToUnicode:\n%s", fonts)
	}
	pages := extracted(t, data)
	last := pages[len(pages)-1]
	for _, want := range []string{
		"Signaturer / Signatures",
		"Dokument / Document: Samtykke",
		"1. Ærlige Åse Østby",
		"Signert / Signed: 2026-03-05 14:10:00 CET",
		"Metode / Method: BankID, nivå høyt / level high",
		"2. Ola Nordmann",
		"På vegne av / On behalf of: Eksempel AS (912 345 678)",
	} {
		if !strings.Contains(last, want) {
			t.Errorf("signature page lacks %q:\n%s", want, last)
		}
	}
	if !strings.Contains(tool(t, data, "pdftotext", "{}", "-"), "Signaturside 1 av 1 / Signature page 1 of 1") {
		t.Error("signature page footer missing")
	}
	// The update keeps the document PDF/A: the structure checks pass on
	// the updated file too.
	checkPDFA(t, data, Meta{Title: "Samtykke", Lang: "nb", Created: created})
}

func TestSignaturePageManySigners(t *testing.T) {
	doc, _ := render(t, "x", Meta{Created: created})
	sig := Signatures{Document: strings.Repeat("Et langt dokumentnavn ", 20)}
	for i := range 40 {
		sig.Signers = append(sig.Signers, Signer{
			Name: fmt.Sprintf("Signer %d", i+1), OnBehalfOf: "Org", Method: "BankID",
			SignedAt: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC),
		})
	}
	data := appendPages(t, doc, sig)
	qpdfCheck(t, data)
	pages := extracted(t, data)
	if len(pages) < 3 {
		t.Fatalf("%d pages, want the 40 signers to need more than one signature page", len(pages))
	}
	all := strings.Join(pages[1:], "\n")
	for i := range 40 {
		if !strings.Contains(all, fmt.Sprintf("%d. Signer %d\n", i+1, i+1)) {
			t.Errorf("signer %d missing", i+1)
		}
	}
	n := len(pages) - 1
	if !strings.Contains(tool(t, data, "pdftotext", "{}", "-"), fmt.Sprintf("Signaturside %d av %d / Signature page %d of %d", n, n, n, n)) {
		t.Error("last signature page footer missing")
	}
}

func TestSignaturePageErrors(t *testing.T) {
	alloc := func() (pdf.Ref, error) { return pdf.Ref{Num: 7}, nil }
	one := []Signer{{Name: "A", SignedAt: created}}
	for _, tc := range []struct {
		name   string
		sig    Signatures
		parent pdf.Ref
		alloc  func() (pdf.Ref, error)
	}{
		{"fail/no-signers", Signatures{}, pdf.Ref{Num: 2}, alloc},
		{"fail/no-signing-time", Signatures{Signers: []Signer{{Name: "A"}}}, pdf.Ref{Num: 2}, alloc},
		{"fail/no-name", Signatures{Signers: []Signer{{SignedAt: created}}}, pdf.Ref{Num: 2}, alloc},
		{"fail/no-parent", Signatures{Signers: one}, pdf.Ref{}, alloc},
		{"fail/alloc-repeats-a-number", Signatures{Signers: one}, pdf.Ref{Num: 2}, alloc},
		{"fail/alloc-fails", Signatures{Signers: one}, pdf.Ref{Num: 2}, func() (pdf.Ref, error) { return pdf.Ref{}, fmt.Errorf("pdf: too many objects") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SignaturePage(tc.sig, tc.parent, tc.alloc)
			if err == nil || !strings.HasPrefix(err.Error(), "pdf") {
				t.Errorf("err = %v, want an error", err)
			}
		})
	}
}

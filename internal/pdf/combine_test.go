package pdf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/testdocs"
)

// combine runs Combine on docs and checks what every result must satisfy:
// the output opens, passes Check, has one revision, one %%EOF and the sum
// of the sources' pages, and qpdf --check finds nothing wrong.
func combine(t testing.TB, docs ...[]byte) ([]byte, CombineResult) {
	t.Helper()
	srcs := make([]CombineSource, len(docs))
	for i, d := range docs {
		srcs[i] = CombineSource{R: bytes.NewReader(d), Size: int64(len(d))}
	}
	var out bytes.Buffer
	res, err := Combine(&out, srcs)
	if err != nil {
		t.Fatalf("Combine: %v", err)
	}
	if res.Size != int64(out.Len()) {
		t.Fatalf("Size %d, wrote %d", res.Size, out.Len())
	}
	want := 0
	for i, d := range docs {
		info, err := Check(bytes.NewReader(d), int64(len(d)))
		if err != nil {
			t.Fatalf("Check of source %d: %v", i+1, err)
		}
		if res.Pages[i] != info.Pages {
			t.Fatalf("Pages %v: source %d has %d", res.Pages, i+1, info.Pages)
		}
		want += info.Pages
	}
	got, err := Check(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatalf("Check of the output: %v", err)
	}
	if got.Pages != want || got.Revisions != 1 || got.Findings != nil {
		t.Fatalf("output: %+v, want %d pages in one revision", got, want)
	}
	if n := bytes.Count(out.Bytes(), []byte("%%EOF")); n != 1 {
		t.Fatalf("output has %d %%%%EOF markers", n)
	}
	qpdfCheck(t, out.Bytes())
	return out.Bytes(), res
}

// pdfinfoPages returns what pdfinfo says of each page's size and rotation.
func pdfinfoPages(t testing.TB, data []byte) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfinfo", "-f", "1", "-l", "100000", path).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	var pages []string
	for _, m := range regexp.MustCompile(`(?m)^Page +\d+ (size|rot): +(.*)$`).FindAllStringSubmatch(string(out), -1) {
		pages = append(pages, m[1]+" "+m[2])
	}
	return pages
}

// inheritedDoc has two pages that take their attributes from the page
// tree (ISO 32000-1 §7.7.3.4): the first, under an intermediate node,
// its crop box and rotation from that node and its resources from the
// root; the second everything from the root. Its catalog carries what
// Combine drops.
func inheritedDoc(first, second string) []byte {
	b := newBuilder("1.6")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R /Outlines 9 0 R /PageLabels << /Nums [0 << /S /r >>] >> "+
		"/OpenAction [3 0 R /Fit] /Names << /Dests 10 0 R >> /Dests << /there [7 0 R /Fit] >> /StructTreeRoot 11 0 R /MarkInfo << /Marked true >> >>")
	b.obj(2, "<< /Type /Pages /Kids [6 0 R 3 0 R] /Count 2 /MediaBox [0 0 300 500] /Rotate 90 /Resources << /Font << /F1 5 0 R >> >> >>")
	// A link to a named destination (PDF 1.1 style) in a direct array.
	b.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /StructParents 0 /Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /Dest /there >>] >>")
	b.stream(4, "", []byte("BT /F1 12 Tf 20 300 Td ("+second+") Tj ET"))
	b.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	b.obj(6, "<< /Type /Pages /Parent 2 0 R /Kids [7 0 R] /Count 1 /CropBox [10 10 290 490] /Rotate 180 >>")
	b.obj(7, "<< /Type /Page /Parent 6 0 R /Contents 8 0 R /MediaBox [0 0 400 600] /Annots [12 0 R 14 0 R 15 0 R] >>")
	b.stream(8, "", []byte("BT /F1 12 Tf 20 300 Td ("+first+") Tj ET"))
	b.obj(9, "<< /Type /Outlines /Count 0 >>")
	b.obj(10, "<< /Names [(here) [3 0 R /Fit]] >>")
	b.obj(11, "<< /Type /StructTreeRoot >>")
	// A link to the other page whose /P names the wrong page, and that
	// refers to the structure tree, which is not copied along.
	b.obj(12, "<< /Type /Annot /Subtype /Link /Rect [20 20 100 40] /Dest [3 0 R /Fit] /P 3 0 R /StructParent 1 /Tree 11 0 R >>")
	b.obj(13, "<< /Title (Inherited) >>")
	// Links to a named destination of the name tree (PDF 1.2 style), as
	// a table of contents has them: by /Dest and by a GoTo action.
	b.obj(14, "<< /Type /Annot /Subtype /Link /Rect [20 50 100 70] /Dest (here) >>")
	b.obj(15, "<< /Type /Annot /Subtype /Link /Rect [20 80 100 90] /A << /S /GoTo /D (here) >> >>")
	b.xref("<< /Size 16 /Root 1 0 R /Info 13 0 R >>")
	return b.Bytes()
}

// qpdfConvert runs qpdf with args on data and returns its output.
func qpdfConvert(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("qpdf", append(append(args, in), out)...).CombinedOutput(); err != nil {
		t.Fatalf("qpdf %v: %v\n%s", args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// inOrder reports whether each of words occurs in text after the one
// before it.
func inOrder(text string, words ...string) bool {
	at := 0
	for _, w := range words {
		i := strings.Index(text[at:], w)
		if i < 0 {
			return false
		}
		at += i + len(w)
	}
	return true
}

// TestCombine combines documents of every structure segl meets: object
// streams, incremental updates, inherited page attributes, a form, and
// checks what a reader of the combined PDF sees: qpdf finds nothing
// wrong, poppler shows the sources' text in order and each page at its
// size and rotation, and a Normalize of the output keeps every page.
func TestCombine(t *testing.T) {
	requireTools(t, "qpdf", "pdftotext", "pdfinfo")
	objstm := qpdfConvert(t, shadowDoc("Alpha in object streams", "", ""), "--object-streams=generate")
	incremental := appendRevision(t, shadowDoc("Hidden", "", ""), map[int]string{4: contentStream("Bravo in an update")})
	inherited := inheritedDoc("Charlie first", "Charlie second")
	form := formPDF()
	docs := [][]byte{objstm, incremental, inherited, form}
	out, res := combine(t, docs...)

	if !slices.Equal(res.Pages, []int{1, 1, 2, 2}) {
		t.Errorf("Pages %v", res.Pages)
	}
	text := pdftotext(t, out)
	if !inOrder(text, "Alpha in object streams", "Bravo in an update", "Charlie first", "Charlie second", "A form") || strings.Contains(text, "Hidden") {
		t.Errorf("text:\n%s", text)
	}
	var want []string
	for _, d := range docs {
		want = append(want, pdfinfoPages(t, d)...)
	}
	if got := pdfinfoPages(t, out); !slices.Equal(got, want) {
		t.Errorf("pages:\n%q\nwant\n%q", got, want)
	}
	if !slices.Contains(pdfinfoPages(t, out), "rot 180") {
		t.Error("the inherited rotation is lost")
	}
	for _, s := range []string{"/ObjStm", "/XRef", "/Prev", "/Outlines", "/StructTreeRoot", "/PageLabels", "/OpenAction", "/StructParent"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output contains %s", s)
		}
	}
	wantDropped := []string{
		"d2: 1 earlier revision",
		"d3: named destinations (/Dests)",
		"d3: the tagged-PDF marking (/MarkInfo)",
		"d3: the name dictionary (named destinations)",
		"d3: the action on opening (/OpenAction)",
		"d3: the outline (bookmarks)",
		"d3: page labels",
		"d3: the structure tree (the combined document is not tagged PDF)",
		"d3: the document information (/Info)",
		"d3: structure tree references (/StructParents) of 1 page",
	}
	if !slices.Equal(res.Dropped, wantDropped) {
		t.Errorf("Dropped:\n%q\nwant\n%q", res.Dropped, wantDropped)
	}

	// The link keeps its destination, the other page of its document,
	// and names its own page as /P.
	r := mustOpen(t, out)
	pages, err := r.pages()
	if err != nil {
		t.Fatal(err)
	}
	pageRefs := pageRefsOf(t, r)
	annots, _ := pages[2]["Annots"].(Array)
	if len(annots) != 3 {
		t.Fatalf("page 3 annotations %v", pages[2]["Annots"])
	}
	link := resolveDict(t, r, annots[0])
	if link["P"] != pageRefs[2] || link["Dest"].(Array)[0] != pageRefs[3] {
		t.Errorf("link %v, pages %v", link, pageRefs)
	}
	// Named destinations, whose names are dropped, are made explicit.
	if d, _ := resolveDict(t, r, annots[1])["Dest"].(Array); len(d) != 2 || d[0] != pageRefs[3] || d[1] != Name("Fit") {
		t.Errorf("link to (here) has /Dest %v, pages %v", d, pageRefs)
	}
	if a, _ := resolveDict(t, r, annots[2])["A"].(Dict); a["S"] != Name("GoTo") || a["D"].(Array)[0] != pageRefs[3] {
		t.Errorf("GoTo (here) is %v, pages %v", a, pageRefs)
	}
	if d, _ := resolveDict(t, r, pages[3]["Annots"].(Array)[0])["Dest"].(Array); len(d) != 2 || d[0] != pageRefs[2] {
		t.Errorf("link to /there has /Dest %v, pages %v", d, pageRefs)
	}

	var again bytes.Buffer
	nres, err := Normalize(&again, bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := Check(bytes.NewReader(again.Bytes()), int64(again.Len())); err != nil || info.Pages != 6 {
		t.Errorf("Normalize of the output: %+v, %v (%+v)", info, err, nres)
	}
	if len(nres.Dropped) != 0 {
		t.Errorf("Normalize of the output drops %q", nres.Dropped)
	}
}

// TestCombineFixtures combines every well-formed fixture of testdata, one
// structure each (classic table, update, hybrid, linearized, xref stream
// update, object streams): the text and pages are the sources' in order.
func TestCombineFixtures(t *testing.T) {
	requireTools(t, "qpdf", "pdftotext", "pdfinfo")
	var docs [][]byte
	var text string
	var pages []string
	for _, fx := range normalizeFixtures(t) {
		if len(fx.data) > 1<<20 {
			continue
		}
		docs = append(docs, fx.data)
		text += pdftotext(t, fx.data)
		pages = append(pages, pdfinfoPages(t, fx.data)...)
	}
	out, _ := combine(t, docs...)
	if got := pdftotext(t, out); got != text {
		t.Errorf("text %q, want %q", got, text)
	}
	if got := pdfinfoPages(t, out); !slices.Equal(got, pages) {
		t.Errorf("pages %q, want %q", got, pages)
	}
}

// pageRefsOf returns the page objects of r in order.
func pageRefsOf(t testing.TB, r *Reader) []Ref {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var refs []Ref
	if _, err := r.walkPageTree(func(p pageNode) error {
		if p.leaf {
			refs = append(refs, p.ref)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return refs
}

func resolveDict(t testing.TB, r *Reader, o Object) Dict {
	t.Helper()
	v, err := r.Resolve(o)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := v.(Dict)
	if !ok {
		t.Fatalf("%v is %T, not a dictionary", o, v)
	}
	return d
}

// fieldNames returns the fully qualified names of the terminal fields
// of r's form (§12.7.3.2).
func fieldNames(t testing.TB, r *Reader) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	cat, err := r.catalog()
	if err != nil {
		t.Fatal(err)
	}
	af, _ := r.resolve(cat["AcroForm"])
	d, _ := af.(Dict)
	fo, _ := r.resolve(d["Fields"])
	fields, _ := fo.(Array)
	var names []string
	if err := r.walkFields(fields, func(f formField) error {
		if _, kids := f.dict["Kids"]; !kids {
			names = append(names, f.name)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return names
}

// qpdfFieldNames returns the fully qualified names of the terminal
// fields as qpdf reads them.
func qpdfFieldNames(t testing.TB, data []byte) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("qpdf", "--json", "--json-key=acroform", path).Output()
	if err != nil {
		t.Fatalf("qpdf --json: %v", err)
	}
	var doc struct {
		AcroForm struct {
			Fields []struct {
				FullName string `json:"fullname"`
			} `json:"fields"`
		} `json:"acroform"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range doc.AcroForm.Fields {
		names = append(names, f.FullName)
	}
	return names
}

// TestCombineFormFields combines two copies of one form: its field keeps
// one name per document, each widget stays on its page, and the form's
// default appearance reaches both.
func TestCombineFormFields(t *testing.T) {
	requireTools(t, "qpdf")
	out, res := combine(t, formPDF(), simplePDF(1), formPDF())
	r := mustOpen(t, out)
	if got := fieldNames(t, r); !slices.Equal(got, []string{"d1.Signature1", "d3.Signature1"}) {
		t.Errorf("fields %q", got)
	}
	if got := qpdfFieldNames(t, out); !slices.Equal(got, []string{"d1.Signature1", "d3.Signature1"}) {
		t.Errorf("qpdf reads the fields %q", got)
	}
	if len(res.Dropped) != 0 {
		t.Errorf("Dropped %q", res.Dropped)
	}
	pageRefs := pageRefsOf(t, r)
	pages, err := r.pages()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 3} {
		annots, _ := r.Resolve(pages[i]["Annots"])
		a, _ := annots.(Array)
		if len(a) != 1 {
			t.Fatalf("page %d annotations %v", i+1, annots)
		}
		w := resolveDict(t, r, a[0])
		if w["P"] != pageRefs[i] {
			t.Errorf("widget on page %d has /P %v, want %v", i+1, w["P"], pageRefs[i])
		}
		parent := resolveDict(t, r, w["Parent"])
		if da, _ := parent["DA"].(String); string(da) != "/Helv 0 Tf 0 g" {
			t.Errorf("field node %v has no /DA", parent)
		}
	}
	// Named by the caller.
	var buf bytes.Buffer
	f := formPDF()
	if _, err := Combine(&buf, []CombineSource{
		{R: bytes.NewReader(f), Size: int64(len(f)), Prefix: "kontrakt"},
		{R: bytes.NewReader(f), Size: int64(len(f)), Prefix: "vedlegg"},
	}); err != nil {
		t.Fatal(err)
	}
	if got := fieldNames(t, mustOpen(t, buf.Bytes())); !slices.Equal(got, []string{"kontrakt.Signature1", "vedlegg.Signature1"}) {
		t.Errorf("fields %q", got)
	}
}

// TestCombineFormResources combines two forms with default resources
// (ISO 32000-1 §12.7.2) of one name and /NeedAppearances: the form keeps
// the first's font under the name, says the second's was left out, and
// asks viewers for appearances.
func TestCombineFormResources(t *testing.T) {
	requireTools(t, "qpdf")
	form := func(text string) []byte {
		return shadowDoc(text, "/AcroForm 6 0 R", "/Annots [7 0 R]",
			"<< /Fields [7 0 R] /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 8 0 R >> >> /NeedAppearances true >>",
			"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /Rect [72 600 300 620] /P 3 0 R >>",
			"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	}
	out, res := combine(t, form("One"), form("Two"))
	if got := qpdfFieldNames(t, out); !slices.Equal(got, []string{"d1.name", "d2.name"}) {
		t.Errorf("fields %q", got)
	}
	if !slices.Equal(res.Dropped, []string{"d2: form resource /Font /Helv (an earlier document's has the name)"}) {
		t.Errorf("Dropped %q", res.Dropped)
	}
	r := mustOpen(t, out)
	cat := resolveDict(t, r, r.Trailer()["Root"])
	af := resolveDict(t, r, cat["AcroForm"])
	font := resolveDict(t, r, resolveDict(t, r, resolveDict(t, r, af["DR"])["Font"])["Helv"])
	if af["NeedAppearances"] != Bool(true) || font["BaseFont"] != Name("Helvetica") || string(af["DA"].(String)) != "/Helv 0 Tf 0 g" {
		t.Errorf("form %v, font %v", af, font)
	}
}

// TestCombineManyPages checks the balanced page tree: more pages than one
// node holds, in order.
func TestCombineManyPages(t *testing.T) {
	requireTools(t, "qpdf", "pdftotext")
	out, _ := combine(t, simplePDF(100), simplePDF(40), shadowDoc("The last page", "", ""))
	if got := qpdfPages(t, out); got != "141" {
		t.Fatalf("qpdf counts %s pages", got)
	}
	text := pdftotext(t, out)
	if !inOrder(text, "page 100", "page 1\n", "page 40", "The last page") {
		t.Errorf("pages out of order:\n%s", text[len(text)-300:])
	}
}

// TestCombineThenSign signs a combined document and has pdfsig validate
// the signature.
func TestCombineThenSign(t *testing.T) {
	p := devPKI(t)
	out, _ := combine(t, shadowDoc("Alpha", "", ""), formPDF(), inheritedDoc("Charlie first", "Charlie second"))
	signed := p.sign(t, out, SignatureSpec{SigningTime: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), Reason: "Combined, then sealed"})
	qpdfCheck(t, signed)
	sigs := p.pdfsig(t, signed)
	if len(sigs) != 1 || !sigs[0].has("Signature is Valid") || !sigs[0].has("Total document signed") {
		t.Fatalf("pdfsig:\n%+v", sigs)
	}
}

// TestCombineRefuses checks what cannot be combined.
func TestCombineRefuses(t *testing.T) {
	p := devPKI(t)
	ok := simplePDF(1)
	signed := p.sign(t, ok, SignatureSpec{Reason: "signed"})
	encrypted, err := os.ReadFile(filepath.Join("testdata", "encrypted.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	link := shadowDoc("Link", "", "/Annots [6 0 R]", "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /JavaScript /JS (app.alert(1)) >> >>")
	xfa := shadowDoc("XFA", "/NeedsRendering true", "")
	src := func(docs ...[]byte) []CombineSource {
		var s []CombineSource
		for _, d := range docs {
			s = append(s, CombineSource{R: bytes.NewReader(d), Size: int64(len(d))})
		}
		return s
	}
	many := make([][]byte, MaxCombineSources+1)
	for i := range many {
		many[i] = ok
	}
	tests := []struct {
		name string
		srcs []CombineSource
		want error
	}{
		{"fail/signed", src(ok, signed), ErrSigned},
		{"fail/encrypted", src(encrypted), ErrEncrypted},
		{"fail/javascript-link", src(ok, link), ErrJavaScript},
		{"fail/dynamic-xfa", src(xfa), ErrDynamicXFA},
		{"fail/truncated", src(ok[:len(ok)/2]), ErrMalformed},
		{"fail/too-many", src(many...), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Combine(&bytes.Buffer{}, tt.srcs)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		name   string
		limits combineLimits
	}{
		{"fail/pages", combineLimits{sources: 3, pages: 2, objects: 1000}},
		{"fail/objects", combineLimits{sources: 3, pages: 3, objects: 10}}, // 2 + 3 a document
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := combineWithin(&bytes.Buffer{}, src(ok, ok, ok), tt.limits)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v, want ErrTooLarge", err)
			}
			if _, err := combineWithin(&bytes.Buffer{}, src(ok, ok), tt.limits); err != nil {
				t.Fatalf("within the limits: %v", err)
			}
		})
	}
	for _, prefixes := range [][2]string{{"a.b", "c"}, {"x", "x"}, {"", "d1"}} {
		t.Run(fmt.Sprintf("fail/prefixes-%q", prefixes), func(t *testing.T) {
			s := src(ok, ok)
			s[0].Prefix, s[1].Prefix = prefixes[0], prefixes[1]
			if _, err := Combine(&bytes.Buffer{}, s); err == nil || !strings.Contains(err.Error(), "prefix") {
				t.Fatalf("error %v", err)
			}
		})
	}
	if _, err := Combine(&bytes.Buffer{}, nil); err == nil {
		t.Fatal("nothing combined without an error")
	}
}

// ocDoc is a one-page document with two optional content groups (ISO
// 32000-1 §8.11), one shown and one hidden by its default configuration,
// by /OFF or, with base, by /BaseState /OFF and /ON.
func ocDoc(shown, hidden string, base bool) []byte {
	d := "/D << /OFF [7 0 R] /Order [6 0 R 7 0 R] >>"
	if base {
		d = "/D << /BaseState /OFF /ON [6 0 R] /Order [6 0 R 7 0 R] /ListMode /VisiblePages >>"
	}
	b := newBuilder("1.7")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R /OCProperties << /OCGs [6 0 R 7 0 R] "+d+" >> >>")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	b.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> /Properties << /a 6 0 R /b 7 0 R >> >> /Contents 4 0 R >>")
	b.stream(4, "", []byte("/OC /a BDC BT /F1 24 Tf 72 720 Td ("+shown+") Tj ET EMC /OC /b BDC BT /F1 24 Tf 72 600 Td ("+hidden+") Tj ET EMC"))
	b.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	b.obj(6, "<< /Type /OCG /Name (shown) >>")
	b.obj(7, "<< /Type /OCG /Name (hidden) >>")
	b.xref("<< /Size 8 /Root 1 0 R >>")
	return b.Bytes()
}

// TestCombineOptionalContent checks that content each source hides by
// default stays hidden, and what each shows stays shown.
func TestCombineOptionalContent(t *testing.T) {
	requireTools(t, "qpdf", "pdftotext")
	a, b := ocDoc("Shown in A", "Hidden in A", false), ocDoc("Shown in B", "Hidden in B", true)
	if text := pdftotext(t, a) + pdftotext(t, b); strings.Contains(text, "Hidden") || !strings.Contains(text, "Shown in B") {
		t.Fatalf("poppler does not hide optional content: %q", text)
	}
	out, res := combine(t, a, b)
	text := pdftotext(t, out)
	if !inOrder(text, "Shown in A", "Shown in B") || strings.Contains(text, "Hidden") {
		t.Errorf("text %q", text)
	}
	if !slices.Equal(res.Dropped, []string{"d2: optional content settings (/ListMode)"}) {
		t.Errorf("Dropped %q", res.Dropped)
	}
}

// FuzzCombine feeds mutated documents to Combine, twice in one call: it
// must fail with a classified error, or write a document of one revision
// that passes Check with both copies' pages, and that Combine takes again
// as it is. Run it with
//
//	go test -run='^$' -fuzz=FuzzCombine -fuzztime=60s -parallel=1 ./internal/pdf/
func FuzzCombine(f *testing.F) {
	for _, fx := range normalizeFixtures(f) {
		if len(fx.data) < 1<<20 {
			f.Add(fx.data)
		}
	}
	for _, name := range []string{"javascript", "javascript-names", "encrypted", "truncated"} {
		data, err := os.ReadFile(filepath.Join("testdata", name+".pdf"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(inheritedDoc("first", "second"))
	f.Add(ocDoc("shown", "hidden", true))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := CombineSource{R: bytes.NewReader(data), Size: int64(len(data))}
		var out bytes.Buffer
		res, err := Combine(&out, []CombineSource{src, src})
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrEncrypted) && !errors.Is(err, ErrJavaScript) &&
				!errors.Is(err, ErrUnsupportedFilter) && !errors.Is(err, ErrDynamicXFA) && !errors.Is(err, ErrSigned) &&
				!errors.Is(err, ErrTooLarge) {
				t.Fatalf("unclassified error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "pdf: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if len(res.Pages) != 2 || res.Pages[0] != res.Pages[1] || res.Pages[0] == 0 || res.Size != int64(out.Len()) {
			t.Fatalf("result %+v for %d bytes written", res, out.Len())
		}
		info, err := Check(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil || info.Pages != 2*res.Pages[0] || info.Revisions != 1 || info.Findings != nil {
			t.Fatalf("output: %+v, %v (result %+v)", info, err, res)
		}
		if max := 4*int64(len(data)) + 8192 + int64(res.Objects)*64; res.Size > max {
			t.Fatalf("%d bytes became %d", len(data), res.Size)
		}
		again, err := Combine(io.Discard, []CombineSource{{R: bytes.NewReader(out.Bytes()), Size: int64(out.Len())}})
		if err != nil || again.Pages[0] != info.Pages {
			t.Fatalf("Combine of the output: %+v, %v", again, err)
		}
	})
}

// TestCombineBoundedMemory checks that stream data is copied, not held:
// combining four documents of 4 MB allocates about what combining four of
// 64 KB does, the object table and the Readers, far less than one
// document's data. The least of three runs counts, so that a collection
// that happens to run during one does not decide.
func TestCombineBoundedMemory(t *testing.T) {
	allocs := func(size int) uint64 {
		data := testdocs.PDF("Memory", size)
		srcs := make([]CombineSource, 4)
		for i := range srcs {
			srcs[i] = CombineSource{R: bytes.NewReader(data), Size: int64(len(data))}
		}
		least := uint64(math.MaxUint64)
		for range 3 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if _, err := Combine(io.Discard, srcs); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			least = min(least, after.TotalAlloc-before.TotalAlloc)
		}
		return least
	}
	small, large := allocs(64<<10), allocs(4<<20)
	t.Logf("4 × 64 KB: %d bytes allocated; 4 × 4 MB: %d", small, large)
	if large > 1<<20 || int64(large)-int64(small) > 64<<10 {
		t.Errorf("combining 4 × 4 MB allocates %d bytes, 4 × 64 KB %d", large, small)
	}
}

// TestCombineVersion checks the header: the highest of the sources'
// versions, with the catalog's /Version, and at least 1.7.
func TestCombineVersion(t *testing.T) {
	requireTools(t, "qpdf")
	pdf20 := func() []byte {
		b := newBuilder("2.0")
		size := b.pageDoc(1, "", "")
		b.xref(fmt.Sprintf("<< /Size %d /Root 1 0 R >>", size))
		return b.Bytes()
	}()
	for _, tt := range []struct {
		name string
		docs [][]byte
		want string
	}{
		{"ok/1.4-becomes-1.7", [][]byte{simplePDF(1), simplePDF(2)}, "1.7"},
		{"ok/catalog-version", [][]byte{simplePDF(1), formPDF()}, "1.7"},
		{"ok/2.0", [][]byte{simplePDF(1), pdf20}, "2.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := combine(t, tt.docs...)
			if !bytes.HasPrefix(out, []byte("%PDF-"+tt.want+"\n")) {
				t.Errorf("header %q", out[:9])
			}
		})
	}
}

// TestCombineReportsLikeNormalize checks that what Combine leaves out of
// a document whose catalog holds nothing it drops is what Normalize
// reports: earlier revisions, unreferenced objects, linearization, /AA.
func TestCombineReportsLikeNormalize(t *testing.T) {
	requireTools(t, "qpdf")
	linearized, err := os.ReadFile(filepath.Join("testdata", "linearized.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		doc  []byte
	}{
		{"ok/update-unreferenced-aa", appendRevision(t, shadowDoc("Hidden", "", "/AA << /O << /S /Named /N /Print >> >>", "<< /Unused true >>"),
			map[int]string{4: contentStream("Shown")})},
		{"ok/linearized", linearized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, nres := normalize(t, tt.doc)
			_, res := combine(t, tt.doc)
			var want []string
			for _, d := range nres.Dropped {
				want = append(want, "d1: "+d)
			}
			if len(want) == 0 || !slices.Equal(res.Dropped, want) {
				t.Errorf("Dropped %q, Normalize's %q", res.Dropped, nres.Dropped)
			}
		})
	}
}

package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/segl/segl/internal/testtool"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// checkCase is one document and what Check should say about it.
type checkCase struct {
	name      string
	file      string        // under testdata/, or
	data      func() []byte // built in memory
	err       error         // nil for ok/ cases
	why       string        // expected in the error message
	pages     int
	revisions int
	version   string
	findings  []string // codes of Info.Findings
}

func (c checkCase) bytes(t testing.TB) []byte {
	t.Helper()
	if c.data != nil {
		return c.data()
	}
	data, err := os.ReadFile(filepath.Join("testdata", c.file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func checkCases() []checkCase {
	return []checkCase{
		{name: "ok/minimal", file: "minimal.pdf", pages: 1, revisions: 1, version: "1.4"},
		{name: "ok/object-streams", file: "object-streams.pdf", pages: 3, revisions: 1, version: "1.5"},
		{name: "ok/incremental-two-revisions", file: "incremental.pdf", pages: 2, revisions: 2, version: "1.4"},
		{name: "ok/incremental-xref-stream", file: "incremental-xref-stream.pdf", pages: 3, revisions: 2, version: "1.5"},
		{name: "ok/hybrid", file: "hybrid.pdf", pages: 1, revisions: 1, version: "1.5"},
		{name: "ok/hybrid-table-marks-compressed-free", data: func() []byte { return hybridPDF(true) }, pages: 1, revisions: 1, version: "1.5"},
		{name: "ok/linearized", file: "linearized.pdf", pages: 3, revisions: 1, version: "1.5"},
		{name: "ok/linearized-then-updated", data: linearizedUpdated, pages: 3, revisions: 2, version: "1.5"},
		{name: "ok/many-pages", data: func() []byte { return simplePDF(40) }, pages: 40, revisions: 1, version: "1.4"},
		{name: "ok/leading-garbage-header-relative-offsets", data: leadingGarbage(false), pages: 2, revisions: 1, version: "1.4"},
		{name: "ok/leading-garbage-absolute-offsets", data: leadingGarbage(true), pages: 2, revisions: 1, version: "1.4"},
		{name: "ok/xref-eol-crlf", data: xrefEOL("\r\n"), pages: 2, revisions: 1, version: "1.4"},
		{name: "ok/xref-eol-space-cr", data: xrefEOL(" \r"), pages: 2, revisions: 1, version: "1.4"},
		{name: "ok/xref-offsets-off-by-a-few", data: skewedOffsets, pages: 2, revisions: 1, version: "1.4"},
		{name: "ok/startxref-off-by-a-few", data: skewedStartxref, pages: 2, revisions: 1, version: "1.4"},
		{name: "ok/startxref-far-from-end", data: trailingJunk, pages: 2, revisions: 1, version: "1.4"},
		{name: "ok/catalog-version-raises-header", data: catalogVersion, pages: 1, revisions: 1, version: "1.7"},
		{name: "ok/indirect-length", data: indirectLength, pages: 1, revisions: 1, version: "1.4"},
		{name: "ok/page-tree-two-levels", data: twoLevelTree, pages: 3, revisions: 1, version: "1.4"},
		{name: "ok/data-before-header-offsets-from-it-skewed", data: func() []byte { return offsetStartPDF(4, false) }, pages: 1, revisions: 1, version: "2.0"},
		{name: "ok/xref-stream-number-outside-size", data: xrefStreamOutsideSize, pages: 1, revisions: 1, version: "1.7"},

		{name: "fail/encrypted", file: "encrypted.pdf", err: ErrEncrypted},
		// JavaScript only where Normalize drops it is accepted and reported.
		{name: "ok/javascript-open-action", file: "javascript.pdf", pages: 1, revisions: 1, version: "1.4", findings: []string{FindingJavaScriptRemoved}},
		{name: "ok/javascript-open-action-in-object-stream", file: "javascript-objstm.pdf", pages: 1, revisions: 1, version: "1.5", findings: []string{FindingJavaScriptRemoved}},
		{name: "ok/javascript-page-aa", data: pageAA, pages: 1, revisions: 1, version: "1.4", findings: []string{FindingJavaScriptRemoved}},
		{name: "ok/acrobat-date-field-format-action", data: dateFieldForm, pages: 1, revisions: 1, version: "1.6", findings: []string{FindingJavaScriptRemoved}},
		{name: "fail/javascript-names", data: namesJS, err: ErrJavaScript, why: "in object"},
		{name: "fail/javascript-link-annotation", data: linkJS, err: ErrJavaScript},
		{name: "fail/javascript-aa-also-a-link-action", data: sharedJS, err: ErrJavaScript},
		{name: "fail/javascript-goto-open-action-next", data: goToNextKept, err: ErrJavaScript},
		{name: "fail/truncated", file: "truncated.pdf", err: ErrMalformed, why: "no startxref"},
		{name: "fail/garbage", file: "garbage.bin", err: ErrMalformed, why: "no %PDF- header"},
		{name: "fail/prev-loop", file: "prev-loop.pdf", err: ErrMalformed, why: "/Prev loop"},
		{name: "fail/length-beyond-eof", file: "length-beyond-eof.pdf", err: ErrMalformed, why: "beyond end of file"},
		{name: "fail/empty", data: func() []byte { return nil }, err: ErrMalformed, why: "too small"},
		{name: "fail/no-pages", data: noPages, err: ErrMalformed, why: "no pages"},
		{name: "fail/page-tree-cycle", data: pageTreeCycle, err: ErrMalformed, why: "reached twice"},
		{name: "fail/no-startxref", data: noStartxref, err: ErrMalformed, why: "no startxref"},
		{name: "fail/startxref-out-of-range", data: startxrefOutOfRange, err: ErrMalformed, why: "startxref offset"},
		{name: "fail/xref-object-number-huge", data: hugeObjectNumber, err: ErrMalformed, why: "beyond object limit"},
		{name: "fail/xref-offset-out-of-range", data: xrefOffsetOutOfRange, err: ErrMalformed, why: "out of range"},
		{name: "fail/length-refers-to-itself", data: selfLength, err: ErrMalformed, why: "nested deeper"},
		{name: "fail/deep-nesting", data: deepNesting, err: ErrMalformed, why: "nested too deeply"},
		{name: "fail/unterminated-string", data: unterminatedString, err: ErrMalformed, why: "unterminated string"},
		{name: "fail/object-stream-bomb", data: objStmBomb, err: ErrMalformed, why: "larger than"},
		{name: "fail/object-stream-overlapping-objects", data: objStmOverlap, err: ErrMalformed, why: "parsing more than"},
		{name: "fail/xref-stream-rows-bomb", data: xrefRowsBomb, err: ErrMalformed, why: "xref entries"},
		{name: "fail/no-header", data: func() []byte { return simplePDF(1)[9:] }, err: ErrMalformed, why: "no %PDF- header"},
	}
}

func TestCheck(t *testing.T) {
	for _, c := range checkCases() {
		t.Run(c.name, func(t *testing.T) {
			data := c.bytes(t)
			info, err := Check(bytes.NewReader(data), int64(len(data)))
			if c.err != nil {
				if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.why) {
					t.Fatalf("Check() error = %v, want %v (%s)", err, c.err, c.why)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check() error = %v", err)
			}
			var codes []string
			for _, f := range info.Findings {
				codes = append(codes, f.Code)
			}
			if info.Pages != c.pages || info.Version != c.version || info.Revisions != c.revisions || info.Encrypted ||
				!slices.Equal(codes, c.findings) {
				t.Errorf("Check() = %+v, want %d pages, version %s, %d revisions, findings %q", info, c.pages, c.version, c.revisions, c.findings)
			}
		})
	}
}

// TestPageCountAgreesWithQPDF checks every ok/ case against a reader we did
// not write.
func TestPageCountAgreesWithQPDF(t *testing.T) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		testtool.Missing(t, "qpdf not installed (apt-get install qpdf)")
	}
	dir := t.TempDir()
	for _, c := range checkCases() {
		if c.err != nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			data := c.bytes(t)
			path := filepath.Join(dir, strings.ReplaceAll(c.name, "/", "_")+".pdf")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("qpdf", "--show-npages", path).Output()
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 3) { // 3: warnings
				t.Fatalf("qpdf: %v", err)
			}
			want, err := strconv.Atoi(strings.TrimSpace(string(out)))
			if err != nil {
				t.Fatalf("qpdf output %q: %v", out, err)
			}
			r, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.PageCount()
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("PageCount() = %d, qpdf --show-npages = %d", got, want)
			}
		})
	}
}

func openFixture(t *testing.T, name string) *Reader {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pageContents returns the decoded content stream of each page, in order.
func pageContents(t *testing.T, r *Reader) []string {
	t.Helper()
	cat, err := r.Resolve(r.Trailer()["Root"])
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var visit func(o Object)
	visit = func(o Object) {
		o, err := r.Resolve(o)
		if err != nil {
			t.Fatal(err)
		}
		d := o.(Dict)
		if kids, ok := d["Kids"]; ok {
			ka, err := r.Resolve(kids)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range ka.(Array) {
				visit(k)
			}
			return
		}
		c, err := r.Resolve(d["Contents"])
		if err != nil {
			t.Fatal(err)
		}
		sr, err := r.StreamReader(c.(Stream))
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(sr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(string(data)))
	}
	visit(cat.(Dict)["Pages"])
	return out
}

func TestStreamReader(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"ok/raw", "minimal.pdf", []string{"BT /F1 24 Tf 72 720 Td (Hello from segl, page 1) Tj ET"}},
		// qpdf compresses content streams with FlateDecode.
		{"ok/flate", "object-streams.pdf", []string{
			"BT /F1 24 Tf 72 720 Td (Hello from segl, page 1) Tj ET",
			"BT /F1 24 Tf 72 720 Td (Hello from segl, page 1) Tj ET",
			"BT /F1 24 Tf 72 720 Td (Hello from segl, page 1) Tj ET",
		}},
		{"ok/newest-revision-wins", "incremental.pdf", []string{
			"BT /F1 24 Tf 72 720 Td (Hello from segl, page 1) Tj ET",
			"BT /F1 24 Tf 72 720 Td (Added in revision 2) Tj ET",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pageContents(t, openFixture(t, tt.file))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("contents = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStreamReaderErrors(t *testing.T) {
	r := openFixture(t, "minimal.pdf")
	tests := []struct {
		name string
		s    Stream
		err  error
	}{
		{"fail/unsupported-filter", Stream{Dict: Dict{"Filter": Name("DCTDecode")}, Offset: 0, Length: 4}, ErrUnsupportedFilter},
		{"fail/outside-file", Stream{Dict: Dict{}, Offset: 10, Length: 1 << 40}, ErrMalformed},
		{"fail/not-zlib", Stream{Dict: Dict{"Filter": Name("FlateDecode")}, Offset: 0, Length: 100}, ErrMalformed},
		{"fail/external", Stream{Dict: Dict{"F": String("x.bin")}, Offset: 0, Length: 1}, ErrUnsupportedFilter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sr, err := r.StreamReader(tt.s)
			if err == nil {
				_, err = io.ReadAll(sr)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error = %v, want %v", err, tt.err)
			}
		})
	}

	enc := openFixture(t, "encrypted.pdf")
	if !enc.Encrypted() {
		t.Fatal("Encrypted() = false for encrypted.pdf")
	}
	if _, err := enc.StreamReader(Stream{Dict: Dict{}, Offset: 0, Length: 1}); !errors.Is(err, ErrEncrypted) {
		t.Errorf("StreamReader on encrypted file: error = %v, want ErrEncrypted", err)
	}
}

func TestObject(t *testing.T) {
	r := openFixture(t, "object-streams.pdf")
	tr := r.Trailer()
	if _, ok := tr["Root"].(Ref); !ok {
		t.Fatalf("trailer /Root = %v", tr["Root"])
	}
	cat, err := r.Resolve(tr["Root"])
	if err != nil {
		t.Fatal(err)
	}
	if cat.(Dict)["Type"] != Name("Catalog") {
		t.Errorf("catalog = %v", cat)
	}
	// The catalog lives in an object stream in this file.
	ref := tr["Root"].(Ref)
	if e := r.xref[ref.Num]; e.kind != entryCompressed {
		t.Errorf("catalog entry kind = %d, want compressed", e.kind)
	}
	for _, ref := range []Ref{{Num: 0}, {Num: 1, Gen: 7}, {Num: 1 << 30}} {
		o, err := r.Object(ref)
		if err != nil || o != (Null{}) {
			t.Errorf("Object(%v) = %v, %v; want null", ref, o, err)
		}
	}
	if got := r.Revisions(); len(got) != 1 {
		t.Errorf("Revisions() = %v", got)
	}
}

func TestRevisionsOffsets(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "incremental.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	revs := r.Revisions()
	if len(revs) != 2 || revs[0] <= revs[1] {
		t.Fatalf("Revisions() = %v, want two offsets, newest first", revs)
	}
	for _, off := range revs {
		if !bytes.HasPrefix(data[off:], []byte("xref")) {
			t.Errorf("revision offset %d does not hold xref", off)
		}
	}
}

// countingReaderAt counts the reads made through it.
type countingReaderAt struct {
	r     io.ReaderAt
	reads int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.reads++
	return c.r.ReadAt(p, off)
}

// TestOpenReadsOnlyTheChain opens a well-formed file of seven revisions,
// as a signed and completed document is, and checks that Open reads
// about one window per revision: the neighbourhood of a recorded offset
// is looked at only when the offset does not hold a section (each
// signing act, receipt and completion reopens its file several times).
func TestOpenReadsOnlyTheChain(t *testing.T) {
	data := incrementalPDF()
	for i := range 5 {
		var out bytes.Buffer
		if _, err := AppendDSS(&out, bytes.NewReader(data), int64(len(data)), DSS{Certs: [][]byte{bytes.Repeat([]byte{byte(i)}, 3000)}}); err != nil {
			t.Fatal(err)
		}
		data = out.Bytes()
	}
	c := &countingReaderAt{r: bytes.NewReader(data)}
	r, err := Open(c, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	revs := len(r.Revisions())
	if revs != 7 {
		t.Fatalf("%d revisions, want 7", revs)
	}
	if limit := 3 * revs; c.reads > limit {
		t.Errorf("Open made %d reads for %d revisions, want at most %d", c.reads, revs, limit)
	}
}

func TestParseObjects(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // fmt %#v of the result, or the error's sentinel text
	}{
		{"ok/ints-and-ref", "[1 2 0 R -3 +4 5 0]", `[1 2 0 R -3 4 5 0]`},
		{"ok/reals", "[.5 -.5 4. 3.25]", `[0.5r -0.5r 4r 3.25r]`},
		{"ok/integer-overflow-becomes-real", "99999999999999999999", `1e+20r`},
		{"ok/name-escapes", "/A#20B#2", `/"A B#2"`},
		{"ok/literal-escapes", `(a\(b\)\n\101\0534\
c(d)` + "\r\n)", `"a(b)\nA+4c(d)\n"`},
		{"ok/hex-odd", "<48 65 6C6C 6F7>", `"Hellop"`},
		{"ok/dict", "<</A true/B null/C[/D]>>", `<</"A" true /"B" null /"C" [/"D"]>>`},
		{"ok/comment", "[1 % comment ]\n2]", `[1 2]`},
		{"fail/unterminated-array", "[1 2", "pdf: malformed"},
		{"fail/bad-key", "<< 1 2 >>", "pdf: malformed"},
		{"fail/keyword", "[foo]", "pdf: malformed"},
		{"fail/exponent", "1e5", "pdf: malformed"},
		{"fail/deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "pdf: malformed"},
		{"fail/bad-hex", "<4G>", "pdf: malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := newBytesScanner([]byte(tt.in)).object(0)
			got := "pdf: malformed"
			if o != nil {
				got = format(o)
			} else if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			if got != tt.want {
				t.Errorf("object(%q) = %s (err %v), want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

// format writes an object unambiguously for comparison in tests.
func format(o Object) string {
	switch v := o.(type) {
	case Name:
		return "/" + strconv.Quote(string(v))
	case String:
		return strconv.Quote(string(v))
	case Real:
		return fmt.Sprint(float64(v)) + "r"
	case Null:
		return "null"
	case Array:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = format(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case Dict:
		keys := slices.Sorted(maps.Keys(v))
		parts := make([]string, 0, len(v))
		for _, k := range keys {
			parts = append(parts, format(k)+" "+format(v[k]))
		}
		return "<<" + strings.Join(parts, " ") + ">>"
	}
	return fmt.Sprint(o)
}

func TestConcurrentReads(t *testing.T) {
	r := openFixture(t, "object-streams.pdf")
	done := make(chan error)
	for range 4 {
		go func() {
			var err error
			for range 20 {
				if _, err = r.PageCount(); err != nil {
					break
				}
				_ = r.Version()
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// Documents built in memory for TestCheck.

func twoPages() *builder {
	b := newBuilder("1.4")
	b.pageDoc(2, "", "")
	return b
}

func leadingGarbage(absolute bool) func() []byte {
	return func() []byte {
		junk := strings.Repeat("garbage\n", 100)
		b := &builder{offs: map[int]int64{}}
		b.WriteString(junk)
		if !absolute {
			b.base = int64(len(junk))
		}
		b.WriteString("%PDF-1.4\n")
		b.pageDoc(2, "", "")
		b.xref("<< /Size 8 /Root 1 0 R >>")
		return b.Bytes()
	}
}

func xrefEOL(eol string) func() []byte {
	return func() []byte {
		b := twoPages()
		b.eol = eol
		b.xref("<< /Size 8 /Root 1 0 R >>")
		return b.Bytes()
	}
}

func skewedOffsets() []byte {
	b := twoPages()
	b.skew = map[int]int64{1: 3, 2: -2, 3: 1, 6: -4}
	b.xref("<< /Size 8 /Root 1 0 R >>")
	return b.Bytes()
}

func skewedStartxref() []byte {
	b := twoPages()
	off := b.xref("<< /Size 8 /Root 1 0 R >>")
	return bytes.Replace(b.Bytes(), fmt.Appendf(nil, "startxref\n%d", off), fmt.Appendf(nil, "startxref\n%d", off-2), 1)
}

func trailingJunk() []byte {
	b := twoPages()
	b.xref("<< /Size 8 /Root 1 0 R >>")
	b.WriteString(strings.Repeat("\x00junk appended after %%EOF\n", 200))
	return b.Bytes()
}

func catalogVersion() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "/Version /1.7", "")
	b.xref("<< /Size 6 /Root 1 0 R >>")
	return b.Bytes()
}

func indirectLength() []byte {
	b := newBuilder("1.4")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	b.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
	b.obj(4, "<< /Length 5 0 R >>\nstream\nBT ET\nendstream")
	b.obj(5, "5")
	b.xref("<< /Size 6 /Root 1 0 R >>")
	return b.Bytes()
}

func twoLevelTree() []byte {
	b := newBuilder("1.4")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 3 >>")
	b.obj(3, "<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 2 >>")
	b.obj(4, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	b.obj(5, "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>")
	b.obj(6, "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>")
	b.xref("<< /Size 7 /Root 1 0 R >>")
	return b.Bytes()
}

func pageAA() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "", "/AA << /O << /S /JavaScript /JS 6 0 R >> >>")
	b.stream(6, "", []byte("app.alert('open');"))
	b.xref("<< /Size 7 /Root 1 0 R >>")
	return b.Bytes()
}

// dateFieldForm is an ordinary Acrobat form: a date field whose only
// scripts are the format and keystroke actions Acrobat writes for a date
// format (AFDate_FormatEx, AFDate_KeystrokeEx), in the field's /AA.
func dateFieldForm() []byte {
	b := newBuilder("1.6")
	size := b.pageDoc(1, "/AcroForm << /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) >>", "/Annots [6 0 R]")
	b.obj(size, "<< /Type /Annot /Subtype /Widget /FT /Tx /T (Dato) /Rect [100 600 250 620] /P 3 0 R /F 4 /AA << /F 7 0 R /K 8 0 R >> >>")
	b.obj(size+1, `<< /S /JavaScript /JS (AFDate_FormatEx\("dd.mm.yyyy"\);) >>`)
	b.obj(size+2, `<< /S /JavaScript /JS (AFDate_KeystrokeEx\("dd.mm.yyyy"\);) >>`)
	b.xref(fmt.Sprintf("<< /Size %d /Root 1 0 R >>", size+3))
	return b.Bytes()
}

// sharedJS has one JavaScript action both in a page's /AA, which
// Normalize drops, and as a link's action, which it keeps.
func sharedJS() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "", "/AA << /O 7 0 R >> /Annots [6 0 R]")
	b.obj(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A 7 0 R >>")
	b.obj(7, "<< /S /JavaScript /JS (1) >>")
	b.xref("<< /Size 8 /Root 1 0 R >>")
	return b.Bytes()
}

// goToNextKept has a GoTo /OpenAction, which Normalize keeps without its
// /Next, and the same script reached from the document's name tree.
func goToNextKept() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 6 0 R >> /Names << /JavaScript << /Names [(a) 6 0 R] >> >>", "")
	b.obj(6, "<< /S /JavaScript /JS (1) >>")
	b.xref("<< /Size 7 /Root 1 0 R >>")
	return b.Bytes()
}

func namesJS() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "/Names 6 0 R", "")
	b.obj(6, "<< /JavaScript 7 0 R >>")
	b.obj(7, "<< /Names [(a) 8 0 R] >>")
	b.obj(8, "<< /S /JavaScript /JS (1) >>")
	b.xref("<< /Size 9 /Root 1 0 R >>")
	return b.Bytes()
}

func linkJS() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "", "/Annots [6 0 R]")
	b.obj(6, "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://example.org) /Next [7 0 R] >> >>")
	b.obj(7, "<< /S /JavaScript /JS (app.launchURL\\('x'\\)) >>")
	b.xref("<< /Size 8 /Root 1 0 R >>")
	return b.Bytes()
}

func noPages() []byte {
	b := newBuilder("1.4")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	b.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	b.xref("<< /Size 3 /Root 1 0 R >>")
	return b.Bytes()
}

func pageTreeCycle() []byte {
	b := newBuilder("1.4")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	b.obj(3, "<< /Type /Pages /Kids [2 0 R] /Count 1 >>")
	b.xref("<< /Size 4 /Root 1 0 R >>")
	return b.Bytes()
}

func noStartxref() []byte {
	data := simplePDF(1)
	return bytes.Replace(data, []byte("startxref"), []byte("startxrex"), 1)
}

func startxrefOutOfRange() []byte {
	b := twoPages()
	off := b.xref("<< /Size 8 /Root 1 0 R >>")
	return bytes.Replace(b.Bytes(), fmt.Appendf(nil, "startxref\n%d", off), []byte("startxref\n99999999"), 1)
}

func hugeObjectNumber() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "", "")
	off := int64(b.Len())
	fmt.Fprintf(b, "xref\n1000000000 1\n0000000010 00000 n \ntrailer\n<< /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", off)
	return b.Bytes()
}

func xrefOffsetOutOfRange() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "", "")
	b.skew = map[int]int64{2: 1 << 30}
	b.xref("<< /Size 6 /Root 1 0 R >>")
	return b.Bytes()
}

func selfLength() []byte {
	b := newBuilder("1.4")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	b.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
	b.obj(4, "<< /Length 4 0 R >>\nstream\nBT ET\nendstream")
	b.xref("<< /Size 5 /Root 1 0 R >>")
	return b.Bytes()
}

func deepNesting() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "/Deep "+strings.Repeat("[", 5000)+strings.Repeat("]", 5000), "")
	b.xref("<< /Size 6 /Root 1 0 R >>")
	return b.Bytes()
}

func unterminatedString() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "/Title (never closed", "")
	b.xref("<< /Size 6 /Root 1 0 R >>")
	return b.Bytes()
}

// objStmBomb has an object stream that inflates to more than the limit.
func objStmBomb() []byte {
	b := newBuilder("1.5")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	var head bytes.Buffer
	head.WriteString("2 0 ")
	big := append(head.Bytes(), "<< /Type /Pages /Kids [] /Count 0 /Pad ("...)
	big = append(big, bytes.Repeat([]byte("A"), maxObjStmSize)...)
	big = append(big, ") >>"...)
	rows := map[int]xrefEntryRow{2: {2, 3, 0}}
	var z bytes.Buffer
	zw, _ := zlibWriter(&z)
	zw.Write(big)
	zw.Close()
	b.stream(3, fmt.Sprintf("/Type /ObjStm /N 1 /First %d /Filter /FlateDecode", head.Len()), z.Bytes())
	b.xrefStream(4, rows, "/Root 1 0 R", true)
	return b.Bytes()
}

// xrefRowsBomb has a small xref stream that claims millions of rows.
func xrefRowsBomb() []byte {
	b := newBuilder("1.5")
	b.pageDoc(1, "", "")
	var z bytes.Buffer
	zw, _ := zlibWriter(&z)
	zw.Write(make([]byte, 10<<20))
	zw.Close()
	off := int64(b.Len())
	index := strings.Repeat("0 4096 ", 100)
	fmt.Fprintf(b, "9 0 obj\n<< /Type /XRef /Size 4096 /Root 1 0 R /W [1 0 0] /Index [%s] /Filter /FlateDecode /Length %d >>\nstream\n", index, z.Len())
	b.Write(z.Bytes())
	fmt.Fprintf(b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", off)
	return b.Bytes()
}

// objStmOverlap has thousands of objects in one object stream that all
// start at the same 1 MB string, so that reading each once would parse
// gigabytes.
func objStmOverlap() []byte {
	const n = 4000
	b := newBuilder("1.5")
	var refs, head strings.Builder
	rows := map[int]xrefEntryRow{}
	for i := range n {
		fmt.Fprintf(&refs, "%d 0 R ", 10+i)
		fmt.Fprintf(&head, "%d 0 ", 10+i)
		rows[10+i] = xrefEntryRow{2, 7, uint64(i)}
	}
	b.pageDoc(1, "/Many ["+refs.String()+"]", "")
	var z bytes.Buffer
	zw, _ := zlibWriter(&z)
	zw.Write([]byte(head.String()))
	zw.Write([]byte("("))
	zw.Write(bytes.Repeat([]byte("A"), 1<<20))
	zw.Write([]byte(")"))
	zw.Close()
	b.stream(7, fmt.Sprintf("/Type /ObjStm /N %d /First %d /Filter /FlateDecode", n, head.Len()), z.Bytes())
	b.xrefStream(9, rows, "/Root 1 0 R", true)
	return b.Bytes()
}

func linearizedUpdated() []byte {
	data, err := os.ReadFile(filepath.Join("testdata", "linearized.pdf"))
	if err != nil {
		panic(err)
	}
	return must(appendXrefStreamUpdate(data))
}

// DocumentFault is the one list of what this package finds wrong in a
// document: each of its errors, however wrapped, and nothing else (a
// failed read or write, a caller's mistake).
func TestDocumentFault(t *testing.T) {
	for _, fault := range []error{ErrMalformed, ErrEncrypted, ErrJavaScript, ErrUnsupportedFilter,
		ErrDynamicXFA, ErrSigned, ErrLocked, ErrTooLarge} {
		if err := fmt.Errorf("pdf: document 2: %w", fault); !DocumentFault(err) {
			t.Errorf("DocumentFault(%v) = false", err)
		}
	}
	for _, err := range []error{nil, io.ErrUnexpectedEOF, fmt.Errorf("pdf: write: %w", os.ErrClosed),
		errors.New(`pdf: document 1: field prefix "a.b" contains a period`)} {
		if DocumentFault(err) {
			t.Errorf("DocumentFault(%v) = true", err)
		}
	}
}

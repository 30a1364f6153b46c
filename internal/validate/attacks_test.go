package validate

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki/pkitest"
)

// The PDF signature attack classes of pdf-insecurity.org (USF, SWA, ISA,
// shadow, EAA/SSA) built on a B-LTA file segl sealed: none may pass.

// patchFirst replaces the first match of re with repl, padded with spaces
// to the match's length so that no offset moves.
func patchFirst(t *testing.T, file []byte, re, repl string) []byte {
	t.Helper()
	loc := regexp.MustCompile(re).FindIndex(file)
	if loc == nil {
		t.Fatalf("%s not in the file", re)
	}
	n := loc[1] - loc[0]
	if len(repl) > n {
		t.Fatalf("%q is longer than the %d bytes it replaces", repl, n)
	}
	out := bytes.Clone(file)
	copy(out[loc[0]:loc[1]], repl+strings.Repeat(" ", n-len(repl)))
	return out
}

// lastBody returns the body of the newest definition of object num (a
// dictionary written on one line, as segl writes them).
func lastBody(t *testing.T, file []byte, num int) string {
	t.Helper()
	head := fmt.Appendf(nil, "\n%d 0 obj\n", num)
	i := bytes.LastIndex(file, head)
	if i < 0 {
		t.Fatalf("object %d not in the file", num)
	}
	rest := file[i+len(head):]
	return string(rest[:bytes.Index(rest, []byte("\nendobj"))])
}

// refOf follows path from the trailer ("Root", "Pages" …) and returns the
// number of the object its last key refers to.
func refOf(t *testing.T, file []byte, path ...string) int {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	var o pdf.Object = r.Trailer()
	var last pdf.Ref
	for _, k := range path {
		d, ok := o.(pdf.Dict)
		if !ok {
			t.Fatalf("%v: not a dictionary before /%s", path, k)
		}
		ref, ok := d[pdf.Name(k)].(pdf.Ref)
		if !ok {
			t.Fatalf("%v: /%s is not a reference", path, k)
		}
		last = ref
		if o, err = r.Object(ref); err != nil {
			t.Fatal(err)
		}
	}
	return last.Num
}

// appendUpdate appends an incremental update redefining or adding objects
// (number → body), as an attacker with a text editor would.
func appendUpdate(t *testing.T, file []byte, objs map[int]string) []byte {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	size := int(r.Trailer()["Size"].(pdf.Int))
	nums := slices.Sorted(maps.Keys(objs))
	var b, rows bytes.Buffer
	b.Write(file)
	for _, n := range nums {
		size = max(size, n+1)
		fmt.Fprintf(&rows, "%d 1\n%010d 00000 n \n", n, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, objs[n])
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n%strailer\n<< /Size %d /Root %v /Prev %d >>\nstartxref\n%d\n%%%%EOF\n",
		rows.String(), size, r.Trailer()["Root"], r.Revisions()[0], xref)
	return b.Bytes()
}

type attack struct {
	name string
	make func(t *testing.T, file []byte) []byte
	want Indication
	sub  SubIndication
}

// runAttacks validates each attack's file, on a B-LTA file sealed in e,
// and checks the indication and, unless it passed, the sub-indication of
// the first signature that did not pass.
func runAttacks(t *testing.T, e *sealEnv, tests []attack) {
	file := e.seal(t, pades.BLTA)
	if rep := validatePDF(t, file, e.dev.Roots(), time.Time{}); !rep.Passed() {
		t.Fatalf("the untouched file: %+v", rep.Signatures)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.make(t, bytes.Clone(file))
			rep, err := PDF(bytes.NewReader(bad), int64(len(bad)), Options{Roots: e.dev.Roots()})
			if err != nil {
				t.Fatalf("validate: %v", err)
			}
			if rep.Indication != tt.want {
				t.Fatalf("indication %s, want %s: %+v", rep.Indication, tt.want, rep.Signatures)
			}
			if tt.want == TotalPassed {
				return
			}
			for _, s := range rep.Signatures {
				if !s.Result.Passed() {
					if s.Result.SubIndication != tt.sub {
						t.Fatalf("sub-indication %s, want %s: %+v", s.Result.SubIndication, tt.sub, s.Result)
					}
					return
				}
			}
			t.Fatalf("no signature failed: %+v", rep.Signatures)
		})
	}
}

const byteRange = `/ByteRange \[0 \d+ \d+ \d+\] *`

func TestPDFUniversalSignatureForgery(t *testing.T) {
	t.Parallel()
	br := func(repl string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, f []byte) []byte { return patchFirst(t, f, byteRange, repl) }
	}
	nums := func(t *testing.T, f []byte) (a, b, c int64) {
		m := regexp.MustCompile(`/ByteRange \[0 (\d+) (\d+) (\d+)\]`).FindSubmatch(f)
		fmt.Sscan(string(m[1])+" "+string(m[2])+" "+string(m[3]), &a, &b, &c)
		return
	}
	brf := func(format func(a, b, c int64) string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, f []byte) []byte {
			a, b, c := nums(t, f)
			return patchFirst(t, f, byteRange, format(a, b, c))
		}
	}
	contents := func(repl string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, f []byte) []byte { return patchFirst(t, f, `/Contents <`, repl) }
	}
	runAttacks(t, newSealEnv(t), []attack{
		{"fail/byterange-removed", br("/ByteRangX [0 0 0 0]"), TotalFailed, FormatFailure},
		{"fail/byterange-null", br("/ByteRange null"), TotalFailed, FormatFailure},
		{"fail/byterange-empty", br("/ByteRange []"), TotalFailed, FormatFailure},
		{"fail/byterange-malformed", br("/ByteRange [0 (x) 1 2]"), TotalFailed, FormatFailure},
		{"fail/byterange-reals", brf(func(a, b, c int64) string { return fmt.Sprintf("/ByteRange [0 %d.0 %d %d]", a, b, c) }), TotalFailed, FormatFailure},
		{"fail/byterange-negative", brf(func(a, b, c int64) string { return fmt.Sprintf("/ByteRange [0 %d %d -%d]", a, b, c) }), TotalFailed, FormatFailure},
		{"fail/byterange-huge", brf(func(a, b, c int64) string { return fmt.Sprintf("/ByteRange [0 %d %d 9999999999999]", a, b) }), TotalFailed, FormatFailure},
		{"fail/byterange-overflow", brf(func(a, b, c int64) string { return fmt.Sprintf("/ByteRange [0 %d 9223372036854775807 %d]", a, c) }), TotalFailed, FormatFailure},
		{"fail/byterange-not-from-0", brf(func(a, b, c int64) string { return fmt.Sprintf("/ByteRange [1 %d %d %d]", a-1, b, c) }), TotalFailed, FormatFailure},
		{"fail/byterange-short-of-eof", brf(func(a, b, c int64) string { return fmt.Sprintf("/ByteRange [0 %d %d %d]", a, b, c-1) }), TotalFailed, FormatFailure},
		{"fail/byterange-overlapping", brf(func(a, b, c int64) string { return fmt.Sprintf("/ByteRange [0 %d %d %d]", b, a, b+c-a) }), TotalFailed, FormatFailure},
		{"fail/byterange-six-numbers", brf(func(a, b, c int64) string { return fmt.Sprintf("/ByteRange [0 %d %d %d 0 0]", a, b, c) }), TotalFailed, FormatFailure},
		{"fail/contents-removed", contents("/Contentx <"), TotalFailed, FormatFailure},
		{"fail/contents-null", func(t *testing.T, f []byte) []byte {
			i := bytes.Index(f, []byte("/Contents <"))
			j := i + bytes.IndexByte(f[i:], '>')
			return patchFirst(t, f, regexp.QuoteMeta(string(f[i:j+1])), "/Contents null")
		}, TotalFailed, FormatFailure},
		{"fail/contents-not-cms", func(t *testing.T, f []byte) []byte {
			// Inside the gap: the signed bytes are untouched.
			return patchFirst(t, f, `/Contents <3082[0-9a-f]{8}`, "/Contents <3003020100")
		}, TotalFailed, FormatFailure},
	})
}

// firstPage returns the object number and newest body of the first page.
func firstPage(t *testing.T, file []byte) (int, string) {
	t.Helper()
	pages := lastBody(t, file, refOf(t, file, "Root", "Pages"))
	m := regexp.MustCompile(`/Kids \[(\d+) 0 R`).FindStringSubmatch(pages)
	var n int
	fmt.Sscan(m[1], &n)
	return n, lastBody(t, file, n)
}

// firstWidget returns the object number of the first page's first
// annotation: the widget of the seal's signature field.
func firstWidget(t *testing.T, file []byte) int {
	t.Helper()
	_, page := firstPage(t, file)
	m := regexp.MustCompile(`/Annots \[(\d+) 0 R`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no annotation on %s", page)
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// numberIn returns the number of the object key refers to in body.
func numberIn(t *testing.T, body, key string) int {
	t.Helper()
	m := regexp.MustCompile(`/` + key + ` (\d+) 0 R`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no /%s reference in %s", key, body)
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// attach appends an update that attaches a file to the document (a
// catalog without /Names or /AF before).
func attach(t *testing.T, f []byte) []byte {
	t.Helper()
	root := refOf(t, f, "Root")
	spec, data := nextFree(t, f), nextFree(t, f)+1
	body := strings.Replace(lastBody(t, f, root), "/Type /Catalog", fmt.Sprintf(
		"/Type /Catalog /Names << /EmbeddedFiles << /Names [(Appendix.txt) %d 0 R] >> >> /AF [%d 0 R]", spec, spec), 1)
	return appendUpdate(t, f, map[int]string{root: body,
		spec: fmt.Sprintf("<< /Type /Filespec /F (Appendix.txt) /UF (Appendix.txt) /AFRelationship /Supplement /EF << /F %d 0 R >> >>", data),
		data: strings.Replace(stream("The buyer also pays 1 000 000 NOK."), "<<", "<< /Type /EmbeddedFile", 1)})
}

// appendSigned adds a signature or document time-stamp as spec says (8 KB
// of room unless it says otherwise), whose DER sign makes from the SHA-256
// digest of the byte range.
func appendSigned(t *testing.T, file []byte, spec pdf.SignatureSpec, sign func(digest []byte) ([]byte, error)) []byte {
	t.Helper()
	if spec.ContentsSize == 0 {
		spec.ContentsSize = 8192
	}
	p, err := pdf.PrepareSignature(bytes.NewReader(file), int64(len(file)), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	digest, err := p.DigestSHA256()
	if err != nil {
		t.Fatal(err)
	}
	der, err := sign(digest)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := p.WriteTo(&out, der); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// nextFree is the first object number the file does not use.
func nextFree(t *testing.T, file []byte) int {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	return int(r.Trailer()["Size"].(pdf.Int))
}

// stream is the body of a stream object holding data.
func stream(data string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(data), data)
}

const lie = "BT /F1 24 Tf 72 720 Td (Buyer pays 1 000 000 NOK) Tj ET"

// TestPDFIncrementalSavingAttacks appends an update after the last
// revision (a B-LTA file's final DSS), as anyone holding the file can: only
// signatures, form fill-in, the DSS, document time-stamps and attachments
// may follow a signature.
func TestPDFIncrementalSavingAttacks(t *testing.T) {
	t.Parallel()
	e := newSealEnv(t)
	runAttacks(t, e, []attack{
		{"fail/page-content-replaced", func(t *testing.T, f []byte) []byte {
			_, page := firstPage(t, f)
			return appendUpdate(t, f, map[int]string{numberIn(t, page, "Contents"): stream(lie)})
		}, TotalFailed, FormatFailure},
		{"fail/font-replaced", func(t *testing.T, f []byte) []byte {
			_, page := firstPage(t, f)
			font := numberIn(t, page, "F1")
			return appendUpdate(t, f, map[int]string{font: "<< /Type /Font /Subtype /Type1 /BaseFont /Symbol >>"})
		}, TotalFailed, FormatFailure},
		{"fail/object-replaced-by-another-number", func(t *testing.T, f []byte) []byte {
			n, page := firstPage(t, f)
			c := nextFree(t, f)
			page = regexp.MustCompile(`/Contents \d+ 0 R`).ReplaceAllString(page, fmt.Sprintf("/Contents %d 0 R", c))
			return appendUpdate(t, f, map[int]string{n: page, c: stream(lie)})
		}, TotalFailed, FormatFailure},
		{"fail/annotation-added", func(t *testing.T, f []byte) []byte {
			n, page := firstPage(t, f)
			a := nextFree(t, f)
			page = strings.Replace(page, "/Annots [", fmt.Sprintf("/Annots [%d 0 R ", a), 1)
			return appendUpdate(t, f, map[int]string{n: page,
				a: "<< /Type /Annot /Subtype /FreeText /Rect [72 700 500 740] /Contents (Buyer pays 1 000 000 NOK) /DA (/Helv 24 Tf) >>"})
		}, TotalFailed, FormatFailure},
		{"fail/page-added", func(t *testing.T, f []byte) []byte {
			pages := refOf(t, f, "Root", "Pages")
			n, _ := firstPage(t, f)
			p := nextFree(t, f)
			return appendUpdate(t, f, map[int]string{
				pages: fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count 2 >>", n, p),
				p:     fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>", pages)})
		}, TotalFailed, FormatFailure},
		// The page inherits what it lacks from the page tree (ISO 32000-1
		// §7.7.3.4): a crop box or a rotation there changes what it shows.
		{"fail/inherited-crop-box-added", func(t *testing.T, f []byte) []byte {
			pages := refOf(t, f, "Root", "Pages")
			body := strings.Replace(lastBody(t, f, pages), "/Type /Pages", "/Type /Pages /CropBox [0 0 10 10]", 1)
			return appendUpdate(t, f, map[int]string{pages: body})
		}, TotalFailed, FormatFailure},
		{"fail/inherited-rotation-added", func(t *testing.T, f []byte) []byte {
			pages := refOf(t, f, "Root", "Pages")
			body := strings.Replace(lastBody(t, f, pages), "/Type /Pages", "/Type /Pages /Rotate 180", 1)
			return appendUpdate(t, f, map[int]string{pages: body})
		}, TotalFailed, FormatFailure},
		{"fail/open-action-added", func(t *testing.T, f []byte) []byte {
			root := refOf(t, f, "Root")
			body := strings.Replace(lastBody(t, f, root), "/Type /Catalog", "/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>", 1)
			return appendUpdate(t, f, map[int]string{root: body})
		}, TotalFailed, FormatFailure},
		{"fail/perms-added", func(t *testing.T, f []byte) []byte {
			root := refOf(t, f, "Root")
			sig := numberIn(t, lastBody(t, f, firstWidget(t, f)), "V")
			body := strings.Replace(lastBody(t, f, root), "/Type /Catalog", fmt.Sprintf("/Type /Catalog /Perms << /DocMDP %d 0 R >>", sig), 1)
			return appendUpdate(t, f, map[int]string{root: body})
		}, TotalFailed, FormatFailure},
		// Calculation scripts of the fields /CO lists run in viewers.
		{"fail/calculation-order-added", func(t *testing.T, f []byte) []byte {
			form := refOf(t, f, "Root", "AcroForm")
			field := nextFree(t, f)
			body := strings.Replace(lastBody(t, f, form), "<<", fmt.Sprintf("<< /CO [%d 0 R]", field), 1)
			body = strings.Replace(body, "/Fields [", fmt.Sprintf("/Fields [%d 0 R ", field), 1)
			return appendUpdate(t, f, map[int]string{form: body,
				field: "<< /FT /Tx /T (total) /AA << /C << /S /JavaScript /JS (this.getField('price').value = 1000000) >> >> >>"})
		}, TotalFailed, FormatFailure},
		// segl attaches evidence only in the revision of a signature that
		// covers it; an attachment after the last one has no signer.
		{"fail/attachment-added-after-the-last-signature", attach, TotalFailed, FormatFailure},
		// An XFA form replaces the pages in viewers that render XFA.
		{"fail/xfa-added", func(t *testing.T, f []byte) []byte {
			form := refOf(t, f, "Root", "AcroForm")
			x := nextFree(t, f)
			body := strings.Replace(lastBody(t, f, form), "<<", fmt.Sprintf("<< /XFA %d 0 R", x), 1)
			return appendUpdate(t, f, map[int]string{form: body, x: stream(`<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template/></xdp:xdp>`)})
		}, TotalFailed, FormatFailure},
		{"fail/need-appearances-set", func(t *testing.T, f []byte) []byte {
			form := refOf(t, f, "Root", "AcroForm")
			body := strings.Replace(lastBody(t, f, form), "<<", "<< /NeedAppearances true", 1)
			return appendUpdate(t, f, map[int]string{form: body})
		}, TotalFailed, FormatFailure},
		// A field without an appearance is drawn with the form's default
		// resources: a font of the signed revision's /DR swapped for one
		// whose glyphs differ changes what it shows.
		{"fail/form-default-font-replaced", func(t *testing.T, f []byte) []byte {
			f = e.formSigned(t, f, "/DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>")
			form := refOf(t, f, "Root", "AcroForm")
			body := strings.Replace(lastBody(t, f, form), "/BaseFont /Helvetica", "/BaseFont /Symbol", 1)
			return appendUpdate(t, f, map[int]string{form: body})
		}, TotalFailed, FormatFailure},
		// A second signer's Acrobat or PDFBox sets the form up for the
		// fields it draws; fields the seal signed keep their appearances.
		{"pass/form-default-appearance-and-resources-added", func(t *testing.T, f []byte) []byte {
			form := refOf(t, f, "Root", "AcroForm")
			body := strings.Replace(lastBody(t, f, form), "<<", "<< /DA (/Helv 0 Tf 0 g) /DR << /Font << "+
				"/Helv << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >> "+
				"/ZaDb << /Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats >> >> >>", 1)
			return appendUpdate(t, f, map[int]string{form: body})
		}, TotalPassed, ""},
		{"pass/signed-after-form-set-up", func(t *testing.T, f []byte) []byte {
			return e.formSigned(t, f, "/DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>")
		}, TotalPassed, ""},
		{"pass/need-appearances-false", func(t *testing.T, f []byte) []byte {
			form := refOf(t, f, "Root", "AcroForm")
			body := strings.Replace(lastBody(t, f, form), "<<", "<< /NeedAppearances false", 1)
			return appendUpdate(t, f, map[int]string{form: body})
		}, TotalPassed, ""},
		{"fail/form-default-appearance-changed", func(t *testing.T, f []byte) []byte {
			f = e.formSigned(t, f, "/DA (/Helv 0 Tf 0 g)")
			form := refOf(t, f, "Root", "AcroForm")
			body := strings.Replace(lastBody(t, f, form), "/DA (/Helv 0 Tf 0 g)", "/DA (/Helv 0 Tf 1 1 1 rg)", 1)
			return appendUpdate(t, f, map[int]string{form: body})
		}, TotalFailed, FormatFailure},
	})
}

// formSigned appends an update adding entries to the interactive form and
// a signature by the seal's key over it: a signed revision whose form has
// them, as a second signer's software leaves it.
func (e *sealEnv) formSigned(t *testing.T, f []byte, entries string) []byte {
	t.Helper()
	form := refOf(t, f, "Root", "AcroForm")
	f = appendUpdate(t, f, map[int]string{form: strings.Replace(lastBody(t, f, form), "<<", "<< "+entries, 1)})
	return appendSigned(t, f, pdf.SignatureSpec{SubFilter: pdf.SubFilterCAdES, SigningTime: time.Now()}, func(digest []byte) ([]byte, error) {
		return cms.SignDetached(context.Background(), digest, cms.SignOptions{Signer: e.dev.Seal.Key, Certificate: e.dev.Seal.Cert, Chain: e.dev.Seal.Chain})
	})
}

// TestPDFShadowAndCertificationAttacks changes what a signature field
// shows after signing: a signed field's appearance swapped (its signature
// still verifies, and viewers draw the new appearance), and an unsigned
// signature field added whose appearance covers the page (the Sneaky
// Signature Attack's overlay, which needs no signature).
func TestPDFShadowAndCertificationAttacks(t *testing.T) {
	t.Parallel()
	// overlay is a form XObject painting the page white and writing a lie.
	overlay := func(t *testing.T, f []byte) string {
		_, page := firstPage(t, f)
		draw := "1 1 1 rg 0 0 595 842 re f 0 0 0 rg " + lie
		return fmt.Sprintf("<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> /Length %d >>\nstream\n%s\nendstream",
			numberIn(t, page, "F1"), len(draw), draw)
	}
	runAttacks(t, newSealEnv(t), []attack{
		{"fail/signed-widget-appearance-replaced", func(t *testing.T, f []byte) []byte {
			w := firstWidget(t, f)
			ap := nextFree(t, f)
			body := lastBody(t, f, w)
			body = regexp.MustCompile(`/AP << /N \d+ 0 R >>`).ReplaceAllString(body, fmt.Sprintf("/AP << /N %d 0 R >>", ap))
			body = strings.Replace(body, "/Rect [0 0 0 0]", "/Rect [0 0 595 842]", 1)
			return appendUpdate(t, f, map[int]string{w: body, ap: overlay(t, f)})
		}, TotalFailed, FormatFailure},
		{"fail/unsigned-signature-field-overlay", func(t *testing.T, f []byte) []byte {
			return unsignedField(t, f, "/Rect [0 0 595 842] /AP << /N %d 0 R >>", overlay(t, f))
		}, TotalFailed, FormatFailure},
		// A signature field left empty for the next signer draws nothing
		// until it is signed.
		{"pass/empty-signature-field-for-the-next-signer", func(t *testing.T, f []byte) []byte {
			return unsignedField(t, f, "/Rect [72 72 272 122]", "")
		}, TotalPassed, ""},
		{"pass/empty-signature-field-with-an-empty-appearance", func(t *testing.T, f []byte) []byte {
			return unsignedField(t, f, "/Rect [72 72 272 122] /AP << /N %d 0 R >>",
				strings.Replace(stream(""), "<<", "<< /Type /XObject /Subtype /Form /BBox [0 0 200 50]", 1))
		}, TotalPassed, ""},
		// The rollover appearance is drawn while the pointer is over it.
		{"fail/empty-signature-field-with-a-rollover-overlay", func(t *testing.T, f []byte) []byte {
			return unsignedField(t, f, "/Rect [0 0 595 842] /AP << /N << >> /R %d 0 R >>", overlay(t, f))
		}, TotalFailed, FormatFailure},
	})
}

// unsignedField adds an unsigned signature field to the first page, its
// widget holding entries (with %d: the number of the object holding ap).
func unsignedField(t *testing.T, f []byte, entries, ap string) []byte {
	t.Helper()
	n, page := firstPage(t, f)
	w, apNum := nextFree(t, f), nextFree(t, f)+1
	form := refOf(t, f, "Root", "AcroForm")
	if ap != "" {
		entries = fmt.Sprintf(entries, apNum)
	}
	objs := map[int]string{
		n:    strings.Replace(page, "/Annots [", fmt.Sprintf("/Annots [%d 0 R ", w), 1),
		form: strings.Replace(lastBody(t, f, form), "/Fields [", fmt.Sprintf("/Fields [%d 0 R ", w), 1),
		w:    fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Next) /F 4 /P %d 0 R %s >>", n, entries),
	}
	if ap != "" {
		objs[apNum] = ap
	}
	return appendUpdate(t, f, objs)
}

// TestPDFDSSWithUnusedCertificates appends a DSS holding certificates no
// path needs: another certificate for the seal's key and a CA of the same
// name with another key. A DSS may hold more than any path needs, so the
// file still passes, and each signature still names the certificate its
// signed attributes bind, not one the DSS offers.
func TestPDFDSSWithUnusedCertificates(t *testing.T) {
	t.Parallel()
	e := newSealEnv(t)
	file := e.seal(t, pades.BLTA)
	before := validatePDF(t, file, e.dev.Roots(), time.Time{})
	twin := *e.dev.Seal.Cert
	twin.SerialNumber = big.NewInt(4711)
	sameKey := pkitest.Issue(t, &twin, e.dev.Issuing.Cert, e.dev.Seal.Key.Public(), e.dev.Issuing.Key)
	fake := newSealEnv(t).dev.Issuing.Cert
	var out bytes.Buffer
	if _, err := pdf.AppendDSS(&out, bytes.NewReader(file), int64(len(file)), pdf.DSS{Certs: [][]byte{sameKey.Raw, fake.Raw}}); err != nil {
		t.Fatal(err)
	}
	rep := validatePDF(t, out.Bytes(), e.dev.Roots(), time.Time{})
	if !rep.Passed() || len(rep.Signatures) != len(before.Signatures) {
		t.Fatalf("indication %s: %+v", rep.Indication, rep.Signatures)
	}
	for i, s := range rep.Signatures {
		if *s.Signer != *before.Signatures[i].Signer {
			t.Errorf("%s is now by %+v, was by %+v", s.Field, *s.Signer, *before.Signatures[i].Signer)
		}
	}
}

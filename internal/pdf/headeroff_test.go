package pdf

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// offsetStartPDF is a PDF 2.0 file laid out like the PDF Association's
// example "withOffsetStart.pdf" (pdfcpu's pkg/testdata/pdf20): lines of
// printer data before %PDF-, CRLF line ends, comments between objects and
// before the xref keyword, and every offset (xref entries, startxref)
// counted from the %PDF- header, not the start of the file (ISO 32000-2
// §7.5.2, §7.5.4). Written here by hand rather than copied. With skew > 0
// every recorded offset also points that many bytes too late, into the
// comment line after the object, as sloppy writers' offsets do. The data
// before the header is longer than nearWindow. With fromStart the offsets
// count from the start of the file instead, as in a file whose writer
// put the data before the header itself.
func offsetStartPDF(skew int, fromStart bool) []byte {
	const eol = "\r\n"
	var pre bytes.Buffer
	for _, l := range []string{
		"# A PDF processor may encounter PDF 2.0 files that contain information",
		"# before the actual PDF 2.0 data, for example printer control data",
		"# written by a print workflow. Offsets count from the header.",
		"#",
		"# These lines are longer in total than the window in which a reader",
		"# looks for an object or xref keyword near a recorded offset, so that",
		"# an offset is only found by counting from the header, as in the",
		"# original, whose twelve lines of comments take 690 bytes.",
		"#",
		"# You cannot rely on all PDF 2.0 processors to open PDF files with",
		"# non-PDF data in front; it is not recommended that a PDF producer",
		"# write any data into a PDF file other than the actual PDF data.",
	} {
		pre.WriteString(l + eol)
	}
	pre.WriteString(eol)
	var b bytes.Buffer // from the header on; offsets are positions in b
	origin := 0
	if fromStart {
		origin = pre.Len()
	}
	b.WriteString("%PDF-2.0" + eol + "%\xdd\xcc\xbb\xaa" + eol)
	content := "BT /F1 24 Tf 100 100 Td (This is a PDF 2.0 document) Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 3 0 R >>",
		"<< /Type /Metadata /Subtype /XML /Length 9 >>" + eol + "stream" + eol + "<x:xmp/>" + eol + "endstream",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 396] /Contents [6 0 R] /Resources << /Font << /F1 7 0 R >> >> >>",
		"",
		fmt.Sprintf("<< /Length %d >>", len(content)) + eol + "stream" + eol + content + eol + "endstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	offs := make([]int, len(objs))
	for i, o := range objs {
		if o == "" {
			continue // object 5 is free
		}
		b.WriteString("% a comment between objects" + eol)
		offs[i] = origin + b.Len() - skew
		fmt.Fprintf(&b, "%d 0 obj%s%s%sendobj%s", i+1, eol, o, eol, eol)
	}
	b.WriteString("% The cross-reference table. Object 5 is free." + eol)
	xref := origin + b.Len() - skew
	fmt.Fprintf(&b, "xref%s0 %d%s0000000005 65535 f%s", eol, len(objs)+1, eol, eol)
	for i, off := range offs {
		if objs[i] == "" {
			fmt.Fprintf(&b, "0000000000 00001 f%s", eol)
			continue
		}
		fmt.Fprintf(&b, "%010d 00000 n%s", off, eol)
	}
	fmt.Fprintf(&b, "trailer%s<< /Size %d /Root 1 0 R /ID [<ec4765ce2312f9400fbcfff45ef0d542><ec4765ce2312f9400fbcfff45ef0d542>] >>%sstartxref%s%d%s%%%%EOF%s",
		eol, len(objs)+1, eol, eol, xref, eol, eol)
	return append(pre.Bytes(), b.Bytes()...)
}

// A file whose offsets count from a %PDF- header preceded by other data
// opens (pdfcpu's withOffsetStart.pdf was refused with "no xref section at
// offset 4248" when its offsets were also a little off), and a signature
// added to it counts its offsets the same way, so that qpdf reads the
// signed file without repair and pdfsig finds the signature valid.
func TestOffsetsCountedFromHeader(t *testing.T) {
	p := devPKI(t)
	for _, tc := range []struct {
		name      string
		skew      int
		fromStart bool
	}{{"ok/exact", 0, false}, {"ok/skewed", 4, false}, {"ok/counted-from-file-start", 0, true}} {
		t.Run(tc.name, func(t *testing.T) {
			src := offsetStartPDF(tc.skew, tc.fromStart)
			wantBase := func(r *Reader) int64 {
				if tc.fromStart {
					return 0
				}
				return r.headerOff
			}
			if i := bytes.Index(src, []byte("%PDF-")); i <= nearWindow {
				t.Fatalf("header at %d, within the near window", i)
			}
			if tc.skew == 0 && !tc.fromStart {
				qpdfCheck(t, src)
			}
			info, err := Check(bytes.NewReader(src), int64(len(src)))
			if err != nil || info.Pages != 1 || info.Version != "2.0" {
				t.Fatalf("Check: %+v, %v", info, err)
			}
			if r := mustOpen(t, src); r.base != wantBase(r) || r.headerOff == 0 {
				t.Fatalf("base %d, header at %d", r.base, r.headerOff)
			}
			out := p.sign(t, src, SignatureSpec{SigningTime: time.Now()})
			if tc.skew == 0 && !tc.fromStart {
				qpdfCheck(t, out)
			}
			res := p.pdfsig(t, out)
			if len(res) != 1 || !res[0].has("Signature is Valid") || !res[0].has("Total document signed") {
				t.Fatalf("pdfsig:\n%+v", res)
			}
			r := mustOpen(t, out)
			if r.base != wantBase(r) {
				t.Errorf("signed file: base %d, header at %d", r.base, r.headerOff)
			}
			sigs, err := r.Signatures()
			if err != nil || len(sigs) != 1 || sigs[0].ByteRange[0] != 0 || sigs[0].ByteRange[2]+sigs[0].ByteRange[3] != int64(len(out)) {
				t.Fatalf("signatures %+v, %v", sigs, err)
			}
		})
	}
}

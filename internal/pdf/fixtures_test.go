package pdf

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var regenerate = flag.Bool("regenerate", false, "rewrite the files under testdata/ (needs qpdf)")

// TestRegenerateFixtures rewrites testdata/. It is skipped unless run as
//
//	go test ./internal/pdf/ -run TestRegenerateFixtures -args -regenerate
//
// testdata/README lists what it does.
func TestRegenerateFixtures(t *testing.T) {
	if !*regenerate {
		t.Skip("run with -args -regenerate to rewrite testdata/")
	}
	if _, err := exec.LookPath("qpdf"); err != nil {
		t.Fatal("qpdf is needed: apt-get install qpdf")
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	qpdf := func(args ...string) {
		t.Helper()
		cmd := exec.Command("qpdf", args...)
		cmd.Dir = "testdata"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("qpdf %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	read := func(name string) []byte {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}

	write("minimal.pdf", simplePDF(1))
	write("incremental.pdf", incrementalPDF())
	write("hybrid.pdf", hybridPDF(false))
	write("javascript.pdf", javaScriptPDF())
	write("javascript-names.pdf", namesJS())
	write("prev-loop.pdf", prevLoopPDF())
	write("length-beyond-eof.pdf", lengthBeyondEOFPDF())
	write("garbage.bin", bytes.Repeat([]byte("this is not a pdf\x00\xff\n"), 50))

	qpdf("--deterministic-id", "--object-streams=generate", "--empty", "--pages", "minimal.pdf", "minimal.pdf", "minimal.pdf", "--", "object-streams.pdf")
	qpdf("--encrypt", "u", "o", "256", "--", "minimal.pdf", "encrypted.pdf")
	qpdf("--deterministic-id", "--object-streams=generate", "javascript.pdf", "javascript-objstm.pdf")
	qpdf("--deterministic-id", "--linearize", "object-streams.pdf", "linearized.pdf")

	objstm := read("object-streams.pdf")
	write("incremental-xref-stream.pdf", must(appendXrefStreamUpdate(objstm)))
	write("truncated.pdf", objstm[:len(objstm)*6/10])
}

// incrementalPDF is a one-page document with one incremental update (7.5.6)
// that adds a second page: a new page tree node shadows the old one.
func incrementalPDF() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "", "")
	first := b.xref("<< /Size 6 /Root 1 0 R >>")
	b.WriteString("\n")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>")
	b.obj(6, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 7 0 R >>")
	b.stream(7, "", []byte("BT /F1 24 Tf 72 720 Td (Added in revision 2) Tj ET"))
	b.xref(fmt.Sprintf("<< /Size 8 /Root 1 0 R /Prev %d >>", first))
	return b.Bytes()
}

// hybridPDF is a hybrid-reference file (7.5.8.4): the page tree and the
// font live in an object stream that only the stream named by /XRefStm
// lists. The classic table leaves them out or, when markFree is set, marks
// them free for the benefit of older readers (qpdf accepts that form,
// poppler does not).
func hybridPDF(markFree bool) []byte {
	b := newBuilder("1.5")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	b.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>")
	b.stream(4, "", []byte("BT /F1 24 Tf 72 720 Td (Hybrid) Tj ET"))
	rows := b.objStm(6, map[int]string{
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	})
	inTable := b.offs
	b.offs = map[int]int64{}
	hidden := b.xrefStream(7, rows, "", false)
	b.sections = 0
	b.offs = inTable
	b.offs[7] = hidden
	trailer := fmt.Sprintf("<< /Size 8 /Root 1 0 R /XRefStm %d >>", hidden)
	if !markFree {
		b.xref(trailer)
		return b.Bytes()
	}
	off := int64(b.Len())
	b.WriteString("xref\n0 8\n0000000000 65535 f \n")
	for n := 1; n < 8; n++ {
		if o, ok := b.offs[n]; ok {
			fmt.Fprintf(b, "%010d 00000 n \n", o)
		} else {
			b.WriteString("0000000000 00001 f \n")
		}
	}
	fmt.Fprintf(b, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", trailer, off)
	return b.Bytes()
}

// javaScriptPDF runs a script when opened (/OpenAction, 12.6.4.16).
func javaScriptPDF() []byte {
	b := newBuilder("1.4")
	size := b.pageDoc(1, "/OpenAction 6 0 R", "")
	b.obj(size, "<< /Type /Action /S /JavaScript /JS (app.alert\\('segl'\\);) >>")
	b.xref(fmt.Sprintf("<< /Size %d /Root 1 0 R >>", size+1))
	return b.Bytes()
}

// prevLoopPDF has two sections whose /Prev entries point at each other.
func prevLoopPDF() []byte {
	b := newBuilder("1.4")
	b.pageDoc(1, "", "")
	first := b.xref("<< /Size 6 /Root 1 0 R /Prev 0000000000 >>")
	b.obj(6, "<< /Producer (loop) >>")
	second := b.xref(fmt.Sprintf("<< /Size 7 /Root 1 0 R /Info 6 0 R /Prev %d >>", first))
	data := b.Bytes()
	i := bytes.Index(data, []byte("/Prev 0000000000"))
	copy(data[i+6:], fmt.Sprintf("%010d", second))
	return data
}

// lengthBeyondEOFPDF has a content stream whose /Length runs past the end
// of the file.
func lengthBeyondEOFPDF() []byte {
	b := newBuilder("1.4")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	b.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
	b.obj(4, "<< /Length 99999999 >>\nstream\nBT ET\nendstream")
	b.xref("<< /Size 5 /Root 1 0 R >>")
	return b.Bytes()
}

// appendXrefStreamUpdate appends to a file that uses cross-reference
// streams an incremental update whose own section is a cross-reference
// stream, setting a new /Info.
func appendXrefStreamUpdate(base []byte) ([]byte, error) {
	r, err := Open(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		return nil, err
	}
	tr := r.Trailer()
	root := tr["Root"].(Ref)
	size := int(tr["Size"].(Int))
	b := &builder{offs: map[int]int64{}}
	b.Write(base)
	b.WriteString("\n")
	b.obj(size, "<< /Title (Updated by an incremental update) >>")
	b.xrefStream(size+1, nil, fmt.Sprintf("/Root %v /Info %d 0 R /Prev %d", root, size, r.Revisions()[0]), true)
	return b.Bytes(), nil
}

// must is for test helpers whose failure is a bug in the test.
func must(data []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return data
}

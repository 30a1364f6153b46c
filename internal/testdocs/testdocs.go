// Package testdocs makes documents for tests and benchmarks: small valid
// PDFs of any size (padded with a comment stream), written the way ISO
// 32000-1 §7.5 lays a file out, so independent tools (qpdf) accept them.
package testdocs

import (
	"bytes"
	"fmt"
	"strings"
)

// PDF returns a one-page PDF with the given text, padded to at least size
// bytes with an unreferenced-looking but referenced metadata stream.
func PDF(text string, size int) []byte {
	return build(text, size, "")
}

// SignedPDF returns a one-page PDF that carries a signature field with a
// signature dictionary (ISO 32000-1 §12.7.4.5, §12.8.1), as a signed
// upload does. The signature value is a placeholder: it is for tests of
// what segl does with a signed upload, not of validation.
func SignedPDF(text string) []byte {
	return build(text, 0, "/AcroForm << /Fields [7 0 R] /SigFlags 3 >>",
		"<< /FT /Sig /T (Signature1) /V 8 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>",
		"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 0 0 0] /Contents <00> >>")
}

// DynamicXFAPDF returns a one-page PDF whose catalog says it is a dynamic
// XFA form (/NeedsRendering true, ISO 32000-1 §12.7.8): its page is only a
// placeholder for what an XFA processor renders.
func DynamicXFAPDF(text string) []byte {
	return build(text, 0, "/AcroForm << /Fields [] /XFA (<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"/>) >> /NeedsRendering true")
}

// build writes the document: catalogExtra goes into the catalog, and
// extra objects are numbered from 7 on.
func build(text string, size int, catalogExtra string, extra ...string) []byte {
	content := fmt.Sprintf("BT /F1 24 Tf 72 720 Td (%s) Tj ET", escape(text))
	pad := max(0, size-600-len(content))
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R " + catalogExtra + ">>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /PieceInfo << /Pad << /Data 6 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", pad, strings.Repeat("%", pad)),
	}
	return Objects(append(objs, extra...)...)
}

// Objects writes a PDF of the given object bodies, numbered from 1 in
// order, with a classic cross-reference table; object 1 is the catalog.
func Objects(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(s)
}

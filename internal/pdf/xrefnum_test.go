package pdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// xrefStreamOutsideSize is a file whose cross-reference stream is object 5
// while its /Size is 5, so its entries (0–4) leave its own number out, as
// some broken writers do (issue 9). Made here by hand (ISO 32000-1 §7.5.8).
func xrefStreamOutsideSize() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	content := "BT /F1 12 Tf 20 100 Td (xref stream 5, /Size 5) Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	var rows []byte
	row := func(typ byte, f2 uint32, f3 uint16) {
		rows = append(rows, typ)
		rows = binary.BigEndian.AppendUint32(rows, f2)
		rows = binary.BigEndian.AppendUint16(rows, f3)
	}
	row(0, 0, 65535)
	for _, off := range offs {
		row(1, uint32(off), 0)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "5 0 obj\n<< /Type /XRef /Size 5 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n", len(rows), rows)
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

// A signature added to such a file numbers its objects above the
// cross-reference stream's own number, so that no reader that indexes
// objects by number mistakes the new AcroForm for the old stream.
func TestUpdateNumbersAboveXrefStream(t *testing.T) {
	src := xrefStreamOutsideSize()
	qpdfCheck(t, src)
	prep, err := PrepareSignature(bytes.NewReader(src), int64(len(src)), SignatureSpec{SubFilter: SubFilterCAdES})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := prep.WriteTo(&out, []byte{0x30, 0}); err != nil {
		t.Fatal(err)
	}
	qpdfCheck(t, out.Bytes())
	r := mustOpen(t, out.Bytes())
	if size, _ := intValue(r.Trailer()["Size"]); size <= 6 {
		t.Errorf("/Size %d after adding objects above 5", size)
	}
	if e := r.xref[5]; e.kind == entryInUse && e.off >= int64(len(src)) {
		t.Error("the update redefines object 5, the original's xref stream")
	}
	cat, _, err := r.catalogRef()
	if err != nil {
		t.Fatal(err)
	}
	if ref, ok := cat["AcroForm"].(Ref); !ok || ref.Num <= 5 {
		t.Errorf("/AcroForm %v, want a new object above 5", cat["AcroForm"])
	}
	sigs, err := r.Signatures()
	if err != nil || len(sigs) != 1 {
		t.Fatalf("%d signature fields, %v", len(sigs), err)
	}
}

package pdf

import (
	"fmt"
	"testing"
)

// TestChangesObjectStreamRedefined: an update may redefine an object
// stream and leave the entries of the objects in it as they were. Those
// objects then read differently although their own cross-reference entries
// did not change.
func TestChangesObjectStreamRedefined(t *testing.T) {
	b := newBuilder("1.7")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	b.stream(4, "", []byte("BT /F1 24 Tf 72 720 Td (Seller pays 10 NOK) Tj ET"))
	rows := b.objStm(6, map[int]string{
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	})
	first := b.xrefStream(7, rows, "/Root 1 0 R", true)
	end := int64(b.Len())

	b.stream(8, "", []byte("BT /F1 24 Tf 72 720 Td (Buyer pays 1 000 000 NOK) Tj ET"))
	b.objStm(6, map[int]string{
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 8 0 R >>",
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Symbol >>",
	})
	b.xrefStream(9, nil, fmt.Sprintf("/Root 1 0 R /Prev %d", first), true)

	if got := kinds(changes(t, b.Bytes(), end)); got != "content,content" {
		t.Fatalf("changes %q, want the page's contents and font", got)
	}
}

package pdf

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/segl/segl/internal/testdocs"
)

// TestChangesEmptySignatureFieldSigned: an empty signature field may get
// its /V and appearance after an earlier signature, as a second signer
// fills it, but only in the rectangle it had; grown, its appearance could
// cover the page, and the earlier signature vouches for none of it.
func TestChangesEmptySignatureFieldSigned(t *testing.T) {
	one := signed(t, testdocs.PDF("Kontrakt", 0))
	r := mustOpen(t, one)
	cat, err := r.Resolve(r.Trailer()["Root"])
	if err != nil {
		t.Fatal(err)
	}
	formRef := cat.(Dict)["AcroForm"].(Ref)
	form, _ := r.Object(formRef)
	fields := form.(Dict)["Fields"].(Array)
	page, _ := r.Object(Ref{Num: 3})
	annots := page.(Dict)["Annots"].(Array)
	size := int(r.Trailer()["Size"].(Int))
	slot, sig := size, size+1
	list := func(a Array) string {
		var b bytes.Buffer
		for _, o := range a {
			fmt.Fprintf(&b, "%v ", o)
		}
		return b.String()
	}
	withSlot := appendRevision(t, one, map[int]string{
		formRef.Num: fmt.Sprintf("<< /Fields [%s%d 0 R] /SigFlags 3 >>", list(fields), slot),
		3:           fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /PieceInfo << /Pad << /Data 6 0 R >> >> /Annots [%s%d 0 R] >>", list(annots), slot),
		slot:        "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Slot2) /F 4 /P 3 0 R /Rect [72 72 272 122] >>",
	})
	end := int64(len(withSlot))
	fill := func(rect string) []byte {
		return appendRevision(t, withSlot, map[int]string{
			slot: fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Slot2) /F 4 /P 3 0 R /Rect %s /V %d 0 R >>", rect, sig),
			sig:  "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 0 0 0] /Contents <00> >>",
		})
	}
	for _, tc := range []struct {
		name, rect, want string
	}{
		{"ok/signed-in-its-rectangle", "[72 72 272 122]", ""},
		{"fail/signed-over-the-page", "[0 0 595 842]", "annotation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kinds(changes(t, fill(tc.rect), end)); got != tc.want {
				t.Fatalf("changes %q, want %q", got, tc.want)
			}
		})
	}
}

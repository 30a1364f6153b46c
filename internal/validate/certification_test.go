package validate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/testdocs"
)

// Placeholders of a signature dictionary signUpdate fills.
var (
	byteRangeSlot = "/ByteRange [0 0 0 0]" + strings.Repeat(" ", 40)
	contentsSlot  = "/Contents <" + strings.Repeat("0", 2*16384) + ">"
)

// signUpdate appends an update with objs, one of which is a signature
// dictionary holding byteRangeSlot and contentsSlot, and signs it with the
// seal key: a signature made by hand, as segl's writer makes no
// certification signatures and refuses to sign after one with /P 1.
func (e *sealEnv) signUpdate(t *testing.T, file []byte, objs map[int]string) []byte {
	t.Helper()
	out := appendUpdate(t, file, objs)
	at := func(s string) int {
		i := bytes.Index(out[len(file):], []byte(s))
		if i < 0 {
			t.Fatalf("%.20s… not in the update", s)
		}
		return len(file) + i
	}
	a := at(contentsSlot) + len("/Contents ") // the hex string's '<'
	b := a + len(contentsSlot) - len("/Contents ")
	br := fmt.Sprintf("/ByteRange [0 %d %d %d]", a, b, len(out)-b)
	copy(out[at(byteRangeSlot):], br+strings.Repeat(" ", len(byteRangeSlot)-len(br)))
	h := sha256.New()
	h.Write(out[:a])
	h.Write(out[b:])
	der, err := cms.SignDetached(context.Background(), h.Sum(nil), cms.SignOptions{Signer: e.dev.Seal.Key, Certificate: e.dev.Seal.Cert, Chain: e.dev.Seal.Chain})
	if err != nil {
		t.Fatal(err)
	}
	hex.Encode(out[a+1:], der)
	return out
}

// TestPDFCertificationPermissions: a certification signature (DocMDP, ISO
// 32000-1 §12.8.2.2) permits, by its /P, what may follow it. Under /P 1 a
// later approval signature fails the certification (the Sneaky Signature
// Attack needs a signature there); under /P 2 it is allowed, and a DSS is
// allowed under both. Under every /P an attachment fails it.
func TestPDFCertificationPermissions(t *testing.T) {
	t.Parallel()
	e := newSealEnv(t)
	base := testdocs.PDF("Certified terms", 0)
	certify := func(t *testing.T, p int) []byte {
		root, page := refOf(t, base, "Root"), refOf(t, base, "Root", "Pages")+1
		w, s, form := nextFree(t, base), nextFree(t, base)+1, nextFree(t, base)+2
		return e.signUpdate(t, base, map[int]string{
			root: strings.Replace(lastBody(t, base, root), "/Type /Catalog", fmt.Sprintf("/Type /Catalog /AcroForm %d 0 R /Perms << /DocMDP %d 0 R >>", form, s), 1),
			form: fmt.Sprintf("<< /Fields [%d 0 R] /SigFlags 3 >>", w),
			page: strings.Replace(lastBody(t, base, page), "/Type /Page", fmt.Sprintf("/Type /Page /Annots [%d 0 R]", w), 1),
			w:    fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Certification) /F 132 /Rect [0 0 0 0] /P %d 0 R /V %d 0 R >>", page, s),
			s: fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>] /M (D:20261207120000Z) %s %s >>",
				p, byteRangeSlot, contentsSlot),
		})
	}
	approve := func(t *testing.T, f []byte) []byte {
		page, form := refOf(t, f, "Root", "Pages")+1, refOf(t, f, "Root", "AcroForm")
		first := firstWidget(t, f)
		w, s := nextFree(t, f), nextFree(t, f)+1
		return e.signUpdate(t, f, map[int]string{
			form: fmt.Sprintf("<< /Fields [%d 0 R %d 0 R] /SigFlags 3 >>", first, w),
			page: strings.Replace(lastBody(t, f, page), fmt.Sprintf("/Annots [%d 0 R]", first), fmt.Sprintf("/Annots [%d 0 R %d 0 R]", first, w), 1),
			w:    fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Approval) /F 132 /Rect [0 0 0 0] /P %d 0 R /V %d 0 R >>", page, s),
			s:    fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (D:20261207120000Z) %s %s >>", byteRangeSlot, contentsSlot),
		})
	}
	withDSS := func(t *testing.T, f []byte) []byte {
		var lt bytes.Buffer
		if err := e.s.Extend(context.Background(), &lt, bytes.NewReader(f), int64(len(f)), false); err != nil {
			t.Fatal(err)
		}
		return lt.Bytes()
	}
	for _, tc := range []struct {
		name string
		p    int
		then func(t *testing.T, f []byte) []byte
		want Indication
	}{
		{"ok/p1-dss", 1, func(t *testing.T, f []byte) []byte { return f }, TotalPassed},
		{"fail/p1-approval-signature", 1, approve, TotalFailed},
		{"ok/p2-approval-signature", 2, approve, TotalPassed},
		{"fail/p2-attachment-an-approval-signature-covers", 2, func(t *testing.T, f []byte) []byte { return approve(t, attach(t, f)) }, TotalFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.then(t, withDSS(t, certify(t, tc.p)))
			rep := validatePDF(t, f, e.dev.Roots(), time.Time{})
			got := rep.Signatures[0]
			if got.Field != "Certification" || got.Result.Indication != tc.want || (tc.want == TotalFailed && got.Result.SubIndication != FormatFailure) {
				t.Fatalf("%s: %+v; all: %+v", got.Field, got.Result, rep.Signatures)
			}
		})
	}
}

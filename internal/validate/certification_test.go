package validate

import (
	"bytes"
	"context"
	"crypto"
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
	return e.signUpdateWith(t, file, objs, func(digest []byte) ([]byte, error) {
		return cms.SignDetached(context.Background(), digest, cms.SignOptions{Signer: e.dev.Seal.Key, Certificate: e.dev.Seal.Cert, Chain: e.dev.Seal.Chain})
	})
}

// signUpdateWith is signUpdate with the DER sign makes from the SHA-256
// digest of the byte range.
func (e *sealEnv) signUpdateWith(t *testing.T, file []byte, objs map[int]string, sign func(digest []byte) ([]byte, error)) []byte {
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
	der, err := sign(h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	hex.Encode(out[a+1:], der)
	return out
}

// TestPDFCertificationPermissions: a certification signature (DocMDP, ISO
// 32000-1 §12.8.2.2) permits, by its /P, what may follow it. Under /P 1
// only the DSS and document time-stamps may (ISO 32000-2): a later approval
// signature fails the certification (the Sneaky Signature Attack needs a
// signature there), and so do a field filled in and an empty signature
// field added; under /P 2 those are allowed. Under every /P an attachment
// fails it.
func TestPDFCertificationPermissions(t *testing.T) {
	t.Parallel()
	e := newSealEnv(t)
	base := testdocs.PDF("Certified terms", 0)
	certify := func(t *testing.T, p int) []byte {
		root, page := refOf(t, base, "Root"), refOf(t, base, "Root", "Pages")+1
		w, s, form, amount, box := nextFree(t, base), nextFree(t, base)+1, nextFree(t, base)+2, nextFree(t, base)+3, nextFree(t, base)+4
		return e.signUpdate(t, base, map[int]string{
			root: strings.Replace(lastBody(t, base, root), "/Type /Catalog", fmt.Sprintf("/Type /Catalog /AcroForm %d 0 R /Perms << /DocMDP %d 0 R >>", form, s), 1),
			form: fmt.Sprintf("<< /Fields [%d 0 R %d 0 R] /SigFlags 3 >>", w, amount),
			page: strings.Replace(lastBody(t, base, page), "/Type /Page", fmt.Sprintf("/Type /Page /Annots [%d 0 R %d 0 R]", w, box), 1),
			w:    fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Certification) /F 132 /Rect [0 0 0 0] /P %d 0 R /V %d 0 R >>", page, s),
			// A text field whose value is in the field, its widget a kid.
			amount: fmt.Sprintf("<< /FT /Tx /T (Amount) /V (100 NOK) /Kids [%d 0 R] >>", box),
			box:    fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %d 0 R /F 4 /Rect [72 600 272 620] /P %d 0 R >>", amount, page),
			s: fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>] /M (D:20261207120000Z) %s %s >>",
				p, byteRangeSlot, contentsSlot),
		})
	}
	// addSigned adds a signature field on the page whose signature
	// dictionary holds sigEntries, signed by sign.
	addSigned := func(t *testing.T, f []byte, name, sigEntries string, sign func(digest []byte) ([]byte, error)) []byte {
		page, form := refOf(t, f, "Root", "Pages")+1, refOf(t, f, "Root", "AcroForm")
		first := firstWidget(t, f)
		w, s := nextFree(t, f), nextFree(t, f)+1
		return e.signUpdateWith(t, f, map[int]string{
			form: strings.Replace(lastBody(t, f, form), "] /SigFlags", fmt.Sprintf(" %d 0 R] /SigFlags", w), 1),
			page: strings.Replace(lastBody(t, f, page), fmt.Sprintf("/Annots [%d 0 R", first), fmt.Sprintf("/Annots [%d 0 R %d 0 R", first, w), 1),
			w:    fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /F 132 /Rect [0 0 0 0] /P %d 0 R /V %d 0 R >>", name, page, s),
			s:    fmt.Sprintf("<< %s %s %s >>", sigEntries, byteRangeSlot, contentsSlot),
		}, sign)
	}
	approve := func(t *testing.T, f []byte) []byte {
		return addSigned(t, f, "Approval", "/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (D:20261207120000Z)", func(digest []byte) ([]byte, error) {
			return cms.SignDetached(context.Background(), digest, cms.SignOptions{Signer: e.dev.Seal.Key, Certificate: e.dev.Seal.Cert, Chain: e.dev.Seal.Chain})
		})
	}
	// stamp adds a document time-stamp, made by hand: segl's writer adds
	// nothing after a certification with /P 1.
	stamp := func(t *testing.T, f []byte) []byte {
		return addSigned(t, f, "Stamp", "/Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161", func(digest []byte) ([]byte, error) {
			return e.s.TSA.Stamp(context.Background(), crypto.SHA256, digest)
		})
	}
	withDSS := func(t *testing.T, f []byte) []byte {
		var lt bytes.Buffer
		if err := e.s.Extend(context.Background(), &lt, bytes.NewReader(f), int64(len(f)), false); err != nil {
			t.Fatal(err)
		}
		return lt.Bytes()
	}
	// valueChanged gives the text field another value in a new field
	// dictionary the form lists instead: its widget, which still names the
	// old one its parent, is unchanged.
	valueChanged := func(t *testing.T, f []byte) []byte {
		form := refOf(t, f, "Root", "AcroForm")
		body := lastBody(t, f, form)
		amount, n := numberIn(t, body, `Fields \[\d+ 0 R`), nextFree(t, f)
		return appendUpdate(t, f, map[int]string{
			form: strings.Replace(body, fmt.Sprintf(" %d 0 R]", amount), fmt.Sprintf(" %d 0 R]", n), 1),
			n:    strings.Replace(lastBody(t, f, amount), "(100 NOK)", "(1 000 000 NOK)", 1)})
	}
	// metadataAdded gives the catalog XMP metadata: no change to the
	// document's content, but a change, which /P 1 forbids.
	metadataAdded := func(t *testing.T, f []byte) []byte {
		root, n := refOf(t, f, "Root"), nextFree(t, f)
		return appendUpdate(t, f, map[int]string{
			root: strings.Replace(lastBody(t, f, root), "/Type /Catalog", fmt.Sprintf("/Type /Catalog /Metadata %d 0 R", n), 1),
			n:    stream(`<x:xmpmeta xmlns:x="adobe:ns:meta/"/>`)})
	}
	for _, tc := range []struct {
		name string
		p    int
		then func(t *testing.T, f []byte) []byte
		want Indication
	}{
		{"pass/p1-dss", 1, func(t *testing.T, f []byte) []byte { return f }, TotalPassed},
		{"pass/p1-document-timestamp", 1, stamp, TotalPassed},
		{"fail/p1-approval-signature", 1, approve, TotalFailed},
		{"fail/p1-field-value-changed-in-its-parent", 1, valueChanged, TotalFailed},
		{"fail/p1-field-value-changed-then-time-stamped", 1, func(t *testing.T, f []byte) []byte { return stamp(t, valueChanged(t, f)) }, TotalFailed},
		{"fail/p1-empty-signature-field-added", 1, func(t *testing.T, f []byte) []byte {
			return unsignedField(t, f, "/Rect [72 72 272 122]", "")
		}, TotalFailed},
		{"fail/p1-metadata-added", 1, metadataAdded, TotalFailed},
		{"pass/p2-metadata-added", 2, metadataAdded, TotalPassed},
		{"pass/p2-approval-signature", 2, approve, TotalPassed},
		{"pass/p2-field-value-changed-in-its-parent", 2, valueChanged, TotalPassed},
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

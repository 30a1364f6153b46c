package validate

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/testdocs"
)

// TestPDFShadowUploadRevealedAfterSigning follows a shadow attack through
// segl's signer: the upload hides text in optional content that is off and
// keeps a second page nothing references; segl normalises and seals it;
// the attacker then appends what viewers would accept, turning the hidden
// layer on or putting the unreferenced page back. Normalisation dropped
// the page, and the layer's state is the catalog's: neither passes.
func TestPDFShadowUploadRevealedAfterSigning(t *testing.T) {
	t.Parallel()
	const hidden = "Buyer pays 1 000 000 NOK"
	content := "BT /F1 24 Tf 72 720 Td (Buyer pays 10 NOK) Tj ET /OC /secret BDC BT /F1 24 Tf 72 680 Td (" + hidden + ") Tj ET EMC"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R /OCProperties << /OCGs [6 0 R] /D << /OFF [6 0 R] >> >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /Properties << /secret 6 0 R >> >> >>",
		stream(content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Type /OCG /Name (Secret) >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 8 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		stream("BT /F1 24 Tf 72 720 Td (" + hidden + ") Tj ET"),
	}
	upload := testdocs.Objects(objs...)

	var normal bytes.Buffer
	res, err := pdf.Normalize(&normal, bytes.NewReader(upload), int64(len(upload)))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rewritten || len(res.Dropped) == 0 {
		t.Fatalf("normalised: %+v", res)
	}
	e := newSealEnv(t)
	var sealed bytes.Buffer
	if err := e.s.Seal(context.Background(), &sealed, bytes.NewReader(normal.Bytes()), int64(normal.Len()), pades.Options{Level: pades.BLTA}); err != nil {
		t.Fatal(err)
	}
	file := sealed.Bytes()
	if rep := validatePDF(t, file, e.dev.Roots(), time.Time{}); !rep.Passed() {
		t.Fatalf("the sealed upload: %+v", rep.Signatures)
	}
	for _, tc := range []struct {
		name   string
		reveal func(t *testing.T, f []byte) []byte
	}{
		{"fail/hidden-layer-turned-on", func(t *testing.T, f []byte) []byte {
			root := refOf(t, f, "Root")
			body := lastBody(t, f, root)
			if !strings.Contains(body, "/OFF [") {
				t.Fatalf("no /OFF in %s", body)
			}
			return appendUpdate(t, f, map[int]string{root: strings.Replace(body, "/OFF [", "/ON [", 1)})
		}},
		{"fail/unreferenced-page-put-back", func(t *testing.T, f []byte) []byte {
			if bytes.Contains(f, []byte("72 720 Td ("+hidden)) {
				t.Fatal("normalisation kept the unreferenced page")
			}
			pages := refOf(t, f, "Root", "Pages")
			n, _ := firstPage(t, f)
			p, c := nextFree(t, f), nextFree(t, f)+1
			return appendUpdate(t, f, map[int]string{
				pages: fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count 2 >>", n, p),
				p:     fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>", pages, c),
				c:     stream("BT /F1 24 Tf 72 720 Td (" + hidden + ") Tj ET")})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := validatePDF(t, tc.reveal(t, bytes.Clone(file)), e.dev.Roots(), time.Time{})
			if rep.Indication != TotalFailed || rep.Signatures[0].Result.SubIndication != FormatFailure {
				t.Fatalf("indication %s: %+v", rep.Indication, rep.Signatures[0].Result)
			}
		})
	}
}

package validate

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdfa"
)

// TestPDFMetadataChangedAfterSigning: a PDF/A document sealed at B-LTA,
// then updated as Acrobat and pyHanko update a file on every incremental
// save (a countersignature, an LTV update): the XMP metadata's
// xmp:ModifyDate bumped, or the document information dictionary
// rewritten. Neither changes a page, an annotation, the form or an action,
// so every signature still passes, as EU DSS has it (a new /Metadata is an
// augmentation there, /Info is not compared); the report names the
// change, so a title changed since signing is seen. Before, the XMP
// update failed every signature (a catalog change) and an /Info change
// was not reported at all.
func TestPDFMetadataChangedAfterSigning(t *testing.T) {
	t.Parallel()
	e := newSealEnv(t)
	var doc bytes.Buffer
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, err := pdfa.RenderText(&doc, strings.NewReader("Leieavtale\nLeie: 10 000 NOK i måneden."),
		pdfa.Meta{Title: "Leieavtale", Lang: "nb", Created: created}); err != nil {
		t.Fatal(err)
	}
	var sealed bytes.Buffer
	if err := e.s.Seal(context.Background(), &sealed, bytes.NewReader(doc.Bytes()), int64(doc.Len()), pades.Options{Level: pades.BLTA}); err != nil {
		t.Fatal(err)
	}
	file := sealed.Bytes()
	if rep := validatePDF(t, file, e.dev.Roots(), time.Time{}); !rep.Passed() || len(rep.Signatures) != 2 {
		t.Fatalf("the sealed document: %+v", rep.Signatures)
	}
	for _, tc := range []struct {
		name   string
		update func(t *testing.T, f []byte) []byte
		change string
	}{
		{"pass/xmp-modify-date-bumped", func(t *testing.T, f []byte) []byte {
			meta := refOf(t, f, "Root", "Metadata")
			body := lastBody(t, f, meta)
			was := "<xmp:ModifyDate>" + created.Format("2006-01-02T15:04:05")
			if !strings.Contains(body, was) {
				t.Fatalf("no %s in the metadata:\n%s", was, body)
			}
			return appendUpdate(t, f, map[int]string{meta: strings.Replace(body, was, "<xmp:ModifyDate>2026-12-08T09:30:00", 1)})
		}, "metadata: XMP metadata"},
		{"pass/info-title-changed", func(t *testing.T, f []byte) []byte {
			info := refOf(t, f, "Info")
			body := lastBody(t, f, info)
			if !strings.Contains(body, "/Title (Leieavtale)") {
				t.Fatalf("no title in /Info: %s", body)
			}
			return appendUpdate(t, f, map[int]string{info: strings.Replace(body, "/Title (Leieavtale)", "/Title (Kjopekontrakt)", 1)})
		}, "metadata: document information dictionary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := validatePDF(t, tc.update(t, bytes.Clone(file)), e.dev.Roots(), time.Time{})
			if rep.Indication != TotalPassed || len(rep.Signatures) != 2 {
				t.Fatalf("indication %s: %+v", rep.Indication, rep.Signatures)
			}
			for _, s := range rep.Signatures {
				if !slices.Contains(s.LaterChanges, tc.change) {
					t.Errorf("%s does not report %q: %q", s.Field, tc.change, s.LaterChanges)
				}
			}
		})
	}
}

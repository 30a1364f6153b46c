package postenapi

import (
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
)

// TestDecodeTakesOneReading: XML that encoding/xml would decode as one of
// several readings is refused as a schema error: an element the schema
// allows once given twice (the last would win), an attribute given twice
// (not well-formed), and an element inside one that holds only text or
// nothing (it would be dropped unread: an xi:include is neither processed
// nor refused). Repeatable elements and one element of a name at each of
// two levels stay accepted.
func TestDecodeTakesOneReading(t *testing.T) {
	const ns = `xmlns="http://signering.posten.no/schema/v1"`
	signer := `<signer order="1"><personal-identification-number>21909825250</personal-identification-number><notifications><email address="a@example.test"/></notifications></signer>`
	manifest := func(inner string) string {
		return `<portal-signature-job-manifest ` + ns + `>` + inner + `</portal-signature-job-manifest>`
	}
	for _, tc := range []struct {
		name, xml string
		ok        bool
	}{
		{"ok/repeated-signers-and-documents", manifest(`<signers>` + signer + signer + `</signers><sender><organization-number>317510748</organization-number></sender><title>T</title>` +
			`<documents><document href="a.pdf" mime="application/pdf"><title>A</title></document><document href="b.pdf" mime="application/pdf"><title>B</title></document></documents>` +
			`<availability><activation-time>2026-12-10T08:00:00</activation-time></availability>`), true},
		{"ok/title-at-two-levels", manifest(`<title>T</title><document href="a.pdf" mime="application/pdf"><title>A</title></document>`), true},
		{"fail/title-twice", manifest(`<title>Harmless</title><title>Other</title>`), false},
		{"fail/sender-twice", manifest(`<sender><organization-number>317510748</organization-number></sender><sender><organization-number>991825827</organization-number></sender>`), false},
		{"fail/document-title-twice", manifest(`<documents><document href="a.pdf" mime="application/pdf"><title>A</title><title>B</title></document></documents>`), false},
		{"fail/activation-time-twice", manifest(`<availability><activation-time>2026-12-10T08:00:00</activation-time><activation-time>2027-12-10T08:00:00</activation-time></availability>`), false},
		{"fail/attribute-twice", manifest(`<documents><document href="a.pdf" href="b.pdf" mime="application/pdf"><title>A</title></document></documents>`), false},
		{"fail/signer-order-twice", manifest(`<signers><signer order="1" order="2"><personal-identification-number>21909825250</personal-identification-number></signer></signers>`), false},
		{"fail/xinclude-in-text", manifest(`<title><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/></title>`), false},
		{"fail/element-in-text", manifest(`<title>A<b>B</b>C</title>`), false},
		{"fail/element-in-empty-element", manifest(`<signers><signer><identified-by-contact-information><x/></identified-by-contact-information></signer></signers>`), false},
		{"fail/element-in-date", manifest(`<availability><activation-time>2026-12-10T08:00:00<x/></activation-time></availability>`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m portalManifest
			err := decode(strings.NewReader(tc.xml), &m)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && !errs.HasCode(err, codeSchema) {
				t.Fatalf("got %v, want %s (title %v)", err, codeSchema, m.Title)
			}
		})
	}
	t.Run("fail/reference-twice-in-request", func(t *testing.T) {
		var req portalJobRequest
		err := decode(strings.NewReader(`<portal-signature-job-request `+ns+`><reference>a</reference><reference>b</reference></portal-signature-job-request>`), &req)
		if !errs.HasCode(err, codeSchema) {
			t.Fatalf("got %v, want %s", err, codeSchema)
		}
	})
}

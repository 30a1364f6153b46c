package postenapi

import (
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
)

// TestDecodeReadsNamespacesOnce: names are resolved once, as the XML
// says. The document element must be in the API's namespace however its
// prefixes are declared (the decoder that fills the message resolves the
// prefixes again, which a chain of declarations can move to the API's
// namespace), and an attribute must have none: the schemas' attributes
// are unqualified, and encoding/xml would take p:href for href, keeping
// the last of the two.
func TestDecodeReadsNamespacesOnce(t *testing.T) {
	for _, tc := range []struct {
		name, xml string
		ok        bool
	}{
		{"ok/default-namespace", `<portal-signature-job-request xmlns="http://signering.posten.no/schema/v1"><reference>a</reference></portal-signature-job-request>`, true},
		{"ok/prefixed", `<p:portal-signature-job-request xmlns:p="http://signering.posten.no/schema/v1"><p:reference>a</p:reference></p:portal-signature-job-request>`, true},
		{"fail/root-through-a-chain-of-prefixes", `<a:portal-signature-job-request xmlns:a="b" xmlns:b="http://signering.posten.no/schema/v1"/>`, false},
		{"fail/root-in-no-namespace", `<portal-signature-job-request/>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req portalJobRequest
			err := decode(strings.NewReader(tc.xml), &req)
			if tc.ok && err != nil || !tc.ok && !errs.HasCode(err, codeSchema) {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("fail/qualified-attribute", func(t *testing.T) {
		var m portalManifest
		err := decode(strings.NewReader(`<portal-signature-job-manifest xmlns="http://signering.posten.no/schema/v1" xmlns:p="urn:x">`+
			`<documents><document href="a.pdf" p:href="b.pdf" mime="application/pdf"><title>A</title></document></documents></portal-signature-job-manifest>`), &m)
		if !errs.HasCode(err, codeSchema) {
			t.Fatalf("got %v (href %q)", err, m.Documents.Document[0].Href)
		}
	})
}

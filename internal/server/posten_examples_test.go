package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/internal/xades"
)

// The specification's own request examples, sent as they are through
// HTTP with a bundle of the documents they name, are accepted. Two things
// are replaced, both for the data, not the form: the sender, 123456789,
// by an onboarded organisation, and the identity numbers, which fail the
// national identity number's check digits, by valid ones of the
// development population. Every request, manifest and response is
// validated against the schema on the way (postenClient).
func TestPostenSpecificationExamples(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, javaStyle)
	const dir = "../postenapi/testdata/posten-signature-api/examples/"
	// The identity numbers first: the replacer tries its strings in this
	// order, and 123456789 begins 12345678910.
	people := strings.NewReplacer("12345678910", olaPID, "10987654321", kariPID,
		"01013300001", adminPID, "02038412546", larsPID, "123456789", orgA)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return people.Replace(string(b))
	}
	for _, tc := range []struct{ flow, request, manifest string }{
		{"direct", "direct/request.xml", "direct/manifest.xml"},
		{"direct", "direct/request.xml", "direct/manifest-specify-signtype-and-auth.xml"},
		{"direct", "direct/request.xml", "direct/manifest-signer-without-pin.xml"},
		{"direct", "direct/multiple_signers/request.xml", "direct/multiple_signers/manifest.xml"},
		{"portal", "portal/request.xml", "portal/manifest.xml"},
		{"portal", "portal/request.xml", "portal/manifest-signer-without-pin.xml"},
		{"portal", "portal/request.xml", "portal/manifest-specify-on-behalf-of.xml"},
		{"portal", "portal/request.xml", "portal/manifest-specify-signtype-and-auth.xml"},
		{"portal", "portal/request.xml", "portal/legacy/manifest-legacy.xml"},
	} {
		t.Run(tc.manifest, func(t *testing.T) {
			p.t = t
			manifest := read(tc.manifest)
			var docs []xades.ASiCFile
			for _, name := range []string{"document.pdf", "document2.pdf"} {
				if strings.Contains(manifest, `href="`+name+`"`) {
					docs = append(docs, xades.ASiCFile{Name: name, MediaType: "application/pdf", Content: pdf100k})
				}
			}
			p.create(tc.flow, read(tc.request), p.bundle(manifest, docs)).want(t, http.StatusOK)
		})
	}
	if n := e.jobCount(orgA); n != 9 {
		t.Fatalf("%d jobs, want 9", n)
	}
}

package xades

import (
	"strings"
	"testing"

	"github.com/segl/segl/internal/pki/pkitest"
)

// canonicalDoc parses a document as Verify does and canonicalises its
// document element.
func canonicalDoc(t *testing.T, doc string) (string, error) {
	t.Helper()
	d, err := parse([]byte(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	c, err := canonicalize(d.Root())
	return string(c), err
}

// Our Exclusive C14N agrees with libxml2's (xmllint --exc-c14n) on the cases
// that trip implementations up. For a whole document without comments and
// processing instructions the two node-sets are the same.
func TestCanonicalizeMatchesXmllint(t *testing.T) {
	cases := []struct{ name, doc string }{
		{"ok/namespaces-only-where-used", `<a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u"><b:c/><a:d b:x="1"/></a:r>`},
		{"ok/default-namespace-undone", `<r xmlns="urn:d"><c xmlns=""><d/></c><e/></r>`},
		{"ok/default-namespace-never-declared", `<r><c xmlns=""/></r>`},
		{"ok/prefix-rebound", `<p:r xmlns:p="urn:1"><p:c xmlns:p="urn:2"><p:d/></p:c><p:e xmlns:p="urn:1"/></p:r>`},
		{"ok/attributes-sorted-by-namespace-uri", `<r xmlns:z="urn:a" xmlns:a="urn:z" b="1" a:c="2" z:d="3" a="4" z:a="5"/>`},
		{"ok/escaping", "<r a=\"&lt;&amp;&quot;&#9;&#10;&#13;'>\">&lt;&amp;&gt;&#13;\"'\u00e6\U0001F600</r>"},
		{"ok/cdata-and-character-references", `<r><![CDATA[<x> & y]]>&#65;&#x42;</r>`},
		{"ok/whitespace-kept", "<r>\n  <c>  x  </c>\n\t</r>"},
		{"ok/crlf-normalised", "<r>a\r\nb\rc</r>"},
		{"ok/xml-attributes", `<r xml:lang="nb"><c xml:space="preserve"/></r>`},
		{"ok/empty-elements", `<r><a/><b></b></r>`},
		{"ok/attribute-whitespace-references", `<r a="x&#xA;y&#x9;z"/>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f := pkitest.WriteFile(t, dir, "in.xml", []byte(tc.doc))
			want, err := tool(t, dir, "xmllint", "libxml2-utils", "--exc-c14n", f)
			if err != nil {
				t.Fatalf("xmllint: %v\n%s", err, want)
			}
			got, err := canonicalDoc(t, tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("canonical form differs from xmllint's\n got: %q\nwant: %q", got, want)
			}
		})
	}
}

// A subtree keeps the namespaces its ancestors declared and uses, and only
// those (Exc-C14N §3), which is what lets a Reference digest stay the same
// wherever the element sits.
func TestCanonicalizeSubtree(t *testing.T) {
	d, err := parse([]byte(`<r xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b"><a:x b:y="1"><z/></a:x></r>`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := canonicalize(d.Root().ChildElements()[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `<a:x xmlns:a="urn:a" xmlns:b="urn:b" b:y="1"><z xmlns="urn:d"></z></a:x>`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"fail/undeclared-prefix", `<p:r/>`, "undeclared"},
		{"fail/undeclared-attribute-prefix", `<r p:a="1"/>`, "undeclared"},
		{"fail/prefix-undeclared-to-empty", `<r xmlns:p="urn:p"><c xmlns:p=""/></r>`, "empty name"},
		{"fail/xml-prefix-rebound", `<r xmlns:xml="urn:x"/>`, "xml prefix"},
		{"fail/same-attribute-through-two-prefixes", `<r xmlns:a="urn:a" xmlns:b="urn:a" a:x="1" b:x="2"/>`, "duplicate attribute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := canonicalDoc(t, tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
}

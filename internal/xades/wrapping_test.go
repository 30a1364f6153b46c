package xades

import (
	"errors"
	"strings"
	"testing"
)

// TestVerifyRejectsReferenceTricks covers what the reference-handling cases
// of TestVerifyRejects leave out (reliability.md §4, XML signatures): the
// transforms that make a reference mean something else (XSLT, XPath,
// XPath Filter 2.0), URIs that would fetch from outside the document
// (http:, file:, a bare name), and an Id that a second element claims
// under another spelling of the attribute. Each is re-signed, so that only
// the trick can fail the verification.
func TestVerifyRejectsReferenceTricks(t *testing.T) {
	seal := sealOptions(t)
	bb := mustSign(t, testFacts(), seal)
	// The facts' reference, up to its one transform.
	const factsTransform = `URI="#evidence">` + "\n      <ds:Transforms>\n        " + `<ds:Transform Algorithm="` + algExcC14N + `"></ds:Transform>`
	transform := func(t *testing.T, replacement string) []byte {
		return resign(t, replaceOnce(t, bb, factsTransform, `URI="#evidence"><ds:Transforms>`+replacement), seal)
	}
	uri := func(t *testing.T, u string) []byte {
		return resign(t, replaceOnce(t, bb, `URI="#evidence"`, `URI="`+u+`"`), seal)
	}
	for _, tc := range []struct {
		name string
		doc  func(t *testing.T) []byte
		want error
	}{
		{"fail/xslt-transform", func(t *testing.T) []byte {
			return transform(t, `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/"><xsl:copy-of select="document('file:///etc/passwd')"/></xsl:template></xsl:stylesheet></ds:Transform>`)
		}, ErrAlgorithm},
		{"fail/xpath-transform", func(t *testing.T) []byte {
			return transform(t, `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::segl:Signer)</ds:XPath></ds:Transform>`)
		}, ErrAlgorithm},
		{"fail/xpath-filter-2", func(t *testing.T) []byte {
			return transform(t, `<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="subtract">//segl:Signer</dsig-xpath:XPath></ds:Transform>`)
		}, ErrAlgorithm},
		{"fail/http-uri", func(t *testing.T) []byte { return uri(t, "http://127.0.0.1:1/evidence.xml") }, ErrReference},
		{"fail/file-uri", func(t *testing.T) []byte { return uri(t, "file:///etc/passwd") }, ErrReference},
		{"fail/relative-uri", func(t *testing.T) []byte { return uri(t, "evidence.xml") }, ErrReference},
		{"fail/id-claimed-by-an-ID-attribute", func(t *testing.T) []byte {
			return resign(t, replaceOnce(t, bb, "<ds:Object>\n    <segl:Evidence", "<ds:Object ID=\"evidence\">\n    <segl:Evidence"), seal)
		}, ErrReference},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Verify(tc.doc(t))
			if err == nil {
				t.Fatalf("Verify accepted it: %+v", v.Facts)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "xades: ") {
				t.Errorf("error %q lacks the xades: prefix", err)
			}
		})
	}
}

package xades

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// canonicalize returns the Exclusive XML Canonicalization 1.0 without
// comments (W3C Recommendation of 18 July 2002, algorithm
// http://www.w3.org/2001/10/xml-exc-c14n#) of the subtree rooted at e, with
// an empty InclusiveNamespaces PrefixList.
//
// This is the node-set a same-document Reference "#id" selects (XMLDSig
// §4.4.3.3: the element and its descendants, comments excluded), and the
// node-set of ds:SignedInfo (XMLDSig §4.4.3) and of ds:SignatureValue for
// the signature time-stamp (EN 319 132-1 §5.3). In that case exclusive
// canonicalisation comes down to:
//
//   - a namespace declaration is output on an element only if the element or
//     one of its attributes uses the prefix ("visibly utilizes", Exc-C14N
//     §3) and the nearest output ancestor did not already output the same
//     binding; xmlns="" is output only to undo a default namespace an output
//     ancestor declared;
//   - namespace declarations come first, sorted by prefix, then attributes
//     sorted by namespace URI and local name (C14N 1.0 §2.2);
//   - empty elements become start-end pairs, character references and CDATA
//     are replaced by their characters, and the characters &, <, > and CR in
//     text and &, <, ", TAB, LF and CR in attributes are escaped
//     (C14N 1.0 §2.3);
//   - comments are removed. Processing instructions and directives are
//     refused rather than rendered: segl never writes them and Verify rejects
//     documents that have them.
//
// Namespace prefixes in scope from e's ancestors are taken into account,
// so e need not be the document element.
func canonicalize(e *etree.Element) ([]byte, error) { return canonicalizeWith(e, false) }

// canonicalizeInclusive returns the Canonical XML 1.0 without comments (W3C
// Recommendation of 15 March 2001, algorithm
// http://www.w3.org/TR/2001/REC-xml-c14n-20010315) of the subtree rooted
// at e. It differs from the exclusive form only in the namespace
// declarations (C14N 1.0 §2.3, §4.8): every namespace in scope is output on
// e, and on a descendant every binding that differs from the one its
// nearest output ancestor output, used or not. XML attributes inherited
// from outside the subtree (xml:lang, xml:space) are not copied onto e; no
// signature this package verifies has them.
//
// ASiC-E containers made by Posten's client libraries sign SignedInfo and
// SignedProperties this way (see VerifyASiC).
func canonicalizeInclusive(e *etree.Element) ([]byte, error) { return canonicalizeWith(e, true) }

func canonicalizeWith(e *etree.Element, inclusive bool) ([]byte, error) {
	return appendCanonical(nil, e, inclusive)
}

// appendCanonical appends the canonical form of e (canonicalizeWith) to
// dst and returns the extended slice, so that a caller with a buffer of
// the right size does not grow a new one from nothing.
func appendCanonical(dst []byte, e *etree.Element, inclusive bool) ([]byte, error) {
	scope := map[string]string{}
	var ancestors []*etree.Element
	for p := e.Parent(); p != nil; p = p.Parent() {
		ancestors = append(ancestors, p)
	}
	for _, a := range slices.Backward(ancestors) {
		var err error
		if scope, err = declare(scope, a); err != nil {
			return nil, err
		}
	}
	c := canonicalizer{buf: *bytes.NewBuffer(dst), inclusive: inclusive}
	if err := c.element(e, scope, map[string]string{}); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

type canonicalizer struct {
	buf       bytes.Buffer
	inclusive bool // Canonical XML 1.0 rather than the exclusive form
}

// declare adds the namespace declarations of e to scope (copied first when
// e has any) and returns the scope for e's content.
func declare(scope map[string]string, e *etree.Element) (map[string]string, error) {
	copied := false
	for _, a := range e.Attr {
		prefix, ok := namespaceDeclaration(a)
		if !ok {
			continue
		}
		switch {
		case prefix == "xmlns":
			return nil, fmt.Errorf("%w: the xmlns prefix is declared", ErrMalformed)
		case prefix == "xml" && a.Value != nsXML, prefix != "xml" && a.Value == nsXML:
			return nil, fmt.Errorf("%w: the xml prefix is rebound", ErrMalformed)
		case prefix != "" && a.Value == "":
			// Namespaces in XML 1.0 §5: a prefix cannot be undeclared.
			return nil, fmt.Errorf("%w: prefix %q bound to the empty name", ErrMalformed, prefix)
		}
		if !copied {
			scope = maps.Clone(scope)
			copied = true
		}
		scope[prefix] = a.Value
	}
	return scope, nil
}

// namespaceDeclaration says whether a is xmlns="…" (prefix "") or
// xmlns:p="…" (prefix p).
func namespaceDeclaration(a etree.Attr) (prefix string, ok bool) {
	switch {
	case a.Space == "" && a.Key == "xmlns":
		return "", true
	case a.Space == "xmlns":
		return a.Key, true
	}
	return "", false
}

type canonicalAttr struct {
	uri, local, qname, value string
}

func (c *canonicalizer) element(e *etree.Element, scope, rendered map[string]string) error {
	scope, err := declare(scope, e)
	if err != nil {
		return err
	}

	// Prefixes visibly utilised by e (Exc-C14N §3).
	used := []string{e.Space}
	var attrs []canonicalAttr
	for _, a := range e.Attr {
		if _, ok := namespaceDeclaration(a); ok {
			continue
		}
		ca := canonicalAttr{local: a.Key, qname: a.Key, value: a.Value}
		if a.Space != "" {
			ca.qname = a.Space + ":" + a.Key
			uri, err := resolve(scope, a.Space)
			if err != nil {
				return err
			}
			ca.uri = uri
			used = append(used, a.Space)
		}
		attrs = append(attrs, ca)
	}
	if c.inclusive {
		// C14N 1.0 §2.3: every namespace node of the element, used or not.
		for p := range scope {
			used = append(used, p)
		}
	}
	slices.Sort(used)
	used = slices.Compact(used)

	type nsDecl struct{ prefix, uri string }
	var decls []nsDecl
	for _, p := range used {
		if p == "xml" {
			continue // never declared, never rendered
		}
		uri, err := resolve(scope, p)
		if err != nil {
			return err
		}
		if prev, ok := rendered[p]; ok && prev == uri || !ok && p == "" && uri == "" {
			continue
		}
		decls = append(decls, nsDecl{p, uri})
	}
	if len(decls) > 0 {
		rendered = maps.Clone(rendered)
		for _, d := range decls {
			rendered[d.prefix] = d.uri
		}
	}

	slices.SortFunc(attrs, func(a, b canonicalAttr) int {
		if c := strings.Compare(a.uri, b.uri); c != 0 {
			return c
		}
		return strings.Compare(a.local, b.local)
	})
	for i := 1; i < len(attrs); i++ {
		if attrs[i].uri == attrs[i-1].uri && attrs[i].local == attrs[i-1].local {
			return fmt.Errorf("%w: duplicate attribute %s on %s", ErrMalformed, attrs[i].qname, e.FullTag())
		}
	}

	name := e.FullTag()
	c.buf.WriteByte('<')
	c.buf.WriteString(name)
	for _, d := range decls {
		if d.prefix == "" {
			c.buf.WriteString(` xmlns="`)
		} else {
			c.buf.WriteString(` xmlns:`)
			c.buf.WriteString(d.prefix)
			c.buf.WriteString(`="`)
		}
		escapeAttr(&c.buf, d.uri)
		c.buf.WriteByte('"')
	}
	for _, a := range attrs {
		c.buf.WriteByte(' ')
		c.buf.WriteString(a.qname)
		c.buf.WriteString(`="`)
		escapeAttr(&c.buf, a.value)
		c.buf.WriteByte('"')
	}
	c.buf.WriteByte('>')
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.CharData:
			escapeText(&c.buf, t.Data)
		case *etree.Element:
			if err := c.element(t, scope, rendered); err != nil {
				return err
			}
		case *etree.Comment:
			// Removed: Exc-C14N without comments.
		default:
			return fmt.Errorf("%w: processing instruction or directive in %s", ErrMalformed, name)
		}
	}
	c.buf.WriteString("</")
	c.buf.WriteString(name)
	c.buf.WriteByte('>')
	return nil
}

// resolve returns the namespace URI bound to prefix; the default namespace
// is "" when none is declared.
func resolve(scope map[string]string, prefix string) (string, error) {
	if prefix == "xml" {
		return nsXML, nil
	}
	uri, ok := scope[prefix]
	if !ok && prefix != "" {
		return "", fmt.Errorf("%w: undeclared namespace prefix %q", ErrMalformed, prefix)
	}
	return uri, nil
}

// escapeText escapes character data per C14N 1.0 §2.3.
func escapeText(b *bytes.Buffer, s string) { escapeWith(b, s, &textRefs) }

// escapeAttr escapes an attribute value per C14N 1.0 §2.3.
func escapeAttr(b *bytes.Buffer, s string) { escapeWith(b, s, &attrRefs) }

// The references C14N 1.0 §2.3 replaces characters with, in text and in
// attribute values; "" for a byte written as it is.
var textRefs, attrRefs = [256]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"},
	[256]string{'&': "&amp;", '<': "&lt;", '"': "&quot;", '\t': "&#x9;", '\n': "&#xA;", '\r': "&#xD;"}

// escapeWith writes s to b with each byte that has a reference in refs
// replaced by it. The runs between them are copied whole: most text is
// base64 (certificates, revocation data, tokens) with none to escape.
func escapeWith(b *bytes.Buffer, s string, refs *[256]string) {
	start := 0
	for i := 0; i < len(s); i++ {
		if ref := refs[s[i]]; ref != "" {
			b.WriteString(s[start:i])
			b.WriteString(ref)
			start = i + 1
		}
	}
	b.WriteString(s[start:])
}

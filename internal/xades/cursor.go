package xades

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// signatureAttrs are the attributes XMLDSig and XAdES elements may carry in
// what Verify reads; each is checked where it matters.
var signatureAttrs = []string{"Id", "Algorithm", "URI", "Type", "Target", "ObjectReference", "Encoding"}

// cursor walks the child elements of one element in document order, so
// that parsing states the content model as a sequence: one, optional, next
// and finally end, which fails on anything left over. Text between child
// elements must be whitespace. The first error sticks; methods then return
// zero values.
type cursor struct {
	ns      string   // namespace of the names the methods are given
	attrs   []string // unprefixed attributes allowed on the elements returned
	elems   []*etree.Element
	i       int
	current *etree.Element // the element the last successful next returned
	err     error
	where   string
}

func children(parent *etree.Element, ns string, attrs ...string) *cursor {
	c := &cursor{ns: ns, attrs: attrs, where: parent.FullTag()}
	for _, t := range parent.Child {
		switch t := t.(type) {
		case *etree.Element:
			c.elems = append(c.elems, t)
		case *etree.CharData:
			if !isSpace(t.Data) {
				c.fail(fmt.Errorf("%w: text in %s", ErrMalformed, c.where))
			}
		default:
			c.fail(fmt.Errorf("%w: unexpected content in %s", ErrMalformed, c.where))
		}
	}
	return c
}

func (c *cursor) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// is says whether e is the element {ns}local.
func is(e *etree.Element, ns, local string) bool {
	return e != nil && e.Tag == local && e.NamespaceURI() == ns
}

func (c *cursor) peek(ns, local string) bool {
	return c.err == nil && c.i < len(c.elems) && is(c.elems[c.i], ns, local)
}

// take returns the next element if it is {ns}local and has only allowed
// attributes.
func (c *cursor) take(ns, local string) *etree.Element {
	if !c.peek(ns, local) {
		return nil
	}
	e := c.elems[c.i]
	c.i++
	for _, a := range e.Attr {
		if _, decl := namespaceDeclaration(a); decl {
			continue
		}
		if a.Space != "" || !slices.Contains(c.attrs, a.Key) {
			c.fail(fmt.Errorf("%w: unexpected attribute %s on %s", ErrMalformed, a.FullKey(), e.FullTag()))
			return nil
		}
	}
	return e
}

// oneIn returns the next element, which must be {ns}local.
func (c *cursor) oneIn(ns, local string) *etree.Element {
	e := c.take(ns, local)
	if e == nil {
		c.fail(fmt.Errorf("%w: %s: expected %s", ErrMalformed, c.where, local))
	}
	return e
}

func (c *cursor) one(local string) *etree.Element { return c.oneIn(c.ns, local) }

// optional returns the next element if it is local, and nil otherwise.
func (c *cursor) optional(local string) *etree.Element { return c.take(c.ns, local) }

// next advances to the next element if it is local, for loops over
// repeated elements.
func (c *cursor) next(local string) bool {
	c.current = c.take(c.ns, local)
	return c.current != nil
}

func (c *cursor) text(local string) string {
	e := c.one(local)
	if e == nil {
		return ""
	}
	s, err := leafText(e)
	c.fail(err)
	return s
}

func (c *cursor) optionalText(local string) string {
	e := c.optional(local)
	if e == nil {
		return ""
	}
	s, err := leafText(e)
	c.fail(err)
	return s
}

func (c *cursor) time(local string) time.Time {
	s := c.text(local)
	if c.err != nil {
		return time.Time{}
	}
	t, err := parseTime(s)
	c.fail(err)
	return t
}

func (c *cursor) base64(local string) []byte {
	e := c.one(local)
	if e == nil {
		return nil
	}
	b, err := leafBase64(e)
	c.fail(err)
	return b
}

// end fails if elements are left over, and returns the first error.
func (c *cursor) end() error {
	if c.err == nil && c.i < len(c.elems) {
		c.fail(fmt.Errorf("%w: unexpected %s in %s", ErrMalformed, c.elems[c.i].FullTag(), c.where))
	}
	return c.err
}

// leafText is the text of an element without child elements.
func leafText(e *etree.Element) (string, error) {
	var b strings.Builder
	for _, t := range e.Child {
		cd, ok := t.(*etree.CharData)
		if !ok {
			return "", fmt.Errorf("%w: %s must hold text only", ErrMalformed, e.FullTag())
		}
		b.WriteString(cd.Data)
	}
	return b.String(), nil
}

// leafBase64 decodes xsd:base64Binary, which tools often wrap in lines of
// 76 characters as MIME does (RFC 2045 §6.8).
func leafBase64(e *etree.Element) ([]byte, error) {
	s, err := leafText(e)
	if err != nil {
		return nil, err
	}
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, e.FullTag(), err)
	}
	return b, nil
}

// parseTime reads an xsd:dateTime, which must carry a time zone.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: time %q", ErrMalformed, s)
	}
	return t.UTC(), nil
}

func isSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}

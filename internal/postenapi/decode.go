package postenapi

import (
	"bytes"
	"encoding"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/segl/segl/internal/errs"
)

// maxXML bounds the job XML and the signer update request.
const maxXML = 1 << 20

// maxAttrs bounds the attributes of one start tag, namespace declarations
// included. The schemas give an element at most two; a client adds a few
// declarations. encoding/xml gathers a tag's attributes before anything
// can look at them, so a bound must come before it (attrBound): a tag of
// a megabyte of attributes cost some 100 MB.
const maxAttrs = 32

// maxRepeats bounds how often an element that may repeat appears in one
// parent: the schemas' largest maxOccurs (document, 20). The mapping
// checks each element's own bound; this one keeps a flood of small
// elements (a megabyte of <signer/>) from being decoded at all.
const maxRepeats = 20

// decode reads one message of the schema strictly, in one pass over its
// tokens: UTF-8, no document type declaration, the expected document
// element in the API's namespace, no element or attribute the schema does
// not have, nothing after the document element, no element or attribute
// twice where the schema allows one, no element inside text (see
// checked). Element order is not checked; the other cardinalities and the
// values are, by the mapping that follows.
func decode(r io.Reader, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, maxXML+1))
	if err != nil {
		return err
	}
	if len(data) > maxXML {
		return errs.E(errs.TooLarge, codeSchema, "the XML is larger than %d bytes", maxXML)
	}
	if !utf8.Valid(data) {
		return schemaError("the XML is not UTF-8")
	}
	if bytes.Contains(data, []byte("<!DOCTYPE")) || bytes.Contains(data, []byte("<!ENTITY")) {
		return schemaError("document type declarations are not accepted")
	}
	raw := xml.NewDecoder(&attrBound{data: data})
	raw.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return r, nil
		}
		return nil, fmt.Errorf("encoding %q is not accepted", charset)
	}
	dec := xml.NewTokenDecoder(&checked{raw: raw, root: reflect.TypeOf(v).Elem()})
	if err := dec.Decode(v); err != nil {
		return asSchemaError(err)
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return asSchemaError(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
		case xml.Comment:
			continue
		}
		return schemaError("content after the document element")
	}
}

// asSchemaError keeps checked's and attrBound's refusals as they are and
// makes encoding/xml's a schema error.
func asSchemaError(err error) error {
	var e *errs.Error
	if errors.As(err, &e) {
		return e
	}
	return schemaError("%v", err)
}

// checked hands the decoder the tokens of raw after refusing what
// encoding/xml would otherwise decode as one of several readings or not
// at all: an attribute given twice in one start tag (not well-formed, XML
// 1.0 §3.1, "Unique Att Spec"), an element the schema allows once given
// twice (encoding/xml keeps the last, a reader that keeps the first sees
// another title or reference), an element inside one that holds only text
// or nothing (encoding/xml drops it without a word: an xi:include there is
// neither processed nor refused), and an element or attribute the
// message's type does not have (encoding/xml drops them too). Which
// elements and attributes there are, and which repeat, is read from the
// message's type (root). Each is refused at its start tag, so no flood of
// them is decoded first.
type checked struct {
	raw   *xml.Decoder
	root  reflect.Type
	stack []open
}

// open is an element being read.
type open struct {
	name string
	t    reflect.Type // the field's type, without pointers and slices
	leaf bool         // holds text only (or nothing): no element may be inside
	seen []int        // per field of t: its elements so far
}

func (c *checked) Token() (xml.Token, error) {
	tok, err := c.raw.Token()
	if err != nil {
		return tok, err
	}
	switch tok := tok.(type) {
	case xml.StartElement:
		if err := c.start(tok); err != nil {
			return nil, err
		}
	case xml.EndElement:
		c.stack = c.stack[:len(c.stack)-1]
	}
	return tok, nil
}

func (c *checked) start(tok xml.StartElement) error {
	t := c.root
	if len(c.stack) == 0 {
		// Checked here too, as this decoder resolved it: the decoder
		// reading these tokens resolves prefixes again, so that with
		// xmlns:a="b" xmlns:b="<the API's>" it would take <a:x>, of
		// namespace b, for an element of the API's.
		if want := rootName(t); tok.Name != want {
			return schemaError("the document element is {%s}%s, not {%s}%s", tok.Name.Space, tok.Name.Local, want.Space, want.Local)
		}
	} else {
		top := &c.stack[len(c.stack)-1]
		if top.leaf {
			return schemaError("unexpected element <%s> in <%s>, which holds only text", tok.Name.Local, top.name)
		}
		i, ft, repeats := field(top.t, tok.Name)
		if i < 0 {
			return schemaError("unexpected element {%s}%s in <%s>", tok.Name.Space, tok.Name.Local, top.name)
		}
		top.seen[i]++
		switch {
		case !repeats && top.seen[i] > 1:
			return schemaError("the element <%s> appears twice", tok.Name.Local)
		case top.seen[i] > maxRepeats:
			return schemaError("more than %d <%s> in <%s>", maxRepeats, tok.Name.Local, top.name)
		}
		t = ft
	}
	leaf := t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(textUnmarshaler) || t.NumField() == 0
	for i, a := range tok.Attr {
		for _, b := range tok.Attr[:i] {
			if a.Name == b.Name {
				return schemaError("the attribute %s appears twice in <%s>", a.Name.Local, tok.Name.Local)
			}
		}
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue // a namespace declaration
		}
		if leaf || !hasAttr(t, a.Name) {
			return schemaError("unexpected attribute %s in <%s>", a.Name.Local, tok.Name.Local)
		}
	}
	next := open{name: tok.Name.Local, t: t, leaf: leaf}
	if !leaf {
		next.seen = make([]int, t.NumField())
	}
	c.stack = append(c.stack, next)
	return nil
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// field finds the field of struct type t that an element of name n
// decodes into, as encoding/xml matches them: its index (-1: none), its
// type (without pointers and slices) and whether the element may repeat
// (a slice).
func field(t reflect.Type, n xml.Name) (int, reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "XMLName" || strings.Contains(f.Tag.Get("xml"), ",") || !matches(f, n) {
			continue
		}
		ft, repeats := f.Type, false
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			repeats = repeats || ft.Kind() == reflect.Slice
			ft = ft.Elem()
		}
		return i, ft, repeats
	}
	return -1, nil, false
}

// rootName is the document element's name that message type t's XMLName
// field gives.
func rootName(t reflect.Type) xml.Name {
	f, _ := t.FieldByName("XMLName")
	name := strings.Fields(f.Tag.Get("xml"))
	return xml.Name{Space: name[0], Local: name[1]}
}

// hasAttr reports whether struct type t has an attribute field for n. The
// schemas' attributes have no namespace: encoding/xml would take p:href
// for href too, and keep the last of the two.
func hasAttr(t reflect.Type, n xml.Name) bool {
	if n.Space != "" {
		return false
	}
	for i := range t.NumField() {
		if f := t.Field(i); strings.HasSuffix(f.Tag.Get("xml"), ",attr") && matches(f, n) {
			return true
		}
	}
	return false
}

// matches reports whether field f's tag names n: its local name, and its
// namespace if the tag gives one.
func matches(f reflect.StructField, n xml.Name) bool {
	name := strings.Fields(strings.Split(f.Tag.Get("xml"), ",")[0])
	return f.IsExported() && len(name) > 0 && name[len(name)-1] == n.Local && (len(name) == 1 || name[0] == n.Space)
}

// attrBound is the XML as encoding/xml reads it, a byte at a time, which
// stops it at a start tag with more than maxAttrs attributes before it has
// gathered them (maxAttrs). It follows just enough of XML to count them:
// an attribute is an "=" in a start tag outside a quoted value, and
// comments, CDATA sections and processing instructions are passed over
// (none can hold an attribute; a "<" cannot stand in an attribute value).
type attrBound struct {
	data  []byte
	pos   int
	state int    // one of the states below
	quote byte   // the quote that ends the value being read
	end   string // what ends the markup being passed over
	attrs int    // the attributes of the start tag being read
}

const (
	inText = iota
	afterLT
	inTag
	inValue
	afterBang
	inMarkup
)

func (b *attrBound) Read(p []byte) (int, error) {
	for i := range p {
		c, err := b.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = c
	}
	return len(p), nil
}

func (b *attrBound) ReadByte() (byte, error) {
	if b.pos >= len(b.data) {
		return 0, io.EOF
	}
	c := b.data[b.pos]
	b.pos++
	switch b.state {
	case inText:
		if c == '<' {
			b.state = afterLT
		}
	case afterLT:
		switch c {
		case '!':
			b.state = afterBang
		case '?':
			b.state, b.end = inMarkup, "?>"
		default:
			b.state, b.attrs = inTag, 0
		}
	case afterBang:
		b.state, b.end = inMarkup, ">"
		switch c {
		case '-':
			b.end = "-->"
		case '[':
			b.end = "]]>"
		}
	case inMarkup:
		if c == '>' && bytes.HasSuffix(b.data[:b.pos], []byte(b.end)) {
			b.state = inText
		}
	case inTag:
		switch c {
		case '"', '\'':
			b.state, b.quote = inValue, c
		case '=':
			if b.attrs++; b.attrs > maxAttrs {
				return 0, schemaError("more than %d attributes in one element", maxAttrs)
			}
		case '>':
			b.state = inText
		}
	case inValue:
		if c == b.quote {
			b.state = inTag
		}
	}
	return c, nil
}

func schemaError(format string, args ...any) *errs.Error {
	return errs.E(errs.Invalid, codeSchema, format, args...)
}

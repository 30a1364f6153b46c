package postenapi

import (
	"bytes"
	"encoding"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/segl/segl/internal/errs"
)

// maxXML bounds the job XML and the signer update request.
const maxXML = 1 << 20

// decode reads one message of the schema strictly: UTF-8, no document type
// declaration, the expected document element in the API's namespace, no
// element or attribute the schema does not allow, nothing after the
// document element, no element or attribute twice where the schema allows
// one, no element inside text (see once). Element order is not checked;
// the other cardinalities and the values are, by the mapping that follows.
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
	if err := once(data, reflect.TypeOf(v).Elem()); err != nil {
		return err
	}
	dec := newDecoder(data)
	if err := dec.Decode(v); err != nil {
		return schemaError("%v", err)
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return schemaError("%v", err)
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
	return strict(reflect.ValueOf(v), "")
}

func newDecoder(data []byte) *xml.Decoder {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return r, nil
		}
		return nil, fmt.Errorf("encoding %q is not accepted", charset)
	}
	return dec
}

// once refuses what encoding/xml would decode as one of several readings:
// an attribute given twice in one start tag (not well-formed, XML 1.0
// §3.1, "Unique Att Spec"), an element the schema allows once given twice
// (encoding/xml keeps the last, a reader that keeps the first sees another
// title or reference), and an element inside one that holds only text or
// nothing (encoding/xml drops it without a word: an xi:include there is
// neither processed nor refused). t is the message's type; which elements
// may repeat is read from it (slices). Elements it does not know are left
// to strict, which names them.
func once(data []byte, t reflect.Type) error {
	type open struct {
		name string
		t    reflect.Type // the field's type; nil: unknown to t
		leaf bool         // holds text only (or nothing): no element may be inside
		seen map[xml.Name]bool
	}
	var stack []open
	dec := newDecoder(data)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF; syntax errors are Decode's to report
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			attrs := map[xml.Name]bool{}
			for _, a := range tok.Attr {
				if attrs[a.Name] {
					return schemaError("the attribute %s appears twice in <%s>", a.Name.Local, tok.Name.Local)
				}
				attrs[a.Name] = true
			}
			if len(stack) == 0 {
				stack = append(stack, open{name: tok.Name.Local, t: t, seen: map[xml.Name]bool{}})
				continue
			}
			top := &stack[len(stack)-1]
			if top.leaf {
				return schemaError("unexpected element <%s> in <%s>, which holds only text", tok.Name.Local, top.name)
			}
			next := open{name: tok.Name.Local, seen: map[xml.Name]bool{}}
			if top.t != nil {
				f, repeats, ok := field(top.t, tok.Name)
				switch {
				case ok && !repeats && top.seen[tok.Name]:
					return schemaError("the element <%s> appears twice", tok.Name.Local)
				case ok:
					next.t, next.leaf = f, f.Kind() != reflect.Struct || reflect.PointerTo(f).Implements(textUnmarshaler)
					if !next.leaf && f.NumField() == 0 {
						next.leaf = true // struct{}: an empty element
					}
				}
				top.seen[tok.Name] = true
			}
			stack = append(stack, next)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// field finds the field of struct type t that an element of name n
// decodes into: its type (without pointers and slices) and whether the
// element may repeat (a slice).
func field(t reflect.Type, n xml.Name) (reflect.Type, bool, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := strings.Fields(strings.Split(f.Tag.Get("xml"), ",")[0])
		if !f.IsExported() || len(name) == 0 || name[len(name)-1] != n.Local ||
			len(name) == 2 && name[0] != n.Space || strings.Contains(f.Tag.Get("xml"), ",attr") {
			continue
		}
		ft, repeats := f.Type, false
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			repeats = repeats || ft.Kind() == reflect.Slice
			ft = ft.Elem()
		}
		return ft, repeats, true
	}
	return nil, false, false
}

// strict walks a decoded message and refuses what its unknown fields
// caught: elements and attributes the schema does not have.
func strict(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return strict(v.Elem(), path)
	case reflect.Slice:
		for i := range v.Len() {
			if err := strict(v.Index(i), path); err != nil {
				return err
			}
		}
	case reflect.Struct:
		if v.Type() == unknownType {
			// Read through reflection only: the embedded field is
			// unexported, so its values cannot be turned into interfaces.
			if elems := v.Field(0); elems.Len() > 0 {
				n := elems.Index(0).Field(0)
				return schemaError("unexpected element {%s}%s in %s", n.Field(0).String(), n.Field(1).String(), path)
			}
			attrs := v.Field(1)
			for i := range attrs.Len() {
				n := attrs.Index(i).Field(0)
				space, local := n.Field(0).String(), n.Field(1).String()
				if space != "xmlns" && !(space == "" && local == "xmlns") {
					return schemaError("unexpected attribute %s in %s", local, path)
				}
			}
			return nil
		}
		t := v.Type()
		for i := range v.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			p := path
			if name := strings.Fields(strings.Split(f.Tag.Get("xml"), ",")[0]); len(name) > 0 {
				p = path + "/" + name[len(name)-1]
			}
			if err := strict(v.Field(i), p); err != nil {
				return err
			}
		}
	}
	return nil
}

var unknownType = reflect.TypeOf(unknown{})

func schemaError(format string, args ...any) *errs.Error {
	return errs.E(errs.Invalid, codeSchema, format, args...)
}

package postenapi

import (
	"bytes"
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
// document element. Element order is not checked; cardinality and values
// are, by the mapping that follows.
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
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return r, nil
		}
		return nil, fmt.Errorf("encoding %q is not accepted", charset)
	}
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

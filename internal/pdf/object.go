package pdf

import (
	"errors"
	"strconv"
)

// Errors returned by this package. Callers test for them with [errors.Is];
// the returned errors wrap them with detail.
var (
	// ErrMalformed reports a file that does not follow ISO 32000-1 closely
	// enough to be read unambiguously, or that exceeds a safety limit.
	ErrMalformed = errors.New("pdf: malformed")
	// ErrEncrypted reports a file protected by the standard security
	// handler or any other (7.6); segl cannot sign what it cannot read.
	ErrEncrypted = errors.New("pdf: encrypted")
	// ErrJavaScript reports a file that carries JavaScript (12.6.4.16),
	// which segl refuses so that a signed document cannot change its
	// appearance after signing.
	ErrJavaScript = errors.New("pdf: contains javascript")
	// ErrUnsupportedFilter reports a stream filter (7.4) other than
	// FlateDecode.
	ErrUnsupportedFilter = errors.New("pdf: unsupported filter")
)

// DocumentFault reports whether err says what is wrong with a document
// read (it wraps [ErrMalformed], [ErrEncrypted], [ErrJavaScript],
// [ErrUnsupportedFilter], [ErrDynamicXFA], [ErrSigned], [ErrLocked] or
// [ErrTooLarge]): what whoever sent the document can act on, unlike a
// failed read or write or a caller's mistake, which the package's errors
// leave unwrapped. It is the one list of them for callers that turn this
// package's errors into answers.
func DocumentFault(err error) bool {
	for _, fault := range []error{ErrMalformed, ErrEncrypted, ErrJavaScript, ErrUnsupportedFilter,
		ErrDynamicXFA, ErrSigned, ErrLocked, ErrTooLarge} {
		if errors.Is(err, fault) {
			return true
		}
	}
	return false
}

// Object is a PDF object (7.3). It is implemented only by the types of this
// package: [Null], [Bool], [Int], [Real], [String], [Name], [Array], [Dict],
// [Stream] and [Ref].
type Object interface {
	isObject()
}

// Null is the null object (7.3.9). References to free or undefined objects
// resolve to Null (7.3.10).
type Null struct{}

// Bool is a boolean object (7.3.2).
type Bool bool

// Int is an integer number object (7.3.3).
type Int int64

// Real is a real number object (7.3.3).
type Real float64

// String is a string object (7.3.4) with escapes or hex digits decoded. The
// written form (literal or hexadecimal) is not kept: it carries no meaning.
type String []byte

// Name is a name object (7.3.5) without its leading slash, with #xx escapes
// decoded.
type Name string

// Array is an array object (7.3.6).
type Array []Object

// Dict is a dictionary object (7.3.7). A missing key reads as nil.
type Dict map[Name]Object

// Stream is a stream object (7.3.8): its dictionary and where its raw
// (still encoded) data lies in the file. Offset is the absolute file offset
// of the first data byte, just after the stream keyword's end of line, and
// Length the resolved /Length, so that the data is never held in memory.
type Stream struct {
	Dict   Dict
	Offset int64
	Length int64
}

// Ref is an indirect reference "Num Gen R" (7.3.10).
type Ref struct {
	Num, Gen int
}

func (Null) isObject()   {}
func (Bool) isObject()   {}
func (Int) isObject()    {}
func (Real) isObject()   {}
func (String) isObject() {}
func (Name) isObject()   {}
func (Array) isObject()  {}
func (Dict) isObject()   {}
func (Stream) isObject() {}
func (Ref) isObject()    {}

// String formats the reference as it is written in a file.
func (r Ref) String() string {
	return strconv.Itoa(r.Num) + " " + strconv.Itoa(r.Gen) + " R"
}

// intValue reports the value of a direct integer. A real with an integral
// value is accepted, since some writers emit "/Length 100.0".
func intValue(o Object) (int64, bool) {
	switch v := o.(type) {
	case Int:
		return int64(v), true
	case Real:
		if f := float64(v); f == float64(int64(f)) {
			return int64(f), true
		}
	}
	return 0, false
}

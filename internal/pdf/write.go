package pdf

import (
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// appendObject serialises a direct object in the syntax of 7.3, the inverse
// of the scanner: what it writes parses back to an equal object. Dictionary
// keys are written in sorted order so that output is reproducible. Streams
// cannot be written this way (they are indirect objects with data, see
// update.writeStream).
func appendObject(b []byte, o Object, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, fmt.Errorf("pdf: object nested deeper than %d", maxDepth)
	}
	switch v := o.(type) {
	case nil, Null:
		return append(b, "null"...), nil
	case Bool:
		return strconv.AppendBool(b, bool(v)), nil
	case Int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case Real:
		// 7.3.3: no exponent form.
		return strconv.AppendFloat(b, float64(v), 'f', -1, 64), nil
	case String:
		return appendString(b, v), nil
	case Name:
		return appendName(b, v), nil
	case Ref:
		return append(b, v.String()...), nil
	case Array:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ' ')
			}
			var err error
			if b, err = appendObject(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case Dict:
		b = append(b, "<<"...)
		keys := make([]Name, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = append(b, ' ')
			b = appendName(b, k)
			b = append(b, ' ')
			var err error
			if b, err = appendObject(b, v[k], depth+1); err != nil {
				return b, err
			}
		}
		return append(b, " >>"...), nil
	case Stream:
		return b, fmt.Errorf("pdf: a stream cannot be written as a direct object")
	}
	return b, fmt.Errorf("pdf: cannot write %T", o)
}

// appendName writes a name (7.3.5), escaping with #xx every byte that is
// not a regular character in the printable ASCII range, and '#' itself.
func appendName(b []byte, n Name) []byte {
	const hexDigits = "0123456789ABCDEF"
	b = append(b, '/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || c == '#' || isDelim(c) {
			b = append(b, '#', hexDigits[c>>4], hexDigits[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendString writes a string (7.3.4): a literal string when every byte is
// printable ASCII, with ( ) and \ escaped, else a hexadecimal string.
func appendString(b []byte, s String) []byte {
	printable := true
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			printable = false
			break
		}
	}
	if !printable {
		const hexDigits = "0123456789abcdef"
		b = append(b, '<')
		for _, c := range s {
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		}
		return append(b, '>')
	}
	b = append(b, '(')
	for _, c := range s {
		if c == '(' || c == ')' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return append(b, ')')
}

// textString encodes a PDF text string (7.9.2.2): printable ASCII as is,
// which PDFDocEncoding shares, and anything else as UTF-16BE with a byte
// order mark, which every PDF version reads.
func textString(s string) String {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return String(s)
	}
	b := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return String(b)
}

// pdfDocHigh maps the bytes of PDFDocEncoding (Annex D.2) that differ from
// Latin-1; zero marks an undefined code.
var pdfDocHigh = map[byte]rune{
	0x18: 0x02d8, 0x19: 0x02c7, 0x1a: 0x02c6, 0x1b: 0x02d9, 0x1c: 0x02dd, 0x1d: 0x02db, 0x1e: 0x02da, 0x1f: 0x02dc,
	0x80: 0x2022, 0x81: 0x2020, 0x82: 0x2021, 0x83: 0x2026, 0x84: 0x2014, 0x85: 0x2013, 0x86: 0x0192, 0x87: 0x2044,
	0x88: 0x2039, 0x89: 0x203a, 0x8a: 0x2212, 0x8b: 0x2030, 0x8c: 0x201e, 0x8d: 0x201c, 0x8e: 0x201d, 0x8f: 0x2018,
	0x90: 0x2019, 0x91: 0x201a, 0x92: 0x2122, 0x93: 0xfb01, 0x94: 0xfb02, 0x95: 0x0141, 0x96: 0x0152, 0x97: 0x0160,
	0x98: 0x0178, 0x99: 0x017d, 0x9a: 0x0131, 0x9b: 0x0142, 0x9c: 0x0153, 0x9d: 0x0161, 0x9e: 0x017e, 0x9f: 0,
	0xa0: 0x20ac, 0xad: 0,
}

// Text decodes a PDF text string (7.9.2.2): UTF-16BE with a byte order
// mark, UTF-8 with one (ISO 32000-2), or PDFDocEncoding. Undecodable bytes
// become U+FFFD.
func (s String) Text() string {
	switch {
	case len(s) >= 2 && s[0] == 0xfe && s[1] == 0xff:
		u := make([]uint16, 0, (len(s)-2)/2)
		for i := 2; i+1 < len(s); i += 2 {
			u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
		}
		return string(utf16.Decode(u))
	case len(s) >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf:
		return string([]rune(string(s[3:]))) // invalid sequences become U+FFFD
	}
	b := make([]byte, 0, len(s))
	for _, c := range s {
		r, special := pdfDocHigh[c]
		switch {
		case special && r == 0:
			r = utf8.RuneError
		case !special:
			r = rune(c)
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// pdfDate formats t as a PDF date (7.9.4) in UTC, the form PAdES asks for
// in /M: D:YYYYMMDDHHmmSS+00'00'.
func pdfDate(t time.Time) String {
	return String(t.UTC().Format("D:20060102150405") + "+00'00'")
}

// parseDate reads a PDF date (7.9.4): "D:" (optional, as some writers drop
// it), then YYYY and optionally MM, DD, HH, mm, SS, and an offset Z, +HH'mm
// or -HH'mm (the apostrophes and the minutes are optional). Missing fields
// take their defaults.
func parseDate(s string) (time.Time, error) {
	bad := fmt.Errorf("%w: bad date %q", ErrMalformed, s)
	if len(s) >= 2 && s[:2] == "D:" {
		s = s[2:]
	}
	num := func(n int) (int, bool) {
		if len(s) < n {
			return 0, false
		}
		v := 0
		for i := range n {
			if !isDigit(s[i]) {
				return 0, false
			}
			v = v*10 + int(s[i]-'0')
		}
		s = s[n:]
		return v, true
	}
	year, ok := num(4)
	if !ok {
		return time.Time{}, bad
	}
	f := [5]int{1, 1, 0, 0, 0} // month, day, hour, minute, second
	for i := range f {
		v, ok := num(2)
		if !ok {
			break
		}
		f[i] = v
	}
	if f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 31 || f[2] > 23 || f[3] > 59 || f[4] > 60 {
		return time.Time{}, bad
	}
	loc := time.UTC
	if len(s) > 0 {
		switch s[0] {
		case 'Z':
			s = s[1:]
		case '+', '-':
			sign := 1
			if s[0] == '-' {
				sign = -1
			}
			s = s[1:]
			hh, ok := num(2)
			if !ok || hh > 23 {
				return time.Time{}, bad
			}
			mm := 0
			if len(s) > 0 && s[0] == '\'' {
				s = s[1:]
			}
			if v, ok := num(2); ok {
				mm = v
			}
			if mm > 59 {
				return time.Time{}, bad
			}
			if off := sign * (hh*3600 + mm*60); off != 0 {
				loc = time.FixedZone("", off)
			}
		default:
			return time.Time{}, bad
		}
		if len(s) > 0 && s[0] == '\'' {
			s = s[1:]
		}
		if len(s) > 0 {
			return time.Time{}, bad
		}
	}
	t := time.Date(year, time.Month(f[0]), f[1], f[2], f[3], f[4], 0, loc)
	if t.Day() != f[1] {
		return time.Time{}, bad
	}
	return t, nil
}

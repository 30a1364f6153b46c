package pdf

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Limits on single objects. They are far above what real documents use and
// keep the memory a hostile object can claim small and proportional to its
// own size.
const (
	maxDepth      = 64      // nesting of arrays and dictionaries
	maxStringLen  = 4 << 20 // decoded bytes in one string
	maxNameLen    = 4096    // decoded bytes in one name (Annex C suggests 127)
	maxCollection = 1 << 20 // elements in one array
	maxDictLen    = 1 << 16 // keys in one dictionary
	maxTokenLen   = 64      // bytes in a number or keyword
	windowSize    = 8 << 10 // bytes read from the file at a time
)

// scanner reads bytes and PDF tokens (7.2, 7.3) from a file through a small
// window, or from a byte slice that is already in memory (a decoded object
// stream). It keeps an absolute position and can seek anywhere; seeking
// backwards inside the window is free, which the reference lookahead
// ("1 0 R" versus two integers) relies on.
type scanner struct {
	src  io.ReaderAt // nil when buf holds the whole input
	size int64
	buf  []byte
	off  int64 // input offset of buf[0]
	n    int   // valid bytes in buf
	pos  int64
	err  error // first read error other than io.EOF
	tmp  [maxTokenLen]byte
}

func newFileScanner(r io.ReaderAt, size int64) *scanner {
	return &scanner{src: r, size: size, buf: make([]byte, windowSize)}
}

func newBytesScanner(b []byte) *scanner {
	return &scanner{size: int64(len(b)), buf: b, n: len(b)}
}

// at returns the byte at absolute offset p, refilling the window when p is
// outside it. It reports false at the end of the input or after a read error.
func (s *scanner) at(p int64) (byte, bool) {
	if p >= s.off && p < s.off+int64(s.n) {
		return s.buf[p-s.off], true
	}
	if p < 0 || p >= s.size || s.src == nil || s.err != nil {
		return 0, false
	}
	want := int64(len(s.buf))
	if rem := s.size - p; rem < want {
		want = rem
	}
	m, err := s.src.ReadAt(s.buf[:want], p)
	if m < 0 || int64(m) > want {
		m = 0
	}
	s.off, s.n = p, m
	if int64(m) < want {
		if err != nil && err != io.EOF {
			s.err = fmt.Errorf("pdf: read at offset %d: %w", p, err)
		}
		// The source is shorter than it was said to be: believe the source.
		s.size = p + int64(m)
	}
	if m == 0 {
		return 0, false
	}
	return s.buf[0], true
}

func (s *scanner) peek() (byte, bool) { return s.at(s.pos) }

func (s *scanner) next() (byte, bool) {
	c, ok := s.at(s.pos)
	if ok {
		s.pos++
	}
	return c, ok
}

// fail returns a read error if one happened, else ErrMalformed with detail.
// A short read at the end of the file counts as malformed: the file is not
// as long as its own structure says.
func (s *scanner) fail(format string, args ...any) error {
	if s.err != nil {
		return s.err
	}
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelim(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipSpace skips white space and comments (7.2.3, 7.2.4).
func (s *scanner) skipSpace() {
	for {
		c, ok := s.peek()
		if !ok {
			return
		}
		switch {
		case isSpace(c):
			s.pos++
		case c == '%':
			for {
				c, ok := s.peek()
				if !ok || c == '\n' || c == '\r' {
					break
				}
				s.pos++
			}
		default:
			return
		}
	}
}

// token reads a run of regular characters (a number or keyword) into a
// scratch buffer valid until the next call. Longer runs are malformed.
func (s *scanner) token() ([]byte, error) {
	n := 0
	for {
		c, ok := s.peek()
		if !ok || !isRegular(c) {
			break
		}
		if n == len(s.tmp) {
			return nil, s.fail("token too long at offset %d", s.pos)
		}
		s.tmp[n] = c
		n++
		s.pos++
	}
	return s.tmp[:n], nil
}

// keyword skips white space and reads the next run of regular characters
// into a scratch buffer valid until the next token; it is empty when the
// next byte is a delimiter or the input has ended.
func (s *scanner) keyword() []byte {
	s.skipSpace()
	t, err := s.token()
	if err != nil {
		return nil
	}
	return t
}

// hasKeyword reports whether kw follows (after white space) and consumes it
// if so; otherwise the position is unchanged.
func (s *scanner) hasKeyword(kw string) bool {
	save := s.pos
	if string(s.keyword()) == kw {
		return true
	}
	s.pos = save
	return false
}

// number reads a numeric object (7.3.3) at the current position.
func (s *scanner) number() (Object, error) {
	start := s.pos
	t, err := s.token()
	if err != nil {
		return nil, err
	}
	if len(t) == 0 {
		return nil, s.fail("expected number at offset %d", start)
	}
	if v, ok := parseInt(t); ok {
		return Int(v), nil
	}
	f, err := strconv.ParseFloat(string(t), 64)
	if err != nil || !isNumeric(t) {
		return nil, s.fail("bad number %q at offset %d", t, start)
	}
	return Real(f), nil
}

// integer reads a non-negative integer token, as cross-reference tables and
// object headers use.
func (s *scanner) integer() (int64, bool) {
	s.skipSpace()
	save := s.pos
	t, err := s.token()
	if err != nil {
		s.pos = save
		return 0, false
	}
	v, ok := parseInt(t)
	if !ok || v < 0 {
		s.pos = save
		return 0, false
	}
	return v, true
}

// isNumeric reports whether t is sign, digits and at most one point, the
// only real syntax of 7.3.3 (no exponents, no "inf").
func isNumeric(t []byte) bool {
	if len(t) > 0 && (t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	dots, digits := 0, 0
	for _, c := range t {
		switch {
		case c == '.':
			dots++
		case isDigit(c):
			digits++
		default:
			return false
		}
	}
	return dots <= 1 && digits > 0
}

// parseInt parses an optionally signed decimal integer, refusing overflow.
func parseInt(t []byte) (int64, bool) {
	neg := false
	if len(t) > 0 && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if len(t) == 0 || len(t) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range t {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// object parses one direct object at the current position. References
// "N G R" are recognised by looking ahead two tokens.
func (s *scanner) object(depth int) (Object, error) {
	if depth > maxDepth {
		return nil, s.fail("objects nested too deeply at offset %d", s.pos)
	}
	s.skipSpace()
	c, ok := s.peek()
	if !ok {
		return nil, s.fail("unexpected end of data at offset %d", s.pos)
	}
	switch {
	case c == '/':
		return s.name()
	case c == '(':
		return s.literalString()
	case c == '<':
		if d, _ := s.at(s.pos + 1); d == '<' {
			return s.dict(depth)
		}
		return s.hexString()
	case c == '[':
		return s.array(depth)
	case isDigit(c) || c == '+' || c == '-' || c == '.':
		o, err := s.number()
		if err != nil {
			return nil, err
		}
		if n, ok := o.(Int); ok && n >= 0 {
			if ref, ok := s.refTail(int64(n)); ok {
				return ref, nil
			}
		}
		return o, nil
	case isRegular(c):
		start := s.pos
		t, err := s.token()
		if err != nil {
			return nil, err
		}
		switch string(t) {
		case "true":
			return Bool(true), nil
		case "false":
			return Bool(false), nil
		case "null":
			return Null{}, nil
		}
		return nil, s.fail("unexpected keyword %q at offset %d", t, start)
	}
	return nil, s.fail("unexpected %q at offset %d", c, s.pos)
}

// refTail completes "num gen R" after num has been read, or restores the
// position and reports false.
func (s *scanner) refTail(num int64) (Ref, bool) {
	save := s.pos
	gen, ok := s.integer()
	if ok {
		s.skipSpace()
		if c, _ := s.peek(); c == 'R' {
			if d, ok := s.at(s.pos + 1); !ok || !isRegular(d) {
				if num <= maxObjectNumber && gen <= maxGeneration {
					s.pos++
					return Ref{Num: int(num), Gen: int(gen)}, true
				}
			}
		}
	}
	s.pos = save
	return Ref{}, false
}

// name reads a name object (7.3.5) and decodes #xx escapes.
func (s *scanner) name() (Object, error) {
	start := s.pos
	s.pos++ // '/'
	var b []byte
	for {
		c, ok := s.peek()
		if !ok || !isRegular(c) {
			break
		}
		s.pos++
		if c == '#' {
			h, ok1 := s.at(s.pos)
			l, ok2 := s.at(s.pos + 1)
			if ok1 && ok2 && isHex(h) && isHex(l) {
				c = unhex(h)<<4 | unhex(l)
				s.pos += 2
			}
		}
		if len(b) == maxNameLen {
			return nil, s.fail("name too long at offset %d", start)
		}
		b = append(b, c)
	}
	return Name(b), nil
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// hexValue is unhex as a table, 0xff for what is not a hexadecimal digit.
var hexValue = func() (t [256]byte) {
	for c := range t {
		t[c] = 0xff
		if isHex(byte(c)) {
			t[c] = unhex(byte(c))
		}
	}
	return t
}()

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// literalString reads a literal string (7.3.4.2): balanced parentheses,
// backslash escapes, and end-of-line markers normalised to "\n".
func (s *scanner) literalString() (Object, error) {
	start := s.pos
	s.pos++ // '('
	depth := 1
	out := []byte{}
	for {
		if len(out) > maxStringLen {
			return nil, s.fail("string too long at offset %d", start)
		}
		c, ok := s.next()
		if !ok {
			return nil, s.fail("unterminated string at offset %d", start)
		}
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return String(out), nil
			}
		case '\r':
			if d, _ := s.peek(); d == '\n' {
				s.pos++
			}
			c = '\n'
		case '\\':
			c, ok = s.next()
			if !ok {
				return nil, s.fail("unterminated string at offset %d", start)
			}
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if d, _ := s.peek(); d == '\n' {
					s.pos++
				}
				continue // line continuation
			case '\n':
				continue
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := c - '0'
				for range 2 {
					d, ok := s.peek()
					if !ok || d < '0' || d > '7' {
						break
					}
					v = v<<3 | (d - '0') // high-order overflow is ignored (7.3.4.2)
					s.pos++
				}
				c = v
			}
		}
		out = append(out, c)
	}
}

// hexString reads a hexadecimal string (7.3.4.3); a final odd digit is
// followed by an implied 0.
func (s *scanner) hexString() (Object, error) {
	start := s.pos
	s.pos++ // '<'
	out := []byte{}
	var hi byte
	half := false
	for {
		if !half && s.pos >= s.off && s.pos < s.off+int64(s.n) {
			// Pairs of digits straight from the buffered window: a
			// signature's /Contents is tens of kilobytes of them, read
			// again by every signing act and completion. Anything else
			// (white space, '>', the window's end) takes the loop below.
			// The run of pairs is measured first, so that out grows once
			// per window rather than by a byte at a time.
			win := s.buf[s.pos-s.off : s.n]
			i := 0
			for i+1 < len(win) && hexValue[win[i]]|hexValue[win[i+1]] <= 0xf {
				i += 2
			}
			k := len(out)
			out = slices.Grow(out, i/2)[:k+i/2]
			for j := 0; j < i; j += 2 {
				out[k+j/2] = hexValue[win[j]]<<4 | hexValue[win[j+1]]
			}
			s.pos += int64(i)
			if len(out) > maxStringLen {
				return nil, s.fail("string too long at offset %d", start)
			}
		}
		c, ok := s.next()
		if !ok {
			return nil, s.fail("unterminated hex string at offset %d", start)
		}
		switch {
		case c == '>':
			if half {
				out = append(out, hi<<4)
			}
			return String(out), nil
		case isSpace(c):
		case isHex(c):
			if half {
				out = append(out, hi<<4|unhex(c))
				if len(out) > maxStringLen {
					return nil, s.fail("string too long at offset %d", start)
				}
			} else {
				hi = unhex(c)
			}
			half = !half
		default:
			return nil, s.fail("bad hex string at offset %d", start)
		}
	}
}

// array reads an array object (7.3.6).
func (s *scanner) array(depth int) (Object, error) {
	start := s.pos
	s.pos++ // '['
	a := Array{}
	for {
		s.skipSpace()
		c, ok := s.peek()
		if !ok {
			return nil, s.fail("unterminated array at offset %d", start)
		}
		if c == ']' {
			s.pos++
			return a, nil
		}
		if len(a) == maxCollection {
			return nil, s.fail("array too long at offset %d", start)
		}
		o, err := s.object(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, o)
	}
}

// dict reads a dictionary object (7.3.7). When a key repeats, the last
// value wins, as in most readers.
func (s *scanner) dict(depth int) (Object, error) {
	start := s.pos
	s.pos += 2 // "<<"
	d := Dict{}
	for {
		s.skipSpace()
		c, ok := s.peek()
		if !ok {
			return nil, s.fail("unterminated dictionary at offset %d", start)
		}
		if c == '>' {
			if e, _ := s.at(s.pos + 1); e != '>' {
				return nil, s.fail("bad dictionary end at offset %d", s.pos)
			}
			s.pos += 2
			return d, nil
		}
		if c != '/' {
			return nil, s.fail("dictionary key is not a name at offset %d", s.pos)
		}
		k, err := s.name()
		if err != nil {
			return nil, err
		}
		v, err := s.object(depth + 1)
		if err != nil {
			return nil, err
		}
		if len(d) == maxDictLen {
			return nil, s.fail("dictionary too long at offset %d", start)
		}
		d[k.(Name)] = v
	}
}

package pdfa

import (
	"bytes"
	"strconv"
)

// Page geometry in PDF points (1/72 inch, the default user space unit of
// ISO 32000-1 8.3.2.3): A4 portrait (ISO 216) with 20 mm margins. The body
// text, the title and the footer all stay inside the margins.
const (
	mm          = 72 / 25.4
	pageWidth   = 210 * mm
	pageHeight  = 297 * mm
	margin      = 20 * mm
	textWidth   = pageWidth - 2*margin
	bodySize    = 10.0 // body text, in points
	bodyLeading = 13.0
	titleSize   = 14.0
	titleGap    = 18.0 // title leading
	footerSize  = 8.0
	// footerBase is the footer's baseline: just above the bottom margin,
	// leaving room for descenders.
	footerBase = margin + 2.5
	// bodyBottom is the lowest baseline of body text: clear of the footer.
	bodyBottom = margin + 24
	// tabStop is the tab width in characters, as expand(1) counts them.
	tabStop = 8
	// maxLineGlyphs bounds a line however narrow its glyphs are (combining
	// marks and other zero-width characters never fill a line), so a page
	// stays bounded whatever the input.
	maxLineGlyphs = 1000
)

// mediaBox is the A4 page rectangle (ISO 32000-1 14.11.2).
var mediaBox = "[0 0 " + coord(pageWidth) + " " + coord(pageHeight) + "]"

// glyph is one shown character: its CID and advance in 1/1000 of the
// font size.
type glyph struct {
	cid   uint16
	space bool
	w     int32
}

// breaker fills lines with glyphs and breaks them where they would exceed
// the text width: after the last space that follows a word, or, when a
// word is wider than the line, inside the word. Spaces at a break are
// dropped, as word processors do; a hard line break keeps the indentation
// of the next line. Widths are the font's advance widths, the ones /W
// gives to viewers, so what is measured is what is drawn.
type breaker struct {
	sub     *subset
	limit   int // line width in 1/1000 of the font size
	line    []glyph
	width   int
	breakAt int  // index of the last space after a non-space; 0 if none
	col     int  // input column, for tab stops
	cont    bool // the line continues a wrapped one
	emit    func([]glyph) error
}

func newBreaker(sub *subset, size, width float64, emit func([]glyph) error) *breaker {
	return &breaker{sub: sub, limit: int(width * 1000 / size), emit: emit, line: make([]glyph, 0, 128)}
}

// add adds a character of the input other than a line or page break. Tabs
// expand to spaces up to the next multiple of tabStop columns.
func (b *breaker) add(r rune) error {
	if r == '\t' {
		n := tabStop - b.col%tabStop
		b.col += n
		for range n {
			if err := b.put(' '); err != nil {
				return err
			}
		}
		return nil
	}
	b.col++
	return b.put(r)
}

func (b *breaker) put(r rune) error {
	cid, w, err := b.sub.lookup(r)
	if err != nil {
		return err
	}
	if r == ' ' {
		if len(b.line) == 0 && b.cont {
			return nil
		}
		if b.width+w > b.limit || len(b.line) >= maxLineGlyphs {
			return b.wrap()
		}
		if len(b.line) > 0 && !b.line[len(b.line)-1].space {
			b.breakAt = len(b.line)
		}
		b.line = append(b.line, glyph{cid: cid, w: int32(w), space: true})
		b.width += w
		return nil
	}
	if len(b.line) > 0 && (b.width+w > b.limit || len(b.line) >= maxLineGlyphs) {
		if b.breakAt > 0 {
			if err := b.emit(trimSpaces(b.line[:b.breakAt])); err != nil {
				return err
			}
			tail := b.line[b.breakAt:]
			for len(tail) > 0 && tail[0].space {
				tail = tail[1:]
			}
			b.line = b.line[:copy(b.line, tail)]
			b.width = 0
			for _, g := range b.line {
				b.width += int(g.w)
			}
			b.breakAt, b.cont = 0, true
		}
		if len(b.line) > 0 && (b.width+w > b.limit || len(b.line) >= maxLineGlyphs) {
			if err := b.wrap(); err != nil {
				return err
			}
		}
	}
	b.line = append(b.line, glyph{cid: cid, w: int32(w)})
	b.width += w
	return nil
}

// wrap ends the line where it is, inside a line of the input.
func (b *breaker) wrap() error {
	err := b.emit(trimSpaces(b.line))
	b.reset()
	b.cont = true
	return err
}

// newline ends a line of the input.
func (b *breaker) newline() error {
	err := b.emit(trimSpaces(b.line))
	b.reset()
	b.col = 0
	return err
}

// pending reports whether a line of the input has begun and not ended.
func (b *breaker) pending() bool { return b.col > 0 }

func (b *breaker) reset() {
	b.line, b.width, b.breakAt, b.cont = b.line[:0], 0, 0, false
}

func trimSpaces(l []glyph) []glyph {
	for len(l) > 0 && l[len(l)-1].space {
		l = l[:len(l)-1]
	}
	return l
}

const hexDigits = "0123456789ABCDEF"

// showText appends a line to a content stream as a hexadecimal string of
// two-byte codes for Identity-H (ISO 32000-1 9.7.5.2) shown by Tj (9.4.3),
// and moves to the next line with T*.
func showText(c *bytes.Buffer, line []glyph) {
	if len(line) > 0 {
		c.WriteByte('<')
		for _, g := range line {
			c.WriteByte(hexDigits[g.cid>>12])
			c.WriteByte(hexDigits[g.cid>>8&15])
			c.WriteByte(hexDigits[g.cid>>4&15])
			c.WriteByte(hexDigits[g.cid&15])
		}
		c.WriteString("> Tj\n")
	}
	c.WriteString("T*\n")
}

// beginText starts a text object (ISO 32000-1 9.4) with the font at size,
// the leading and the first baseline at x, y.
func beginText(c *bytes.Buffer, size, leading, x, y float64) {
	c.WriteString("BT\n/F1 ")
	c.WriteString(strconv.FormatFloat(size, 'f', -1, 64))
	c.WriteString(" Tf\n")
	c.WriteString(strconv.FormatFloat(leading, 'f', -1, 64))
	c.WriteString(" TL\n")
	c.WriteString(coord(x) + " " + coord(y) + " Td\n")
}

// centred appends a one-line text object centred on the page at baseline
// y. It returns buf, which it uses for the glyphs, for the next call.
func centred(c *bytes.Buffer, sub *subset, s string, size, y float64, buf []glyph) ([]glyph, error) {
	line, width := buf[:0], 0
	for _, r := range s {
		cid, w, err := sub.lookup(r)
		if err != nil {
			return buf, err
		}
		line = append(line, glyph{cid: cid, w: int32(w)})
		width += w
	}
	beginText(c, size, size, (pageWidth-float64(width)*size/1000)/2, y)
	showText(c, line)
	c.WriteString("ET\n")
	return line, nil
}

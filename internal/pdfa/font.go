package pdfa

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// dejaVuSans is DejaVu Sans 2.37 (Debian fonts-dejavu-core), under the
// Bitstream Vera licence in fonts/LICENSE. It is compiled into the binary so
// that rendering needs no file at run time, and it is never modified in
// place: every document embeds a subset built from it (see subset.go).
//
//go:embed fonts/DejaVuSans.ttf
var dejaVuSans []byte

// postScriptName is the font's name in the PDF (/BaseFont after the subset
// tag, ISO 32000-1 9.6.4); DejaVu Sans' name table says the same.
const postScriptName = "DejaVuSans"

// sfnt is the part of a TrueType font (the OpenType "sfnt" container with
// glyf outlines) that a PDF embedding needs: per-glyph outlines and metrics,
// the Unicode cmap, and the global metrics for the font descriptor.
type sfnt struct {
	tables     map[string][]byte
	unitsPerEm int
	numGlyphs  int
	loca       []uint32 // numGlyphs+1 offsets into glyf
	glyf       []byte
	advance    []uint16 // hmtx advance width per glyph, in font units
	lsb        []int16  // hmtx left side bearing per glyph
	cmap       map[rune]uint16

	xMin, yMin, xMax, yMax int16   // head: the bounding box of all glyphs
	ascent, descent        int16   // hhea
	capHeight              int16   // top of 'H'
	italicAngle            float64 // post, in degrees
}

// errFont reports a font program that does not have the structure the
// OpenType specification gives it. The embedded font never does; the
// checks exist so that a bad font fails loudly instead of producing a PDF
// that viewers render wrongly.
var errFont = errors.New("pdfa: malformed font")

func fontErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errFont}, args...)...)
}

var loadFont = sync.OnceValues(func() (*sfnt, error) { return parseSFNT(dejaVuSans, true) })

// parseSFNT reads the table directory and the tables a subset is built
// from (OpenType specification, "Font file" and the head, hhea, maxp, hmtx,
// loca, glyf, cmap and post chapters). Embedded subsets have no cmap, and
// are read without one when withCmap is false.
func parseSFNT(data []byte, withCmap bool) (*sfnt, error) {
	if len(data) < 12 {
		return nil, fontErr("short header")
	}
	if v := binary.BigEndian.Uint32(data); v != 0x00010000 && v != 0x74727565 { // 1.0 or 'true'
		return nil, fontErr("not a TrueType font (version %#x)", v)
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if len(data) < 12+16*n {
		return nil, fontErr("short table directory")
	}
	f := &sfnt{tables: make(map[string][]byte, n)}
	for i := range n {
		rec := data[12+16*i:]
		tag := string(rec[:4])
		off, length := uint64(binary.BigEndian.Uint32(rec[8:])), uint64(binary.BigEndian.Uint32(rec[12:]))
		if off+length > uint64(len(data)) {
			return nil, fontErr("table %q beyond the end of the font", tag)
		}
		f.tables[tag] = data[off : off+length]
	}
	for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "post"} {
		if f.tables[tag] == nil {
			return nil, fontErr("no %q table", tag)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 || len(f.tables["post"]) < 32 {
		return nil, fontErr("short head, hhea, maxp or post table")
	}
	f.unitsPerEm = int(binary.BigEndian.Uint16(head[18:]))
	if f.unitsPerEm < 16 || f.unitsPerEm > 16384 {
		return nil, fontErr("unitsPerEm %d out of range", f.unitsPerEm)
	}
	f.xMin, f.yMin = int16(binary.BigEndian.Uint16(head[36:])), int16(binary.BigEndian.Uint16(head[38:]))
	f.xMax, f.yMax = int16(binary.BigEndian.Uint16(head[40:])), int16(binary.BigEndian.Uint16(head[42:]))
	f.ascent, f.descent = int16(binary.BigEndian.Uint16(hhea[4:])), int16(binary.BigEndian.Uint16(hhea[6:]))
	f.italicAngle = float64(int32(binary.BigEndian.Uint32(f.tables["post"][4:]))) / 65536
	f.numGlyphs = int(binary.BigEndian.Uint16(maxp[4:]))
	if f.numGlyphs < 1 {
		return nil, fontErr("no glyphs")
	}
	if err := f.parseLoca(int16(binary.BigEndian.Uint16(head[50:]))); err != nil {
		return nil, err
	}
	if err := f.parseHmtx(int(binary.BigEndian.Uint16(hhea[34:]))); err != nil {
		return nil, err
	}
	f.capHeight = f.ascent
	if !withCmap {
		return f, nil
	}
	if err := f.parseCmap(); err != nil {
		return nil, err
	}
	if g, ok := f.cmap['H']; ok {
		if b := f.glyph(g); len(b) >= 10 {
			f.capHeight = int16(binary.BigEndian.Uint16(b[8:]))
		}
	}
	return f, nil
}

// parseLoca reads the glyph offsets, short (offset/2) or long per
// head.indexToLocFormat.
func (f *sfnt) parseLoca(format int16) error {
	loca := f.tables["loca"]
	f.glyf = f.tables["glyf"]
	f.loca = make([]uint32, f.numGlyphs+1)
	switch format {
	case 0:
		if len(loca) < 2*(f.numGlyphs+1) {
			return fontErr("short loca table")
		}
		for i := range f.loca {
			f.loca[i] = 2 * uint32(binary.BigEndian.Uint16(loca[2*i:]))
		}
	case 1:
		if len(loca) < 4*(f.numGlyphs+1) {
			return fontErr("short loca table")
		}
		for i := range f.loca {
			f.loca[i] = binary.BigEndian.Uint32(loca[4*i:])
		}
	default:
		return fontErr("indexToLocFormat %d", format)
	}
	for i := range f.numGlyphs {
		if f.loca[i] > f.loca[i+1] || f.loca[i+1] > uint32(len(f.glyf)) {
			return fontErr("loca entry %d out of order or beyond glyf", i)
		}
	}
	return nil
}

// parseHmtx reads the horizontal metrics: numberOfHMetrics pairs, then
// left side bearings only, the last advance repeating (OpenType "hmtx").
func (f *sfnt) parseHmtx(numHMetrics int) error {
	hmtx := f.tables["hmtx"]
	if numHMetrics < 1 || numHMetrics > f.numGlyphs ||
		len(hmtx) < 4*numHMetrics+2*(f.numGlyphs-numHMetrics) {
		return fontErr("hmtx does not match numberOfHMetrics %d", numHMetrics)
	}
	f.advance = make([]uint16, f.numGlyphs)
	f.lsb = make([]int16, f.numGlyphs)
	for i := range f.numGlyphs {
		if i < numHMetrics {
			f.advance[i] = binary.BigEndian.Uint16(hmtx[4*i:])
			f.lsb[i] = int16(binary.BigEndian.Uint16(hmtx[4*i+2:]))
		} else {
			f.advance[i] = f.advance[numHMetrics-1]
			f.lsb[i] = int16(binary.BigEndian.Uint16(hmtx[4*numHMetrics+2*(i-numHMetrics):]))
		}
	}
	return nil
}

// parseCmap reads the Windows Unicode full-repertoire subtable (3,10,
// format 12) when there is one, else the BMP subtable (3,1, format 4).
func (f *sfnt) parseCmap() error {
	cmap := f.tables["cmap"]
	if len(cmap) < 4 { // also a missing table
		return fontErr("short cmap")
	}
	n := int(binary.BigEndian.Uint16(cmap[2:]))
	if len(cmap) < 4+8*n {
		return fontErr("short cmap directory")
	}
	var fmt4, fmt12 []byte
	for i := range n {
		rec := cmap[4+8*i:]
		platform, encoding := binary.BigEndian.Uint16(rec), binary.BigEndian.Uint16(rec[2:])
		off := int(binary.BigEndian.Uint32(rec[4:]))
		if off+2 > len(cmap) {
			return fontErr("cmap subtable beyond the table")
		}
		sub := cmap[off:]
		switch format := binary.BigEndian.Uint16(sub); {
		case platform == 3 && encoding == 10 && format == 12:
			fmt12 = sub
		case platform == 3 && encoding == 1 && format == 4:
			fmt4 = sub
		}
	}
	f.cmap = make(map[rune]uint16, f.numGlyphs)
	switch {
	case fmt12 != nil:
		return f.parseCmap12(fmt12)
	case fmt4 != nil:
		return f.parseCmap4(fmt4)
	}
	return fontErr("no Unicode cmap subtable")
}

func (f *sfnt) parseCmap12(b []byte) error {
	if len(b) < 16 {
		return fontErr("short cmap format 12")
	}
	n := int(binary.BigEndian.Uint32(b[12:]))
	if n > (len(b)-16)/12 {
		return fontErr("cmap format 12 groups beyond the subtable")
	}
	for i := range n {
		g := b[16+12*i:]
		start, end, gid := binary.BigEndian.Uint32(g), binary.BigEndian.Uint32(g[4:]), binary.BigEndian.Uint32(g[8:])
		if start > end || end > 0x10FFFF || end-start > 0x10FFFF {
			return fontErr("cmap format 12 group %d out of range", i)
		}
		for c := start; c <= end; c++ {
			if g := gid + (c - start); g != 0 && g < uint32(f.numGlyphs) {
				f.cmap[rune(c)] = uint16(g)
			}
		}
	}
	return nil
}

func (f *sfnt) parseCmap4(b []byte) error {
	if len(b) < 14 {
		return fontErr("short cmap format 4")
	}
	segs := int(binary.BigEndian.Uint16(b[6:])) / 2
	if len(b) < 16+8*segs {
		return fontErr("cmap format 4 segments beyond the subtable")
	}
	ends, starts := b[14:], b[16+2*segs:]
	deltas, ranges := b[16+4*segs:], b[16+6*segs:]
	for s := range segs {
		end, start := binary.BigEndian.Uint16(ends[2*s:]), binary.BigEndian.Uint16(starts[2*s:])
		delta, ro := binary.BigEndian.Uint16(deltas[2*s:]), int(binary.BigEndian.Uint16(ranges[2*s:]))
		for c := uint32(start); c <= uint32(end) && c != 0xFFFF; c++ {
			g := uint16(c) + delta
			if ro != 0 {
				p := 16 + 6*segs + 2*s + ro + 2*int(uint16(c)-start)
				if p+2 > len(b) {
					return fontErr("cmap format 4 glyph index beyond the subtable")
				}
				if g = binary.BigEndian.Uint16(b[p:]); g != 0 {
					g += delta
				}
			}
			if g != 0 && int(g) < f.numGlyphs {
				f.cmap[rune(c)] = g
			}
		}
	}
	return nil
}

// glyph returns the outline data of glyph g, empty for glyphs without
// contours (the space).
func (f *sfnt) glyph(g uint16) []byte {
	return f.glyf[f.loca[g]:f.loca[g+1]]
}

// Composite glyph flags (OpenType "glyf", composite glyph description).
const (
	argsAreWords     = 0x0001
	haveScale        = 0x0008
	moreComponents   = 0x0020
	haveXYScale      = 0x0040
	haveTwoByTwo     = 0x0080
	haveInstructions = 0x0100
	compositeHeader  = 10 // numberOfContours and the bounding box
)

// components calls fn with the offset of each component's glyph index in
// a composite glyph b (numberOfContours < 0), its flags being the two
// bytes before it, and returns the offset just after the last component,
// where the glyph's instructions begin; simple glyphs have none, and end
// 0. The offsets let the subsetter follow, renumber and unhint the
// references.
func components(b []byte, fn func(off int) error) (end int, err error) {
	if len(b) < compositeHeader || int16(binary.BigEndian.Uint16(b)) >= 0 {
		return 0, nil
	}
	for p := compositeHeader; ; {
		if p+4 > len(b) {
			return 0, fontErr("composite glyph truncated")
		}
		flags := binary.BigEndian.Uint16(b[p:])
		if err := fn(p + 2); err != nil {
			return 0, err
		}
		p += 4
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if p > len(b) {
			return 0, fontErr("composite glyph truncated")
		}
		if flags&moreComponents == 0 {
			return p, nil
		}
	}
}

// outlineEnd is where simple glyph b's coordinates end, its flags starting
// at flags: the bytes after it are the old record's padding, which the
// subset pads again (OpenType 'glyf': flags, then x and y coordinates).
func outlineEnd(b []byte, contours, flags int) (int, error) {
	if contours == 0 {
		return flags, nil
	}
	points := int(binary.BigEndian.Uint16(b[compositeHeader+2*(contours-1):])) + 1
	const (
		xShort, yShort = 0x02, 0x04
		repeat         = 0x08
		xSame, ySame   = 0x10, 0x20
	)
	p, xLen, yLen := flags, 0, 0
	for n := 0; n < points; {
		if p >= len(b) {
			return 0, fontErr("glyph flags truncated")
		}
		flag, times := b[p], 1
		p++
		if flag&repeat != 0 {
			if p >= len(b) {
				return 0, fontErr("glyph flags truncated")
			}
			times += int(b[p])
			p++
		}
		n += times
		switch {
		case flag&xShort != 0:
			xLen += times
		case flag&xSame == 0:
			xLen += 2 * times
		}
		switch {
		case flag&yShort != 0:
			yLen += times
		case flag&ySame == 0:
			yLen += 2 * times
		}
	}
	end := p + xLen + yLen
	if end > len(b) {
		return 0, fontErr("glyph coordinates truncated")
	}
	return end, nil
}

// appendUnhinted appends glyph b to dst without its instructions (the
// TrueType bytecode that fits its outline to the pixel grid): a simple
// glyph with an instructionLength of 0, a composite one cut after its
// last component with WE_HAVE_INSTRUCTIONS cleared. The outline, the
// bounding box and the components are unchanged.
func appendUnhinted(dst, b []byte) ([]byte, error) {
	if len(b) < compositeHeader {
		return append(dst, b...), nil // no outline (a space)
	}
	if contours := int(int16(binary.BigEndian.Uint16(b))); contours >= 0 {
		at := compositeHeader + 2*contours // instructionLength
		if at+2 > len(b) {
			return nil, fontErr("glyph truncated")
		}
		outline := at + 2 + int(binary.BigEndian.Uint16(b[at:])) // after the instructions
		if outline > len(b) {
			return nil, fontErr("glyph instructions beyond the glyph")
		}
		end, err := outlineEnd(b, contours, outline)
		if err != nil {
			return nil, err
		}
		dst = append(dst, b[:at]...)
		dst = append(dst, 0, 0)
		return append(dst, b[outline:end]...), nil
	}
	end, err := components(b, func(int) error { return nil })
	if err != nil {
		return nil, err
	}
	start := len(dst)
	dst = append(dst, b[:end]...)
	g := dst[start:]
	_, err = components(g, func(off int) error {
		binary.BigEndian.PutUint16(g[off-2:], binary.BigEndian.Uint16(g[off-2:])&^haveInstructions)
		return nil
	})
	return dst, err
}

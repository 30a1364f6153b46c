package pdfa

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf16"
)

// maxCID is the largest CID a two-byte Identity-H code can name (ISO
// 32000-1 9.7.6.2; also the limit of ISO 19005-3 6.1.13).
const maxCID = 0xFFFF

// subset collects the characters a document shows and builds the embedded
// font for them: a CIDFontType2 (ISO 32000-1 9.7.4) whose font program
// holds only the glyphs used.
//
// CIDs are given out per character, in order of first use, starting at 1,
// so that CID 0 (.notdef, which ISO 19005-3 6.2.11.8 forbids showing) never
// appears in a content stream. A CID per character rather than per glyph
// keeps the /ToUnicode CMap exact where the font draws two characters with
// one glyph; /CIDToGIDMap (9.7.4.2) maps each CID to its glyph in the subset.
// Characters the font cannot draw, and control characters, are shown as
// U+FFFD (or '?' in a font without it) and copy as U+FFFD: the text layer
// never says more than the page shows.
type subset struct {
	f       *sfnt
	cid     map[rune]uint16 // shown character → CID
	ascii   [128]uint16     // fast path of cid for ASCII
	runes   []rune          // CID → shown character; runes[0] unused
	widths  []int           // CID → advance in 1/1000 em
	cidGID  []uint16        // CID → glyph index in the subset
	gids    []uint16        // subset glyph index → original glyph index
	newGID  map[uint16]uint16
	missing rune // the stand-in for characters the font lacks
	// shared says the maps and slices above belong to a prepared font
	// (preparedFont), which other documents use at the same time: the
	// first character new to the subset copies them (own).
	shared bool
}

func newSubset() (*subset, error) {
	f, err := loadFont()
	if err != nil {
		return nil, err
	}
	s := &subset{
		f:      f,
		cid:    map[rune]uint16{},
		runes:  []rune{0},
		widths: []int{0},
		cidGID: []uint16{0},
		gids:   []uint16{0}, // .notdef stays glyph 0 (OpenType requires it)
		newGID: map[uint16]uint16{0: 0},
	}
	s.missing = '?'
	if _, ok := f.cmap[unicode.ReplacementChar]; ok {
		s.missing = unicode.ReplacementChar
	}
	return s, nil
}

// shown maps a character of the input to the one drawn for it.
func (s *subset) shown(r rune) rune {
	if unicode.IsControl(r) || r == unicode.ReplacementChar {
		return s.missing
	}
	if _, ok := s.f.cmap[r]; !ok {
		return s.missing
	}
	return r
}

// lookup returns the CID that shows r (after [subset.shown]) and its
// advance width in thousandths of the font size, adding the character to
// the subset on first use. Only characters the font draws are remembered,
// so hostile input with many distinct unknown characters costs no memory.
func (s *subset) lookup(r rune) (uint16, int, error) {
	if r >= 0 && r < 128 {
		if c := s.ascii[r]; c != 0 {
			return c, s.widths[c], nil
		}
	}
	c, ok := s.cid[r]
	if !ok {
		shown := s.shown(r)
		if c, ok = s.cid[shown]; !ok {
			if s.shared {
				s.own()
			}
			if len(s.runes) > maxCID {
				return 0, 0, fmt.Errorf("pdfa: more than %d distinct characters", maxCID)
			}
			g, err := s.addGlyph(s.f.cmap[shown], 0)
			if err != nil {
				return 0, 0, err
			}
			c = uint16(len(s.runes))
			s.runes = append(s.runes, shown)
			s.widths = append(s.widths, s.width(s.gids[g]))
			s.cidGID = append(s.cidGID, g)
			s.cid[shown] = c
		}
	}
	if r >= 0 && r < 128 {
		s.ascii[r] = c
	}
	return c, s.widths[c], nil
}

// own gives s copies of the maps and slices it shares with a prepared
// font, before it adds to them. The CIDs given out so far stay the same.
func (s *subset) own() {
	s.cid, s.newGID = maps.Clone(s.cid), maps.Clone(s.newGID)
	s.runes, s.widths = slices.Clone(s.runes), slices.Clone(s.widths)
	s.cidGID, s.gids = slices.Clone(s.cidGID), slices.Clone(s.gids)
	s.shared = false
}

// width is the advance of an original glyph in the 1/1000 em units of
// /W (9.7.4.3), rounded as ISO 19005-3 6.2.11.5 compares them to hmtx.
func (s *subset) width(g uint16) int {
	return int(math.Round(float64(s.f.advance[g]) * 1000 / float64(s.f.unitsPerEm)))
}

// addGlyph adds an original glyph and, for a composite glyph, the glyphs it
// is built from, and returns its index in the subset.
func (s *subset) addGlyph(g uint16, depth int) (uint16, error) {
	if n, ok := s.newGID[g]; ok {
		return n, nil
	}
	if depth > 8 {
		return 0, fontErr("composite glyphs nested too deeply")
	}
	n := uint16(len(s.gids))
	s.gids = append(s.gids, g)
	s.newGID[g] = n
	b := s.f.glyph(g)
	_, err := components(b, func(off int) error {
		c := binary.BigEndian.Uint16(b[off:])
		if int(c) >= s.f.numGlyphs {
			return fontErr("composite glyph %d names glyph %d", g, c)
		}
		_, err := s.addGlyph(c, depth+1)
		return err
	})
	return n, err
}

// tag is the six-letter subset prefix of the font name (ISO 32000-1
// 9.6.4), derived from the glyph set so that equal subsets get equal
// names and output is reproducible.
func (s *subset) tag() string {
	h := sha256.New()
	for _, r := range s.runes[1:] {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(r)))
	}
	sum := h.Sum(nil)
	t := make([]byte, 6)
	for i := range t {
		t[i] = 'A' + sum[i]%26
	}
	return string(t)
}

// fontProgram builds the TrueType subset: the tables ISO 32000-1 9.9
// (Table 126) lists for a CIDFontType2 font program (head, hhea, loca,
// maxp, cvt, prep, glyf, hmtx, fpgm), plus OS/2, gasp and a version 3 post
// table, which some consumers expect. No cmap: glyphs are selected through
// /CIDToGIDMap (9.7.4.2). Composite glyphs are rewritten to name their
// components by their new indices.
//
// The glyphs go without their own instructions (appendUnhinted): in DejaVu
// Sans they are more than half of every glyph's bytes, and they only fit
// outlines to a screen's pixel grid at small sizes, which PDF viewers,
// rasterising with anti-aliasing, mostly skip. Every signature page, act
// appearance and receipt embeds a subset, so a signed document and its
// receipt each carried about 10 KB of them per font, in every copy stored,
// hashed, sent to a mailbox and downloaded. The outlines, metrics and
// the font-wide tables above stay as they are.
func (s *subset) fontProgram() ([]byte, error) {
	f := s.f
	n := len(s.gids)
	size := 0
	for _, g := range s.gids {
		size += (len(f.glyph(g)) + 3) &^ 3
	}
	// Each glyph is copied once, into its place in the new table, and a
	// composite one is rewritten there.
	glyf := make([]byte, 0, size)
	loca := make([]byte, 4*(n+1))
	hmtx := make([]byte, 4*n)
	for i, g := range s.gids {
		binary.BigEndian.PutUint32(loca[4*i:], uint32(len(glyf)))
		binary.BigEndian.PutUint16(hmtx[4*i:], f.advance[g])
		binary.BigEndian.PutUint16(hmtx[4*i+2:], uint16(f.lsb[g]))
		at := len(glyf)
		var err error
		if glyf, err = appendUnhinted(glyf, f.glyph(g)); err != nil {
			return nil, err
		}
		b := glyf[at:]
		_, err = components(b, func(off int) error {
			c := binary.BigEndian.Uint16(b[off:])
			nc, ok := s.newGID[c]
			if !ok {
				return fontErr("component %d of glyph %d not in the subset", c, g)
			}
			binary.BigEndian.PutUint16(b[off:], nc)
			return nil
		})
		if err != nil {
			return nil, err
		}
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
	}
	binary.BigEndian.PutUint32(loca[4*n:], uint32(len(glyf)))

	head := slices.Clone(f.tables["head"])
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1) // long loca offsets
	hhea := slices.Clone(f.tables["hhea"])
	binary.BigEndian.PutUint16(hhea[34:], uint16(n)) // numberOfHMetrics
	maxp := slices.Clone(f.tables["maxp"])
	binary.BigEndian.PutUint16(maxp[4:], uint16(n))
	post := slices.Clone(f.tables["post"][:32])
	binary.BigEndian.PutUint32(post, 0x00030000) // version 3: no glyph names

	tables := map[string][]byte{
		"glyf": glyf, "head": head, "hhea": hhea, "hmtx": hmtx,
		"loca": loca, "maxp": maxp, "post": post,
	}
	for _, tag := range []string{"OS/2", "cvt ", "fpgm", "gasp", "prep"} {
		if t := f.tables[tag]; t != nil {
			tables[tag] = t
		}
	}
	out := writeSFNT(tables)
	adj := 0xB1B0AFBA - checksum(out)
	for tag, off := range tableOffsets(out) {
		if tag == "head" {
			binary.BigEndian.PutUint32(out[off+8:], adj)
		}
	}
	return out, nil
}

// writeSFNT lays out an OpenType font file: the offset table, the table
// records sorted by tag, and the tables, each 4-byte aligned.
func writeSFNT(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for tag := range tables {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	n := len(tags)
	entrySelector := 0
	for 1<<(entrySelector+1) <= n {
		entrySelector++
	}
	searchRange := 16 << entrySelector
	size := 12 + 16*n
	for _, t := range tables {
		size += (len(t) + 3) &^ 3
	}
	out := make([]byte, 12+16*n, size)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(searchRange))
	binary.BigEndian.PutUint16(out[8:], uint16(entrySelector))
	binary.BigEndian.PutUint16(out[10:], uint16(16*n-searchRange))
	for i, tag := range tags {
		t := tables[tag]
		rec := out[12+16*i:]
		copy(rec, tag)
		binary.BigEndian.PutUint32(rec[4:], checksum(t))
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(t)))
		out = append(out, t...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// tableOffsets maps the tags of a font written by writeSFNT to the
// offsets of their tables.
func tableOffsets(font []byte) map[string]int {
	n := int(binary.BigEndian.Uint16(font[4:]))
	m := make(map[string]int, n)
	for i := range n {
		rec := font[12+16*i:]
		m[string(rec[:4])] = int(binary.BigEndian.Uint32(rec[8:]))
	}
	return m
}

// checksum is the OpenType table checksum: the sum of big-endian uint32s,
// the data padded with zeros to a multiple of four.
func checksum(b []byte) uint32 {
	var sum uint32
	for len(b) >= 4 {
		sum += binary.BigEndian.Uint32(b)
		b = b[4:]
	}
	var last [4]byte
	copy(last[:], b)
	return sum + binary.BigEndian.Uint32(last[:])
}

// widthsArray is the /W array (ISO 32000-1 9.7.4.3) for CIDs 1 to n, in
// runs of at most 512 widths.
func (s *subset) widthsArray() string {
	var b bytes.Buffer
	b.WriteByte('[')
	for start := 1; start < len(s.widths); start += 512 {
		end := min(start+512, len(s.widths))
		fmt.Fprintf(&b, "%d [", start)
		for i, w := range s.widths[start:end] {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Itoa(w))
		}
		b.WriteString("]\n")
	}
	b.WriteByte(']')
	return b.String()
}

// cidToGIDMap is the /CIDToGIDMap stream data (9.7.4.2): for each CID from
// 0, the subset glyph index as two bytes, high-order first.
// cidSet is the /CIDSet of the font descriptor (ISO 32000-1 Table 124): a
// bit per CID, most significant bit first, set for every CID the font
// program holds a glyph for. The subset's CIDs are 0 (.notdef) to
// len(cidGID)-1, each with its glyph, so every one of them is set.
func (s *subset) cidSet() []byte {
	n := len(s.cidGID)
	b := make([]byte, (n+7)/8)
	for cid := range n {
		b[cid/8] |= 0x80 >> (cid % 8)
	}
	return b
}

func (s *subset) cidToGIDMap() []byte {
	b := make([]byte, 2*len(s.cidGID))
	for cid, g := range s.cidGID {
		binary.BigEndian.PutUint16(b[2*cid:], g)
	}
	return b
}

// toUnicode is the /ToUnicode CMap (ISO 32000-1 9.10.3) mapping every CID
// to the character it shows, in UTF-16BE, so that text can be searched and
// copied.
func (s *subset) toUnicode() []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for start := 1; start < len(s.runes); start += 100 { // at most 100 per block (9.10.3)
		end := min(start+100, len(s.runes))
		fmt.Fprintf(&b, "%d beginbfchar\n", end-start)
		for cid := start; cid < end; cid++ {
			fmt.Fprintf(&b, "<%04X> <", cid)
			for _, u := range utf16.Encode([]rune{s.runes[cid]}) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

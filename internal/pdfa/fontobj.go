package pdfa

import (
	"fmt"
	"strconv"

	"github.com/segl/segl/internal/pdf"
)

// objects is where the font and page objects go: the document writer of
// RenderText, or the list SignaturePage hands to the caller.
type objects interface {
	alloc() pdf.Ref
	// put writes a dictionary or other direct object as object ref.
	put(ref pdf.Ref, body []byte) error
	// putStream writes a stream with the dictionary entries dict and the
	// data, compressed with FlateDecode unless it is short.
	putStream(ref pdf.Ref, dict string, data []byte) error
	// putProgram writes a font program as putStream does, or, where
	// streams are compressed for speed, as it is (flater.encodeProgram).
	putProgram(ref pdf.Ref, dict string, data []byte) error
	// putEncoded writes a stream whose data z is already compressed
	// (filtered) or stored as it is.
	putEncoded(ref pdf.Ref, dict string, z []byte, filtered bool) error
}

// writeFont writes the composite font that sub describes, as the Type 0
// font object type0 (ISO 32000-1 9.7.6) with one descendant CIDFontType2
// (9.7.4), its font descriptor (9.8) and the embedded subset font program
// (/FontFile2, 9.9). The choices follow ISO 19005-3:
//
//   - 6.2.11.3.1: with Identity-H any CIDSystemInfo may be used; Adobe
//     Identity 0 is the usual one.
//   - 6.2.11.3.2: a CIDFontType2 has a /CIDToGIDMap, here a stream.
//   - 6.2.11.4.1: the font program is embedded; its subset holds every
//     glyph a CID maps to. /CIDSet is optional in PDF/A-2 and -3 but must
//     then be right, and PDF/A-1 requires it for a subset (ISO 19005-1
//     6.3.5; Apache PDFBox's preflight checks it): it is written, listing
//     every CID of the subset.
//   - 6.2.11.5: /W gives each CID the rounded hmtx advance of its glyph.
//   - 6.2.11.7: a /ToUnicode CMap maps every CID to Unicode.
func writeFont(o objects, sub *subset, type0 pdf.Ref) error {
	prog, err := sub.fontProgram()
	if err != nil {
		return err
	}
	name := "/" + sub.tag() + "+" + postScriptName
	return writeFontObjects(o, sub.f, name, sub.widthsArray(), type0, func(file, toUni, cidSet, cidMap pdf.Ref) error {
		if err := o.putProgram(file, fmt.Sprintf("/Length1 %d", len(prog)), prog); err != nil {
			return err
		}
		if err := o.putStream(toUni, "", sub.toUnicode()); err != nil {
			return err
		}
		if err := o.putStream(cidSet, "", sub.cidSet()); err != nil {
			return err
		}
		return o.putStream(cidMap, "", sub.cidToGIDMap())
	})
}

// writeFontObjects writes the dictionaries of writeFont for the subset of
// f named name, with the /W array widths, and has streams write the font
// program (/FontFile2), /ToUnicode, /CIDSet and /CIDToGIDMap streams.
func writeFontObjects(o objects, f *sfnt, name, widths string, type0 pdf.Ref, streams func(file, toUni, cidSet, cidMap pdf.Ref) error) error {
	cidFont, desc, file, toUni, cidMap, cidSet := o.alloc(), o.alloc(), o.alloc(), o.alloc(), o.alloc(), o.alloc()
	scale := func(v int16) int { return int(v) * 1000 / f.unitsPerEm }

	if err := o.put(type0, fmt.Appendf(nil,
		"<< /Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H /DescendantFonts [%v] /ToUnicode %v >>",
		name, cidFont, toUni)); err != nil {
		return err
	}
	if err := o.put(cidFont, fmt.Appendf(nil,
		"<< /Type /Font /Subtype /CIDFontType2 /BaseFont %s\n"+
			"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>\n"+
			"/FontDescriptor %v /CIDToGIDMap %v /DW 1000\n/W %s >>",
		name, desc, cidMap, widths)); err != nil {
		return err
	}
	// Flags 32: nonsymbolic, the font uses the standard Latin character
	// set (9.8.2). StemV is not in the font; 80 is the usual value for a
	// regular weight and only matters to font substitution, which an
	// embedded font never needs.
	if err := o.put(desc, fmt.Appendf(nil,
		"<< /Type /FontDescriptor /FontName %s /Flags 32 /FontBBox [%d %d %d %d]\n"+
			"/ItalicAngle %g /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %v /CIDSet %v >>",
		name, scale(f.xMin), scale(f.yMin), scale(f.xMax), scale(f.yMax),
		f.italicAngle, scale(f.ascent), scale(f.descent), scale(f.capHeight), file, cidSet)); err != nil {
		return err
	}
	return streams(file, toUni, cidSet, cidMap)
}

// streamHeader is the dictionary of a stream of n bytes, compressed with
// FlateDecode when filtered, and the stream keyword: dict holds any entries
// besides /Filter and /Length.
func streamHeader(b []byte, dict string, filtered bool, n int) []byte {
	b = append(b, "<< "...)
	if filtered {
		b = append(b, "/Filter /FlateDecode "...)
	}
	if dict != "" {
		b = append(b, dict...)
		b = append(b, ' ')
	}
	b = append(b, "/Length "...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, " >>\nstream\n"...)
}

package pdfa

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Meta describes a document for its metadata: the document information
// dictionary (ISO 32000-1 14.3.3) and the XMP packet (14.3.2) carry the
// same values, as ISO 19005-3 6.6.2.3 requires.
type Meta struct {
	// Title is shown as the first line of the first page and becomes
	// /Title and dc:title. Optional.
	Title string
	// Author becomes /Author and dc:creator. Optional.
	Author string
	// Subject becomes /Subject and dc:description. Optional.
	Subject string
	// Lang is the document's natural language (ISO 32000-1 14.9.2, a
	// BCP 47 primary language subtag such as "nb", "nn", "en" or "se");
	// empty means "nb".
	Lang string
	// Created becomes /CreationDate and /ModDate, xmp:CreateDate and
	// xmp:ModifyDate, to the second. The zero time means now.
	Created time.Time
	// SignaturePage, when set, ends the document with the signature
	// pages of SignaturePage (with the slots of SlotLayout), set in the
	// document's own font subset, so that a text document is ready for
	// signing in one revision. Nil means none.
	SignaturePage *Slots
	// Quick stores the document's font program and page contents as they
	// are and compresses its other streams with zlib.BestSpeed rather than
	// the default level, as the signature page and the signature
	// appearances are: for documents made anew for every signing act (each
	// signer's receipt), where deflating at the default level was a third
	// of the cost, for a few kilobytes more. Documents rendered once for
	// people to sign keep the default.
	Quick bool
	// Repertoire, when set, are characters to prepare the font with once,
	// for documents made again and again from much the same characters
	// (each signer's receipt): the subset of the repertoire and its
	// encoded font objects are kept, one per repertoire, and a document
	// whose text, title and footers use only its characters embeds them
	// as they are. The font then holds the whole repertoire's glyphs,
	// used or not, compressed at the default level even when Quick. A
	// character outside the repertoire makes the document's subset its
	// own, built as without a repertoire. Empty means none.
	Repertoire string
	// PagesAfter is the number of pages that will follow the text's in the
	// document it begins, such as the documents behind the front page of
	// a combined document (ceremony): the footers count them, "Side 1 av
	// M" with M the pages of the whole, so that the text's page numbers
	// are the whole document's. Zero for a document of its own. The
	// signature pages are numbered on their own either way.
	PagesAfter int
}

// maxMetaRunes bounds each metadata string, well below the 32767-byte
// limit of ISO 19005-3 6.1.13 for a string object in UTF-16.
const maxMetaRunes = 1000

// langRE is what Meta.Lang may be: a primary language subtag of two or
// three letters (RFC 5646 section 2.2.1), which is all /Lang and
// dc:language need here. Which languages segl writes is decided by the
// catalogues of internal/doctext, not here, so that a translator's new
// language (se) renders without a change to this package.
var langRE = regexp.MustCompile(`^[a-z]{2,3}$`)

// cleanMeta returns a copy of m whose strings can be written identically
// to the information dictionary and to XML: invalid UTF-8 and characters
// XML 1.0 cannot carry become U+FFFD, control characters (line breaks,
// which an XML parser would normalise, and tabs included) become spaces,
// and each string is cut to maxMetaRunes characters.
func cleanMeta(m Meta) (Meta, error) {
	if m.Lang == "" {
		m.Lang = "nb"
	}
	if !langRE.MatchString(m.Lang) {
		return m, fmt.Errorf("pdfa: language %q is not a primary language subtag", m.Lang)
	}
	if m.Created.IsZero() {
		m.Created = time.Now()
	}
	m.Created = m.Created.Truncate(time.Second)
	if _, off := m.Created.Zone(); off%60 != 0 {
		m.Created = m.Created.UTC() // neither date format has offset seconds
	}
	if y := m.Created.Year(); y < 1 || y > 9999 {
		return m, fmt.Errorf("pdfa: creation date %v out of range", m.Created)
	}
	if m.PagesAfter < 0 {
		return m, fmt.Errorf("pdfa: %d pages after the text", m.PagesAfter)
	}
	if m.SignaturePage != nil {
		if err := m.SignaturePage.check(); err != nil {
			return m, err
		}
	}
	m.Title, m.Author, m.Subject = cleanString(m.Title), cleanString(m.Author), cleanString(m.Subject)
	return m, nil
}

func cleanString(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n++; n > maxMetaRunes {
			break
		}
		switch {
		case unicode.IsControl(r):
			r = ' '
		case r == utf8.RuneError, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r < 0xE000:
			r = unicode.ReplacementChar
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pdfDate formats a date as ISO 32000-1 7.9.4 defines it, with the
// apostrophe after the minutes of the offset that PDF 1.7 writers use.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off/60%60)
}

// xmpDate formats the same instant as an XMP date (ISO 8601), with the
// same offset, so that the two compare equal as ISO 19005-3 6.6.2.3.1 asks.
func xmpDate(t time.Time) string {
	return t.Format("2006-01-02T15:04:05-07:00")
}

// infoDict is the document information dictionary (ISO 32000-1 14.3.3).
func infoDict(m Meta) []byte {
	var b bytes.Buffer
	b.WriteString("<<")
	if m.Title != "" {
		b.WriteString(" /Title " + textString(m.Title))
	}
	if m.Author != "" {
		b.WriteString(" /Author " + textString(m.Author))
	}
	if m.Subject != "" {
		b.WriteString(" /Subject " + textString(m.Subject))
	}
	d := pdfDate(m.Created)
	fmt.Fprintf(&b, " /Producer (%s) /CreationDate (%s) /ModDate (%s) >>", producer, d, d)
	return b.Bytes()
}

// producer names segl in /Producer and pdf:Producer.
const producer = "segl"

// xmpPacket is the metadata stream's data (ISO 32000-1 14.3.2): the PDF/A
// identification (ISO 19005-3 6.6.4: pdfaid:part 3, pdfaid:conformance B)
// and the properties that mirror the information dictionary (6.6.2.3.1,
// Table 3). The packet header has neither bytes nor encoding attribute
// (6.6.2.1), and trailing whitespace lets tools edit it in place.
func xmpPacket(m Meta) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e strings.Builder
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n" +
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n" +
		" <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n" +
		"  <rdf:Description rdf:about=\"\"\n" +
		"    xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n" +
		"    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n" +
		"    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n" +
		"    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n" +
		"   <pdfaid:part>3</pdfaid:part>\n" +
		"   <pdfaid:conformance>B</pdfaid:conformance>\n" +
		"   <dc:format>application/pdf</dc:format>\n")
	if m.Title != "" {
		fmt.Fprintf(&b, "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:title>\n", esc(m.Title))
	}
	if m.Author != "" {
		fmt.Fprintf(&b, "   <dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>\n", esc(m.Author))
	}
	if m.Subject != "" {
		fmt.Fprintf(&b, "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:description>\n", esc(m.Subject))
	}
	d := xmpDate(m.Created)
	fmt.Fprintf(&b, "   <dc:language><rdf:Bag><rdf:li>%s</rdf:li></rdf:Bag></dc:language>\n"+
		"   <xmp:CreateDate>%s</xmp:CreateDate>\n"+
		"   <xmp:ModifyDate>%s</xmp:ModifyDate>\n"+
		"   <xmp:MetadataDate>%s</xmp:MetadataDate>\n"+
		"   <pdf:Producer>%s</pdf:Producer>\n"+
		"  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n", m.Lang, d, d, d, producer)
	for range 20 {
		b.WriteString(strings.Repeat(" ", 99) + "\n")
	}
	b.WriteString("<?xpacket end=\"w\"?>")
	return b.Bytes()
}

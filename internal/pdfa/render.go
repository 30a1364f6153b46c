package pdfa

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/segl/segl/internal/pdf"
)

// srgbProfile is the sRGB IEC 61966-2.1 ICC profile (version 2) of
// Debian's icc-profiles-free, under the zlib licence in icc/LICENSE: the
// destination profile of the PDF/A output intent.
//
//go:embed icc/sRGB.icc
var srgbProfile []byte

// srgbDeflated is srgbProfile compressed once, as putStream would compress
// it: every rendered document carries the same 3 KB profile (each signer's
// receipt among them), and deflating it anew was a third of the cost of
// starting a document. Deflate at one level is deterministic, so the files
// are byte for byte what they were.
var srgbDeflated = sync.OnceValues(func() ([]byte, error) {
	f := getFlater()
	defer f.release()
	z, err := f.deflate(srgbProfile)
	return bytes.Clone(z), err
})

// kidsPerNode is the fan-out of the page tree (ISO 32000-1 7.7.3.2): pages
// hang from intermediate nodes of at most this many, under one root, so
// that no /Kids array grows with the document.
const kidsPerNode = 64

// Info describes a rendered document.
type Info struct {
	Pages int   // pages written, signature pages included
	Size  int64 // bytes written
}

// RenderText streams text into a PDF/A-3b document (ISO 19005-3,
// conformance level B) written to w, so that plain-text documents can be
// signed with PAdES like any PDF. The text is valid UTF-8; the caller has
// checked it. Invalid bytes would be shown as U+FFFD.
//
// Layout: A4 pages with 20 mm margins; meta.Title as a heading on the first
// page; DejaVu Sans at 10 pt, lines broken at spaces by the font's glyph
// widths (inside a word only when the word is wider than the line); tabs
// expanded to the next multiple of 8 columns; LF, CR LF and CR end a line;
// a form feed starts a new page (one at the very end does not add a blank
// page); a byte order mark at the start is skipped. Each page has the
// footer "Side N av M / Page N of M", where M counts the text's pages
// (and meta.PagesAfter);
// the signature pages that meta.SignaturePage asks for follow, numbered
// on their own (see SignaturePage). Characters DejaVu Sans cannot draw,
// and control characters, are shown as U+FFFD. Right-to-left scripts are
// laid out in logical order, and no shaping is done.
//
// Memory is bounded by one page of text and does not grow with the
// length of the input, apart from the small bookkeeping per page and
// object every PDF writer needs for the cross-reference table. Pages are
// written as soon as they are full; the total page count in each footer is
// filled in by a second content stream per page, written once the count
// is known (the page's /Contents is an array, ISO 32000-1 7.7.3.3).
//
// The file has: the header with a binary comment (ISO 19005-3 6.1.2); the
// /ID and no /Encrypt in the trailer (6.1.3); one embedded, subset
// TrueType font with /ToUnicode (6.2.11, see writeFont); an sRGB output
// intent, /S /GTS_PDFA1 (6.2.2; text is drawn in the default DeviceGray,
// which the output intent allows, 6.2.4.3); an XMP metadata stream that
// identifies PDF/A-3B and matches the information dictionary (6.6.2,
// 6.6.4); /Lang on the catalog (ISO 32000-1 14.9.2). It has no JavaScript,
// actions, annotations, transparency, or embedded files.
//
// On error, what was written to w is not a usable document.
func RenderText(w io.Writer, text io.Reader, meta Meta) (Info, error) {
	meta, err := cleanMeta(meta)
	if err != nil {
		return Info{}, err
	}
	prepared, sub, err := fontFor(meta.Repertoire)
	if err != nil {
		return Info{}, err
	}
	r := &renderer{w: newWriter(w, meta.Quick), sub: sub, prepared: prepared}
	defer r.w.release()
	if err := r.begin(meta); err != nil {
		return Info{}, err
	}
	if err := r.layout(text); err != nil {
		return Info{}, err
	}
	if err := r.end(); err != nil {
		return Info{}, err
	}
	return Info{Pages: len(r.pages), Size: r.w.n}, nil
}

// renderer holds the state of one RenderText call.
type renderer struct {
	w        *writer
	sub      *subset
	prepared *preparedFont // what sub started as; nil without Meta.Repertoire
	meta     Meta
	catalog  pdf.Ref
	info     pdf.Ref
	root     pdf.Ref // the page tree root
	font     pdf.Ref // the Type 0 font
	nodes    []pdf.Ref
	pages    []pageRefs
	content  bytes.Buffer // the open page's content stream
	body     []byte       // an object being assembled
	open     bool
	lines    int // lines on the open page
	maxLines int
	brk      *breaker
	glyphs   []glyph // scratch for footers
}

// pageRefs are a page's object and its footer content stream, which is
// written at the end.
type pageRefs struct{ page, footer pdf.Ref }

// begin writes the header and the objects that do not depend on the
// text: catalog, information dictionary, metadata and output intent.
func (r *renderer) begin(meta Meta) error {
	r.meta = meta
	w := r.w
	if err := w.write([]byte(header)); err != nil {
		return err
	}
	r.catalog, r.root, r.info, r.font = w.alloc(), w.alloc(), w.alloc(), w.alloc()
	metadata, profile := w.alloc(), w.alloc()

	// The catalog (ISO 32000-1 7.7.2). The output intent (14.11.5) is
	// direct: ISO 19005-3 6.2.2 asks for /S /GTS_PDFA1 and an ICC profile
	// as /DestOutputProfile.
	cat := fmt.Appendf(nil, "<< /Type /Catalog /Pages %v /Metadata %v /Lang %s\n"+
		"/OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1)\n"+
		"/RegistryName (http://www.color.org) /Info (sRGB IEC61966-2.1) /DestOutputProfile %v >>]",
		r.root, metadata, textString(meta.Lang), profile)
	if meta.Title != "" {
		cat = append(cat, " /ViewerPreferences << /DisplayDocTitle true >>"...)
	}
	cat = append(cat, " >>"...)
	if err := w.put(r.catalog, cat); err != nil {
		return err
	}
	if err := w.put(r.info, infoDict(meta)); err != nil {
		return err
	}
	// The metadata stream is not compressed, so that tools that look for
	// the XMP packet by scanning the file find it (ISO 32000-1 14.3.2).
	xmp := xmpPacket(meta)
	if err := w.put(metadata, fmt.Appendf(nil, "<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n%s\nendstream", len(xmp), xmp)); err != nil {
		return err
	}
	z, err := srgbDeflated()
	if err != nil {
		return err
	}
	if err := w.putEncoded(profile, "/N 3 /Alternate /DeviceRGB", z, true); err != nil {
		return err
	}

	r.brk = newBreaker(r.sub, bodySize, textWidth, r.line)
	return r.openPage()
}

// layout reads the text rune by rune and lays it out.
func (r *renderer) layout(text io.Reader) error {
	br := readBuffers.get(func() *bufio.Reader { return bufio.NewReaderSize(nil, 64<<10) })
	br.Reset(text)
	defer func() {
		br.Reset(nil)
		readBuffers.put(br)
	}()
	b := r.brk
	first, afterCR := true, false
	for {
		c, _, err := br.ReadRune()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("pdfa: read text: %w", err)
		}
		if first {
			first = false
			if c == '\ufeff' {
				continue
			}
		}
		if c == '\n' && afterCR {
			afterCR = false
			continue
		}
		afterCR = c == '\r'
		switch c {
		case '\n', '\r':
			err = b.newline()
		case '\f':
			err = r.formFeed()
		default:
			err = b.add(c)
		}
		if err != nil {
			return err
		}
	}
	if b.pending() {
		if err := b.newline(); err != nil {
			return err
		}
	}
	if r.open {
		return r.closePage()
	}
	return nil
}

// formFeed ends the line, if one has begun, and the page. The next page
// begins with the next line, so a form feed at the end of the text adds no
// blank page, but two in a row leave one.
func (r *renderer) formFeed() error {
	if r.brk.pending() {
		if err := r.brk.newline(); err != nil {
			return err
		}
	}
	if !r.open {
		if err := r.openPage(); err != nil {
			return err
		}
	}
	return r.closePage()
}

// line adds a line of body text, starting a page when needed.
func (r *renderer) line(l []glyph) error {
	if r.open && r.lines == r.maxLines {
		if err := r.closePage(); err != nil {
			return err
		}
	}
	if !r.open {
		if err := r.openPage(); err != nil {
			return err
		}
	}
	showText(&r.content, l)
	r.lines++
	return nil
}

// openPage starts a page's content stream; the first page's begins with
// the title.
func (r *renderer) openPage() error {
	r.content.Reset()
	r.open, r.lines = true, 0
	ascent := float64(r.sub.f.ascent) / float64(r.sub.f.unitsPerEm)
	top := pageHeight - margin - bodySize*ascent
	if len(r.pages) == 0 && r.meta.Title != "" {
		y := pageHeight - margin - titleSize*ascent
		beginText(&r.content, titleSize, titleGap, margin, y)
		n := 0
		tb := newBreaker(r.sub, titleSize, textWidth, func(l []glyph) error {
			showText(&r.content, l)
			n++
			return nil
		})
		for _, c := range r.meta.Title {
			if err := tb.add(c); err != nil {
				return err
			}
		}
		if err := tb.newline(); err != nil {
			return err
		}
		r.content.WriteString("ET\n")
		top = y - float64(n)*titleGap - bodyLeading
	}
	r.maxLines = max(1, int((top-bodyBottom)/bodyLeading)+1)
	beginText(&r.content, bodySize, bodyLeading, margin, top)
	return nil
}

// closePage writes the open page: its content stream and page object
// (ISO 32000-1 7.7.3.3). The page object names the footer stream, which
// is written by end.
func (r *renderer) closePage() error {
	w := r.w
	r.content.WriteString("ET\n")
	if len(r.pages)%kidsPerNode == 0 {
		r.nodes = append(r.nodes, w.alloc())
	}
	content, page, footer := w.alloc(), w.alloc(), w.alloc()
	if err := w.putContent(content, r.content.Bytes()); err != nil {
		return err
	}
	b := append(r.body[:0], "<< /Type /Page /Parent "...)
	b = appendRef(b, r.nodes[len(r.nodes)-1])
	b = append(b, " /MediaBox "...)
	b = append(b, mediaBox...)
	b = append(b, "\n/Resources << /Font << /F1 "...)
	b = appendRef(b, r.font)
	b = append(b, " >> >>\n/Contents ["...)
	b = appendRef(b, content)
	b = append(b, ' ')
	b = appendRef(b, footer)
	r.body = append(b, "] >>"...)
	if err := w.put(page, r.body); err != nil {
		return err
	}
	r.pages = append(r.pages, pageRefs{page, footer})
	r.open = false
	return nil
}

// end writes what depends on the whole text: the footers with the page
// count, the page tree, the font subset, and the cross-reference table.
func (r *renderer) end() error {
	w := r.w
	var err error
	total := strconv.Itoa(len(r.pages) + r.meta.PagesAfter)
	for i, p := range r.pages {
		n := strconv.Itoa(i + 1)
		r.content.Reset()
		if r.glyphs, err = centred(&r.content, r.sub, "Side "+n+" av "+total+" / Page "+n+" of "+total, footerSize, footerBase, r.glyphs); err != nil {
			return err
		}
		if err := w.putContent(p.footer, r.content.Bytes()); err != nil {
			return err
		}
	}
	if s := r.meta.SignaturePage; s != nil {
		if err := r.signaturePages(*s); err != nil {
			return err
		}
	}
	for i, node := range r.nodes {
		kids := r.pages[i*kidsPerNode : min(len(r.pages), (i+1)*kidsPerNode)]
		r.body = fmt.Appendf(r.body[:0], "<< /Type /Pages /Parent %v /Count %d /Kids [", r.root, len(kids))
		for j, k := range kids {
			if j > 0 {
				r.body = append(r.body, ' ')
			}
			r.body = appendRef(r.body, k.page)
		}
		r.body = append(r.body, "] >>"...)
		if err := w.put(node, r.body); err != nil {
			return err
		}
	}
	r.body = fmt.Appendf(r.body[:0], "<< /Type /Pages /Count %d /Kids [", len(r.pages))
	for i, node := range r.nodes {
		if i > 0 {
			r.body = append(r.body, ' ')
		}
		r.body = appendRef(r.body, node)
	}
	r.body = append(r.body, "] >>"...)
	if err := w.put(r.root, r.body); err != nil {
		return err
	}
	if err := putFont(w, r.prepared, r.sub, r.font); err != nil {
		return err
	}
	return w.finish(r.catalog, r.info)
}

// signaturePages writes the signature pages after the text's pages, in
// the same page tree and with the same font.
func (r *renderer) signaturePages(s Slots) error {
	w := r.w
	contents, err := slotPages(r.sub, s)
	if err != nil {
		return err
	}
	for _, content := range contents {
		if len(r.pages)%kidsPerNode == 0 {
			r.nodes = append(r.nodes, w.alloc())
		}
		cref, page := w.alloc(), w.alloc()
		if err := w.putStream(cref, "", content); err != nil {
			return err
		}
		if err := w.put(page, pageDict(r.nodes[len(r.nodes)-1], r.font, cref)); err != nil {
			return err
		}
		r.pages = append(r.pages, pageRefs{page: page})
	}
	return nil
}

// appendRef appends an indirect reference, "N G R" (ISO 32000-1 7.3.10).
func appendRef(b []byte, r pdf.Ref) []byte {
	b = strconv.AppendInt(b, int64(r.Num), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(r.Gen), 10)
	return append(b, " R"...)
}

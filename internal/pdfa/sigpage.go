package pdfa

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/segl/segl/internal/doctext"
	"github.com/segl/segl/internal/pdf"
)

// Slots is what the signature page says before anyone signs: who sent the
// job, which document the page belongs to, and one empty, numbered slot per
// signer. The strings are shown as given (control characters become spaces;
// each is cut at 1000 characters, and to what its place on the page holds,
// with "…").
//
// The page is fixed before the first signature and never changes after it
// (EN 319 142-1 §5.4), so its text must read right both before anyone has
// signed and after everyone has: it names what the slots are, not what is
// about to happen to them.
type Slots struct {
	// Sender names the organisation that sent the job, as the page shows
	// it (its name and organisation number).
	Sender string
	// JobTitle is the title of the signature job.
	JobTitle string
	// Title is the document's title; at most two lines are shown.
	Title string
	// FileName is the name of the uploaded file.
	FileName string
	// SHA256 is the digest of the document as uploaded, 32 bytes: the
	// digest each signer's evidence names.
	SHA256 []byte
	// Job identifies the signature job; Reference is the sender's own
	// reference for it, optional.
	Job, Reference string
	// Signers is the number of slots, 1 to MaxSlots.
	Signers int
	// Text is the page's text in the job's language (bokmål for an
	// English job), English its text in English, which always follows,
	// so that every reader of the file can read the page. Both come from
	// the catalogues of internal/doctext.
	Text, English doctext.Page
}

// MaxSlots bounds the slots of one signature page set (about 60 pages).
const MaxSlots = 500

// Slot is where one signer's appearance goes: the widget rectangle of the
// signature that fills the slot (ISO 32000-1 12.5.2 /Rect).
type Slot struct {
	// Page is the 0-based index of the slot's page among the signature
	// pages, which are the last pages of the document.
	Page int
	// Rect is llx lly urx ury in default user space: the slot's box to
	// the right of its number.
	Rect [4]float64
}

// Geometry of the signature pages, in points. The first page has a header
// of fixed height (the title is cut to two lines, the other values to one),
// so that where the slots are depends on their number alone: the signing
// code finds slot i with SlotLayout, without reading the page.
const (
	headerHeight     = 194.0 // first page: heading, document rows, explanation; fixed, since jobs in flight rely on SlotLayout
	contHeaderHeight = 34.0  // further pages: heading only
	slotHeight       = 76.0
	slotGap          = 8.0
	slotStrip        = 26.0 // the column with the slot's number
	rowSize          = 9.0  // the document rows and the explanation
	rowLeading       = 12.0
	keyWidth         = 112.0 // the column of the row labels
	headingSize      = 16.0
	headerRows       = 8 // sender, job title, document title (2), file name, SHA-256, job ID, reference
	explanationLines = 4
)

// slotsPerPage is how many slots fit on the first and on further pages.
func slotsPerPage(first bool) int {
	top := pageHeight - margin - contHeaderHeight
	if first {
		top = pageHeight - margin - headerHeight
	}
	return int((top - bodyBottom + slotGap) / (slotHeight + slotGap))
}

// SlotLayout returns where the slots of a signature page set with n slots
// are, and how many signature pages there are. It depends on n only.
func SlotLayout(n int) (slots []Slot, pages int) {
	if n < 1 || n > MaxSlots {
		return nil, 0
	}
	page, onPage := 0, 0
	top := pageHeight - margin - headerHeight
	for range n {
		if onPage == slotsPerPage(page == 0) {
			page, onPage = page+1, 0
			top = pageHeight - margin - contHeaderHeight
		}
		ury := top - float64(onPage)*(slotHeight+slotGap)
		slots = append(slots, Slot{Page: page, Rect: [4]float64{margin + slotStrip, ury - slotHeight, margin + textWidth, ury}})
		onPage++
	}
	return slots, page + 1
}

// both joins a label in the page's first language and the English one
// as the page shows them.
func both(first, en string) string {
	if first == en {
		return first
	}
	return first + " / " + en
}

func (s *Slots) check() error {
	if s.Signers < 1 || s.Signers > MaxSlots {
		return fmt.Errorf("pdfa: %d signature slots, want 1 to %d", s.Signers, MaxSlots)
	}
	if len(s.SHA256) != 32 {
		return errors.New("pdfa: the document digest is not 32 bytes")
	}
	if s.Text.Heading == "" || s.English.Heading == "" {
		return errors.New("pdfa: the signature page has no text")
	}
	return nil
}

// PageObjects are the objects of the signature page(s) produced by
// SignaturePage.
type PageObjects struct {
	// Pages are the new page objects (ISO 32000-1 7.7.3.3) in order, all
	// with the /Parent given to SignaturePage.
	Pages []pdf.Ref
	// Objects are all new objects, the pages included: the pages, their
	// content streams, and one embedded font subset with its descendant
	// font, descriptor, font program, /ToUnicode and /CIDToGIDMap.
	Objects []pdf.RawObject
}

// SignaturePage lays out the pages "Signaturer / Signatures" for a document
// that is about to be signed, for the caller to append in an incremental
// update (ISO 32000-1 7.5.6; internal/pdf's AppendPages does it). It does
// no I/O: it returns the new objects, numbered by alloc.
//
// The first page names the sender, the job and the document (title, file
// name, the SHA-256 of the upload, the job's ID and the sender's
// reference), says in the job's language (s.Text) and English what the signatures and slots are, and has s.Signers empty, bordered, numbered
// slots; further pages hold further slots. Each signing act fills its slot
// with the appearance of its signature widget (AppearanceText, at the
// place SlotLayout gives), so that the page itself never changes after the
// first signature, which PAdES validators require (EN 319 142-1 §5.4).
//
// The pages stay PDF/A-3b (ISO 19005-3) when the document is: the font is
// a new subset of DejaVu Sans, embedded like RenderText's (6.2.11), with
// its own name, since the objects of the signed revision cannot change;
// text and lines are in DeviceGray under the document's output intent
// (6.2.4.3); there is no annotation, action or transparency. Each page
// sets its own /MediaBox, /CropBox, /Rotate and /Resources, so nothing is
// inherited from the page tree. Each has the footer "Signaturside N av M
// / Signature page N of M" and does not continue the document's page
// numbering.
//
// repertoire, when not empty, are characters to prepare the font with
// once, as AppearanceText takes them: pages whose text uses only them
// embed the prepared subset's objects as they are.
func SignaturePage(s Slots, parent pdf.Ref, repertoire string, alloc func() (pdf.Ref, error)) (PageObjects, error) {
	if err := s.check(); err != nil {
		return PageObjects{}, err
	}
	if parent.Num <= 0 {
		return PageObjects{}, fmt.Errorf("pdfa: signature page parent %v is not an object", parent)
	}
	prepared, sub, err := fontFor(repertoire)
	if err != nil {
		return PageObjects{}, err
	}
	c := &collector{fn: alloc, seen: map[pdf.Ref]bool{}, flater: getFastFlater()}
	defer c.release()
	font, err := c.next()
	if err != nil {
		return PageObjects{}, err
	}
	contents, err := slotPages(sub, s)
	if err != nil {
		return PageObjects{}, err
	}
	var out PageObjects
	for _, content := range contents {
		page, err := c.next()
		if err != nil {
			return PageObjects{}, err
		}
		cref, err := c.next()
		if err != nil {
			return PageObjects{}, err
		}
		if err := c.putStream(cref, "", content); err != nil {
			return PageObjects{}, err
		}
		if err := c.put(page, pageDict(parent, font, cref)); err != nil {
			return PageObjects{}, err
		}
		out.Pages = append(out.Pages, page)
	}
	if err := putFont(c, prepared, sub, font); err != nil {
		return PageObjects{}, err
	}
	if c.err != nil {
		return PageObjects{}, c.err
	}
	out.Objects = c.objs
	return out, nil
}

// pageDict is a signature page's dictionary: everything a page could
// inherit is set, so the page looks the same under any page tree node.
func pageDict(parent, font, content pdf.Ref) []byte {
	return fmt.Appendf(nil, "<< /Type /Page /Parent %v /MediaBox %s /CropBox %s /Rotate 0\n/Resources << /Font << /F1 %v >> >>\n/Contents %v >>",
		parent, mediaBox, mediaBox, font, content)
}

// slotPages lays out the content streams of the signature pages, footers
// included, with the glyphs in sub.
func slotPages(sub *subset, s Slots) ([][]byte, error) {
	slots, n := SlotLayout(s.Signers)
	pages := make([]*bytes.Buffer, n)
	for i := range pages {
		pages[i] = &bytes.Buffer{}
	}
	ascent := float64(sub.f.ascent) / float64(sub.f.unitsPerEm)
	no, en := s.Text, s.English
	heading := both(no.Heading, en.Heading)

	// The first page's header.
	p := pages[0]
	top := pageHeight - margin
	if err := drawLine(p, sub, heading, headingSize, margin, top-headingSize*ascent, textWidth); err != nil {
		return nil, err
	}
	y := top - 30 - rowSize*ascent // the first row's baseline
	rows := []struct {
		key, value string
		lines      int
	}{
		{both(no.Sender, en.Sender), s.Sender, 1},
		{both(no.Job, en.Job), s.JobTitle, 1},
		{both(no.Document, en.Document), s.Title, 2},
		{both(no.FileName, en.FileName), s.FileName, 1},
		{"SHA-256", hex.EncodeToString(s.SHA256), 1},
		{both(no.JobID, en.JobID), s.Job, 1},
		{both(no.Ref, en.Ref), s.Reference, 1},
	}
	used := 0
	for _, row := range rows {
		value := cleanString(row.value)
		if strings.TrimSpace(value) == "" {
			continue
		}
		if err := drawLine(p, sub, row.key, rowSize, margin, y, keyWidth-6); err != nil {
			return nil, err
		}
		lines, err := wrap(sub, value, rowSize, textWidth-keyWidth, row.lines)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			textAt(p, l, rowSize, margin+keyWidth, y)
			y -= rowLeading
			used++
		}
	}
	y -= float64(headerRows-used)*rowLeading + 8
	used = 0
	for i, para := range []string{no.Explanation, en.Explanation} {
		if i > 0 {
			y -= 3
		}
		lines, err := wrap(sub, para, rowSize, textWidth, explanationLines)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			textAt(p, l, rowSize, margin, y)
			y -= rowLeading
			used++
		}
	}
	if used > explanationLines {
		return nil, errors.New("pdfa: signature page explanation does not fit its place") // a bug: the text is fixed
	}

	// Further pages' headings.
	contHeading := heading + " (" + both(no.Continued, en.Continued) + ")"
	for _, p := range pages[1:] {
		if err := drawLine(p, sub, contHeading, headingSize, margin, top-headingSize*ascent, textWidth); err != nil {
			return nil, err
		}
	}

	// The slots: a bordered box each, its number in a column on the left.
	for i, sl := range slots {
		p := pages[sl.Page]
		llx, lly, ury := margin, sl.Rect[1], sl.Rect[3]
		fmt.Fprintf(p, "q 0.5 G 0.75 w %s %s %s %s re S %s %s m %s %s l S Q\n",
			coord(llx), coord(lly), coord(textWidth), coord(slotHeight),
			coord(llx+slotStrip), coord(lly), coord(llx+slotStrip), coord(ury))
		num := strconv.Itoa(i + 1)
		w, err := measure(sub, num)
		if err != nil {
			return nil, err
		}
		const numSize = 12.0
		if err := drawLine(p, sub, num, numSize, llx+(slotStrip-w*numSize/1000)/2, ury-8-numSize*ascent, slotStrip); err != nil {
			return nil, err
		}
	}

	out := make([][]byte, n)
	for i, p := range pages {
		footer := both(fmt.Sprintf(no.Page, i+1, n), fmt.Sprintf(en.Page, i+1, n))
		if _, err := centred(p, sub, footer, footerSize, footerBase, nil); err != nil {
			return nil, err
		}
		out[i] = p.Bytes()
	}
	return out, nil
}

// measure returns the advance of s in 1/1000 of the font size.
func measure(sub *subset, s string) (float64, error) {
	w := 0
	for _, r := range s {
		_, adv, err := sub.lookup(r)
		if err != nil {
			return 0, err
		}
		w += adv
	}
	return float64(w), nil
}

// wrap breaks s into lines of at most width points at size, as RenderText
// does, and keeps at most limit of them, the last cut with "…" when more
// text follows.
func wrap(sub *subset, s string, size, width float64, limit int) ([][]glyph, error) {
	var lines [][]glyph
	b := newBreaker(sub, size, width, func(l []glyph) error {
		lines = append(lines, slices.Clone(l))
		return nil
	})
	for _, r := range s {
		if err := b.add(r); err != nil {
			return nil, err
		}
		if len(lines) > limit {
			break
		}
	}
	if len(lines) <= limit {
		if err := b.newline(); err != nil {
			return nil, err
		}
	}
	if len(lines) <= limit {
		return lines, nil
	}
	lines = lines[:limit]
	last, err := ellipsis(sub, lines[limit-1], size, width)
	if err != nil {
		return nil, err
	}
	lines[limit-1] = last
	return lines, nil
}

// ellipsis appends "…" to a line, dropping glyphs from its end until it
// fits width points at size.
func ellipsis(sub *subset, l []glyph, size, width float64) ([]glyph, error) {
	cid, w, err := sub.lookup('…')
	if err != nil {
		return nil, err
	}
	limit := int(width * 1000 / size)
	total := w
	for _, g := range l {
		total += int(g.w)
	}
	for len(l) > 0 && (total > limit || l[len(l)-1].space) {
		total -= int(l[len(l)-1].w)
		l = l[:len(l)-1]
	}
	return append(l, glyph{cid: cid, w: int32(w)}), nil
}

// drawLine shows s on one line at x, y: at size, or smaller down to 6
// points when it is wider than width, and cut with "…" when even that is
// too wide.
func drawLine(c *bytes.Buffer, sub *subset, s string, size, x, y, width float64) error {
	return drawLineMin(c, sub, s, size, x, y, width, 6)
}

// drawLineMin is drawLine with the smallest size given.
func drawLineMin(c *bytes.Buffer, sub *subset, s string, size, x, y, width, minSize float64) error {
	var line []glyph
	total := 0
	for _, r := range cleanString(s) {
		cid, w, err := sub.lookup(r)
		if err != nil {
			return err
		}
		line = append(line, glyph{cid: cid, w: int32(w), space: r == ' '})
		total += w
	}
	if float64(total)*size/1000 > width {
		size = math.Max(minSize, width*1000/float64(total))
		size = math.Floor(size*10) / 10
	}
	if float64(total)*size/1000 > width {
		var err error
		if line, err = ellipsis(sub, line, size, width); err != nil {
			return err
		}
	}
	textAt(c, line, size, x, y)
	return nil
}

// textAt shows one line at x, y in its own text object.
func textAt(c *bytes.Buffer, line []glyph, size, x, y float64) {
	beginText(c, size, size, x, y)
	showText(c, line)
	c.WriteString("ET\n")
}

// AppearanceText makes the appearance of a signature widget that fills a
// slot (the form XObject of /AP /N, ISO 32000-1 12.5.5): lines of text in a
// box of width × height points, the first (the signer's name) larger. The
// text is as large as fits, at most 9 points for the other lines; a line
// wider than the box is set smaller, down to 5 points, and then cut with
// "…". Control characters become spaces.
//
// The glyphs are only known when the signer signs, so the appearance
// carries its own subset of DejaVu Sans (embedded as ISO 19005-3 6.2.11
// requires; its objects are numbered by alloc and returned in objects, for
// the caller to write in the same incremental update as the signature).
// stream is the content stream and resources the resource dictionary that
// names the font /F1, both in the form internal/pdf's Appearance takes.
// The appearance only draws glyphs in DeviceGray: no transparency, no
// images.
//
// repertoire, when not empty, are characters to prepare that subset with
// once, as Meta.Repertoire does for rendered documents (each act of a job
// fills its slot with much the same characters): lines that use only them
// embed the prepared subset's objects as they are, holding every glyph of
// the repertoire, and a line with another character gives the appearance
// a subset of its own. Where the document already holds the prepared
// subset's objects, byte for byte, as the signature page's font (a page
// made with the same repertoire: SignaturePage) or an earlier slot's,
// the appearance refers to them and has no objects of its own: a second
// copy of the same font would add nothing but bytes to every signature.
func AppearanceText(lines []string, width, height float64, repertoire string, d Drawing) (stream []byte, resources string, objects []pdf.RawObject, err error) {
	if len(lines) == 0 || len(lines) > 20 {
		return nil, "", nil, fmt.Errorf("pdfa: %d appearance lines, want 1 to 20", len(lines))
	}
	if !(width >= 20 && width <= 2000 && height >= 10 && height <= 2000) {
		return nil, "", nil, fmt.Errorf("pdfa: appearance box %gx%g out of range", width, height)
	}
	prepared, sub, err := fontFor(repertoire)
	if err != nil {
		return nil, "", nil, err
	}
	const (
		pad      = 5.0
		maxSize  = 9.0
		first    = 1.25 // the first line's size, relative
		leading  = 1.25 // baseline distance, relative to the size
		minSize  = 5.0
		maxRunes = 200
	)
	size := math.Min(maxSize, (height-2*pad)/(leading*(first+float64(len(lines)-1))))
	ascent := float64(sub.f.ascent) / float64(sub.f.unitsPerEm)
	var b bytes.Buffer
	b.WriteString("0 g\n")
	y := height - pad
	for i, l := range lines {
		s := size
		if i == 0 {
			s *= first
		}
		if i == 0 {
			y -= s * ascent
		} else {
			y -= s * leading
		}
		if r := []rune(l); len(r) > maxRunes {
			l = string(r[:maxRunes])
		}
		if err := drawLineMin(&b, sub, l, s, pad, y, width-2*pad, minSize); err != nil {
			return nil, "", nil, err
		}
		if i == 0 {
			y -= s * (leading - ascent) // what is left of the first line's leading
		}
	}
	if prepared != nil && sub.shared {
		if font, ok := prepared.heldBy(d); ok {
			return b.Bytes(), fmt.Sprintf("<< /Font << /F1 %v >> >>", font), nil, nil
		}
	}
	c := &collector{fn: d.Alloc, seen: map[pdf.Ref]bool{}, flater: getFastFlater()}
	defer c.release()
	font, err := c.next()
	if err != nil {
		return nil, "", nil, err
	}
	if err := putFont(c, prepared, sub, font); err != nil {
		return nil, "", nil, err
	}
	if c.err != nil {
		return nil, "", nil, c.err
	}
	return b.Bytes(), fmt.Sprintf("<< /Font << /F1 %v >> >>", font), c.objs, nil
}

// Drawing is the document an appearance is drawn for, as internal/pdf
// gives it to an appearance's Draw (*pdf.Drawing): new object numbers, and
// its objects to read and compare.
type Drawing interface {
	Alloc() (pdf.Ref, error)
	// Page is the page the appearance goes on.
	Page() pdf.Ref
	Resolve(o pdf.Object) (pdf.Object, error)
	// Holds reports whether object ref is exactly body as written.
	Holds(ref pdf.Ref, body []byte) bool
}

var _ Drawing = (*pdf.Drawing)(nil)

// collector gathers the objects of SignaturePage and AppearanceText for
// the caller.
type collector struct {
	fn   func() (pdf.Ref, error)
	seen map[pdf.Ref]bool
	objs []pdf.RawObject
	err  error
	*flater
}

// next allocates through the caller, refusing numbers that cannot be new
// objects.
func (c *collector) next() (pdf.Ref, error) {
	r, err := c.fn()
	if err != nil {
		return r, fmt.Errorf("pdfa: allocate object: %w", err)
	}
	if r.Num <= 0 || r.Gen < 0 || c.seen[r] {
		return r, fmt.Errorf("pdfa: alloc returned %v, not a new object number", r)
	}
	c.seen[r] = true
	return r, nil
}

// alloc is next for writeFont, which has no error path for it: the error
// is kept and reported at the end.
func (c *collector) alloc() pdf.Ref {
	r, err := c.next()
	if err != nil && c.err == nil {
		c.err = err
	}
	return r
}

func (c *collector) put(ref pdf.Ref, body []byte) error {
	if c.err != nil {
		return c.err
	}
	c.objs = append(c.objs, pdf.RawObject{Ref: ref, Body: slices.Clone(body)})
	return nil
}

func (c *collector) putStream(ref pdf.Ref, dict string, data []byte) error {
	return c.encodeAndPut(ref, dict, data, c.encode)
}

// putProgram writes a font program (objects.putProgram).
func (c *collector) putProgram(ref pdf.Ref, dict string, data []byte) error {
	return c.encodeAndPut(ref, dict, data, c.encodeProgram)
}

// encodeAndPut writes ref as a stream of data, encoded by encode.
func (c *collector) encodeAndPut(ref pdf.Ref, dict string, data []byte, encode func([]byte) ([]byte, bool, error)) error {
	if c.err != nil {
		return c.err
	}
	z, filtered, err := encode(data)
	if err != nil {
		return err
	}
	return c.putEncoded(ref, dict, z, filtered)
}

// putEncoded writes ref as a stream whose data z is already encoded.
func (c *collector) putEncoded(ref pdf.Ref, dict string, z []byte, filtered bool) error {
	if c.err != nil {
		return c.err
	}
	b := streamHeader(make([]byte, 0, len(z)+len(dict)+64), dict, filtered, len(z))
	b = append(b, z...)
	c.objs = append(c.objs, pdf.RawObject{Ref: ref, Body: append(b, "\nendstream"...)})
	return nil
}

package pdfa

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/segl/segl/internal/pdf"
)

// Signer is one entry of the signature page. The strings are shown as
// given (control characters become spaces; each is cut at 1000
// characters), so the caller decides what the job allows to show.
type Signer struct {
	// Name identifies the signer as the job allows: a name, a birth date
	// and name, or a national identity number.
	Name string
	// OnBehalfOf names the organisation signed for, for example
	// "Eksempel AS (912 345 678)"; empty when signing for oneself.
	OnBehalfOf string
	// Method says how the signer was identified and signed, for example
	// "BankID, nivå høyt / level high". Optional.
	Method string
	// SignedAt is shown to the second, in the time's own location.
	SignedAt time.Time
}

// Signatures is what the signature page shows.
type Signatures struct {
	// Document is the title of the signed document.
	Document string
	// Signers in the order they signed; at least one, each with a Name
	// and a SignedAt.
	Signers []Signer
}

// Object is one new indirect object (ISO 32000-1 7.3.10) for an
// incremental update.
type Object struct {
	Ref pdf.Ref
	// Body is the object as written between "N G obj" and "endobj": a
	// dictionary, or a stream with an exact /Length and FlateDecode data.
	Body []byte
}

// WriteTo writes the object as an indirect object, "N G obj", end of
// line, body, end of line, "endobj", end of line: the layout ISO 19005-3
// 6.1.8 requires. The writer records the offset before calling it, for
// the cross-reference section.
func (o Object) WriteTo(w io.Writer) (int64, error) {
	n, err := fmt.Fprintf(w, "%d %d obj\n%s\nendobj\n", o.Ref.Num, o.Ref.Gen, o.Body)
	return int64(n), err
}

// PageObjects are the objects of the signature page(s) produced by
// SignaturePage.
type PageObjects struct {
	// Pages are the new page objects (ISO 32000-1 7.7.3.3) in order, all
	// with the /Parent given to SignaturePage. Usually one; a long list
	// of signers continues on further pages.
	Pages []pdf.Ref
	// Objects are all new objects, the pages included: the pages, their
	// content streams, and one embedded font subset with its descendant
	// font, descriptor, font program, /ToUnicode and /CIDToGIDMap.
	Objects []Object
}

// SignaturePage lays out the page "Signaturer / Signatures" that lists a
// document's signers, for the signing code to append to a document in an
// incremental update (ISO 32000-1 7.5.6). It does no I/O: it returns the
// new objects, numbered by alloc, and the caller writes them.
//
// To add the page, the caller (the PDF writer) allocates object numbers
// from the document's trailer /Size upwards through alloc (the shape of
// the update writer's allocator in internal/pdf), picks the page
// tree node to hang the pages from as parent (for documents from
// RenderText, the root /Pages), and in the update:
//
//  1. writes every Object with [Object.WriteTo], noting its offset;
//  2. writes a new version of parent whose /Kids ends with Pages and whose
//     /Count, and the /Count of each ancestor (also rewritten), grows by
//     len(Pages) (7.7.3.2);
//  3. writes the cross-reference section and a trailer with /Prev, the
//     new /Size and the unchanged /Root, /Info and /ID first element.
//
// The page stays PDF/A-3b (ISO 19005-3) when the document is: its font
// is a new subset of DejaVu Sans, embedded like RenderText's (6.2.11), with
// its own name, since the objects of the signed revision cannot change;
// its text is in DeviceGray under the document's output intent; it adds no
// annotation, action, or transparency. If the update changes /ModDate in
// the information dictionary, it must change xmp:ModifyDate in a new
// metadata stream to match (6.6.2.3).
//
// The page has its own footer, "Signaturside N av M / Signature page N of
// M", and does not continue the document's page numbering: the pages of a
// text document rendered by RenderText say "Side N av M" for the
// document alone, and stay valid as signature pages are added.
func SignaturePage(s Signatures, parent pdf.Ref, alloc func() (pdf.Ref, error)) (PageObjects, error) {
	if len(s.Signers) == 0 {
		return PageObjects{}, errors.New("pdfa: signature page without signers")
	}
	for i, sg := range s.Signers {
		if sg.Name == "" || sg.SignedAt.IsZero() {
			return PageObjects{}, fmt.Errorf("pdfa: signer %d has no name or no signing time", i+1)
		}
	}
	if parent.Num <= 0 {
		return PageObjects{}, fmt.Errorf("pdfa: signature page parent %v is not an object", parent)
	}
	sub, err := newSubset()
	if err != nil {
		return PageObjects{}, err
	}
	c := &collector{fn: alloc, seen: map[pdf.Ref]bool{}, flater: getFlater()}
	defer c.release()
	font, err := c.next()
	if err != nil {
		return PageObjects{}, err
	}
	l := &sheet{sub: sub}
	l.newPage()
	if err := l.para("Signaturer / Signatures", 16, 20, 0); err != nil {
		return PageObjects{}, err
	}
	l.skip(6)
	if s.Document != "" {
		if err := l.para("Dokument / Document: "+cleanString(s.Document), bodySize, bodyLeading, 0); err != nil {
			return PageObjects{}, err
		}
		l.skip(4)
	}
	for _, t := range []string{
		"Dokumentet er signert elektronisk. Signaturene og bevisene for dem er lagt inn i denne PDF-filen.",
		"The document was signed electronically. The signatures and their evidence are embedded in this PDF file.",
	} {
		if err := l.para(t, bodySize, bodyLeading, 0); err != nil {
			return PageObjects{}, err
		}
	}
	for i, sg := range s.Signers {
		l.skip(bodyLeading)
		if l.y-4*bodyLeading < bodyBottom { // keep a signer's lines together
			l.newPage()
		}
		if err := l.para(strconv.Itoa(i+1)+". "+cleanString(sg.Name), 11, 15, 0); err != nil {
			return PageObjects{}, err
		}
		fields := []string{"Signert / Signed: " + sg.SignedAt.Truncate(time.Second).Format("2006-01-02 15:04:05 MST")}
		if sg.OnBehalfOf != "" {
			fields = append(fields, "På vegne av / On behalf of: "+cleanString(sg.OnBehalfOf))
		}
		if sg.Method != "" {
			fields = append(fields, "Metode / Method: "+cleanString(sg.Method))
		}
		for _, f := range fields {
			if err := l.para(f, bodySize, bodyLeading, 14); err != nil {
				return PageObjects{}, err
			}
		}
	}

	l.pages = append(l.pages, l.cur.Bytes())
	var out PageObjects
	total := strconv.Itoa(len(l.pages))
	for i, content := range l.pages {
		n := strconv.Itoa(i + 1)
		cb := bytes.NewBuffer(content)
		if _, err := centred(cb, sub, "Signaturside "+n+" av "+total+" / Signature page "+n+" of "+total, footerSize, footerBase, nil); err != nil {
			return PageObjects{}, err
		}
		page, err := c.next()
		if err != nil {
			return PageObjects{}, err
		}
		cref, err := c.next()
		if err != nil {
			return PageObjects{}, err
		}
		if err := c.putStream(cref, "", cb.Bytes()); err != nil {
			return PageObjects{}, err
		}
		if err := c.put(page, fmt.Appendf(nil,
			"<< /Type /Page /Parent %v /MediaBox %s\n/Resources << /Font << /F1 %v >> >>\n/Contents %v >>",
			parent, mediaBox, font, cref)); err != nil {
			return PageObjects{}, err
		}
		out.Pages = append(out.Pages, page)
	}
	if err := writeFont(c, sub, font); err != nil {
		return PageObjects{}, err
	}
	if c.err != nil {
		return PageObjects{}, c.err
	}
	out.Objects = c.objs
	return out, nil
}

// sheet lays out the signature page(s): paragraphs at a running baseline,
// each line its own text object, a new page when the body is full.
type sheet struct {
	sub   *subset
	pages [][]byte
	cur   *bytes.Buffer
	y     float64 // the top of the next line
}

func (l *sheet) newPage() {
	if l.cur != nil {
		l.pages = append(l.pages, l.cur.Bytes())
	}
	l.cur = &bytes.Buffer{}
	l.y = pageHeight - margin
}

func (l *sheet) skip(dy float64) { l.y -= dy }

// para lays out s at size with the given leading, indented by indent
// points, breaking lines as RenderText does.
func (l *sheet) para(s string, size, leading, indent float64) error {
	ascent := size * float64(l.sub.f.ascent) / float64(l.sub.f.unitsPerEm)
	b := newBreaker(l.sub, size, textWidth-indent, func(line []glyph) error {
		if l.y-ascent < bodyBottom {
			l.newPage()
		}
		beginText(l.cur, size, leading, margin+indent, l.y-ascent)
		showText(l.cur, line)
		l.cur.WriteString("ET\n")
		l.y -= leading
		return nil
	})
	for _, r := range s {
		if err := b.add(r); err != nil {
			return err
		}
	}
	return b.newline()
}

// collector gathers the objects of SignaturePage for the caller.
type collector struct {
	fn   func() (pdf.Ref, error)
	seen map[pdf.Ref]bool
	objs []Object
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
	c.objs = append(c.objs, Object{Ref: ref, Body: slices.Clone(body)})
	return nil
}

func (c *collector) putStream(ref pdf.Ref, dict string, data []byte) error {
	if c.err != nil {
		return c.err
	}
	z, filtered, err := c.encode(data)
	if err != nil {
		return err
	}
	b := streamHeader(make([]byte, 0, len(z)+len(dict)+64), dict, filtered, len(z))
	b = append(b, z...)
	c.objs = append(c.objs, Object{Ref: ref, Body: append(b, "\nendstream"...)})
	return nil
}

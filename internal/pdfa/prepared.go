package pdfa

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/segl/segl/internal/pdf"
)

// preparedFont is a subset made once for a repertoire of characters
// (Meta.Repertoire), with its font objects' streams encoded at zlib's
// default level, for documents made again and again from much the same
// characters: each signer's receipt built the same subset of DejaVu Sans
// from scratch, a sixth of the cost of rendering it.
type preparedFont struct {
	sub    *subset // never changed: documents use copies (subset.shared)
	name   string  // /BaseFont
	widths string  // /W
	// The streams' data, deflated where it was worth it (flater.encode),
	// and the font program's length before deflating.
	program, toUnicode, cidSet, cidMap encodedStream
	length1                            int
}

type encodedStream struct {
	data     []byte
	filtered bool
}

// maxPreparedFonts bounds the repertoires kept. segl asks for two per
// language (the receipt's; the signature page's, which its slots share)
// and has three languages; the bound leaves room for three times as many.
// Beyond it a document gets a subset of its own, as without a repertoire:
// correct, but slower.
const maxPreparedFonts = 18

var preparedFonts struct {
	sync.Mutex
	byRepertoire map[string]*preparedFont
}

// prepareFont returns the prepared font of repertoire, making it on first
// use; nil, and no error, when maxPreparedFonts are kept already.
func prepareFont(repertoire string) (*preparedFont, error) {
	preparedFonts.Lock()
	defer preparedFonts.Unlock()
	if p, ok := preparedFonts.byRepertoire[repertoire]; ok {
		return p, nil
	}
	if len(preparedFonts.byRepertoire) >= maxPreparedFonts {
		return nil, nil
	}
	sub, err := newSubset()
	if err != nil {
		return nil, err
	}
	// The stand-in for characters the font lacks first, so that such a
	// character needs no subset of its own.
	if _, _, err := sub.lookup(sub.missing); err != nil {
		return nil, err
	}
	for _, r := range repertoire {
		if _, _, err := sub.lookup(r); err != nil {
			return nil, err
		}
	}
	prog, err := sub.fontProgram()
	if err != nil {
		return nil, err
	}
	p := &preparedFont{sub: sub, name: "/" + sub.tag() + "+" + postScriptName, widths: sub.widthsArray(), length1: len(prog)}
	f := getFlater()
	defer f.release()
	for _, s := range []struct {
		dst  *encodedStream
		data []byte
	}{{&p.program, prog}, {&p.toUnicode, sub.toUnicode()}, {&p.cidSet, sub.cidSet()}, {&p.cidMap, sub.cidToGIDMap()}} {
		z, filtered, err := f.encode(s.data)
		if err != nil {
			return nil, err
		}
		*s.dst = encodedStream{data: bytes.Clone(z), filtered: filtered}
	}
	if preparedFonts.byRepertoire == nil {
		preparedFonts.byRepertoire = map[string]*preparedFont{}
	}
	preparedFonts.byRepertoire[repertoire] = p
	return p, nil
}

// subset returns a subset for one document that starts as p's and copies
// it before it adds a character p lacks.
func (p *preparedFont) subset() *subset {
	s := *p.sub
	s.shared = true
	return &s
}

// write writes p as writeFont would write its subset, with the streams
// encoded once.
func (p *preparedFont) write(w objects, type0 pdf.Ref) error {
	return writeFontObjects(w, p.sub.f, p.name, p.widths, type0, func(file, toUni, cidSet, cidMap pdf.Ref) error {
		if err := w.putEncoded(file, fmt.Sprintf("/Length1 %d", p.length1), p.program.data, p.program.filtered); err != nil {
			return err
		}
		for _, s := range []struct {
			ref pdf.Ref
			enc encodedStream
		}{{toUni, p.toUnicode}, {cidSet, p.cidSet}, {cidMap, p.cidMap}} {
			if err := w.putEncoded(s.ref, "", s.enc.data, s.enc.filtered); err != nil {
				return err
			}
		}
		return nil
	})
}

// fontFor returns the subset a document starts with: the prepared font of
// repertoire's, or a new one when repertoire is empty or no more prepared
// fonts are kept (prepared nil).
func fontFor(repertoire string) (prepared *preparedFont, sub *subset, err error) {
	if repertoire != "" {
		if prepared, err = prepareFont(repertoire); err != nil {
			return nil, nil, err
		}
	}
	if prepared != nil {
		return prepared, prepared.subset(), nil
	}
	sub, err = newSubset()
	return nil, sub, err
}

// putFont writes the font of sub as type0: prepared's objects as they are
// when sub has no character beyond them, else sub's own (writeFont).
func putFont(o objects, prepared *preparedFont, sub *subset, type0 pdf.Ref) error {
	if prepared != nil && sub.shared {
		return prepared.write(o, type0)
	}
	return writeFont(o, sub, type0)
}

// maxHeldCandidates bounds the fonts heldBy looks at: the page's and
// those of the appearances on it (a signature page holds a few slots).
const maxHeldCandidates = 32

// heldBy returns a Type 0 font of the document that d draws on whose
// objects are p's as write writes them, byte for byte: the page's own
// font (SignaturePage with p's repertoire) or an earlier appearance's on
// the page (AppearanceText). Only fonts named as p is (/BaseFont, whose
// tag is a digest of the subset's characters in CID order) are compared,
// each of their seven objects, so that a font made otherwise (another
// version of segl, another repertoire) is never taken for p.
func (p *preparedFont) heldBy(d Drawing) (pdf.Ref, bool) {
	for _, ref := range fontsOnPage(d) {
		if p.writtenAs(d, ref) {
			return ref, true
		}
	}
	return pdf.Ref{}, false
}

// fontsOnPage lists the fonts that the page d draws on names in its
// resources and in the resources of its annotations' normal appearances,
// in that order, at most maxHeldCandidates; what cannot be read is passed
// over.
func fontsOnPage(d Drawing) []pdf.Ref {
	var refs []pdf.Ref
	dict := func(o pdf.Object) pdf.Dict {
		v, err := d.Resolve(o)
		if err != nil {
			return nil
		}
		switch v := v.(type) {
		case pdf.Dict:
			return v
		case pdf.Stream:
			return v.Dict
		}
		return nil
	}
	addFonts := func(resources pdf.Object) {
		for _, f := range dict(dict(resources)["Font"]) {
			if ref, ok := f.(pdf.Ref); ok && len(refs) < maxHeldCandidates {
				refs = append(refs, ref)
			}
		}
	}
	page := dict(d.Page())
	addFonts(page["Resources"])
	annots, _ := d.Resolve(page["Annots"])
	list, _ := annots.(pdf.Array)
	for _, a := range list {
		if len(refs) >= maxHeldCandidates {
			break
		}
		addFonts(dict(dict(dict(a)["AP"])["N"])["Resources"])
	}
	return refs
}

// writtenAs reports whether the document holds p's objects with the Type 0
// font type0, its descendants numbered from its CIDFontType2 on, as
// writeFontObjects allocates them.
func (p *preparedFont) writtenAs(d Drawing, type0 pdf.Ref) bool {
	o, err := d.Resolve(type0)
	if err != nil {
		return false
	}
	font, _ := o.(pdf.Dict)
	descendants, _ := font["DescendantFonts"].(pdf.Array)
	if name, _ := font["BaseFont"].(pdf.Name); "/"+string(name) != p.name || len(descendants) != 1 {
		return false
	}
	next, ok := descendants[0].(pdf.Ref)
	if !ok {
		return false
	}
	c := &collector{seen: map[pdf.Ref]bool{type0: true}, fn: func() (pdf.Ref, error) {
		ref := next
		next.Num++
		return ref, nil
	}}
	if err := p.write(c, type0); err != nil || c.err != nil {
		return false
	}
	for _, obj := range c.objs {
		if !d.Holds(obj.Ref, obj.Body) {
			return false
		}
	}
	return true
}

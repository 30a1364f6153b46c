package pdf

import (
	"bytes"
	"fmt"
	"io"
	"sort"
)

// ChangeKind classifies one difference between two revisions of a
// document, so a validator can decide which changes after a signature are
// harmless (ISO 32000-1 §12.8.2.2 DocMDP; EN 319 142-1 §5.4: only signatures,
// the DSS and document time-stamps may follow a PAdES signature).
type ChangeKind string

const (
	ChangePages      ChangeKind = "pages"      // pages added, removed or reordered
	ChangeContent    ChangeKind = "content"    // what a page shows: contents, resources, boxes, rotation
	ChangeAnnotation ChangeKind = "annotation" // an annotation that is not a signature widget
	ChangeSignature  ChangeKind = "signature"  // a new signature field (checked on its own)
	ChangeCatalog    ChangeKind = "catalog"    // a document-level entry signing never touches (actions, outlines, JavaScript …)
	ChangeSecurity   ChangeKind = "dss"        // the document security store (harmless)
	ChangeAttachment ChangeKind = "attachment" // embedded files (segl adds each signer's evidence)
	ChangeForm       ChangeKind = "form"       // the interactive form dictionary
	ChangeMetadata   ChangeKind = "metadata"   // the XMP metadata stream or the document information dictionary
)

// Change is one difference found by Changes.
type Change struct {
	Kind   ChangeKind
	Detail string
	// Signed marks a change made only by signed signature fields joining
	// the document, whose signatures a validator checks on their own: a
	// ChangeSignature of a signed field, a ChangeForm of /Fields gaining
	// signed fields (and /SigFlags). A certification with /P 1 permits no
	// other (ISO 32000-2 §12.8.2.2: only document time-stamps and the DSS).
	Signed bool
}

// catalogKeysSigningTouches are the catalog entries that adding a signature,
// evidence, a DSS or a document time-stamp may change; each is looked at more
// closely below or is harmless.
var catalogKeysSigningTouches = map[Name]bool{"AcroForm": true, "DSS": true, "Names": true, "AF": true,
	"Extensions": true, "Version": true, "Perms": false}

// Changes compares an earlier revision of a document (old, opened on the
// file's prefix up to that revision's end) with a later one (cur) and lists
// what differs in what a reader sees: pages, their content and annotations,
// and the catalog. Work is bounded like every other walk of this package.
func Changes(old, cur *Reader) ([]Change, error) {
	c := &comparer{old: old, cur: cur, budget: maxVisit}
	var err error
	if c.oldSigned, err = old.signedWidgets(); err != nil {
		return nil, err
	}
	if c.curSigned, err = cur.signedWidgets(); err != nil {
		return nil, err
	}
	oldCat, err := old.catalogDict()
	if err != nil {
		return nil, err
	}
	curCat, err := cur.catalogDict()
	if err != nil {
		return nil, err
	}
	var out []Change
	keys := unionKeys(oldCat, curCat)
	for _, k := range keys {
		if k == "Pages" {
			continue
		}
		same, err := c.equal(oldCat[k], curCat[k], 0)
		if err != nil {
			return nil, err
		}
		if same {
			continue
		}
		switch k {
		case "DSS":
			out = append(out, Change{Kind: ChangeSecurity, Detail: "document security store"})
		case "AF":
			out = append(out, Change{Kind: ChangeAttachment, Detail: "associated files"})
		case "Metadata":
			out = append(out, Change{Kind: ChangeMetadata, Detail: "XMP metadata"})
		case "AcroForm":
			more, err := c.form(oldCat[k], curCat[k])
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		case "Names":
			more, err := c.names(oldCat[k], curCat[k])
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		default:
			if !catalogKeysSigningTouches[k] {
				out = append(out, Change{Kind: ChangeCatalog, Detail: fmt.Sprintf("catalog /%s changed", k)})
			}
		}
	}
	// The document information dictionary hangs from the trailer, not the
	// catalog, and describes the file as the XMP metadata does (ISO 32000-2
	// §14.3.3, which deprecates all of it but the dates): a change to it is
	// reported like one to the metadata.
	same, err := c.equal(old.Trailer()["Info"], cur.Trailer()["Info"], 0)
	if err != nil {
		return nil, err
	}
	if !same {
		out = append(out, Change{Kind: ChangeMetadata, Detail: "document information dictionary"})
	}
	oldPages, err := old.pages()
	if err != nil {
		return nil, err
	}
	curPages, err := cur.pages()
	if err != nil {
		return nil, err
	}
	if len(oldPages) != len(curPages) {
		out = append(out, Change{Kind: ChangePages, Detail: fmt.Sprintf("%d pages became %d", len(oldPages), len(curPages))})
	}
	for i := range min(len(oldPages), len(curPages)) {
		more, err := c.page(i, oldPages[i], curPages[i])
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// form compares the interactive form dictionary (ISO 32000-1 §12.7.2).
// Signing adds its field to /Fields and sets /SigFlags, and a signer's
// software may set the form up for fields it draws: Acrobat and PDFBox add
// /DA and /DR (Helv, ZaDb), PDFBox drops /NeedAppearances. These are form
// changes, judged with the pages' widgets. What changes how the signed
// revision's fields are drawn, or what runs, is a change of content: an XFA
// form (drawn instead of the pages by viewers that render XFA),
// /NeedAppearances true (fields drawn anew from their values instead of
// their signed appearances), /CO (the fields' calculation scripts run), and
// a /DA, /Q or /DR entry the signed revision had, changed or removed (a
// field without an appearance is drawn with them, §12.7.3.3). Any other
// entry changing is content too.
func (c *comparer) form(oldForm, curForm Object) ([]Change, error) {
	o, err := c.old.Resolve(oldForm)
	if err != nil {
		return nil, err
	}
	n, err := c.cur.Resolve(curForm)
	if err != nil {
		return nil, err
	}
	od, _ := o.(Dict)
	nd, _ := n.(Dict)
	signed, err := c.signedFieldsJoined(od["Fields"], nd["Fields"])
	if err != nil {
		return nil, err
	}
	out := []Change{{Kind: ChangeForm, Detail: "interactive form", Signed: signed}}
	for _, k := range unionKeys(od, nd) {
		if k == "Fields" || k == "SigFlags" {
			continue
		}
		same, err := c.equal(od[k], nd[k], 0)
		if err != nil {
			return nil, err
		}
		if same {
			continue
		}
		_, had := od[k]
		setUp := false
		switch k {
		case "NeedAppearances":
			v, err := c.cur.Resolve(nd[k])
			if err != nil {
				return nil, err
			}
			setUp = v != Bool(true)
		case "DA", "Q":
			setUp = !had
		case "DR":
			if setUp, err = c.resourcesKept(od[k], nd[k]); err != nil {
				return nil, err
			}
		}
		if setUp {
			out = append(out, Change{Kind: ChangeForm, Detail: fmt.Sprintf("interactive form /%s set up", k)})
		} else {
			out = append(out, Change{Kind: ChangeContent, Detail: fmt.Sprintf("interactive form /%s changed", k)})
		}
	}
	return out, nil
}

// signedFieldsJoined reports whether the form's fields are the signed
// revision's, unchanged and in their order, with only signed signature
// fields between or after them.
func (c *comparer) signedFieldsJoined(oldFields, curFields Object) (bool, error) {
	o, err := c.old.Resolve(oldFields)
	if err != nil {
		return false, err
	}
	n, err := c.cur.Resolve(curFields)
	if err != nil {
		return false, err
	}
	oa, _ := o.(Array)
	na, ok := n.(Array)
	if !ok {
		return false, nil
	}
	kept := 0
	for _, f := range na {
		if kept < len(oa) {
			same, err := c.equal(oa[kept], f, 0)
			if err != nil {
				return false, err
			}
			if same {
				kept++
				continue
			}
		}
		if ref, ok := f.(Ref); !ok || !c.curSigned[ref] {
			return false, nil
		}
	}
	return kept == len(oa), nil
}

// resourcesKept reports whether every entry of the signed revision's
// resource dictionary (each font, XObject … of each category) is still
// there unchanged: new entries and categories only serve fields that had
// none.
func (c *comparer) resourcesKept(oldRes, curRes Object) (bool, error) {
	o, err := c.old.Resolve(oldRes)
	if err != nil {
		return false, err
	}
	n, err := c.cur.Resolve(curRes)
	if err != nil {
		return false, err
	}
	od, oldIsDict := o.(Dict)
	nd, _ := n.(Dict)
	if _, none := o.(Null); !none && !oldIsDict {
		return false, nil
	}
	for _, cat := range unionKeys(od, nil) {
		oc, err := c.old.Resolve(od[cat])
		if err != nil {
			return false, err
		}
		ocd, ok := oc.(Dict)
		if !ok { // /ProcSet, or not a dictionary: kept only as it was
			same, err := c.equal(od[cat], nd[cat], 0)
			if !same || err != nil {
				return false, err
			}
			continue
		}
		nc, err := c.cur.Resolve(nd[cat])
		if err != nil {
			return false, err
		}
		ncd, _ := nc.(Dict)
		for _, name := range unionKeys(ocd, nil) {
			same, err := c.equal(ocd[name], ncd[name], 0)
			if !same || err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// names compares the catalog's name dictionary: new embedded files are
// attachments; any other name tree (JavaScript!) changing is a catalog change.
func (c *comparer) names(oldNames, curNames Object) ([]Change, error) {
	o, err := c.old.Resolve(oldNames)
	if err != nil {
		return nil, err
	}
	n, err := c.cur.Resolve(curNames)
	if err != nil {
		return nil, err
	}
	od, _ := o.(Dict)
	nd, _ := n.(Dict)
	var out []Change
	for _, k := range unionKeys(od, nd) {
		same, err := c.equal(od[k], nd[k], 0)
		if err != nil {
			return nil, err
		}
		switch {
		case same:
		case k == "EmbeddedFiles":
			out = append(out, Change{Kind: ChangeAttachment, Detail: "embedded files"})
		default:
			out = append(out, Change{Kind: ChangeCatalog, Detail: fmt.Sprintf("name tree /%s changed", k)})
		}
	}
	return out, nil
}

// page compares one page: everything but /Annots must be equal; annotations
// are compared one by one.
func (c *comparer) page(i int, o, n Dict) ([]Change, error) {
	var out []Change
	for _, k := range unionKeys(o, n) {
		if k == "Annots" || k == "Parent" {
			continue
		}
		same, err := c.equal(o[k], n[k], 0)
		if err != nil {
			return nil, err
		}
		if !same {
			out = append(out, Change{Kind: ChangeContent, Detail: fmt.Sprintf("page %d: /%s changed", i+1, k)})
		}
	}
	oldAnnots, err := c.annots(c.old, o["Annots"])
	if err != nil {
		return nil, err
	}
	curAnnots, err := c.annots(c.cur, n["Annots"])
	if err != nil {
		return nil, err
	}
	for ref, a := range curAnnots {
		prev, existed := oldAnnots[ref]
		if existed {
			// /P points back to the page, which changes whenever an
			// annotation joins it.
			same, err := c.equal(without(prev, "P"), without(a, "P"), 0)
			if err != nil {
				return nil, err
			}
			if !same && isSignatureWidget(c.old, prev) && !c.oldSigned[ref] && c.curSigned[ref] {
				// An empty signature field gets its /V and appearance when
				// signed (that signature is validated on its own), in the
				// rectangle it had: grown, it could cover the page.
				if same, err = c.equal(prev["Rect"], a["Rect"], 0); err != nil {
					return nil, err
				}
			}
			if !same {
				out = append(out, Change{Kind: ChangeAnnotation, Detail: fmt.Sprintf("page %d: annotation %v changed", i+1, ref)})
			}
			continue
		}
		switch {
		case !isSignatureWidget(c.cur, a):
			out = append(out, Change{Kind: ChangeAnnotation, Detail: fmt.Sprintf("page %d: annotation added", i+1)})
		case c.curSigned[ref]:
			out = append(out, Change{Kind: ChangeSignature, Detail: fmt.Sprintf("page %d: signature field added", i+1), Signed: true})
		case invisible(c.cur, a):
			out = append(out, Change{Kind: ChangeSignature, Detail: fmt.Sprintf("page %d: unsigned signature field %v added", i+1, ref)})
		default:
			// The Sneaky Signature Attack's overlay: an unsigned field
			// draws whatever its appearance holds, and no signature
			// vouches for it.
			out = append(out, Change{Kind: ChangeAnnotation, Detail: fmt.Sprintf("page %d: unsigned signature field %v added with an appearance", i+1, ref)})
		}
	}
	for ref := range oldAnnots {
		if _, ok := curAnnots[ref]; !ok {
			out = append(out, Change{Kind: ChangeAnnotation, Detail: fmt.Sprintf("page %d: annotation %v removed", i+1, ref)})
		}
	}
	return out, nil
}

// annots returns a page's annotations keyed by reference (direct
// annotations are keyed by position, with a negative number).
func (c *comparer) annots(r *Reader, o Object) (map[Ref]Dict, error) {
	arr, err := r.Resolve(o)
	if err != nil {
		return nil, err
	}
	list, _ := arr.(Array)
	out := map[Ref]Dict{}
	for i, item := range list {
		if c.budget--; c.budget < 0 {
			return nil, malformed("too many annotations")
		}
		key, ok := item.(Ref)
		if !ok {
			key = Ref{Num: -1 - i}
		}
		d, err := r.Resolve(item)
		if err != nil {
			return nil, err
		}
		if dict, ok := d.(Dict); ok {
			out[key] = dict
		}
	}
	return out, nil
}

// isSignatureWidget reports whether an annotation is the widget of a
// signature field: /FT /Sig on it or on its parent field.
func isSignatureWidget(r *Reader, a Dict) bool {
	if a["Subtype"] != Name("Widget") {
		return false
	}
	for field, depth := a, 0; field != nil && depth < 8; depth++ {
		if field["FT"] == Name("Sig") {
			return true
		}
		p, err := r.Resolve(field["Parent"])
		if err != nil {
			return false
		}
		field, _ = p.(Dict)
	}
	return false
}

// without returns d without key k, copied only when it has k.
func without(d Dict, k Name) Dict {
	if _, ok := d[k]; !ok {
		return d
	}
	d = cloneDict(d)
	delete(d, k)
	return d
}

// invisible reports whether an annotation shows nothing: the Hidden or
// NoView flag, a rectangle without area (ISO 32000-1 §12.5.3), or no
// appearance that draws anything (§12.5.5), as a signature field left
// empty for the next signer has.
func invisible(r *Reader, a Dict) bool {
	const hidden, noView = 1 << 1, 1 << 5
	if f, ok := intValue(a["F"]); ok && f&(hidden|noView) != 0 {
		return true
	}
	return zeroArea(r, a["Rect"]) || drawsNothing(r, a["AP"])
}

// zeroArea reports whether o is a rectangle without area.
func zeroArea(r *Reader, o Object) bool {
	o, err := r.Resolve(o)
	if err != nil {
		return false
	}
	rect, _ := o.(Array)
	if len(rect) != 4 {
		return false
	}
	var v [4]float64
	for i, e := range rect {
		e, err := r.Resolve(e)
		if err != nil {
			return false
		}
		switch n := e.(type) {
		case Int:
			v[i] = float64(n)
		case Real:
			v[i] = float64(n)
		default:
			return false
		}
	}
	return v[0] == v[2] || v[1] == v[3]
}

// drawsNothing reports whether an appearance dictionary draws nothing in
// any of its appearances: normal, rollover (shown under the pointer) and
// down (§12.5.5). Each is absent, or a form XObject without content or
// with a bounding box without area, or a dictionary of a few such states.
func drawsNothing(r *Reader, ap Object) bool {
	const maxStates = 8
	o, err := r.Resolve(ap)
	if err != nil {
		return false
	}
	if _, none := o.(Null); none {
		return true
	}
	d, ok := o.(Dict)
	if !ok {
		return false
	}
	for _, k := range []Name{"N", "R", "D"} {
		o, err := r.Resolve(d[k])
		if err != nil {
			return false
		}
		switch x := o.(type) {
		case Null:
		case Stream:
			if !emptyForm(r, x) {
				return false
			}
		case Dict:
			if len(x) > maxStates {
				return false
			}
			for _, state := range x {
				o, err := r.Resolve(state)
				s, ok := o.(Stream)
				if err != nil || !ok || !emptyForm(r, s) {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// emptyForm reports whether a form XObject paints nothing: its bounding
// box has no area, or its content is only white space.
func emptyForm(r *Reader, s Stream) bool {
	const maxRead = 4 << 10
	if zeroArea(r, s.Dict["BBox"]) {
		return true
	}
	dec, err := r.StreamReader(s)
	if err != nil {
		return false
	}
	data, err := io.ReadAll(io.LimitReader(dec, maxRead+1))
	if err != nil || len(data) > maxRead {
		return false
	}
	return len(bytes.Trim(data, "\x00\t\n\f\r ")) == 0
}

// signedWidgets returns the objects of the signed signature fields of the
// form, and of their kids (the widgets): the fields Signatures lists, whose
// signatures a validator checks.
func (r *Reader) signedWidgets() (map[Ref]bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fields, err := r.formFields()
	if err != nil {
		return nil, err
	}
	signed := map[Ref]bool{}
	err = r.walkFields(fields, func(f formField) error {
		if f.ft != "Sig" || f.ref.Num <= 0 {
			return nil
		}
		if !f.named && signed[f.parent] {
			signed[f.ref] = true // a widget under a signed field
			return nil
		}
		if v, ok := f.dict["V"]; ok && (f.named || f.topLvl) {
			vo, err := r.resolve(v)
			if err != nil {
				return err
			}
			if _, ok := vo.(Dict); ok {
				signed[f.ref] = true
			}
		}
		return nil
	})
	return signed, err
}

// comparer compares objects of two revisions deeply, resolving references
// on each side, within a shared work budget.
type comparer struct {
	old, cur *Reader
	budget   int
	// oldSigned and curSigned are each revision's signed signature
	// fields and widgets (signedWidgets).
	oldSigned, curSigned map[Ref]bool
}

const maxCompareDepth = 64

func (c *comparer) equal(a, b Object, depth int) (bool, error) {
	if c.budget--; c.budget < 0 || depth > maxCompareDepth {
		return false, malformed("objects too large or deep to compare")
	}
	ra, aIsRef := a.(Ref)
	rb, bIsRef := b.(Ref)
	if aIsRef || bIsRef {
		if aIsRef && bIsRef && ra == rb && c.unchanged(ra) {
			return true, nil // same object, not redefined since: equal by construction
		}
		var err error
		if a, err = c.old.Resolve(a); err != nil {
			return false, err
		}
		if b, err = c.cur.Resolve(b); err != nil {
			return false, err
		}
	}
	switch x := a.(type) {
	case nil:
		return b == nil, nil
	case Dict:
		y, ok := b.(Dict)
		if !ok || len(x) != len(y) {
			return false, nil
		}
		for k, v := range x {
			if same, err := c.equal(v, y[k], depth+1); !same || err != nil {
				return false, err
			}
		}
		return true, nil
	case Array:
		y, ok := b.(Array)
		if !ok || len(x) != len(y) {
			return false, nil
		}
		for i := range x {
			if same, err := c.equal(x[i], y[i], depth+1); !same || err != nil {
				return false, err
			}
		}
		return true, nil
	case Stream:
		y, ok := b.(Stream)
		if !ok {
			return false, nil
		}
		if same, err := c.equal(x.Dict, y.Dict, depth+1); !same || err != nil {
			return false, err
		}
		return c.sameBytes(x, y)
	case String:
		y, ok := b.(String)
		return ok && bytes.Equal(x, y), nil
	default:
		return a == b, nil
	}
}

// unchanged reports whether ref has the same cross-reference entry in both
// revisions, and an object in an object stream the same entry for that
// stream too: then both resolve to the same bytes of the shared prefix. A
// later revision may redefine the stream while keeping the entries of the
// objects in it.
func (c *comparer) unchanged(ref Ref) bool {
	oe, ok1 := c.old.entry(ref)
	ne, ok2 := c.cur.entry(ref)
	if !ok1 || !ok2 || oe != ne {
		return false
	}
	if oe.kind != entryCompressed {
		return true
	}
	so, ok1 := c.old.entry(Ref{Num: int(oe.off)})
	sn, ok2 := c.cur.entry(Ref{Num: int(oe.off)})
	return ok1 && ok2 && so == sn && so.kind == entryInUse
}

// sameBytes compares two streams' raw data; both readers read the same
// file, the old one a prefix of it.
func (c *comparer) sameBytes(x, y Stream) (bool, error) {
	if x.Length != y.Length {
		return false, nil
	}
	if x.Offset == y.Offset {
		return true, nil
	}
	const chunk = 32 << 10
	bx, by := make([]byte, chunk), make([]byte, chunk)
	for off := int64(0); off < x.Length; off += chunk {
		n := min(chunk, x.Length-off)
		if _, err := c.old.src.ReadAt(bx[:n], x.Offset+off); err != nil && err != io.EOF {
			return false, err
		}
		if _, err := c.cur.src.ReadAt(by[:n], y.Offset+off); err != nil && err != io.EOF {
			return false, err
		}
		if !bytes.Equal(bx[:n], by[:n]) {
			return false, nil
		}
	}
	return true, nil
}

func unionKeys(a, b Dict) []Name {
	seen := map[Name]bool{}
	var out []Name
	for _, d := range []Dict{a, b} {
		for k := range d {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (r *Reader) catalogDict() (Dict, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.catalog()
}

// entry returns the cross-reference entry in use for ref.
func (r *Reader) entry(ref Ref) (xrefEntry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ref.Num < 0 || ref.Num >= len(r.xref) {
		return xrefEntry{}, false
	}
	e := r.xref[ref.Num]
	return e, (e.kind == entryInUse || e.kind == entryCompressed) && int(e.gen) == ref.Gen
}

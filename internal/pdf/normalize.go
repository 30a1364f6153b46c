package pdf

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Normalising an upload before segl signs it.
//
// A PDF can show its signer one thing and keep another ready: page content
// in an earlier revision that a later incremental update overlays, objects
// that nothing references, actions that run when the file is opened or a
// page is shown, or an XFA form that some viewers render instead of the
// pages. A later update that looks harmless to a validator can then reveal
// or swap in what was hidden (the "shadow" and "incremental saving" attacks
// of Mladenov, Mainka et al., PDF-Insecurity 2019-2021), and anyone can cut
// the signed file at an earlier %%EOF to get an old revision back, which
// the signature still seems to cover because it covers the whole file.
//
// Decision. When the upload carries no signatures, segl signs a rewritten
// copy, not the upload:
//
//   - One revision, without incremental updates (§7.5.6): only the objects
//     reachable from the newest trailer's /Root and /Info are written, so earlier revisions,
//     unreferenced objects and whatever the free list or a second
//     cross-reference section could hide are gone. There is exactly one
//     %%EOF to cut at.
//   - Objects are renumbered 1..N in the order a breadth-first walk from the
//     catalog meets them, all of generation 0, every one written
//     uncompressed and listed in one classic table (§7.5.4) without gaps or
//     free entries besides object 0. Objects that lived in object streams
//     (§7.5.7) become ordinary objects; object streams, cross-reference
//     streams, linearization data and hint streams are not copied (the copy
//     is not linearized).
//   - Streams keep their raw data and their /Filter and /DecodeParms, copied
//     through a small buffer; /Length is written direct. A stream whose data
//     lives in an external file (/F, §7.3.8.2) is refused.
//   - References to missing or free objects are written as null (which is
//     what they mean, §7.3.10); dictionary entries whose value is null are
//     left out (§7.3.7).
//   - The header version and the catalog's /Version are kept, and so is the
//     document information dictionary, with only its text, date, name and
//     number entries (§14.3.3), written direct, so that /Info cannot keep
//     other objects alive. The trailer gets a fresh /ID whose two strings
//     are the first 16 bytes of the SHA-256 of the copy up to its
//     cross-reference table, so the output is reproducible.
//
// What only hides or acts is dropped, and listed in [NormalizeResult.Dropped]
// for the audit trail:
//
//   - the catalog's /OpenAction (§7.7.2) unless it is a destination array
//     (§12.3.2.2) or a plain GoTo action (§12.6.4.2), which is kept without
//     /Next;
//   - every /AA additional-actions dictionary, of the catalog, pages,
//     annotations and form fields (§12.6.3): they run on events the signer
//     never sees;
//   - /Perms (§12.8.4): usage rights and DocMDP belong to signatures that
//     the rewrite would break anyway;
//   - /AcroForm /XFA (§12.7.8) and /NeedsRendering: the AcroForm is kept, so
//     every viewer renders the same fields and pages. A dynamic XFA form
//     (/NeedsRendering true), whose pages are only a placeholder for the XFA
//     rendering, is refused with [ErrDynamicXFA] instead.
//
// JavaScript that the copy would keep and encryption are refused as by
// [Check]; JavaScript only in what is dropped goes with it (Check reports
// it as FindingJavaScriptRemoved). Embedded files (/EmbeddedFiles, /AF) are
// kept: they are visible attachments, and the signature covers them. Link
// and widget actions (/A) that the user triggers are kept; JavaScript among
// them is refused.
//
// What the catalog references is kept even when no viewer shows it (private
// /PieceInfo data, unknown keys, optional content that is off): it is part
// of the signed revision, and a later update that moves it onto a page
// changes the page, which [Changes] reports to the validator.
//
// When the upload already carries signatures (signed /Sig fields, see
// [Reader.Signatures]), rewriting it would break them, so it is passed
// through unchanged: Rewritten is false and Reason says why. Validation
// then classifies its revisions as for any signed document.

// ErrDynamicXFA reports a dynamic XFA form (ISO 32000-1 §12.7.8, catalog
// /NeedsRendering true): its pages are a placeholder that only XFA-capable
// viewers replace, so no rendering of it is the same everywhere.
var ErrDynamicXFA = errors.New("pdf: dynamic xfa form")

// NormalizeResult says what Normalize wrote.
type NormalizeResult struct {
	// Rewritten is true when w received a rewritten copy, false when it
	// received the upload unchanged.
	Rewritten bool
	// Reason says why the upload was not rewritten; empty when it was.
	Reason string
	// Objects is the number of indirect objects in the rewritten copy.
	Objects int
	// Dropped lists, in human-readable form for the audit trail, what the
	// copy leaves out: "2 earlier revisions", "3 unreferenced objects",
	// "/OpenAction (/Launch action)", "/AA on 1 page" …
	Dropped []string
	// Copied lists, in order, the runs of the rewritten copy that are
	// byte for byte runs of the upload: the raw data of each stream of at
	// least MinCopiedRun bytes, which a rewrite copies unchanged. A store
	// that keeps both may keep these runs once, as references into the
	// upload (segl's prepared documents do, see job.Revision).
	Copied []Run
}

// Run says that Size bytes of an output at At are the bytes of its source
// at Offset.
type Run struct {
	At, Offset, Size int64
}

// MinCopiedRun is the shortest stream data NormalizeResult.Copied lists:
// shorter runs cost a reference about what they would cost copied, and
// the limit keeps the list at most one entry per 64 KiB of the upload.
const MinCopiedRun = 64 << 10

// Limits of a rewrite.
const copyBufferSize = 32 << 10 // stream data is copied through this much memory

// Normalize writes to w the document segl will sign (see "Normalising
// uploads" in the package documentation, and normalize.go): a copy of one
// revision holding only what the newest revision shows, or, when the
// upload already carries signatures, the upload unchanged. src must
// already have passed [Check]; Normalize repeats its checks and fails with
// the same errors, and with [ErrDynamicXFA] or [ErrUnsupportedFilter]
// (external stream data) for what it cannot rewrite safely.
//
// Objects are read and written one at a time and stream data is copied
// through a small buffer, so memory grows with the number of objects, not
// with the file size. The work is bounded like every walk of this package.
// On error, w may have received part of the output; callers write to a
// temporary file.
func Normalize(w io.Writer, src io.ReaderAt, size int64) (NormalizeResult, error) {
	return normalizeTo(w, src, size, nil)
}

// NormalizeWithID is Normalize with the rewritten copy's /ID strings (ISO
// 32000-1 §14.4) the first 16 bytes of id, a digest of the upload the
// caller has made already (at least 16 bytes), instead of a SHA-256 of the
// copy that is made for them alone: one pass over the document less, and
// the copy as reproducible. An upload passed through unchanged keeps its own.
func NormalizeWithID(w io.Writer, src io.ReaderAt, size int64, id []byte) (NormalizeResult, error) {
	if len(id) < 16 {
		return NormalizeResult{}, fmt.Errorf("pdf: an /ID of %d bytes, want 16", len(id))
	}
	return normalizeTo(w, src, size, id[:16:16])
}

func normalizeTo(w io.Writer, src io.ReaderAt, size int64, id []byte) (NormalizeResult, error) {
	r, err := Open(src, size)
	if err != nil {
		return NormalizeResult{}, err
	}
	if r.Encrypted() {
		return NormalizeResult{}, ErrEncrypted
	}
	pages, err := r.PageCount()
	if err != nil {
		return NormalizeResult{}, err
	}
	if pages == 0 {
		return NormalizeResult{}, malformed("document has no pages")
	}
	removedJS, err := r.scanJavaScript()
	if err != nil {
		return NormalizeResult{}, err
	}
	sigs, err := r.Signatures()
	if err != nil {
		return NormalizeResult{}, err
	}
	if len(sigs) > 0 && removedJS {
		// Passed through unchanged, nothing would be removed.
		return NormalizeResult{}, fmt.Errorf("%w: in actions of a signed document, which is not rewritten", ErrJavaScript)
	}
	if len(sigs) > 0 {
		res := NormalizeResult{Reason: "the document carries " + plural(len(sigs), "signature", "signatures") +
			", which a rewrite would break"}
		n, err := copySection(w, src, 0, size)
		if err != nil {
			return res, fmt.Errorf("pdf: write: %w", err)
		}
		if n != size {
			return res, fmt.Errorf("pdf: write: original is %d bytes, not %d", n, size)
		}
		return res, nil
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	bw := bufio.NewWriterSize(w, copyBufferSize)
	out := &countingWriter{w: bw}
	if id == nil {
		out.h = sha256.New()
	}
	ow := newObjectWriter(out)
	ow.id = id
	nz := newNormalizer(r, ow)
	res, err := nz.run()
	if err != nil {
		return NormalizeResult{}, err
	}
	if err := bw.Flush(); err != nil {
		return NormalizeResult{}, fmt.Errorf("pdf: write: %w", err)
	}
	return res, nil
}

// normalizer copies the objects of one document into an objectWriter's
// numbering: Normalize uses one, Combine one per source.
type normalizer struct {
	r      *Reader
	w      *objectWriter
	num    map[Ref]int // original reference → new object number
	budget int64       // stream bytes that may still be copied
	copied []Run       // NormalizeResult.Copied

	root, form, info Ref
	hasForm, hasInfo bool

	// For Combine: references written as null (the source's catalog and
	// page tree nodes, which the combined document replaces), entries set
	// on an object before its conversion (pre, in the source's numbering)
	// and after it (set, in the output's; a null value deletes the entry),
	// and whether JavaScript is refused where it is met.
	skip     map[Ref]bool
	pre      map[Ref]Dict
	set      map[Ref]Dict
	refuseJS bool
	label    string // names the source in errors

	dangling   int // references to missing objects, written as null
	infoOther  int // entries of the information dictionary that are not text
	structural int // references to object or cross-reference streams
	aaCatalog  int
	aaPages    int
	aaOther    int
	dropped    []string // catalog and form entries, in the order met
	along      []Ref    // references in dropped or inlined entries, not counted as unreferenced
}

func newNormalizer(r *Reader, w *objectWriter) *normalizer {
	return &normalizer{r: r, w: w, num: map[Ref]int{}, budget: r.size}
}

// drop notes the references in a dropped or inlined entry, so that the
// objects only it used are reported with it rather than as unreferenced.
func (n *normalizer) drop(o Object) {
	refs, _ := walkRefs(o, nil, 0)
	if len(n.along)+len(refs) <= maxVisit {
		n.along = append(n.along, refs...)
	}
}

// run writes the copy.
func (n *normalizer) run() (NormalizeResult, error) {
	r := n.r
	root, ok := r.trailer["Root"].(Ref)
	if !ok {
		return NormalizeResult{}, malformed("trailer /Root is not a reference")
	}
	n.root = root
	if err := r.checkRendering(); err != nil {
		return NormalizeResult{}, err
	}
	newRoot, err := n.ref(root)
	if err != nil {
		return NormalizeResult{}, err
	}
	if _, ok := newRoot.(Ref); !ok {
		return NormalizeResult{}, malformed("trailer /Root names no object")
	}
	trailer := Dict{"Root": newRoot}
	// The document information dictionary (§14.3.3), kept only when it is
	// one; written as an object of its own, or direct as found.
	info, err := r.resolve(r.trailer["Info"])
	if err != nil {
		return NormalizeResult{}, err
	}
	if d, ok := info.(Dict); ok {
		if ref, ok := r.trailer["Info"].(Ref); ok {
			n.info, n.hasInfo = ref, true
			if trailer["Info"], err = n.ref(ref); err != nil {
				return NormalizeResult{}, err
			}
		} else {
			trailer["Info"] = n.infoDict(d)
		}
	}

	if err := n.w.writeAll(r.headerVersion); err != nil {
		return NormalizeResult{}, err
	}
	if err := n.w.finish(trailer); err != nil {
		return NormalizeResult{}, err
	}
	return NormalizeResult{Rewritten: true, Objects: len(n.w.queue), Dropped: n.report(), Copied: n.copied}, nil
}

// ref returns the new reference for an original one, queueing the object
// the first time it is met, or Null when no object is defined under it.
func (n *normalizer) ref(ref Ref) (Object, error) {
	if k, ok := n.num[ref]; ok {
		return Ref{Num: k}, nil
	}
	if n.skip[ref] {
		return Null{}, nil
	}
	if !n.r.defined(ref) {
		n.dangling++
		return Null{}, nil
	}
	k, err := n.w.add(queued{n: n, ref: ref})
	if err != nil {
		return nil, err
	}
	n.num[ref] = k
	return Ref{Num: k}, nil
}

// defined reports whether ref names an object in the cross-reference data
// (§7.3.10), without parsing it. r.mu must be held.
func (r *Reader) defined(ref Ref) bool {
	if ref.Num <= 0 || ref.Num >= len(r.xref) {
		return false
	}
	switch e := r.xref[ref.Num]; e.kind {
	case entryInUse:
		return int(e.gen) == ref.Gen
	case entryCompressed:
		return ref.Gen == 0
	}
	return false
}

// conv copies a direct object with references renumbered, /AA entries
// dropped and null dictionary values left out. Parsed objects are at most
// maxDepth deep, so the recursion is bounded.
func (n *normalizer) conv(o Object, depth int) (Object, error) {
	if depth > maxDepth { // as the parser: what it read fits, so appendObject writes it
		return nil, malformed("objects nested too deeply")
	}
	switch v := o.(type) {
	case Ref:
		return n.ref(v)
	case Array:
		a := make(Array, len(v))
		for i, e := range v {
			c, err := n.conv(e, depth+1)
			if err != nil {
				return nil, err
			}
			a[i] = c
		}
		return a, nil
	case Dict:
		if n.refuseJS && isJavaScript(v) {
			return nil, ErrJavaScript
		}
		d := make(Dict, len(v))
		if aa, ok := v["AA"]; ok {
			n.drop(aa)
			switch v["Type"] {
			case Name("Catalog"):
				n.aaCatalog++
			case Name("Page"):
				n.aaPages++
			default:
				n.aaOther++
			}
		}
		// Sorted keys: the walk, and so the numbering, is reproducible.
		keys := make([]Name, 0, len(v))
		for k := range v {
			if k != "AA" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			c, err := n.conv(v[k], depth+1)
			if err != nil {
				return nil, err
			}
			if _, null := c.(Null); !null {
				d[k] = c
			}
		}
		return d, nil
	case Stream:
		return nil, malformed("stream as a direct object")
	case nil:
		return Null{}, nil
	}
	return o, nil
}

// write writes q, an object of this document, as number k: the object q.ref
// read from the document, or q.obj when set, converted into the output's
// numbering, with n.set[q.ref] and q.set applied.
func (n *normalizer) write(k int, q queued) error {
	ref, o := q.ref, q.obj
	if o == nil {
		var err error
		if o, err = n.read(ref); err != nil {
			return err
		}
		if d, ok := o.(Dict); ok && n.pre[ref] != nil {
			o = cloneDict(d)
			setEntries(o.(Dict), n.pre[ref])
		}
	}
	st, isStream := o.(Stream)
	if isStream && (st.Dict["Type"] == Name("XRef") || st.Dict["Type"] == Name("ObjStm")) {
		n.structural++
		o, isStream = Null{}, false
	}
	w := n.w
	b := fmt.Appendf(w.buf[:0], "%d 0 obj\n", k)
	if !isStream {
		c, err := n.conv(o, 0)
		if err != nil {
			return err
		}
		if d, ok := c.(Dict); ok {
			setEntries(d, n.set[ref], q.set)
		}
		if b, err = appendObject(b, c, 0); err != nil {
			return malformed("object %v: %v", ref, err)
		}
		b = append(b, "\nendobj\n"...)
		w.buf = b
		_, err = w.out.Write(b)
		return err
	}

	if _, ok := st.Dict["F"]; ok {
		return fmt.Errorf("%w: external stream data in object %v", ErrUnsupportedFilter, ref)
	}
	if st.Length > n.budget {
		return malformed("stream data of the document's objects overlaps")
	}
	n.budget -= st.Length
	d := cloneDict(st.Dict)
	delete(d, "Length")
	c, err := n.conv(d, 0)
	if err != nil {
		return err
	}
	cd := c.(Dict)
	setEntries(cd, n.set[ref], q.set)
	cd["Length"] = Int(st.Length)
	if b, err = appendObject(b, cd, 0); err != nil {
		return malformed("object %v: %v", ref, err)
	}
	b = append(b, "\nstream\n"...)
	w.buf = b
	if _, err := w.out.Write(b); err != nil {
		return err
	}
	if st.Length >= MinCopiedRun {
		n.copied = append(n.copied, Run{At: w.out.n, Offset: st.Offset, Size: st.Length})
	}
	m, err := io.CopyBuffer(w.out, io.NewSectionReader(n.r.src, st.Offset, st.Length), w.copyBuf)
	if err != nil {
		if w.out.err != nil {
			return w.out.err
		}
		return fmt.Errorf("pdf: read stream data of object %v: %w", ref, err)
	}
	if m != st.Length {
		return fmt.Errorf("pdf: read %d bytes of stream data of object %v, want %d", m, ref, st.Length)
	}
	_, err = w.out.Write([]byte("\nendstream\nendobj\n"))
	return err
}

// read reads ref from the document, with the catalog, the form and the
// information dictionary as Normalize writes them.
func (n *normalizer) read(ref Ref) (Object, error) {
	o, err := n.r.object(ref, 0)
	if err != nil {
		return nil, err
	}
	switch {
	case ref == n.root:
		if o, err = n.r.resolve(o); err != nil {
			return nil, err
		}
		return n.catalog(o)
	case n.hasForm && ref == n.form:
		if d, ok := o.(Dict); ok {
			o = n.dropXFA(d)
		}
	case n.hasInfo && ref == n.info:
		if o, err = n.r.resolve(o); err != nil {
			return nil, err
		}
		d, _ := o.(Dict)
		o = n.infoDict(d)
	}
	return o, nil
}

// setEntries sets the entries of each of sets on d, in order; a null
// value deletes the entry.
func setEntries(d Dict, sets ...Dict) {
	for _, s := range sets {
		for k, v := range s {
			if _, null := v.(Null); null {
				delete(d, k)
			} else {
				d[k] = v
			}
		}
	}
}

// catalog drops the catalog entries that act or hide (see the comment
// block at the top of this file) and notes where the form lives.
func (n *normalizer) catalog(o Object) (Object, error) {
	d, ok := o.(Dict)
	if !ok {
		return nil, malformed("/Root is not a dictionary")
	}
	cat := cloneDict(d)
	delete(cat, "NeedsRendering")
	if p, ok := cat["Perms"]; ok {
		n.drop(p)
		delete(cat, "Perms")
		n.dropped = append(n.dropped, "/Perms")
	}
	if _, ok := cat["OpenAction"]; ok {
		oa, err := n.r.resolve(cat["OpenAction"])
		if err != nil {
			return nil, err
		}
		n.drop(cat["OpenAction"])
		delete(cat, "OpenAction")
		switch v := oa.(type) {
		case Null:
		case Array: // an explicit destination (§12.3.2.2)
			cat["OpenAction"] = v
		case Dict:
			s, _ := v["S"].(Name)
			if s != "GoTo" {
				n.dropped = append(n.dropped, fmt.Sprintf("/OpenAction (%s action)", displayName(s)))
				break
			}
			a := Dict{"S": Name("GoTo"), "D": v["D"]}
			if _, ok := v["Type"]; ok {
				a["Type"] = Name("Action")
			}
			if _, ok := v["Next"]; ok {
				n.dropped = append(n.dropped, "/OpenAction /Next")
			}
			cat["OpenAction"] = a
		default:
			n.dropped = append(n.dropped, "/OpenAction")
		}
	}
	switch v := cat["AcroForm"].(type) {
	case Ref:
		n.form, n.hasForm = v, true
	case Dict:
		cat["AcroForm"] = n.dropXFA(v)
	}
	return cat, nil
}

// infoDict keeps the entries of the document information dictionary that
// are text strings, dates, names, numbers or booleans (§14.3.3, Table 317),
// written direct, so that /Info cannot keep objects alive that the document
// does not use. Reference chains are cut like everywhere else.
func (n *normalizer) infoDict(d Dict) Dict {
	out := Dict{}
	for k, v := range d {
		rv, err := n.r.resolve(v)
		switch rv.(type) {
		case String, Name, Int, Real, Bool:
			if err == nil {
				out[k] = rv
				n.drop(v) // an indirect string is now direct, not unreferenced
				continue
			}
		case Null:
			if err == nil {
				continue
			}
		}
		n.drop(v)
		n.infoOther++
	}
	return out
}

// dropXFA removes the XFA form from the interactive form dictionary
// (§12.7.2), keeping the AcroForm fields.
func (n *normalizer) dropXFA(d Dict) Dict {
	if _, ok := d["XFA"]; !ok {
		return d
	}
	n.drop(d["XFA"])
	d = cloneDict(d)
	delete(d, "XFA")
	n.dropped = append(n.dropped, "/AcroForm /XFA")
	return d
}

// displayName shows an action type for the report as a PDF name, cut
// short when long.
func displayName(s Name) string {
	if s == "" {
		return "untyped"
	}
	if len(s) > 32 {
		s = s[:32]
	}
	return string(appendName(nil, s))
}

// plural writes a count of things.
func plural(k int, one, many string) string {
	if k == 1 {
		return "1 " + one
	}
	return strconv.Itoa(k) + " " + many
}

// report lists what the copy leaves out, in a fixed order.
func (n *normalizer) report() []string {
	r := n.r
	var out []string
	if k := len(r.revisions) - 1; k > 0 {
		out = append(out, plural(k, "earlier revision", "earlier revisions"))
	}
	unref, lin := n.unreferenced()
	if unref > 0 {
		out = append(out, plural(unref, "unreferenced object", "unreferenced objects"))
	}
	if lin {
		out = append(out, "linearization")
	}
	out = append(out, n.dropped...)
	out = n.actionsDropped(out)
	if n.infoOther > 0 {
		out = append(out, plural(n.infoOther, "/Info entry that is not text", "/Info entries that are not text"))
	}
	out = n.refsDropped(out)
	if r.headerOff > 0 {
		out = append(out, plural(int(r.headerOff), "byte before %PDF-", "bytes before %PDF-"))
	}
	if ends := r.revEnds; len(ends) > 0 && ends[len(ends)-1] < r.size {
		out = append(out, plural(int(r.size-ends[len(ends)-1]), "byte after the last %%EOF", "bytes after the last %%EOF"))
	}
	return out
}

// actionsDropped appends to out what conv dropped: the /AA entries.
func (n *normalizer) actionsDropped(out []string) []string {
	if n.aaCatalog > 0 {
		out = append(out, "/AA on the catalog")
	}
	if n.aaPages > 0 {
		out = append(out, "/AA on "+plural(n.aaPages, "page", "pages"))
	}
	if n.aaOther > 0 {
		out = append(out, "/AA on "+plural(n.aaOther, "annotation or field", "annotations or fields"))
	}
	return out
}

// refsDropped appends to out the references the copy writes as null.
func (n *normalizer) refsDropped(out []string) []string {
	if n.dangling > 0 {
		out = append(out, plural(n.dangling, "reference to a missing object", "references to missing objects"))
	}
	if n.structural > 0 {
		out = append(out, plural(n.structural, "reference to an object or xref stream", "references to object or xref streams"))
	}
	return out
}

// droppedAlong returns the objects reachable from dropped entries that the
// copy does not hold, walking each once within the usual bound. Only
// dictionaries are parsed; unreadable objects end the walk there.
func (n *normalizer) droppedAlong() map[Ref]bool {
	seen := map[Ref]bool{}
	queue := n.along
	for len(queue) > 0 && len(seen) < maxVisit {
		ref := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if _, written := n.num[ref]; written || seen[ref] || !n.r.defined(ref) {
			continue
		}
		seen[ref] = true
		o, err := n.r.object(ref, 0)
		if err != nil {
			continue
		}
		if st, ok := o.(Stream); ok {
			o = st.Dict
		}
		refs, _ := walkRefs(o, nil, 0)
		if len(queue)+len(refs) > maxVisit {
			break
		}
		queue = append(queue, refs...)
	}
	return seen
}

// unreferenced counts the objects of the newest cross-reference data that
// the copy leaves out, other than those only dropped entries used and the
// file's structure: object streams, cross-reference streams and, reported
// on their own, the linearization dictionary and its hint stream (Annex
// F). Unreadable objects count as unreferenced. Only dictionaries are
// parsed, never stream data.
func (n *normalizer) unreferenced() (count int, linearized bool) {
	r := n.r
	containers := map[int64]bool{}
	for _, e := range r.xref {
		if e.kind == entryCompressed {
			containers[e.off] = true
		}
	}
	along := n.droppedAlong()
	hint := int64(-1)
	var offs []int64 // of the candidates; -1 for compressed ones
	for num := 1; num < len(r.xref); num++ {
		e := r.xref[num]
		ref := Ref{Num: num, Gen: int(e.gen)}
		if !r.defined(ref) || containers[int64(num)] {
			continue
		}
		if _, ok := n.num[ref]; ok || along[ref] || n.skip[ref] {
			continue
		}
		off := int64(-1)
		if e.kind == entryInUse {
			off = e.off
		}
		o, err := r.object(ref, 0)
		if err == nil {
			switch v := o.(type) {
			case Stream:
				if t := v.Dict["Type"]; t == Name("XRef") || t == Name("ObjStm") {
					continue
				}
			case Dict:
				if _, ok := v["Linearized"]; ok {
					linearized = true
					if h, ok := v["H"].(Array); ok && len(h) > 0 {
						hint, _ = intValue(h[0])
					}
					continue
				}
			}
		}
		offs = append(offs, off)
	}
	for _, off := range offs {
		if linearized && off >= 0 && off == hint {
			continue
		}
		count++
	}
	return count, linearized
}

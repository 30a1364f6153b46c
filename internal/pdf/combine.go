package pdf

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Combining documents into one for a job that is signed as one.
//
// Posten's signature API gives one PAdES per job, so a job of several
// documents is signed as one combined PDF: a front page followed by the
// pages of each document in order. Combine writes it to the standard of
// [Normalize], whose copy it shares (normalizer, objectWriter):
//
//   - One revision (ISO 32000-1 §7.5.6) of objects renumbered 1..N in
//     the order a breadth-first walk meets them, all of generation 0,
//     uncompressed, in one classic cross-reference table (§7.5.4), one
//     trailer with a fresh /ID (the first 16 bytes of the SHA-256 of the
//     output up to the table) and one %%EOF. Sources may have incremental
//     updates, object streams (§7.5.7) and cross-reference streams
//     (§7.5.8); only what the newest revision's pages and forms reach is
//     copied. Stream data is copied raw, through a small buffer, with its
//     filters; /Length is written direct.
//   - A new page tree (§7.7.3): one root whose /Kids are the pages, or,
//     for more than 64, intermediate nodes of at most 64 kids each, so
//     that no /Kids array grows with the document. The inheritable
//     attributes /Resources, /MediaBox, /CropBox and /Rotate (§7.7.3.4)
//     are resolved onto each page, since the sources' tree nodes are not
//     copied; /Parent names the new node; each annotation listed in a
//     page's /Annots gets /P naming its new page (§12.5.2), and a link
//     to a named destination the explicit destination the name stood
//     for (§12.3.2.3), since the names are not copied.
//   - One interactive form (§12.7.2): each source's fields become the
//     kids of one new non-terminal field whose partial name is the
//     source's prefix (§12.7.3.2), so that field "x" of two documents
//     becomes the two fields "d1.x" and "d2.x" and not one field with one
//     value. The source's form-wide /DA and /Q are put on that field,
//     from which its fields inherit them (§12.7.3.3); the default
//     resources (/DR) are merged, the first document's entry winning
//     where two use one name; /NeedAppearances is set when any source
//     sets it.
//   - Optional content (§8.11) stays as each source showed it: the
//     groups of every source in one /OCProperties, with those each
//     source's default configuration turned off turned off. Dropping
//     /OCProperties would show what a source hides, since a viewer
//     then ignores the groups.
//   - A PDF/A-3b claim (ISO 19005-3) when every source claims PDF/A (see
//     claimPDFA), and /Lang when the sources agree on it.
//   - The header version is the highest of the sources' (§7.5.2, with
//     the catalog's /Version, §7.7.2), at least 1.7.
//
// What belongs to one document and not to the combination is dropped and
// listed in [CombineResult.Dropped], by source: the catalog's outline
// (§12.3.3), structure tree and /MarkInfo (§14.7, §14.8: the combined
// document is not tagged PDF), /OpenAction and /AA (§12.6), the name
// dictionary (§7.7.4: named destinations, document JavaScript, embedded
// files), /Dests, page labels (§12.4.2), article threads (§12.4.3) and
// every other catalog entry not named above; the document information
// dictionary (§14.3.3); the pages' /B beads and /StructParents and the
// annotations' /StructParent; every /AA; the form's /XFA and /CO. A
// reference into what is dropped (the sources' catalogs and page tree
// nodes) is written as null.
//
// Sources must carry no signatures: combining would break them
// ([ErrSigned], as [Info.Signable] refuses signed uploads). Encrypted
// sources ([ErrEncrypted]), dynamic XFA forms ([ErrDynamicXFA]) and
// JavaScript in what is copied ([ErrJavaScript]) are refused as by
// [Normalize]; so is more than MaxCombineSources sources,
// MaxCombinePages pages or MaxCombineObjects objects ([ErrTooLarge]).

// ErrTooLarge reports a combination beyond the limits of [Combine].
var ErrTooLarge = errors.New("pdf: too large")

// Limits of Combine: far above a job's documents, low enough that the
// object table of one call stays small.
const (
	MaxCombineSources = 256
	MaxCombinePages   = 100_000
	MaxCombineObjects = maxVisit // written, as for every walk of this package
)

// combineLimits are Combine's limits, smaller in tests.
type combineLimits struct {
	sources, pages, objects int
}

// kidsPerNode is the fan-out of a combined document's page tree.
const kidsPerNode = 64

// CombineSource is one document to combine.
type CombineSource struct {
	R    io.ReaderAt
	Size int64
	// Prefix renames the source's form fields: each top-level field's partial name
	// becomes Prefix + "." + name (ISO 32000-1 §12.7.3.2), so two sources' fields of
	// one name stay two fields. Empty: "d1", "d2", … by position.
	//
	// The fields become the kids of one field whose partial name is
	// Prefix, so Prefix + "." + name is their fully qualified name. It
	// must not contain a period and must differ between sources.
	Prefix string
}

// CombineResult says what Combine wrote.
type CombineResult struct {
	Size    int64    // bytes written
	Pages   []int    // page count of each source, in order
	Dropped []string // what was left out, for the audit trail, like NormalizeResult.Dropped
	PDFA    bool     // whether the output keeps a PDF/A-3b claim (every source claimed it)
	Objects int      // indirect objects written
}

// Combine writes one PDF whose pages are the pages of srcs in order, in one revision,
// to the standard of Normalize.
//
// What it keeps, drops (and lists in Dropped) and refuses is described in
// combine.go. Its errors wrap [ErrSigned] (a source carries signatures),
// [ErrEncrypted], [ErrDynamicXFA], [ErrJavaScript] (in what would be
// copied; sources that passed [Check] have none there), [ErrMalformed],
// [ErrUnsupportedFilter] (external stream data), or [ErrTooLarge] (more
// than MaxCombineSources sources, MaxCombinePages pages or
// MaxCombineObjects objects); a prefix that is not a partial field name,
// or one two sources share, is an unwrapped error: the caller's mistake.
//
// Objects are read and written one at a time and stream data is copied
// through a small buffer, so memory grows with the number of objects, not
// with the size of the sources. On error, w may have received part of the
// output; callers write to a temporary file.
func Combine(w io.Writer, srcs []CombineSource) (CombineResult, error) {
	return combineWithin(w, srcs, combineLimits{sources: MaxCombineSources, pages: MaxCombinePages, objects: MaxCombineObjects})
}

func combineWithin(w io.Writer, srcs []CombineSource, limits combineLimits) (CombineResult, error) {
	if len(srcs) == 0 {
		return CombineResult{}, errors.New("pdf: no documents to combine")
	}
	if len(srcs) > limits.sources {
		return CombineResult{}, fmt.Errorf("%w: %d documents to combine, at most %d", ErrTooLarge, len(srcs), limits.sources)
	}
	bw := bufio.NewWriterSize(w, copyBufferSize)
	out := &countingWriter{w: bw, h: sha256.New()}
	c := &combiner{w: newObjectWriter(out), version: "1.7", maxPages: limits.pages}
	c.w.max, c.w.full = limits.objects, ErrTooLarge
	defer c.unlock()
	for i, s := range srcs {
		if err := c.open(i, s); err != nil {
			return CombineResult{}, err
		}
	}
	if err := c.prefixes(); err != nil {
		return CombineResult{}, err
	}
	if err := c.build(); err != nil {
		return CombineResult{}, err
	}
	if err := c.w.writeAll(c.version); err != nil {
		return CombineResult{}, err
	}
	if err := c.w.finish(Dict{"Root": c.catalog}); err != nil {
		return CombineResult{}, err
	}
	if err := bw.Flush(); err != nil {
		return CombineResult{}, fmt.Errorf("pdf: write: %w", err)
	}
	res := CombineResult{Size: out.n, Objects: len(c.w.queue), PDFA: c.pdfa}
	for _, s := range c.srcs {
		res.Pages = append(res.Pages, s.pages)
		res.Dropped = append(res.Dropped, s.report()...)
	}
	res.Dropped = append(res.Dropped, c.dropped...)
	return res, nil
}

// combiner holds the state of one Combine call.
type combiner struct {
	w        *objectWriter
	maxPages int
	srcs     []*combineSource
	pages    int
	version  string
	catalog  Ref
	pdfa     bool
	dropped  []string // of the combination as a whole
}

// combineSource is one source being combined. Its Reader's lock is held
// from open to the end of Combine: nobody else has the Reader.
type combineSource struct {
	n       *normalizer
	prefix  string
	cat     Dict
	info    bool
	leaves  []pageNode // until made into pages
	pages   int
	dropped []string // catalog, page and form entries, in the order met
	beads   int      // pages with /B
	structs int      // pages with /StructParents
	claim   PDFAClaim
	carried map[Name]bool     // catalog entries the combination carries
	dests   map[string]Object // named destinations, read on first use
}

// unlock releases the sources' Readers.
func (c *combiner) unlock() {
	for _, s := range c.srcs {
		s.n.r.mu.Unlock()
	}
}

// SourceError is Combine's refusal of one of its sources, so that a caller
// can name the document in its own terms (the sources are the caller's
// list, which may hold pages of its own, such as a front page).
type SourceError struct {
	Source int // index into Combine's srcs
	Err    error
}

func (e *SourceError) Error() string { return fmt.Sprintf("pdf: document %d: %v", e.Source+1, e.Err) }
func (e *SourceError) Unwrap() error { return e.Err }

// label names source i for errors and the audit trail.
func (s *combineSource) label() string { return s.prefix }

// open reads source i: refuses what cannot be combined, walks its page
// tree and notes what its catalog holds.
func (c *combiner) open(i int, src CombineSource) error {
	fail := func(err error) error { return &SourceError{Source: i, Err: err} }
	r, err := Open(src.R, src.Size)
	if err != nil {
		return fail(err)
	}
	if r.Encrypted() {
		return fail(ErrEncrypted)
	}
	sigs, err := r.Signatures()
	if err != nil {
		return fail(err)
	}
	if len(sigs) > 0 {
		return fail(fmt.Errorf("%w: it carries %s, which combining would break", ErrSigned, plural(len(sigs), "signature", "signatures")))
	}
	xmp, err := r.Metadata()
	if err != nil {
		xmp = nil // unreadable metadata claims nothing
	}
	r.mu.Lock()
	n := newNormalizer(r, c.w)
	n.refuseJS = true
	n.skip = map[Ref]bool{}
	n.pre = map[Ref]Dict{}
	n.set = map[Ref]Dict{}
	s := &combineSource{n: n, prefix: src.Prefix, claim: ReadPDFAClaim(xmp), carried: map[Name]bool{}}
	if s.prefix == "" {
		s.prefix = "d" + strconv.Itoa(i+1)
	}
	n.label = "document " + strconv.Itoa(i+1) + " (" + s.prefix + ")"
	c.srcs = append(c.srcs, s) // from here on, unlock releases r

	if err := r.checkRendering(); err != nil {
		return fail(err)
	}
	if s.cat, err = r.catalog(); err != nil {
		return fail(err)
	}
	if ref, ok := r.trailer["Root"].(Ref); ok {
		n.skip[ref] = true
	}
	for _, k := range documentOnly {
		if ref, ok := s.cat[k].(Ref); ok {
			n.skip[ref] = true
		}
	}
	_, s.info = r.trailer["Info"]
	if v := r.version(); versionLess(c.version, v) {
		if major, _, ok := parseVersion(v); ok && major <= 2 {
			c.version = v
		}
	}
	_, err = r.walkPageTree(func(p pageNode) error {
		if !p.leaf {
			if p.ref != (Ref{}) {
				n.skip[p.ref] = true
			}
			return nil
		}
		if c.pages++; c.pages > c.maxPages {
			return fmt.Errorf("%w: more than %d pages to combine", ErrTooLarge, c.maxPages)
		}
		s.leaves = append(s.leaves, p)
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if len(s.leaves) == 0 {
		return fail(malformed("document has no pages"))
	}
	return nil
}

// documentOnly are the catalog entries whose objects only the document as
// a whole uses (§7.7.2, Table 28): a reference to one of them from what
// is copied, which no valid document makes, is written as null rather
// than copying what the combination drops.
var documentOnly = []Name{"Outlines", "StructTreeRoot", "Names", "Dests", "PageLabels", "Threads"}

// prefixes refuses prefixes that are not one partial field name each
// (§12.7.3.2: no period) or that two sources share.
func (c *combiner) prefixes() error {
	seen := map[string]bool{}
	for i, s := range c.srcs {
		if strings.Contains(s.prefix, ".") {
			return fmt.Errorf("pdf: document %d: field prefix %q contains a period", i+1, s.prefix)
		}
		if seen[s.prefix] {
			return fmt.Errorf("pdf: document %d: field prefix %q is another document's", i+1, s.prefix)
		}
		seen[s.prefix] = true
	}
	return nil
}

// build numbers the objects of the combination's structure (catalog, page
// tree, pages, form) and makes them; the objects they reach are numbered
// as the writer meets them.
func (c *combiner) build() error {
	var err error
	if c.catalog, err = c.made(nil); err != nil {
		return err
	}
	levels, err := c.pageTree()
	if err != nil {
		return err
	}
	cat := Dict{"Type": Name("Catalog"), "Pages": levels[len(levels)-1][0]}
	form, err := c.form()
	if err != nil {
		return err
	}
	if form != nil {
		if cat["AcroForm"], err = c.made(form); err != nil {
			return err
		}
	}
	if err := c.claimPDFA(cat, form); err != nil {
		return err
	}
	if err := c.lang(cat); err != nil {
		return err
	}
	if err := c.optionalContent(cat); err != nil {
		return err
	}
	for _, s := range c.srcs {
		s.catalogDropped()
	}
	c.w.queue[c.catalog.Num-1].obj = cat
	return nil
}

// made numbers an object made for the output; obj may be filled in later,
// before writing.
func (c *combiner) made(obj Object) (Ref, error) {
	k, err := c.w.add(queued{obj: obj})
	return Ref{Num: k}, err
}

// pageTree numbers and makes the page tree: levels[0] are the pages,
// levels[len-1] holds the root alone, and item j of a level is the parent
// of items j*kidsPerNode … of the level below. Nodes are numbered from the
// root down, then the pages in order.
func (c *combiner) pageTree() ([][]Ref, error) {
	sizes := []int{c.pages}
	for sizes[len(sizes)-1] > 1 || len(sizes) == 1 {
		sizes = append(sizes, (sizes[len(sizes)-1]+kidsPerNode-1)/kidsPerNode)
	}
	levels := make([][]Ref, len(sizes))
	for l := len(sizes) - 1; l >= 1; l-- {
		for range sizes[l] {
			ref, err := c.made(nil)
			if err != nil {
				return nil, err
			}
			levels[l] = append(levels[l], ref)
		}
	}
	for _, s := range c.srcs {
		for _, leaf := range s.leaves {
			j := len(levels[0])
			parent := levels[1][j/kidsPerNode]
			ref, err := c.page(s, leaf, parent)
			if err != nil {
				return nil, err
			}
			levels[0] = append(levels[0], ref)
		}
		s.pages, s.leaves = len(s.leaves), nil // made into pages: no longer needed
	}
	// leaves counts the pages under item j of level l.
	leaves := func(l, j int) int {
		span := 1
		for range l {
			span *= kidsPerNode
		}
		return min(c.pages, (j+1)*span) - j*span
	}
	for l := 1; l < len(levels); l++ {
		for j, ref := range levels[l] {
			lo := j * kidsPerNode
			kids := slices.Clone(levels[l-1][lo:min(lo+kidsPerNode, len(levels[l-1]))])
			node := Dict{"Type": Name("Pages"), "Kids": refArray(kids), "Count": Int(leaves(l, j))}
			if l+1 < len(levels) {
				node["Parent"] = levels[l+1][j/kidsPerNode]
			}
			c.w.queue[ref.Num-1].obj = node
		}
	}
	return levels, nil
}

// refArray makes an array of references.
func refArray(refs []Ref) Array {
	a := make(Array, len(refs))
	for i, r := range refs {
		a[i] = r
	}
	return a
}

// page numbers and makes one page of s under parent: its dictionary with
// the inherited attributes resolved onto it (§7.7.3.4), without what
// belongs to the source's structure tree or article threads, and with
// /P of its annotations naming it.
func (c *combiner) page(s *combineSource, leaf pageNode, parent Ref) (Ref, error) {
	n := s.n
	k, err := c.w.add(queued{n: n, ref: leaf.ref})
	if err != nil {
		return Ref{}, err
	}
	self := Ref{Num: k}
	if leaf.ref != (Ref{}) {
		n.num[leaf.ref] = k
	}
	d := cloneDict(leaf.dict)
	delete(d, "Parent")
	if _, ok := d["B"]; ok {
		n.drop(d["B"])
		delete(d, "B")
		s.beads++
	}
	if _, ok := d["StructParents"]; ok {
		delete(d, "StructParents")
		s.structs++
	}
	for k, v := range leaf.inherited {
		if _, own := d[k]; !own {
			d[k] = v
		}
	}
	d["Type"] = Name("Page")
	if _, ok := d["Resources"]; !ok {
		d["Resources"] = Dict{} // required (Table 30); none inherited means none used
	}
	if _, ok := d["MediaBox"]; !ok {
		d["MediaBox"] = Array{Int(0), Int(0), Int(612), Int(792)} // what viewers assume
	}
	if d["Annots"], err = s.annots(d["Annots"], leaf.ref, self); err != nil {
		return Ref{}, err
	}
	if d["Annots"] == nil {
		delete(d, "Annots")
	}
	c.w.queue[k-1].obj = d
	c.w.queue[k-1].set = Dict{"Parent": parent}
	return self, nil
}

// annots returns a page's /Annots for the combined page: every
// annotation's /P names the page (§12.5.2, Table 164) and /StructParent,
// which points into the dropped structure tree, is deleted. Indirect
// annotations are changed when written (normalizer.set); direct ones in a
// direct array here, with /P as the page's original reference, which the
// copy renumbers.
func (s *combineSource) annots(o Object, pageRef, self Ref) (Object, error) {
	n := s.n
	v, err := n.r.resolve(o)
	if err != nil {
		return nil, err
	}
	arr, ok := v.(Array)
	if !ok {
		return nil, nil
	}
	fix := func(ref Ref) error {
		if ref.Num <= 0 || ref == pageRef {
			return nil // not an object, or the page itself: nothing to change
		}
		d := n.setOf(ref)
		d["P"], d["StructParent"] = self, Null{}
		v, err := n.r.resolve(ref)
		if err != nil {
			return err
		}
		a, _ := v.(Dict)
		explicit, err := s.explicitDest(a)
		if err != nil || explicit == nil {
			return err
		}
		if n.pre[ref] == nil {
			n.pre[ref] = Dict{}
		}
		setEntries(n.pre[ref], explicit)
		return nil
	}
	if ref, indirect := o.(Ref); indirect {
		for _, e := range arr {
			if r, ok := e.(Ref); ok {
				if err := fix(r); err != nil {
					return nil, err
				}
			}
		}
		return ref, nil
	}
	out := make(Array, 0, len(arr))
	for _, e := range arr {
		switch e := e.(type) {
		case Ref:
			if err := fix(e); err != nil {
				return nil, err
			}
			out = append(out, e)
		case Dict:
			a := cloneDict(e)
			delete(a, "StructParent")
			delete(a, "P")
			if pageRef != (Ref{}) {
				a["P"] = pageRef
			}
			explicit, err := s.explicitDest(e)
			if err != nil {
				return nil, err
			}
			setEntries(a, explicit)
			out = append(out, a)
		}
	}
	return out, nil
}

// explicitDest returns the entries that make an annotation's named
// destination (§12.3.2.3), in /Dest or in a GoTo action's /D (§12.6.4.2),
// an explicit one (§12.3.2.2), since the name dictionary and /Dests that
// name them are not copied: a table of contents keeps working. It
// returns nil when there is nothing to change or the name is not found.
func (s *combineSource) explicitDest(a Dict) (Dict, error) {
	r := s.n.r
	switch dest := a["Dest"].(type) {
	case String, Name:
		d, err := s.destination(dest)
		if err != nil || d == nil {
			return nil, err
		}
		return Dict{"Dest": d}, nil
	}
	av, err := r.resolve(a["A"])
	if err != nil {
		return nil, err
	}
	act, ok := av.(Dict)
	if !ok || act["S"] != Name("GoTo") {
		return nil, nil
	}
	dv, err := r.resolve(act["D"])
	if err != nil {
		return nil, err
	}
	switch dv.(type) {
	case String, Name:
	default:
		return nil, nil
	}
	d, err := s.destination(dv)
	if err != nil || d == nil {
		return nil, err
	}
	act = cloneDict(act)
	act["D"] = d
	return Dict{"A": act}, nil
}

// destination looks up a named destination of s: a byte string in the
// name dictionary's /Dests tree (PDF 1.2), a name in the catalog's /Dests
// (PDF 1.1), each value an explicit destination or a dictionary whose /D
// is one (§12.3.2.3). The names are read once, on first use. It returns
// nil when the name is not found.
func (s *combineSource) destination(name Object) (Array, error) {
	if s.dests == nil {
		if err := s.readDests(); err != nil {
			return nil, err
		}
	}
	var key string
	switch v := name.(type) {
	case String:
		key = string(v)
	case Name:
		key = string(v)
	}
	o, ok := s.dests[key]
	if !ok {
		return nil, nil
	}
	r := s.n.r
	v, err := r.resolve(o)
	if err != nil {
		return nil, err
	}
	if d, ok := v.(Dict); ok {
		if v, err = r.resolve(d["D"]); err != nil {
			return nil, err
		}
	}
	a, _ := v.(Array)
	if len(a) == 0 {
		return nil, nil
	}
	return a, nil
}

// readDests reads s's named destinations into s.dests.
func (s *combineSource) readDests() error {
	r := s.n.r
	s.dests = map[string]Object{}
	nv, err := r.resolve(s.cat["Names"])
	if err != nil {
		return err
	}
	if names, ok := nv.(Dict); ok {
		entries, err := r.nameTreeEntries(names["Dests"])
		if err != nil {
			return err
		}
		for _, e := range entries {
			s.dests[string(e.key)] = e.value
		}
	}
	dv, err := r.resolve(s.cat["Dests"])
	if err != nil {
		return err
	}
	old, _ := dv.(Dict)
	if len(old) > maxNameTree {
		return malformed("/Dests has more than %d entries", maxNameTree)
	}
	for k, v := range old {
		if _, ok := s.dests[string(k)]; !ok {
			s.dests[string(k)] = v
		}
	}
	return nil
}

// setOf returns the entries to set on ref when it is written, made on
// first use.
func (n *normalizer) setOf(ref Ref) Dict {
	d, ok := n.set[ref]
	if !ok {
		d = Dict{}
		n.set[ref] = d
	}
	return d
}

// form makes the combined interactive form (§12.7.2): one non-terminal
// field per source with fields, named by the source's prefix, holding the
// source's top-level fields; merged default resources; nil when no source
// has fields.
func (c *combiner) form() (Dict, error) {
	var fields Array
	dr := Dict{}
	form := Dict{}
	for _, s := range c.srcs {
		node, err := s.formNode(c, dr, form)
		if err != nil {
			return nil, fmt.Errorf("pdf: %s: %w", s.n.label, err)
		}
		if node != (Ref{}) {
			fields = append(fields, node)
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	form["Fields"] = fields
	if len(dr) > 0 {
		form["DR"] = dr
	}
	return form, nil
}

// formNode makes the field that holds s's top-level fields, merges s's
// default resources into dr and sets form's /DA (the first source's) and
// /NeedAppearances (any source's). It returns the zero Ref when s has no
// fields.
func (s *combineSource) formNode(c *combiner, dr, form Dict) (Ref, error) {
	n := s.n
	r := n.r
	fo, err := r.resolve(s.cat["AcroForm"])
	if err != nil {
		return Ref{}, err
	}
	af, ok := fo.(Dict)
	if !ok {
		return Ref{}, nil
	}
	if ref, ok := s.cat["AcroForm"].(Ref); ok {
		n.skip[ref] = true
	}
	for _, k := range []Name{"XFA", "CO"} {
		if v, ok := af[k]; ok {
			n.drop(v)
			s.dropped = append(s.dropped, map[Name]string{
				"XFA": "the XFA form (/AcroForm /XFA)",
				"CO":  "the calculation order (/AcroForm /CO)",
			}[k])
		}
	}
	if na, err := r.resolve(af["NeedAppearances"]); err == nil && na == Bool(true) {
		form["NeedAppearances"] = Bool(true)
	}
	if err := s.mergeDR(dr, af["DR"]); err != nil {
		return Ref{}, err
	}
	da, err := r.resolve(af["DA"])
	if err != nil {
		return Ref{}, err
	}
	if _, ok := da.(String); ok {
		if _, set := form["DA"]; !set {
			form["DA"] = da
		}
	}
	fl, err := r.resolve(af["Fields"])
	if err != nil {
		return Ref{}, err
	}
	top, _ := fl.(Array)
	if len(top) == 0 {
		return Ref{}, nil
	}
	if len(top) >= maxCollection {
		return Ref{}, malformed("more than %d form fields", maxCollection)
	}
	self, err := c.made(nil)
	if err != nil {
		return Ref{}, err
	}
	node := Dict{"T": textString(s.prefix)}
	if _, ok := da.(String); ok {
		node["DA"] = da // inherited by the fields that have none (§12.7.3.3)
	}
	if q, err := r.resolve(af["Q"]); err == nil {
		if _, ok := q.(Int); ok {
			node["Q"] = q
		}
	}
	var kids Array
	seen := map[Ref]bool{}
	for _, f := range top {
		switch f := f.(type) {
		case Ref:
			if seen[f] {
				continue // listed twice: one field
			}
			seen[f] = true
			nr, err := n.ref(f)
			if err != nil {
				return Ref{}, err
			}
			if _, null := nr.(Null); null {
				continue
			}
			n.setOf(f)["Parent"] = self
			kids = append(kids, nr)
		case Dict: // a field should be indirect (Table 218); give it a number
			k, err := c.w.add(queued{n: n, obj: f, set: Dict{"Parent": self}})
			if err != nil {
				return Ref{}, err
			}
			kids = append(kids, Ref{Num: k})
		}
	}
	node["Kids"] = kids
	c.w.queue[self.Num-1].obj = node
	return self, nil
}

// mergeDR adds the entries of s's default resources (§12.7.2, a resource
// dictionary, §7.8.3) to dr, converted: the first source's entry wins
// where two use one name, and the loser is listed.
func (s *combineSource) mergeDR(dr Dict, o Object) error {
	n := s.n
	v, err := n.r.resolve(o)
	if err != nil {
		return err
	}
	res, ok := v.(Dict)
	if !ok {
		return nil
	}
	for _, cat := range sortedKeys(res) {
		cv, err := n.r.resolve(res[cat])
		if err != nil {
			return err
		}
		entries, ok := cv.(Dict)
		if !ok { // /ProcSet, or something malformed
			if _, have := dr[cat]; !have {
				if dr[cat], err = n.conv(res[cat], 0); err != nil {
					return err
				}
			}
			continue
		}
		merged, _ := dr[cat].(Dict)
		if merged == nil {
			merged = Dict{}
			dr[cat] = merged
		}
		for _, name := range sortedKeys(entries) {
			if _, taken := merged[name]; taken {
				s.dropped = append(s.dropped, fmt.Sprintf("form resource %s %s (an earlier document's has the name)",
					appendName(nil, cat), appendName(nil, name)))
				continue
			}
			c, err := n.conv(entries[name], 0)
			if err != nil {
				return err
			}
			if _, null := c.(Null); !null {
				merged[name] = c
			}
		}
	}
	return nil
}

// sortedKeys returns d's keys in order, so that numbering is reproducible.
func sortedKeys(d Dict) []Name {
	keys := make([]Name, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// claimPDFA gives the combined catalog a PDF/A-3b claim (ISO 19005-3
// §6.6.4: XMP metadata with pdfaid:part 3 and pdfaid:conformance B) and
// the first source's output intents (§6.2.2) when every source claims
// PDF/A at level B or above, in part 1, 2 or 3: what PDF/A-1 and -2 ask
// PDF/A-3 asks too (see [ClaimPDFA3]), and level A and U files are level
// B files with more. The claim is not kept when two sources' output
// intents have destination profiles of different colour spaces, since the
// combination has one output intent for the device colours of all its
// pages (§6.2.4.3); nor when one source claims nothing, is PDF 2.0 or asks
// for /NeedAppearances (§6.4.1). Structure trees are dropped, so the claim
// is level B whatever the sources'.
func (c *combiner) claimPDFA(cat, form Dict) error {
	var first *combineSource
	var intents Array
	components := int64(-1)
	claimed := slices.ContainsFunc(c.srcs, func(s *combineSource) bool { return s.claim.Part > 0 })
	for _, s := range c.srcs {
		if p, l := s.claim.Part, s.claim.Conformance; p < 1 || p > 3 || (l != "A" && l != "B" && l != "U") {
			if claimed {
				c.dropped = append(c.dropped, "the PDF/A claim ("+s.label()+" claims no PDF/A-1, -2 or -3 at level B)")
			}
			return nil
		}
		r := s.n.r
		v, err := r.resolve(s.cat["OutputIntents"])
		if err != nil {
			return err
		}
		ois, _ := v.(Array)
		for _, oi := range ois {
			d, _ := r.resolve(oi)
			od, _ := d.(Dict)
			if od["S"] != Name("GTS_PDFA1") {
				continue
			}
			p, _ := r.resolve(od["DestOutputProfile"])
			st, _ := p.(Stream)
			n, _ := intValue(st.Dict["N"])
			if components >= 0 && n != components {
				c.dropped = append(c.dropped, "the PDF/A claim (the documents' output intents differ)")
				return nil
			}
			components = n
			if first == nil {
				first, intents = s, ois
			}
		}
	}
	if form["NeedAppearances"] == Bool(true) {
		// ISO 19005-2 and -3 §6.4.1: a viewer must not make appearances.
		c.dropped = append(c.dropped, "the PDF/A claim (a document's form asks for /NeedAppearances)")
		return nil
	}
	if major, _, _ := parseVersion(c.version); major != 1 {
		// PDF/A-1 to -3 are PDF 1.x (ISO 19005-3 §6.1.2).
		c.dropped = append(c.dropped, "the PDF/A claim (a document is PDF "+c.version+")")
		return nil
	}
	c.pdfa = true
	if first != nil {
		oi, err := first.n.conv(intents, 0)
		if err != nil {
			return err
		}
		cat["OutputIntents"] = oi
		first.carried["OutputIntents"] = true
	}
	md, err := c.w.add(queued{obj: Dict{"Type": Name("Metadata"), "Subtype": Name("XML")}, data: []byte(pdfaXMP)})
	cat["Metadata"] = Ref{Num: md}
	return err
}

// pdfaXMP is the combined document's metadata (ISO 32000-1 §14.3.2): its
// PDF/A identification alone (ISO 19005-3 §6.6.4). The packet header has
// neither bytes nor encoding attribute (§6.6.2.1); the stream is not
// filtered (§6.6.2.1). There is no information dictionary for it to
// agree with (§6.6.2.3.1).
const pdfaXMP = "<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n" +
	"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n" +
	" <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n" +
	"  <rdf:Description rdf:about=\"\"\n" +
	"    xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n" +
	"    xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n" +
	"   <pdfaid:part>3</pdfaid:part>\n" +
	"   <pdfaid:conformance>B</pdfaid:conformance>\n" +
	"   <dc:format>application/pdf</dc:format>\n" +
	"  </rdf:Description>\n" +
	" </rdf:RDF>\n" +
	"</x:xmpmeta>\n" +
	"<?xpacket end=\"w\"?>"

// lang keeps the sources' natural language (/Lang, §14.9.2.1) when every
// source that states one states the same.
func (c *combiner) lang(cat Dict) error {
	var lang String
	for _, s := range c.srcs {
		v, err := s.n.r.resolve(s.cat["Lang"])
		if err != nil {
			return err
		}
		l, ok := v.(String)
		if _, null := v.(Null); null {
			continue
		}
		if !ok || (lang != nil && !bytes.Equal(l, lang)) {
			return nil
		}
		lang = l
	}
	if lang != nil {
		cat["Lang"] = lang
		for _, s := range c.srcs {
			s.carried["Lang"] = true
		}
	}
	return nil
}

// optionalContent merges the sources' optional content properties
// (§8.11.4.2), so that what a viewer shows and hides by default is what
// it showed and hid in each source: /OCGs lists every source's groups,
// and the default configuration (§8.11.4.3) lists under /OFF the groups
// each source's default configuration turned off (those in /OFF, or, with
// /BaseState /OFF, those not in /ON). The configurations' /Order,
// /RBGroups, /Locked and /AS are concatenated; other configurations
// (/Configs) and the default's other entries are dropped and listed.
func (c *combiner) optionalContent(cat Dict) error {
	var ocgs, off Array
	lists := map[Name]Array{}
	for _, s := range c.srcs {
		if err := s.optionalContent(&ocgs, &off, lists); err != nil {
			return fmt.Errorf("pdf: %s: %w", s.n.label, err)
		}
	}
	if len(ocgs) == 0 {
		return nil
	}
	d := Dict{}
	if len(off) > 0 {
		d["OFF"] = off
	}
	for k, v := range lists {
		d[k] = v
	}
	cat["OCProperties"] = Dict{"OCGs": ocgs, "D": d}
	return nil
}

// optionalContent adds s's optional content groups to ocgs, those off by
// default to off, and its default configuration's lists to lists.
func (s *combineSource) optionalContent(ocgs, off *Array, lists map[Name]Array) error {
	r := s.n.r
	v, err := r.resolve(s.cat["OCProperties"])
	if err != nil {
		return err
	}
	props, ok := v.(Dict)
	if !ok {
		return nil
	}
	s.carried["OCProperties"] = true
	if cf, ok := props["Configs"]; ok {
		s.n.drop(cf)
		s.dropped = append(s.dropped, "alternate optional content configurations (/OCProperties /Configs)")
	}
	dv, err := r.resolve(props["D"])
	if err != nil {
		return err
	}
	def, _ := dv.(Dict)
	refs := func(k Name) (map[Ref]bool, error) {
		v, err := r.resolve(def[k])
		a, _ := v.(Array)
		set := make(map[Ref]bool, len(a))
		for _, e := range a {
			if ref, ok := e.(Ref); ok {
				set[ref] = true
			}
		}
		return set, err
	}
	on, err := refs("ON")
	if err != nil {
		return err
	}
	offs, err := refs("OFF")
	if err != nil {
		return err
	}
	baseOff := def["BaseState"] == Name("OFF")
	gv, err := r.resolve(props["OCGs"])
	if err != nil {
		return err
	}
	groups, _ := gv.(Array)
	if len(*ocgs)+len(groups) >= maxCollection {
		return malformed("more than %d optional content groups", maxCollection)
	}
	for _, g := range groups {
		ref, ok := g.(Ref)
		if !ok {
			continue // groups are indirect (§8.11.2.1)
		}
		nr, err := s.n.ref(ref)
		if err != nil {
			return err
		}
		if _, null := nr.(Null); null {
			continue
		}
		*ocgs = append(*ocgs, nr)
		if (baseOff && !on[ref]) || (!baseOff && offs[ref]) {
			*off = append(*off, nr)
		}
	}
	var other []string
	for _, k := range sortedKeys(def) {
		switch k {
		case "ON", "OFF", "BaseState", "Name", "Creator":
		case "Order", "RBGroups", "Locked", "AS":
			lv, err := r.resolve(def[k])
			if err != nil {
				return err
			}
			a, _ := lv.(Array)
			conv, err := s.n.conv(a, 0)
			if err != nil {
				return err
			}
			if len(lists[k])+len(a) < maxCollection {
				lists[k] = append(lists[k], conv.(Array)...)
			}
		default:
			s.n.drop(def[k])
			other = append(other, string(appendName(nil, k)))
		}
	}
	if len(other) > 0 {
		s.dropped = append(s.dropped, "optional content settings ("+strings.Join(other, " ")+")")
	}
	return nil
}

// catalogWords says in plain words what a catalog entry (§7.7.2, Table
// 28) that the combination drops held.
var catalogWords = map[Name]string{
	"Outlines":          "the outline (bookmarks)",
	"StructTreeRoot":    "the structure tree (the combined document is not tagged PDF)",
	"MarkInfo":          "the tagged-PDF marking (/MarkInfo)",
	"OpenAction":        "the action on opening (/OpenAction)",
	"AA":                "the document's additional actions (/AA)",
	"Dests":             "named destinations (/Dests)",
	"PageLabels":        "page labels",
	"Threads":           "article threads",
	"AF":                "associated files (/AF)",
	"Perms":             "permissions (/Perms)",
	"Collection":        "the portable collection (/Collection)",
	"OCProperties":      "the optional content properties (/OCProperties)",
	"ViewerPreferences": "viewer preferences",
	"PageLayout":        "the page layout",
	"PageMode":          "the page mode",
	"Lang":              "the language (/Lang)",
	"Metadata":          "the XMP metadata",
	"OutputIntents":     "the output intents",
	"Legal":             "the legal attestation (/Legal)",
	"Requirements":      "the viewer requirements (/Requirements)",
	"URI":               "the base URI",
	"SpiderInfo":        "the web capture information (/SpiderInfo)",
	"PieceInfo":         "private application data (/PieceInfo)",
	"Extensions":        "developer extensions (/Extensions)",
	"DSS":               "the document security store (/DSS)",
	"NeedsRendering":    "/NeedsRendering",
}

// namesWords says what an entry of the name dictionary (§7.7.4, Table 31)
// held.
var namesWords = map[Name]string{
	"Dests":                  "named destinations",
	"JavaScript":             "document JavaScript",
	"EmbeddedFiles":          "embedded files",
	"AP":                     "named appearance streams",
	"Pages":                  "named pages",
	"Templates":              "page templates",
	"IDS":                    "web capture identifiers",
	"URLS":                   "web capture URLs",
	"AlternatePresentations": "alternate presentations",
	"Renditions":             "renditions",
}

// catalogDropped lists the catalog entries of s that the combination does
// not carry, and the information dictionary. What the catalog and /Info
// reach and the combination does not copy counts as dropped with them,
// not as unreferenced (normalizer.unreferenced).
func (s *combineSource) catalogDropped() {
	for _, v := range s.cat {
		s.n.drop(v)
	}
	s.n.drop(s.n.r.trailer["Info"])
	var out []string
	for _, k := range sortedKeys(s.cat) {
		switch k {
		case "Type", "Pages", "AcroForm", "Version":
			continue
		case "Metadata":
			if s.claim.Part > 0 {
				out = append(out, "the XMP metadata (the combined document has its own)")
				continue
			}
		case "Names":
			out = append(out, s.namesDropped()...)
			continue
		}
		if s.carried[k] {
			continue
		}
		if w, ok := catalogWords[k]; ok {
			out = append(out, w)
		} else {
			out = append(out, string(appendName(nil, k)))
		}
	}
	if s.info {
		out = append(out, "the document information (/Info)")
	}
	s.dropped = append(out, s.dropped...)
}

// namesDropped says what the name dictionary held.
func (s *combineSource) namesDropped() []string {
	v, err := s.n.r.resolve(s.cat["Names"])
	d, ok := v.(Dict)
	if err != nil || !ok || len(d) == 0 {
		return []string{"the name dictionary (/Names)"}
	}
	var what []string
	for _, k := range sortedKeys(d) {
		if w, ok := namesWords[k]; ok {
			what = append(what, w)
		} else {
			what = append(what, string(appendName(nil, k)))
		}
	}
	return []string{"the name dictionary (" + strings.Join(what, ", ") + ")"}
}

// report lists, prefixed by the source's label, what the combination
// leaves out of s.
func (s *combineSource) report() []string {
	out := slices.Clone(s.dropped)
	if s.beads > 0 {
		out = append(out, "article beads (/B) on "+plural(s.beads, "page", "pages"))
	}
	if s.structs > 0 {
		out = append(out, "structure tree references (/StructParents) of "+plural(s.structs, "page", "pages"))
	}
	out = append(out, s.n.report()...) // earlier revisions, unreferenced objects, /AA …
	for i, d := range out {
		out[i] = s.label() + ": " + d
	}
	return out
}

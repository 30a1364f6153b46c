package pdf

import (
	"errors"
	"fmt"
	"io"
)

// maxVisit bounds the objects that PageCount and Check visit, so that the
// work for one upload is bounded whatever the file claims.
const maxVisit = 1 << 20

// Info summarises a checked document.
type Info struct {
	Pages     int    // leaves of the page tree
	Version   string // see [Reader.Version]
	Revisions int    // see [Reader.Revisions]
	Encrypted bool
	// Findings are what the document carries that [Normalize] removes
	// before signing, for the sender to be told; nil when nothing.
	Findings []Finding
	// Signatures counts the signed signature fields ([Reader.Signatures]).
	Signatures int
	// DynamicXFA is set for a dynamic XFA form (catalog /NeedsRendering
	// true, ISO 32000-1 §12.7.8).
	DynamicXFA bool
}

// Finding is something an accepted document carries that segl will not
// sign as it is, because [Normalize] removes it.
type Finding struct {
	Code   string // stable, one of the Finding* constants
	Detail string // for people
}

// FindingJavaScriptRemoved: JavaScript in actions that normalisation drops
// (additional actions /AA of fields, annotations, pages and the catalog,
// and a non-GoTo /OpenAction), such as the AFDate_FormatEx format action
// form tools put on date fields. The signed copy carries none of it.
const FindingJavaScriptRemoved = "javascript-removed"

// Check is the structural check for uploaded documents. It opens the file
// and refuses it when it is encrypted (ErrEncrypted: segl could neither
// render nor sign it), when it carries JavaScript that normalisation would
// keep (ErrJavaScript: a script could change what a signer sees after
// signing), or when its page tree is broken or empty (ErrMalformed). It
// also reports what makes a readable document one segl cannot sign
// ([Info.Signable]). JavaScript is looked for in every object reachable
// from the catalog, which covers the document's name tree
// (/Names /JavaScript, 7.7.4), /OpenAction (7.7.2), additional actions
// (/AA, 12.6.3) and actions on pages, annotations and form fields: any
// dictionary with a /JS key, an /S /JavaScript action (12.6.4.16) or a
// /JavaScript key. JavaScript reached only through what [Normalize] drops
// (/AA, a non-GoTo /OpenAction, /Perms) is not refused but reported as a
// [Finding] (FindingJavaScriptRemoved): the signed copy cannot run it. The
// walk visits at most a fixed number of objects and fails closed beyond
// that.
//
// On error, Info holds what was learned before the failure.
func Check(r io.ReaderAt, size int64) (Info, error) {
	rd, err := Open(r, size)
	if err != nil {
		return Info{}, err
	}
	info := Info{
		Version:   rd.headerVersion,
		Revisions: len(rd.revisions),
		Encrypted: rd.Encrypted(),
	}
	if info.Encrypted {
		return info, ErrEncrypted
	}
	info.Version = rd.Version()
	if info.Pages, err = rd.PageCount(); err != nil {
		return info, err
	}
	if info.Pages == 0 {
		return info, malformed("document has no pages")
	}
	removed, err := rd.scanJavaScript()
	if err != nil {
		return info, err
	}
	if removed {
		info.Findings = append(info.Findings, Finding{Code: FindingJavaScriptRemoved,
			Detail: "JavaScript in document or form actions, which are removed before signing"})
	}
	sigs, err := rd.Signatures()
	if err != nil {
		return info, err
	}
	info.Signatures = len(sigs)
	rd.mu.Lock()
	err = rd.checkRendering()
	rd.mu.Unlock()
	if errors.Is(err, ErrDynamicXFA) {
		info.DynamicXFA = true
	} else if err != nil {
		return info, err
	}
	return info, nil
}

// Signable refuses a document that segl could never sign, so that an
// upload is refused when its job is created, by the same rule as when its
// first signer tries:
//   - one that already carries signatures ([ErrSigned]): normalising it
//     would break them, and the signature page has to be added before the
//     first signature, since a page added after one is a change no PAdES
//     validator accepts (EN 319 142-1 §5.4);
//   - a dynamic XFA form (ISO 32000-1 §12.7.8, catalog /NeedsRendering
//     true, [ErrDynamicXFA]): its pages are only a placeholder for what an
//     XFA processor renders, so what the signer sees is not what is signed.
func (i Info) Signable() error {
	if i.Signatures > 0 {
		return fmt.Errorf("%w: it carries %s, which a rewrite would break", ErrSigned, plural(i.Signatures, "signature", "signatures"))
	}
	if i.DynamicXFA {
		return fmt.Errorf("%w: the catalog asks for xfa rendering", ErrDynamicXFA)
	}
	return nil
}

// checkRendering refuses a dynamic XFA form ([ErrDynamicXFA]). r.mu must
// be held.
func (r *Reader) checkRendering() error {
	cat, err := r.catalog()
	if err != nil {
		return err
	}
	nr, err := r.resolve(cat["NeedsRendering"])
	if err != nil {
		return err
	}
	if nr == Bool(true) {
		return fmt.Errorf("%w: the catalog asks for xfa rendering", ErrDynamicXFA)
	}
	return nil
}

// PageCount counts the leaves of the page tree (7.7.3.2) by walking it
// rather than trusting /Count, which hostile or sloppy writers get wrong. A
// node reached twice (a cycle, or a page shared by two parents) is
// malformed: viewers disagree on such trees.
func (r *Reader) PageCount() (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.walkPages(nil)
}

// pages returns the page dictionaries in document order, each with the
// attributes it inherits.
func (r *Reader) pages() ([]Dict, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Dict
	_, err := r.walkPageTree(func(n pageNode) error {
		if n.leaf {
			out = append(out, effectivePage(n))
		}
		return nil
	})
	return out, err
}

// effectivePage is a leaf with the attributes it inherits (§7.7.3.4) made
// its own: what a viewer draws it with. A crop box or rotation set on a page
// tree node changes the page as much as one set on the page.
func effectivePage(n pageNode) Dict {
	missing := false
	for k := range n.inherited {
		if _, own := n.dict[k]; !own {
			missing = true
		}
	}
	if !missing {
		return n.dict
	}
	d := cloneDict(n.dict)
	for k, v := range n.inherited {
		if _, own := d[k]; !own {
			d[k] = v
		}
	}
	return d
}

// walkPages visits the leaves of the page tree in order (7.7.3.2), calling
// visit (if not nil) for each, with the same bounds as every other walk.
// r.mu must be held.
func (r *Reader) walkPages(visit func(Dict)) (int, error) {
	if visit == nil {
		return r.walkPageTree(nil)
	}
	return r.walkPageTree(func(n pageNode) error {
		if n.leaf {
			visit(n.dict)
		}
		return nil
	})
}

// inheritable are the page attributes a page takes from the nearest
// ancestor that has them when it lacks them itself (§7.7.3.4).
var inheritable = [...]Name{"Resources", "MediaBox", "CropBox", "Rotate"}

// pageNode is a node of the page tree as walkPageTree meets it.
type pageNode struct {
	ref  Ref // zero for a direct dictionary
	dict Dict
	leaf bool
	// inherited holds, for a leaf, the inheritable attributes of its
	// nearest ancestors (§7.7.3.4), whether or not the page has its own;
	// nil when no ancestor has any.
	inherited Dict
}

// walkPageTree visits the nodes of the page tree depth first, in document
// order (7.7.3.2): each intermediate node before its kids, then the leaves.
// It counts the leaves by walking the tree rather than trusting /Count,
// which hostile or sloppy writers get wrong. A node reached twice (a
// cycle, or a page shared by two parents) is malformed: viewers disagree
// on such trees. visit may be nil. r.mu must be held.
func (r *Reader) walkPageTree(visit func(pageNode) error) (int, error) {
	cat, err := r.catalog()
	if err != nil {
		return 0, err
	}
	root, ok := cat["Pages"]
	if !ok {
		return 0, malformed("catalog has no /Pages")
	}
	type item struct {
		o         Object
		inherited Dict // shared by siblings, never changed once made
	}
	seen := map[Ref]bool{}
	stack := []item{{o: root}}
	count, visits := 0, 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visits++; visits > maxVisit {
			return 0, malformed("page tree larger than %d nodes", maxVisit)
		}
		ref, _ := it.o.(Ref)
		if ref != (Ref{}) {
			if seen[ref] {
				return 0, malformed("page tree node %v reached twice", ref)
			}
			seen[ref] = true
		}
		o, err := r.resolve(it.o)
		if err != nil {
			return 0, err
		}
		d, ok := o.(Dict)
		if !ok {
			if _, null := o.(Null); null {
				continue // a dangling kid: viewers skip it
			}
			return 0, malformed("page tree node is not a dictionary")
		}
		typ, _ := d["Type"].(Name)
		kids, hasKids := d["Kids"]
		if typ == "Page" || (typ != "Pages" && !hasKids) {
			count++
			if visit != nil {
				if err := visit(pageNode{ref: ref, dict: d, leaf: true, inherited: it.inherited}); err != nil {
					return 0, err
				}
			}
			continue
		}
		if visit != nil {
			if err := visit(pageNode{ref: ref, dict: d}); err != nil {
				return 0, err
			}
		}
		ko, err := r.resolve(kids)
		if err != nil {
			return 0, err
		}
		ka, ok := ko.(Array)
		if !ok {
			if _, null := ko.(Null); null {
				continue
			}
			return 0, malformed("page tree /Kids is not an array")
		}
		if len(stack)+len(ka) > maxVisit {
			return 0, malformed("page tree larger than %d nodes", maxVisit)
		}
		inh := it.inherited
		if visit != nil {
			inh = inherit(inh, d)
		}
		for i := len(ka) - 1; i >= 0; i-- {
			stack = append(stack, item{o: ka[i], inherited: inh})
		}
	}
	return count, nil
}

// inherit returns the inheritable attributes below node: those of node,
// else those above it. It allocates only when node has some of its own.
func inherit(above Dict, node Dict) Dict {
	out, own := above, false
	for _, k := range inheritable {
		v, ok := node[k]
		if !ok {
			continue
		}
		if !own {
			out, own = cloneDict(above), true
			if out == nil {
				out = Dict{}
			}
		}
		out[k] = v
	}
	return out
}

// scanJavaScript walks every object reachable from the catalog, each once,
// as Normalize keeps them, and fails with ErrJavaScript at the first sign
// of a script. Then it walks what Normalize drops (the catalog's /Perms
// and non-GoTo /OpenAction, every /AA) and reports whether a script is
// there: an object reached both ways has been refused by the first walk.
func (r *Reader) scanJavaScript() (removed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[Ref]bool{}
	if ref, ok := r.trailer["Root"].(Ref); ok {
		seen[ref] = true // walked below as Normalize keeps it
	}
	cat, err := r.catalog()
	if err != nil {
		return false, err
	}
	kept, dropped, err := r.keptCatalog(cat)
	if err != nil {
		return false, err
	}
	s := &jsScan{r: r, seen: seen, dropped: dropped, collect: true}
	if err := s.run(kept); err != nil {
		return false, err
	}
	drops := &jsScan{r: r, seen: seen}
	switch err := drops.run(s.dropped...); {
	case errors.Is(err, ErrJavaScript):
		return true, nil
	case err != nil:
		return false, err
	}
	return false, nil
}

// keptCatalog returns the catalog as Normalize writes it, as far as scripts
// go, and what it drops: /Perms, and /OpenAction unless it is a
// destination or a GoTo action, of which only /D is kept.
func (r *Reader) keptCatalog(cat Dict) (Dict, []Object, error) {
	kept := cloneDict(cat)
	var dropped []Object
	if p, ok := kept["Perms"]; ok {
		dropped = append(dropped, p)
		delete(kept, "Perms")
	}
	if oa, ok := kept["OpenAction"]; ok {
		delete(kept, "OpenAction")
		v, err := r.resolve(oa)
		if err != nil {
			return nil, nil, err
		}
		switch v := v.(type) {
		case Array:
			kept["OpenAction"] = v
		case Dict:
			if v["S"] == Name("GoTo") {
				kept["OpenAction"] = Dict{"S": Name("GoTo"), "D": v["D"]}
			}
		}
		dropped = append(dropped, oa)
	}
	return kept, dropped, nil
}

// jsScan is one walk of the object graph looking for scripts. With collect
// set, the /AA entries it meets are not walked but added to dropped.
type jsScan struct {
	r       *Reader
	seen    map[Ref]bool
	dropped []Object
	collect bool
}

// run walks from roots; r.mu must be held.
func (s *jsScan) run(roots ...Object) error {
	var queue []Object
	var err error
	for _, o := range roots {
		if queue, err = s.walk(o, queue, 0); err != nil {
			return err
		}
	}
	for len(queue) > 0 {
		o := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		ref, ok := o.(Ref)
		if !ok || s.seen[ref] {
			continue
		}
		s.seen[ref] = true
		if len(s.seen) > maxVisit {
			return malformed("more than %d objects to scan", maxVisit)
		}
		o, err := s.r.object(ref, 0)
		if err != nil {
			return err
		}
		if queue, err = s.walk(o, queue, 0); errors.Is(err, ErrJavaScript) {
			return fmt.Errorf("%w: in object %v", ErrJavaScript, ref)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// walk inspects a direct object and its direct children, and queues the
// references it finds. Parsed objects are at most maxDepth deep, so the
// recursion is bounded.
func (s *jsScan) walk(o Object, queue []Object, depth int) ([]Object, error) {
	if depth > maxDepth+1 {
		return queue, malformed("objects nested too deeply")
	}
	var err error
	switch v := o.(type) {
	case Ref:
		if len(queue) >= maxVisit {
			return queue, malformed("more than %d objects to scan", maxVisit)
		}
		queue = append(queue, v)
	case Array:
		for _, e := range v {
			if queue, err = s.walk(e, queue, depth+1); err != nil {
				return queue, err
			}
		}
	case Stream:
		return s.walk(v.Dict, queue, depth)
	case Dict:
		if isJavaScript(v) {
			return queue, ErrJavaScript
		}
		for k, e := range v {
			if k == "AA" && s.collect {
				if len(s.dropped) >= maxVisit {
					return queue, malformed("more than %d objects to scan", maxVisit)
				}
				s.dropped = append(s.dropped, e) // Normalize drops every /AA
				continue
			}
			if queue, err = s.walk(e, queue, depth+1); err != nil {
				return queue, err
			}
		}
	}
	return queue, nil
}

// isJavaScript reports whether d is a JavaScript action (12.6.4.16), a
// rendition action with a script (12.6.4.13), or a name dictionary with a
// JavaScript tree (7.7.4).
func isJavaScript(d Dict) bool {
	if _, ok := d["JS"]; ok {
		return true
	}
	if _, ok := d["JavaScript"]; ok {
		return true
	}
	return d["S"] == Name("JavaScript")
}

package pdf

import (
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
}

// Check is the structural check for uploaded documents. It opens the file
// and refuses it when it is encrypted (ErrEncrypted: segl could neither
// render nor sign it), when it carries JavaScript (ErrJavaScript: a script
// could change what a signer sees after signing), or when its page tree is
// broken or empty (ErrMalformed). JavaScript is looked for in every object
// reachable from the catalog, which covers the document's name tree
// (/Names /JavaScript, 7.7.4), /OpenAction (7.7.2), additional actions
// (/AA, 12.6.3) and actions on pages, annotations and form fields: any
// dictionary with a /JS key, an /S /JavaScript action (12.6.4.16) or a
// /JavaScript key is refused. The walk visits at most a fixed number of
// objects and fails closed beyond that.
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
	if err := rd.scanJavaScript(); err != nil {
		return info, err
	}
	return info, nil
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

// pages returns the page dictionaries in document order.
func (r *Reader) pages() ([]Dict, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Dict
	_, err := r.walkPages(func(d Dict) { out = append(out, d) })
	return out, err
}

// walkPages visits the leaves of the page tree in order (7.7.3.2), calling
// visit (if not nil) for each, with the same bounds as every other walk.
// r.mu must be held.
func (r *Reader) walkPages(visit func(Dict)) (int, error) {
	cat, err := r.catalog()
	if err != nil {
		return 0, err
	}
	root, ok := cat["Pages"]
	if !ok {
		return 0, malformed("catalog has no /Pages")
	}
	seen := map[Ref]bool{}
	stack := []Object{root}
	count, visits := 0, 0
	for len(stack) > 0 {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visits++; visits > maxVisit {
			return 0, malformed("page tree larger than %d nodes", maxVisit)
		}
		if ref, ok := o.(Ref); ok {
			if seen[ref] {
				return 0, malformed("page tree node %v reached twice", ref)
			}
			seen[ref] = true
		}
		o, err := r.resolve(o)
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
				visit(d)
			}
			continue
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
		for i := len(ka) - 1; i >= 0; i-- {
			stack = append(stack, ka[i])
		}
	}
	return count, nil
}

// scanJavaScript walks every object reachable from the catalog, each once,
// and fails with ErrJavaScript at the first sign of a script.
func (r *Reader) scanJavaScript() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[Ref]bool{}
	queue, err := walk(r.trailer["Root"], nil, 0)
	if err != nil {
		return err
	}
	for len(queue) > 0 {
		o := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		ref, ok := o.(Ref)
		if !ok {
			continue
		}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		if len(seen) > maxVisit {
			return malformed("more than %d objects to scan", maxVisit)
		}
		o, err := r.object(ref, 0)
		if err != nil {
			return err
		}
		if queue, err = walk(o, queue, 0); err == ErrJavaScript {
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
func walk(o Object, queue []Object, depth int) ([]Object, error) {
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
			if queue, err = walk(e, queue, depth+1); err != nil {
				return queue, err
			}
		}
	case Stream:
		return walk(v.Dict, queue, depth)
	case Dict:
		if isJavaScript(v) {
			return queue, ErrJavaScript
		}
		for _, e := range v {
			if queue, err = walk(e, queue, depth+1); err != nil {
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

package pdf

import (
	"errors"
	"fmt"
	"io"
)

// ErrSigned reports a change that would invalidate the signatures a
// document already carries.
var ErrSigned = errors.New("pdf: document is signed")

// AppendPages writes src followed by an incremental update (ISO 32000-1
// §7.5.6) that adds pages at the end of the document, and returns the
// number of bytes written. segl uses it for its signature page, which has
// to be in place before the first signature: a page added after a
// signature is a change no PAdES validator accepts (EN 319 142-1 §5.4;
// internal/validate fails such a signature), so a document that carries
// signatures is refused with [ErrSigned].
//
// build is called once with the page tree root (the catalog's /Pages) as
// the parent for the new pages and an allocator of object numbers new in
// this update. It returns the new page objects in order and every new
// object, the pages among them (their content streams, fonts …). Each page
// must be a dictionary of /Type /Page whose /Parent is that root. The
// update holds those objects and a new version of the root whose /Kids end
// with the pages and whose /Count grows by their number (§7.7.3.2); nothing
// else is touched. The new pages inherit the root's inheritable attributes
// (§7.7.3.4: /Resources, /MediaBox, /CropBox, /Rotate), so build should
// give its pages their own.
func AppendPages(w io.Writer, src io.ReaderAt, size int64, build func(parent Ref, alloc func() (Ref, error)) (pages []Ref, objects []RawObject, err error)) (int64, error) {
	r, err := Open(src, size)
	if err != nil {
		return 0, err
	}
	sigs, err := r.Signatures()
	if err != nil {
		return 0, err
	}
	if len(sigs) > 0 {
		return 0, fmt.Errorf("%w: pages cannot be added after %d signature(s)", ErrSigned, len(sigs))
	}
	r.mu.Lock()
	upd, err := r.pagesUpdate(build)
	r.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return writeUpdate(w, src, size, upd)
}

func (r *Reader) pagesUpdate(build func(parent Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error)) ([]byte, error) {
	u, err := newUpdate(r)
	if err != nil {
		return nil, err
	}
	cat, err := r.catalog()
	if err != nil {
		return nil, err
	}
	rootRef, ok := cat["Pages"].(Ref)
	if !ok {
		return nil, malformed("catalog /Pages is not a reference")
	}
	o, err := r.resolve(rootRef)
	if err != nil {
		return nil, err
	}
	root, ok := o.(Dict)
	if !ok {
		return nil, malformed("page tree root is not a dictionary")
	}
	root = cloneDict(root)
	// The count of the tree as walked, not the root's /Count, which
	// sloppy writers get wrong.
	count, err := r.walkPages(nil)
	if err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, malformed("document has no pages")
	}

	alloc, fresh := u.recorder()
	pages, objs, err := build(rootRef, alloc)
	if err != nil {
		return nil, fmt.Errorf("pdf: new pages: %w", err)
	}
	if len(pages) == 0 {
		return nil, errors.New("pdf: no pages to add")
	}
	bodies := map[Ref][]byte{}
	for _, o := range objs {
		bodies[o.Ref] = o.Body
	}
	for _, p := range pages {
		body, ok := bodies[p]
		if !ok {
			return nil, fmt.Errorf("pdf: new page %v is not among the new objects", p)
		}
		o, err := newBytesScanner(body).object(0)
		if err != nil {
			return nil, fmt.Errorf("pdf: new page %v: %w", p, err)
		}
		d, ok := o.(Dict)
		if !ok || d["Type"] != Name("Page") || d["Parent"] != rootRef {
			return nil, fmt.Errorf("pdf: new page %v is not a page under %v", p, rootRef)
		}
	}
	if err := u.writeRaw(objs, fresh); err != nil {
		return nil, err
	}

	kids, kidsRef, err := r.arrayAt(root["Kids"])
	if err != nil {
		return nil, err
	}
	if len(kids)+len(pages) >= maxCollection {
		return nil, malformed("page tree root has too many kids")
	}
	for _, p := range pages {
		kids = append(kids, p)
	}
	root["Count"] = Int(count + len(pages))
	if kidsRef.Num > 0 {
		if err := u.writeObject(kidsRef, kids); err != nil {
			return nil, err
		}
	} else {
		root["Kids"] = kids
	}
	if err := u.writeObject(rootRef, root); err != nil {
		return nil, err
	}
	if err := u.finish(); err != nil {
		return nil, err
	}
	return u.buf, nil
}

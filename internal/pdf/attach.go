package pdf

import (
	"bytes"
	"slices"
	"strconv"
)

// maxNameTree bounds the entries of a name tree that an update rewrites.
const maxNameTree = 1 << 16

// attach writes each attachment as an embedded file stream (ISO 32000-1
// §7.11.4) and its file specification with /AFRelationship /Supplement,
// lists the specifications in the catalog's /AF (ISO 32000-2 §14.13, as
// PDF/A-3 requires of embedded files) and in the /EmbeddedFiles name tree
// (§7.7.4), and updates cat, which the caller then writes.
//
// The existing name tree is flattened into one root node with the new
// entries merged in order (§7.9.6): simpler and safer than splicing into
// intermediate nodes, whose /Limits would all have to be recomputed. A name
// already taken gets a " (2)" style suffix in the tree; the file
// specification keeps the requested file name.
func (r *Reader) attach(u *update, cat Dict, atts []Attachment) error {
	af, afRef, err := r.arrayAt(cat["AF"])
	if err != nil {
		return err
	}

	// /Names, direct in the catalog or indirect.
	names := Dict{}
	var namesRef Ref
	switch v := cat["Names"].(type) {
	case Ref:
		o, err := r.resolve(v)
		if err != nil {
			return err
		}
		if d, ok := o.(Dict); ok {
			names, namesRef = cloneDict(d), v
		}
	case Dict:
		names = cloneDict(v)
	}
	var treeRef Ref
	if ref, ok := names["EmbeddedFiles"].(Ref); ok {
		if o, err := r.resolve(ref); err == nil {
			if _, ok := o.(Dict); ok {
				treeRef = ref
			}
		}
	}
	entries, err := r.nameTreeEntries(names["EmbeddedFiles"])
	if err != nil {
		return err
	}
	taken := map[string]bool{}
	for _, e := range entries {
		taken[string(e.key)] = true
	}

	for _, a := range atts {
		fileRef, err := u.alloc()
		if err != nil {
			return err
		}
		specRef, err := u.alloc()
		if err != nil {
			return err
		}
		params := Dict{"Size": Int(len(a.Data))}
		if !a.ModTime.IsZero() {
			params["ModDate"] = pdfDate(a.ModTime)
		}
		// PDF/A-3 wants the MIME type of every embedded file (ISO 19005-3
		// §6.8).
		mediaType := a.MediaType
		if mediaType == "" {
			mediaType = "application/octet-stream"
		}
		ef := Dict{"Type": Name("EmbeddedFile"), "Subtype": Name(mediaType), "Params": params}
		if err := u.writeEncoded(fileRef, ef, a.stored(), a.DeflatedData != nil); err != nil {
			return err
		}
		spec := Dict{
			"Type":           Name("Filespec"),
			"F":              String(asciiFileName(a.Name)),
			"UF":             textString(a.Name),
			"EF":             Dict{"F": fileRef, "UF": fileRef},
			"AFRelationship": Name("Supplement"),
		}
		if a.Description != "" {
			spec["Desc"] = textString(a.Description)
		}
		if err := u.writeObject(specRef, spec); err != nil {
			return err
		}
		af = append(af, specRef)

		key := textString(a.Name)
		for n := 2; taken[string(key)]; n++ {
			key = textString(a.Name + " (" + strconv.Itoa(n) + ")")
		}
		taken[string(key)] = true
		entries = append(entries, nameEntry{key: key, value: specRef})
	}

	if afRef.Num > 0 {
		if err := u.writeObject(afRef, af); err != nil {
			return err
		}
	} else {
		cat["AF"] = af
	}

	slices.SortStableFunc(entries, func(a, b nameEntry) int { return bytes.Compare(a.key, b.key) })
	flat := make(Array, 0, 2*len(entries))
	for _, e := range entries {
		flat = append(flat, e.key, e.value)
	}
	if treeRef.Num == 0 {
		if treeRef, err = u.alloc(); err != nil {
			return err
		}
		names["EmbeddedFiles"] = treeRef
	}
	if err := u.writeObject(treeRef, Dict{"Names": flat}); err != nil {
		return err
	}
	if namesRef.Num > 0 {
		return u.writeObject(namesRef, names)
	}
	cat["Names"] = names
	return nil
}

// stored is the embedded file stream's data as written: DeflatedData, if set.
func (a *Attachment) stored() []byte {
	if a.DeflatedData != nil {
		return a.DeflatedData
	}
	return a.Data
}

// nameEntry is one key and value of a name tree.
type nameEntry struct {
	key   String
	value Object
}

// nameTreeEntries collects the entries of the name tree at o (§7.9.6),
// visiting each node once; a missing tree has none.
func (r *Reader) nameTreeEntries(o Object) ([]nameEntry, error) {
	var out []nameEntry
	seen := map[Ref]bool{}
	stack := []Object{o}
	visits := 0
	for len(stack) > 0 {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visits++; visits > maxVisit {
			return nil, malformed("name tree larger than %d nodes", maxVisit)
		}
		if ref, ok := o.(Ref); ok {
			if seen[ref] {
				continue
			}
			seen[ref] = true
		}
		v, err := r.resolve(o)
		if err != nil {
			return nil, err
		}
		d, ok := v.(Dict)
		if !ok {
			continue
		}
		no, err := r.resolve(d["Names"])
		if err != nil {
			return nil, err
		}
		if na, ok := no.(Array); ok {
			for i := 0; i+1 < len(na); i += 2 {
				k, err := r.resolve(na[i])
				if err != nil {
					return nil, err
				}
				if ks, ok := k.(String); ok {
					out = append(out, nameEntry{key: ks, value: na[i+1]})
				}
			}
			if len(out) > maxNameTree {
				return nil, malformed("name tree has more than %d entries", maxNameTree)
			}
		}
		ko, err := r.resolve(d["Kids"])
		if err != nil {
			return nil, err
		}
		if ka, ok := ko.(Array); ok {
			if len(stack)+len(ka) > maxVisit {
				return nil, malformed("name tree larger than %d nodes", maxVisit)
			}
			for i := len(ka) - 1; i >= 0; i-- {
				stack = append(stack, ka[i])
			}
		}
	}
	return out, nil
}

// asciiFileName is the /F file specification string (§7.11.2): the name
// with anything outside printable ASCII, and path separators, replaced by
// '_'. /UF carries the real name.
func asciiFileName(name string) string {
	b := make([]byte, 0, len(name))
	for _, c := range name {
		if c < 0x20 || c > 0x7e || c == '/' || c == '\\' {
			c = '_'
		}
		b = append(b, byte(c))
	}
	return string(b)
}

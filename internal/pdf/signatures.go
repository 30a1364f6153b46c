package pdf

import (
	"slices"
	"time"
)

// SignatureInfo is what a validator needs to know about one signature
// field of a file (ISO 32000-1 §12.8.1, Table 252; ETSI EN 319 142-1 §5).
// Nothing in it is trusted: a validator checks the byte range against the
// file and against RevisionEnd, and the CMS against the bytes.
type SignatureInfo struct {
	Field     string // fully qualified field name (§12.7.3.2)
	Type      string // /Type of the signature dictionary: "Sig", "DocTimeStamp" or empty
	Filter    string
	SubFilter string
	// Raw is /Contents as stored, trailing zero padding included; DER is
	// the CMS or time-stamp token alone, cut at the end of its outer
	// ASN.1 element (or, when that cannot be read, with trailing zero
	// bytes trimmed).
	Raw, DER []byte
	// ByteRange is /ByteRange as written: pairs of offset and length,
	// normally four numbers [0 a b c].
	ByteRange []int64
	// SigningTime is /M, zero when absent or unreadable.
	SigningTime                         time.Time
	Name, Reason, Location, ContactInfo string
	// RevisionEnd is the offset just after the %%EOF (and its end-of-line
	// marker) of the revision whose object holds the signature
	// dictionary: a signature should cover exactly that much of the file
	// (EN 319 142-1 §5.1; ISO 32000-2 §12.8.1).
	RevisionEnd int64
	// Object is the indirect object that holds the signature dictionary.
	Object Ref
	// DocMDP is the access permissions /P of a certification signature
	// (§12.8.2.2): 1 permits no changes, 2 form fill-in and signing, 3
	// annotations too; 0 for a signature that certifies nothing.
	DocMDP int
}

// formField is one node of the form's field tree.
type formField struct {
	name   string // fully qualified
	ft     Name   // field type, inherited (§12.7.3.1)
	dict   Dict
	ref    Ref  // the node's object; zero for a direct node
	parent Ref  // the object of the node whose /Kids hold this one; zero at the top
	named  bool // has its own /T
	topLvl bool
}

// walkFields visits the field tree under fields (§12.7.3.1) depth first,
// each node once, with names and field types inherited from parents. The
// walk is bounded like the page tree's.
func (r *Reader) walkFields(fields Array, visit func(formField) error) error {
	type item struct {
		o         Object
		parent    string
		parentRef Ref
		ft        Name
		depth     int
	}
	stack := make([]item, 0, len(fields))
	for i := len(fields) - 1; i >= 0; i-- {
		stack = append(stack, item{o: fields[i]})
	}
	seen := map[Ref]bool{}
	visits := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visits++; visits > maxVisit || it.depth > maxDepth {
			return malformed("field tree too large or too deep")
		}
		ref, _ := it.o.(Ref)
		if ref.Num > 0 {
			if seen[ref] {
				continue // a cycle or a shared node: visited already
			}
			seen[ref] = true
		}
		o, err := r.resolve(it.o)
		if err != nil {
			return err
		}
		d, ok := o.(Dict)
		if !ok {
			continue
		}
		f := formField{name: it.parent, ft: it.ft, dict: d, ref: ref, parent: it.parentRef, topLvl: it.depth == 0}
		if t, ok := d["T"].(String); ok {
			f.named = true
			if f.name == "" {
				f.name = t.Text()
			} else {
				f.name += "." + t.Text()
			}
		}
		if ft, ok := d["FT"].(Name); ok {
			f.ft = ft
		}
		if err := visit(f); err != nil {
			return err
		}
		ko, err := r.resolve(d["Kids"])
		if err != nil {
			return err
		}
		kids, _ := ko.(Array)
		if len(stack)+len(kids) > maxVisit {
			return malformed("field tree too large")
		}
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, item{o: kids[i], parent: f.name, parentRef: ref, ft: f.ft, depth: it.depth + 1})
		}
	}
	return nil
}

// formFields returns the top-level fields of the interactive form
// (§12.7.2), none when there is no form. r.mu must be held.
func (r *Reader) formFields() (Array, error) {
	cat, err := r.catalog()
	if err != nil {
		return nil, err
	}
	form, err := r.resolve(cat["AcroForm"])
	if err != nil {
		return nil, err
	}
	fd, _ := form.(Dict)
	fo, err := r.resolve(fd["Fields"])
	if err != nil {
		return nil, err
	}
	fields, _ := fo.(Array)
	return fields, nil
}

// Signatures lists the signed signature fields of the document: fields of
// type /Sig (§12.7.4.5) whose /V is a signature dictionary, including
// document time-stamps (ISO 32000-2 §12.8.5). They are ordered by the
// revision that holds them, oldest first. Unsigned fields are left out.
func (r *Reader) Signatures() ([]SignatureInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fields, err := r.formFields()
	if err != nil {
		return nil, err
	}
	var sigs []SignatureInfo
	err = r.walkFields(fields, func(f formField) error {
		v, ok := f.dict["V"]
		if f.ft != "Sig" || !ok || (!f.named && !f.topLvl) {
			return nil
		}
		holder := f.ref
		if ref, ok := v.(Ref); ok {
			holder = ref
		}
		vo, err := r.resolve(v)
		if err != nil {
			return err
		}
		sd, ok := vo.(Dict)
		if !ok {
			return nil
		}
		sigs = append(sigs, r.signatureInfo(f.name, sd, holder))
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(sigs, func(a, b SignatureInfo) int {
		switch {
		case a.RevisionEnd < b.RevisionEnd:
			return -1
		case a.RevisionEnd > b.RevisionEnd:
			return 1
		}
		return 0
	})
	return sigs, nil
}

// signatureInfo reads a signature dictionary. Entries of the wrong type
// are left empty: the validator decides what is missing.
func (r *Reader) signatureInfo(name string, d Dict, holder Ref) SignatureInfo {
	si := SignatureInfo{Field: name, Object: holder, RevisionEnd: r.revisionEndOf(holder)}
	nameOf := func(k Name) string {
		o, _ := r.resolve(d[k])
		n, _ := o.(Name)
		return string(n)
	}
	text := func(k Name) string {
		o, _ := r.resolve(d[k])
		s, _ := o.(String)
		return s.Text()
	}
	si.Type, si.Filter, si.SubFilter = nameOf("Type"), nameOf("Filter"), nameOf("SubFilter")
	si.Name, si.Reason, si.Location, si.ContactInfo = text("Name"), text("Reason"), text("Location"), text("ContactInfo")
	if o, _ := r.resolve(d["Contents"]); o != nil {
		if s, ok := o.(String); ok {
			si.Raw = []byte(s)
			si.DER = si.Raw[:derLength(si.Raw)]
		}
	}
	if o, _ := r.resolve(d["ByteRange"]); o != nil {
		if a, ok := o.(Array); ok {
			for _, e := range a {
				e, _ := r.resolve(e)
				v, ok := e.(Int)
				if !ok {
					si.ByteRange = nil
					break
				}
				si.ByteRange = append(si.ByteRange, int64(v))
			}
		}
	}
	var err error
	if si.DocMDP, err = r.docMDP(d); err != nil {
		si.DocMDP = 1 // an unreadable transform permits nothing
	}
	if m := text("M"); m != "" {
		if t, err := parseDate(m); err == nil {
			si.SigningTime = t
		}
	}
	return si
}

// revisionEndOf returns the end of the revision that holds object ref: the
// first revision end after the object's offset (or its object stream's).
func (r *Reader) revisionEndOf(ref Ref) int64 {
	off := int64(-1)
	if ref.Num > 0 && ref.Num < len(r.xref) {
		switch e := r.xref[ref.Num]; e.kind {
		case entryInUse:
			off = e.off
		case entryCompressed:
			if n := int(e.off); n < len(r.xref) && r.xref[n].kind == entryInUse {
				off = r.xref[n].off
			}
		}
	}
	if off < 0 {
		return r.size
	}
	off += r.base // entries count from the file's base, revision ends from its start
	for _, end := range r.revEnds {
		if end > off {
			return end
		}
	}
	return r.size
}

// RevisionEnds returns, oldest first, the offset just after the %%EOF
// marker (and its end-of-line marker, if any) that closes each revision
// (ISO 32000-1 §7.5.5, §7.5.6). The two sections of a linearized file
// count as one revision. The last value is the end of the newest revision,
// which is the file size unless junk follows.
func (r *Reader) RevisionEnds() []int64 {
	return slices.Clone(r.revEnds)
}

// derLength returns the length of the BER/DER element at the start of b
// (X.690 §8.1), following indefinite lengths, so that the zero padding of
// /Contents can be cut without cutting a final end-of-contents marker.
// When b does not start with a readable element it falls back to trimming
// trailing zero bytes.
func derLength(b []byte) int {
	if n, ok := berElement(b, 0); ok {
		return n
	}
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	return n
}

// berElement returns the length of the element at the start of b.
func berElement(b []byte, depth int) (int, bool) {
	if depth > 64 || len(b) < 2 {
		return 0, false
	}
	i := 1
	constructed := b[0]&0x20 != 0
	if b[0]&0x1f == 0x1f { // high tag number form
		for i < len(b) && i < 6 && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return 0, false
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		n := i + int(l)
		return n, n <= len(b)
	case l == 0x80:
		if !constructed {
			return 0, false
		}
		for {
			if i+1 < len(b) && b[i] == 0 && b[i+1] == 0 {
				return i + 2, true
			}
			n, ok := berElement(b[i:], depth+1)
			if !ok {
				return 0, false
			}
			i += n
		}
	case l <= 0x84:
		k := int(l & 0x7f)
		if i+k > len(b) {
			return 0, false
		}
		v := 0
		for _, c := range b[i : i+k] {
			v = v<<8 | int(c)
		}
		n := i + k + v
		return n, v >= 0 && n <= len(b)
	}
	return 0, false
}

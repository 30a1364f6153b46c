package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// Trailer returns the trailer dictionary of the newest revision (7.5.5),
// with /Root, /Info, /ID and /Encrypt filled in from older revisions when
// the newest omits them. For files with cross-reference streams it is the
// stream's dictionary, which carries the trailer keys (7.5.8.2). The map
// is a shallow copy.
func (r *Reader) Trailer() Dict {
	return maps.Clone(r.trailer)
}

// Encrypted reports whether the trailer has an /Encrypt entry (7.6.1).
// Strings and streams of such a file cannot be read without the key.
func (r *Reader) Encrypted() bool {
	return r.encrypted
}

// Revisions returns the file offsets of the cross-reference sections that
// startxref and /Prev name, newest first: one per revision, since each
// incremental update (7.5.6) appends one section. The two sections of a
// linearized file (Annex F) count as one revision.
func (r *Reader) Revisions() []int64 {
	return slices.Clone(r.revisions)
}

// Version returns the PDF version: the header's (7.5.2), or the catalog's
// /Version when that is later (7.7.2, Table 28), as incremental updates may
// raise it without rewriting the header.
func (r *Reader) Version() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version()
}

// version is Version for a caller that holds r.mu.
func (r *Reader) version() string {
	v := r.headerVersion
	cat, err := r.catalog()
	if err != nil {
		return v
	}
	o, err := r.resolve(cat["Version"])
	if err != nil {
		return v
	}
	if n, ok := o.(Name); ok && versionLess(v, string(n)) {
		v = string(n)
	}
	return v
}

// versionLess reports whether version a is earlier than b; b must parse.
func versionLess(a, b string) bool {
	bMaj, bMin, ok := parseVersion(b)
	if !ok {
		return false
	}
	aMaj, aMin, _ := parseVersion(a)
	return aMaj < bMaj || (aMaj == bMaj && aMin < bMin)
}

// catalog returns the document catalog (7.7.2) named by the trailer's /Root.
func (r *Reader) catalog() (Dict, error) {
	o, err := r.resolve(r.trailer["Root"])
	if err != nil {
		return nil, err
	}
	d, ok := o.(Dict)
	if !ok {
		return nil, malformed("/Root is not a dictionary")
	}
	return d, nil
}

// Resolve returns o with references followed until a direct object is
// reached; nil (a missing dictionary key) resolves to Null. Chains of
// references are cut after a fixed length, which also stops reference
// cycles.
func (r *Reader) Resolve(o Object) (Object, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resolve(o)
}

func (r *Reader) resolve(o Object) (Object, error) {
	for range maxRefChain {
		ref, ok := o.(Ref)
		if !ok {
			if o == nil {
				return Null{}, nil
			}
			return o, nil
		}
		var err error
		if o, err = r.object(ref, 0); err != nil {
			return nil, err
		}
	}
	return nil, malformed("reference chain longer than %d", maxRefChain)
}

// Object returns the indirect object ref, parsed from the file or from the
// object stream that holds it (7.5.7). A free or undefined object is Null
// (7.3.10). A Stream's /Length is resolved and checked against the end of
// the file, but its data is not read.
func (r *Reader) Object(ref Ref) (Object, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.object(ref, 0)
}

// object looks ref up; depth counts nested lookups (a stream's /Length, an
// object stream) so that self-referring files cannot recurse forever.
func (r *Reader) object(ref Ref, depth int) (Object, error) {
	if depth > maxIndirect {
		return nil, malformed("indirect lookups nested deeper than %d", maxIndirect)
	}
	if ref.Num < 0 || ref.Num >= len(r.xref) {
		return Null{}, nil
	}
	e := r.xref[ref.Num]
	switch e.kind {
	case entryInUse:
		if int(e.gen) != ref.Gen {
			return Null{}, nil
		}
		return r.objectAt(ref, e.off, depth)
	case entryCompressed:
		if ref.Gen != 0 { // 7.5.8.3: objects in streams have generation 0
			return Null{}, nil
		}
		return r.compressedObject(ref, e, depth)
	}
	return Null{}, nil
}

// objectAt parses ref at the offset its entry records, counted from the
// file's base, or, when the header is not there, from the other origin, or
// a few bytes away from either.
func (r *Reader) objectAt(ref Ref, off int64, depth int) (Object, error) {
	if off < 0 || off >= r.size {
		return nil, malformed("xref offset %d of object %d out of range", off, ref.Num)
	}
	cands := r.counted(off)
	for _, p := range cands {
		if p >= r.size {
			continue
		}
		o, err := r.parseIndirectAt(p, ref, depth, false)
		if !errors.Is(err, errNotHere) {
			return o, err
		}
	}
	for _, c := range cands {
		for i, p := range r.headersNear(c, ref, false) {
			if i == maxNearTries {
				break
			}
			o, err := r.parseIndirectAt(p, ref, depth, false)
			if !errors.Is(err, errNotHere) {
				return o, err
			}
		}
	}
	return nil, malformed("object %d %d not found at offset %d", ref.Num, ref.Gen, off)
}

// parseIndirectAt parses "N G obj … endobj" (7.3.10) at p. want.Num < 0
// accepts any object number. A stream's /Length may be indirect unless
// direct is set, as it must be for cross-reference streams, which are read
// before any reference can be resolved (7.5.8.2).
func (r *Reader) parseIndirectAt(p int64, want Ref, depth int, direct bool) (Object, error) {
	s := r.s
	s.pos = p
	o, err := r.parseIndirect(want)
	if cerr := r.charge(s.pos - p); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	st, ok := o.(Stream)
	if !ok {
		return o, nil
	}
	lo := st.Dict["Length"]
	if ref, isRef := lo.(Ref); isRef {
		if direct {
			return nil, malformed("xref stream /Length is indirect")
		}
		if lo, err = r.object(ref, depth+1); err != nil {
			return nil, err
		}
	}
	n, ok := intValue(lo)
	if !ok || n < 0 {
		return nil, malformed("stream at offset %d has no valid /Length", p)
	}
	if n > r.size-st.Offset {
		return nil, malformed("stream at offset %d: /Length %d beyond end of file", p, n)
	}
	st.Length = n
	return st, nil
}

// charge counts parsed bytes against a budget proportional to the file
// size. Parsing is otherwise linear in what it consumes, but hostile files
// can make many objects share the same bytes (overlapping offsets in an
// object stream), which without a budget would be quadratic.
func (r *Reader) charge(n int64) error {
	r.parsed += max(n, 1)
	if r.parsed > r.parseBudget {
		return malformed("parsing more than %d bytes", r.parseBudget)
	}
	return nil
}

// parseIndirect parses the object at the scanner's position; for a stream
// it returns the dictionary and data offset with Length unset.
func (r *Reader) parseIndirect(want Ref) (Object, error) {
	s := r.s
	num, ok1 := s.integer()
	gen, ok2 := s.integer()
	if !ok1 || !ok2 || !s.hasKeyword("obj") {
		if s.err != nil {
			return nil, s.err
		}
		return nil, errNotHere
	}
	if want.Num >= 0 && (num != int64(want.Num) || gen != int64(want.Gen)) {
		return nil, errNotHere
	}
	if s.hasKeyword("endobj") { // an empty object: lenient, reads as null
		return Null{}, nil
	}
	o, err := s.object(0)
	if err != nil {
		return nil, err
	}
	d, ok := o.(Dict)
	if !ok || !s.hasKeyword("stream") {
		return o, nil
	}
	// 7.3.8.1: the keyword stream is followed by CRLF or LF; a lone CR is
	// accepted as well.
	if c, _ := s.peek(); c == '\r' {
		s.pos++
		if c, _ := s.peek(); c == '\n' {
			s.pos++
		}
	} else if c == '\n' {
		s.pos++
	}
	return Stream{Dict: d, Offset: s.pos}, nil
}

// objStm is a decoded object stream (7.5.7).
type objStm struct {
	num   int
	data  []byte
	first int
	index []objStmEntry
	byNum map[int]int // built when an entry's index hint is wrong
}

type objStmEntry struct {
	num int
	off int
}

// compressedObject returns an object stored in an object stream.
func (r *Reader) compressedObject(ref Ref, e xrefEntry, depth int) (Object, error) {
	os, err := r.objStm(int(e.off), depth+1)
	if err != nil {
		return nil, err
	}
	off := -1
	if i := int(e.idx); i < len(os.index) && os.index[i].num == ref.Num {
		off = os.index[i].off
	} else { // the index is a hint; the stream's own header is authoritative
		if os.byNum == nil {
			os.byNum = make(map[int]int, len(os.index))
			for _, x := range os.index {
				if _, dup := os.byNum[x.num]; !dup {
					os.byNum[x.num] = x.off
				}
			}
		}
		if o, ok := os.byNum[ref.Num]; ok {
			off = o
		}
	}
	if off < 0 || os.first+off >= len(os.data) {
		return nil, malformed("object %d not in object stream %d", ref.Num, os.num)
	}
	s := newBytesScanner(os.data)
	s.pos = int64(os.first + off)
	o, err := s.object(0)
	if cerr := r.charge(s.pos - int64(os.first+off)); cerr != nil {
		return nil, cerr
	}
	return o, err
}

// objStm returns the decoded object stream num, from a small cache since
// neighbouring objects usually share a stream. Decoding is charged to a
// budget proportional to the file size, so that a stream that inflates a
// thousandfold cannot be decoded again and again.
func (r *Reader) objStm(num int, depth int) (*objStm, error) {
	for i, c := range r.objstms {
		if c.num == num {
			copy(r.objstms[1:i+1], r.objstms[:i])
			r.objstms[0] = c
			return c, nil
		}
	}
	if num < len(r.xref) && r.xref[num].kind == entryCompressed {
		return nil, malformed("object stream %d is itself compressed", num)
	}
	o, err := r.object(Ref{Num: num}, depth)
	if err != nil {
		return nil, err
	}
	st, ok := o.(Stream)
	if !ok {
		return nil, malformed("object stream %d is not a stream", num)
	}
	n, ok1 := intValue(st.Dict["N"])
	first, ok2 := intValue(st.Dict["First"])
	if !ok1 || !ok2 || n < 0 || n > maxCollection || first < 0 || first > maxObjStmSize {
		return nil, malformed("object stream %d has no valid /N or /First", num)
	}
	rd, err := r.decoder(st, depth, false)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	m, err := buf.ReadFrom(io.LimitReader(rd, maxObjStmSize+1))
	if err != nil {
		return nil, decodeError(err)
	}
	if m > maxObjStmSize {
		return nil, malformed("object stream %d larger than %d bytes", num, maxObjStmSize)
	}
	r.decoded += m
	if r.decoded > r.decodeBudget {
		return nil, malformed("object streams decode to more than %d bytes", r.decodeBudget)
	}
	data := buf.Bytes()
	if int(first) > len(data) || n > first/2+1 {
		return nil, malformed("object stream %d has no valid /N or /First", num)
	}
	os := &objStm{num: num, data: data, first: int(first), index: make([]objStmEntry, 0, n)}
	hs := newBytesScanner(data[:first])
	for range n {
		on, ok1 := hs.integer()
		oo, ok2 := hs.integer()
		if !ok1 || !ok2 || on > maxObjectNumber || oo > maxObjStmSize {
			return nil, malformed("object stream %d has a bad header", num)
		}
		os.index = append(os.index, objStmEntry{num: int(on), off: int(oo)})
	}
	if len(r.objstms) == objStmCacheSize {
		r.objstms = r.objstms[:objStmCacheSize-1]
	}
	r.objstms = slices.Insert(r.objstms, 0, os)
	return os, nil
}

// decodeError labels errors of corrupt stream data as ErrMalformed and
// passes read errors of the underlying file through.
func decodeError(err error) error {
	if err == nil || errors.Is(err, ErrMalformed) || errors.Is(err, ErrEncrypted) || errors.Is(err, ErrUnsupportedFilter) {
		return err
	}
	var re readError
	if errors.As(err, &re) {
		return re.err
	}
	return fmt.Errorf("%w: bad stream data: %v", ErrMalformed, err)
}

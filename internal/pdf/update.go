package pdf

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// maxUpdateObjects bounds the objects of one update: a signature needs a
// handful, a DSS one per certificate or revocation answer.
const maxUpdateObjects = 1 << 16

// update builds an incremental update (ISO 32000-1 §7.5.6): new objects,
// and new versions of existing ones under the same object and generation
// numbers, followed by a cross-reference section whose /Prev points at the
// original's newest section, a trailer that carries /Root, /Info and /ID
// over, and startxref. The original bytes are never rewritten: the update
// is written after them, so every earlier signature stays intact (§12.8.1).
//
// The update is held in memory; it is small (dictionaries, a placeholder
// of a few tens of kilobytes, embedded evidence and validation data),
// whatever the size of the original, which is only ever streamed.
type update struct {
	r    *Reader
	buf  []byte        // the update; buf[0] is at file offset r.size
	offs map[Ref]int64 // objects written, at file offsets
	next int           // next free object number
	// blank is a run of buf that id does not hash: a signature's
	// /Contents placeholder (the zeros the signature replaces later).
	blank [2]int
}

// newUpdate starts an update of r. An end-of-line marker is written first
// when the original does not end with one, so that the first object does
// not run into %%EOF.
func newUpdate(r *Reader) (*update, error) {
	if r.encrypted {
		return nil, fmt.Errorf("%w: cannot update an encrypted file", ErrEncrypted)
	}
	// New objects go above every number in use: the entries, /Size, and
	// the cross-reference streams' own numbers, which a broken file can
	// leave out of both (a stream 23 0 obj with /Size 23); reusing one
	// would replace it for readers that resolve it by number.
	next := max(len(r.xref), r.xrefStreamNum+1)
	if n, ok := intValue(r.trailer["Size"]); ok && n > int64(next) && n <= int64(r.maxObj) {
		next = int(n)
	}
	u := &update{r: r, offs: map[Ref]int64{}, next: max(next, 1)}
	var last [1]byte
	if _, err := r.src.ReadAt(last[:], r.size-1); err != nil && err != io.EOF {
		return nil, fmt.Errorf("pdf: read end of file: %w", err)
	}
	if last[0] != '\n' && last[0] != '\r' {
		u.buf = append(u.buf, '\n')
	}
	return u, nil
}

// alloc reserves a new object number.
func (u *update) alloc() (Ref, error) {
	if len(u.offs) >= maxUpdateObjects || u.next >= maxObjectNumber {
		return Ref{}, errors.New("pdf: too many objects in one update")
	}
	ref := Ref{Num: u.next}
	u.next++
	return ref, nil
}

// pos is the file offset the next byte of the update will have.
func (u *update) pos() int64 { return u.r.size + int64(len(u.buf)) }

// recorded is pos as the file's cross-reference data counts offsets: from
// its base, so that an update of a file counted from a late %PDF- header
// is read the same way as the rest of it.
func (u *update) recorded() int64 { return u.pos() - u.r.base }

// begin starts indirect object ref.
func (u *update) begin(ref Ref) error {
	if _, dup := u.offs[ref]; dup {
		return fmt.Errorf("pdf: object %v written twice in one update", ref)
	}
	u.offs[ref] = u.recorded()
	u.buf = fmt.Appendf(u.buf, "%d %d obj\n", ref.Num, ref.Gen)
	return nil
}

func (u *update) end() { u.buf = append(u.buf, "\nendobj\n"...) }

// writeObject writes ref as the direct object o, uncompressed.
func (u *update) writeObject(ref Ref, o Object) error {
	if err := u.begin(ref); err != nil {
		return err
	}
	var err error
	if u.buf, err = appendObject(u.buf, o, 0); err != nil {
		return err
	}
	u.end()
	return nil
}

// writeStream writes ref as a stream with the dictionary d, to which the
// /Length of the raw data is added; no filter is applied.
func (u *update) writeStream(ref Ref, d Dict, data []byte) error {
	return u.writeEncoded(ref, d, data, false)
}

// writeEncoded is writeStream for data that is, when deflated, already
// compressed in the zlib format (RFC 1950), which /Filter /FlateDecode
// names (ISO 32000-1 §7.4.4).
func (u *update) writeEncoded(ref Ref, d Dict, data []byte, deflated bool) error {
	if err := u.begin(ref); err != nil {
		return err
	}
	d = cloneDict(d)
	d["Length"] = Int(len(data))
	delete(d, "Filter")
	delete(d, "DecodeParms")
	if deflated {
		d["Filter"] = Name("FlateDecode")
	}
	var err error
	if u.buf, err = appendObject(u.buf, d, 0); err != nil {
		return err
	}
	u.buf = append(u.buf, "\nstream\n"...)
	u.buf = append(u.buf, data...)
	u.buf = append(u.buf, "\nendstream"...)
	u.end()
	return nil
}

// finish writes the cross-reference section and the trailer in the form of
// the original's newest section (a hybrid file gets a classic table, since
// nothing in the update is compressed), then startxref and %%EOF.
func (u *update) finish() error {
	tr := u.r.trailer
	trailer := Dict{"Root": tr["Root"]}
	if _, ok := trailer["Root"].(Ref); !ok {
		return malformed("trailer /Root is not a reference")
	}
	if info, ok := tr["Info"].(Ref); ok {
		trailer["Info"] = info
	}
	trailer["Prev"] = Int(u.r.newest.at - u.r.base)
	trailer["ID"] = u.id()

	var xrefRef Ref
	stream := u.r.newest.form == formStream
	if stream {
		var err error
		if xrefRef, err = u.alloc(); err != nil {
			return err
		}
	}
	trailer["Size"] = Int(u.next)
	start := u.recorded()
	if stream {
		u.offs[xrefRef] = start
		if err := u.xrefStream(xrefRef, trailer); err != nil {
			return err
		}
	} else if err := u.xrefTable(trailer); err != nil {
		return err
	}
	u.buf = fmt.Appendf(u.buf, "startxref\n%d\n%%%%EOF\n", start)
	return nil
}

// id returns the file identifier (§14.4): the original's first string,
// which names the document across revisions, and a new second one, which
// names this version. The new string is a digest of the update so far and
// of where it is appended, so output is reproducible. A signature's
// /Contents placeholder is left out of the digest: it is zeros that the
// signature replaces afterwards, and half of a signature's update.
func (u *update) id() Array {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(u.r.size))
	h.Write(n[:])
	h.Write(u.buf[:u.blank[0]])
	h.Write(u.buf[u.blank[1]:])
	sum := h.Sum(nil)[:16]
	first := String(sum)
	if a, ok := u.r.trailer["ID"].(Array); ok && len(a) == 2 {
		if s, ok := a[0].(String); ok && len(s) > 0 && len(s) <= 64 {
			first = s
		}
	}
	return Array{first, String(sum)}
}

// sortedRefs lists the written objects by number.
func (u *update) sortedRefs() []Ref {
	refs := make([]Ref, 0, len(u.offs))
	for ref := range u.offs {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b Ref) int { return a.Num - b.Num })
	return refs
}

// xrefTable writes a classic cross-reference section (§7.5.4) with one
// subsection per run of consecutive object numbers, and the trailer.
func (u *update) xrefTable(trailer Dict) error {
	u.buf = append(u.buf, "xref\n"...)
	refs := u.sortedRefs()
	for i := 0; i < len(refs); {
		j := i + 1
		for j < len(refs) && refs[j].Num == refs[j-1].Num+1 {
			j++
		}
		u.buf = fmt.Appendf(u.buf, "%d %d\n", refs[i].Num, j-i)
		for _, ref := range refs[i:j] {
			u.buf = fmt.Appendf(u.buf, "%010d %05d n \n", u.offs[ref], ref.Gen)
		}
		i = j
	}
	u.buf = append(u.buf, "trailer\n"...)
	var err error
	if u.buf, err = appendObject(u.buf, trailer, 0); err != nil {
		return err
	}
	u.buf = append(u.buf, '\n')
	return nil
}

// xrefStream writes a cross-reference stream (§7.5.8) without a filter,
// listing the objects of the update and itself. Its dictionary carries the
// trailer keys (§7.5.8.2).
func (u *update) xrefStream(self Ref, trailer Dict) error {
	refs := u.sortedRefs()
	maxOff := u.pos()
	w := 1
	for ; w < 8 && maxOff >= 1<<(8*w); w++ {
	}
	var index Array
	var data []byte
	for i := 0; i < len(refs); {
		j := i + 1
		for j < len(refs) && refs[j].Num == refs[j-1].Num+1 {
			j++
		}
		index = append(index, Int(refs[i].Num), Int(j-i))
		for _, ref := range refs[i:j] {
			data = append(data, 1)
			off := uint64(u.offs[ref])
			for k := w - 1; k >= 0; k-- {
				data = append(data, byte(off>>(8*k)))
			}
			data = append(data, byte(ref.Gen>>8), byte(ref.Gen))
		}
		i = j
	}
	d := cloneDict(trailer)
	d["Type"] = Name("XRef")
	d["W"] = Array{Int(1), Int(w), Int(2)}
	d["Index"] = index
	delete(u.offs, self) // written by writeStream, which records it again
	return u.writeStream(self, d, data)
}

// cloneDict copies a dictionary one level deep.
func cloneDict(d Dict) Dict {
	c := make(Dict, len(d)+4)
	for k, v := range d {
		c[k] = v
	}
	return c
}

// appendUpdate opens src, has build make an incremental update (ISO
// 32000-1 §7.5.6) while it holds the reader, and streams src followed by
// the update to w. It returns the number of bytes written.
func appendUpdate(w io.Writer, src io.ReaderAt, size int64, build func(*Reader) ([]byte, error)) (int64, error) {
	r, err := Open(src, size)
	if err != nil {
		return 0, err
	}
	return r.appendUpdate(w, build)
}

// appendUpdate is appendUpdate for the file r reads.
func (r *Reader) appendUpdate(w io.Writer, build func(*Reader) ([]byte, error)) (int64, error) {
	r.mu.Lock()
	upd, err := build(r)
	r.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return writeUpdate(w, r.src, r.size, upd)
}

// copyBuffers hold the buffers copySection streams through: a signing
// act, a receipt and a completion each stream their document two to four
// times (to hash it, to write it), into hashes, spools and blob tails,
// none of which reads for itself, so io.Copy allocated 32 KB for each.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// copySection copies n bytes of src from off to w, through a pooled
// buffer, and returns the number copied.
func copySection(w io.Writer, src io.ReaderAt, off, n int64) (int64, error) {
	return copyThrough(w, io.NewSectionReader(src, off, n))
}

// copyThrough is io.Copy through a pooled buffer.
func copyThrough(w io.Writer, r io.Reader) (int64, error) {
	b := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(b)
	return io.CopyBuffer(w, r, *b)
}

// writeUpdate streams the original file and then the update to w. A
// Spool that is itself the original (Spool.holds) has it already and gets
// the update appended in place.
func writeUpdate(w io.Writer, src io.ReaderAt, size int64, parts ...[]byte) (int64, error) {
	n := size
	if s, ok := w.(*Spool); !ok || !s.holds(src, size) {
		var err error
		if n, err = copySection(w, src, 0, size); err != nil {
			return n, fmt.Errorf("pdf: write: %w", err)
		}
		if n != size {
			return n, fmt.Errorf("pdf: write: original is %d bytes, not %d", n, size)
		}
	}
	for _, p := range parts {
		m, err := w.Write(p)
		n += int64(m)
		if err != nil {
			return n, fmt.Errorf("pdf: write: %w", err)
		}
	}
	return n, nil
}

// RawObject is a new indirect object serialised by the caller, for
// content this package does not lay out itself (a font subset, a page
// from internal/pdfa). Body is what goes between "N G obj" and "endobj":
// one direct object, or a stream dictionary with a direct, exact /Length
// followed by the stream keyword, the data and endstream (§7.3.8). Ref
// must come from the allocator the writer hands out for the update that
// writes it.
type RawObject struct {
	Ref  Ref
	Body []byte
}

// recorder returns an allocator of object numbers new in this update,
// for a caller's RawObjects, and the set it fills with what it handed out.
func (u *update) recorder() (func() (Ref, error), map[Ref]bool) {
	fresh := map[Ref]bool{}
	return func() (Ref, error) {
		ref, err := u.alloc()
		if err == nil {
			fresh[ref] = true
		}
		return ref, err
	}, fresh
}

// writeRaw writes the caller's objects after checking them, since they are
// copied into the file as given: they must be exactly the numbers fresh
// holds (nothing allocated is left undefined, nothing else is replaced),
// each body must parse as one object (a stream's /Length exact), and every
// reference in them must name an object of the document or one of them.
func (u *update) writeRaw(objs []RawObject, fresh map[Ref]bool) error {
	if len(objs) != len(fresh) {
		return fmt.Errorf("pdf: %d objects allocated, %d given", len(fresh), len(objs))
	}
	// Grown once for all of them (a font subset is tens of kilobytes),
	// not doubled and copied as they come.
	n := 0
	for _, o := range objs {
		n += len(o.Body) + rawObjectFrame
	}
	u.buf = slices.Grow(u.buf, n)
	for _, o := range objs {
		if !fresh[o.Ref] {
			return fmt.Errorf("pdf: object %v was not allocated for this update", o.Ref)
		}
		refs, err := checkRawBody(o.Body)
		if err != nil {
			return fmt.Errorf("pdf: object %v: %w", o.Ref, err)
		}
		if err := u.checkRefs(refs, fresh); err != nil {
			return err
		}
		if err := u.begin(o.Ref); err != nil {
			return err
		}
		u.buf = append(u.buf, o.Body...)
		u.end()
	}
	return nil
}

// rawObjectFrame is room for what begin and end write around a body.
const rawObjectFrame = 32

// checkRefs reports a reference to an object that neither exists in the
// document nor is new in this update.
func (u *update) checkRefs(refs []Ref, fresh map[Ref]bool) error {
	for _, ref := range refs {
		if fresh[ref] {
			continue
		}
		o, err := u.r.object(ref, 0)
		if err != nil {
			return err
		}
		if _, null := o.(Null); null {
			return fmt.Errorf("pdf: reference to missing object %v", ref)
		}
	}
	return nil
}

// checkRawBody parses a RawObject body and returns the references in it.
func checkRawBody(body []byte) ([]Ref, error) {
	s := newBytesScanner(body)
	o, err := s.object(0)
	if err != nil {
		return nil, err
	}
	refs, err := walkRefs(o, nil, 0)
	if err != nil {
		return nil, err
	}
	s.skipSpace()
	if s.pos == s.size {
		return refs, nil
	}
	d, ok := o.(Dict)
	if !ok || !s.hasKeyword("stream") {
		return nil, malformed("more than one object in the body")
	}
	// §7.3.8.1: the keyword stream is followed by CR LF or LF.
	if c, _ := s.next(); c == '\r' {
		c, _ = s.next()
		if c != '\n' {
			return nil, malformed("stream keyword not followed by an end of line")
		}
	} else if c != '\n' {
		return nil, malformed("stream keyword not followed by an end of line")
	}
	n, ok := d["Length"].(Int)
	if !ok || n < 0 || int64(n) > s.size-s.pos {
		return nil, malformed("stream /Length is not a direct length within the body")
	}
	s.pos += int64(n)
	if !s.hasKeyword("endstream") {
		return nil, malformed("stream data is not /Length bytes long")
	}
	s.skipSpace()
	if s.pos != s.size {
		return nil, malformed("data after endstream")
	}
	return refs, nil
}

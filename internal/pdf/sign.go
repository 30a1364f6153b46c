package pdf

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segl/segl/internal/hashstate"
)

// Signature sub-filters of ETSI EN 319 142-1 (PAdES) §5.1 and §5.4, and
// ISO 32000-2 §12.8.3.4 and §12.8.5.
const (
	// SubFilterCAdES marks a PAdES signature: a detached CMS signature
	// (CAdES) over the byte ranges, made by a signing act.
	SubFilterCAdES = "ETSI.CAdES.detached"
	// SubFilterRFC3161 marks a document time-stamp: an RFC 3161 token
	// over the byte ranges, in a dictionary of /Type /DocTimeStamp.
	SubFilterRFC3161 = "ETSI.RFC3161"
)

// Limits on a signature.
const (
	DefaultContentsSize = 16384   // bytes reserved for the DER in /Contents
	maxContentsSize     = 1 << 20 // far above any CMS with chain and revocation data
	maxFieldName        = 255
	byteRangeWidth      = len("[0 ") + 3*19 + 2 + len("]") // three int64s, fixed width
)

// ErrLocked reports a document certified with a DocMDP transform that
// permits no changes (ISO 32000-1 §12.8.2.2, /P 1): any further signature
// would break the certification.
var ErrLocked = errors.New("pdf: document permits no changes")

// SignatureSpec describes one signature to add (ISO 32000-1 §12.8.1,
// ETSI EN 319 142-1 §5). The zero value of every optional field is a safe
// default.
type SignatureSpec struct {
	// FieldName is the partial name of the new signature field
	// (§12.7.3.2). It must not contain a period and must not name an
	// existing field. Empty means "Signature<N>" with the first free N.
	FieldName string
	// SubFilter is SubFilterCAdES (a signing act, /Type /Sig) or
	// SubFilterRFC3161 (a document time-stamp, /Type /DocTimeStamp).
	SubFilter string
	// Name, Reason, Location and ContactInfo go into the signature
	// dictionary when set (Table 252), as PDF text strings.
	Name, Reason, Location, ContactInfo string
	// SigningTime is the claimed signing time, /M. PAdES puts it there
	// rather than in a CMS signingTime attribute (EN 319 142-1 §5.2.3).
	// Zero leaves /M out; it is never written for SubFilterRFC3161, whose
	// token carries the time.
	SigningTime time.Time
	// ContentsSize is the number of bytes reserved for the DER of the CMS
	// or time-stamp token; /Contents holds twice as many hex digits. Zero
	// means DefaultContentsSize.
	ContentsSize int
	// Appearance is the visible widget. Nil means an invisible widget
	// (/Rect [0 0 0 0]) on the first page.
	Appearance *Appearance
	// Attachments are files embedded in the same revision (the signer's
	// evidence), so that this signature covers them.
	Attachments []Attachment
}

// Appearance is the visible part of a signature: a rectangle on a page and
// the form XObject drawn in it (§12.5.5, §12.7.4.5).
type Appearance struct {
	// Page is the 0-based page index; a negative one counts from the
	// end: -1 is the last page, -2 the one before it. A signer's slot on
	// a signature page at the end is so found without counting the
	// document's pages first.
	Page int
	Rect [4]float64 // llx lly urx ury in default user space
	// Stream is the content stream of the /AP /N form XObject, in the
	// coordinates of its bounding box [0 0 width height].
	Stream []byte
	// Resources is the form XObject's resource dictionary as PDF text, for
	// example "<< /Font << /F1 12 0 R >> >>"; it may refer to objects of
	// the document, which must exist. Empty means no resources.
	Resources string
	// Draw, when set, takes the place of Stream and Resources for an
	// appearance that needs objects of its own: a font subset for glyphs
	// only known at signing time (a signer's name), with its descriptor,
	// font program and /ToUnicode. It is called once, while the update is
	// built, with d, which allocates object numbers new in this update and
	// reads the document, and returns the content stream, the resource
	// dictionary (which may refer to the new objects, or to objects of
	// the document, such as a font the page already embeds) and the new
	// objects, which are written in the same update so that the signature
	// covers them. Every number Draw allocates must be one of the objects
	// it returns.
	Draw func(d *Drawing) (stream []byte, resources string, objects []RawObject, err error)
	// Deflated says that Stream, or the stream Draw returns, is
	// compressed in the zlib format (RFC 1950) and is written with
	// /Filter /FlateDecode.
	Deflated bool
}

// Drawing is what an appearance's Draw is given: new object numbers, and
// read access to the document being signed, so that the appearance may
// refer to an object an earlier revision holds (the font subset of the
// signature page it fills, or of an earlier signature's appearance)
// rather than write the same again. An incremental update may refer to
// any object of the revisions before it (§7.5.6), which the earlier
// signatures cover and which stay as they are. It is valid only while
// Draw runs.
type Drawing struct {
	r     *Reader
	alloc func() (Ref, error)
	page  Ref
}

// Alloc reserves an object number new in this update.
func (d *Drawing) Alloc() (Ref, error) { return d.alloc() }

// Page is the page the widget goes on.
func (d *Drawing) Page() Ref { return d.page }

// Resolve returns o with references followed (Reader.Resolve).
func (d *Drawing) Resolve(o Object) (Object, error) { return d.r.resolve(o) }

// Holds reports whether the document's object ref is exactly body as an
// update writes a RawObject: "N G obj", a line feed, body, a line feed
// and "endobj". Only objects outside object streams, as updates write
// them, can be so; at most maxHeldBody bytes are compared.
func (d *Drawing) Holds(ref Ref, body []byte) bool {
	r := d.r
	if ref.Num <= 0 || ref.Num >= len(r.xref) || len(body) > maxHeldBody {
		return false
	}
	e := r.xref[ref.Num]
	if e.kind != entryInUse || int(e.gen) != ref.Gen {
		return false
	}
	head := fmt.Appendf(nil, "%d %d obj\n", ref.Num, ref.Gen)
	const tail = "\nendobj"
	got := make([]byte, len(head)+len(body)+len(tail))
	for _, p := range r.counted(e.off) {
		if n, _ := r.src.ReadAt(got, p); n == len(got) && bytes.Equal(got[:len(head)], head) &&
			bytes.Equal(got[len(head):len(head)+len(body)], body) && string(got[len(head)+len(body):]) == tail {
			return true
		}
	}
	return false
}

// maxHeldBody bounds what Drawing.Holds reads: a font program subset is
// tens of kilobytes.
const maxHeldBody = 1 << 20

// Attachment is an embedded file (§7.11.4) added as an associated file of
// the document (ISO 32000-2 §14.13, PDF/A-3 /AF with /AFRelationship
// /Supplement) and listed in the /EmbeddedFiles name tree (§7.7.4) so that
// viewers show it.
type Attachment struct {
	Name        string // file name, a PDF text string; must not be empty
	Description string // /Desc, optional
	MediaType   string // MIME type, for example "application/xml"; optional
	Data        []byte
	ModTime     time.Time // /Params /ModDate; zero leaves it out
	// DeflatedData, when set, is Data compressed in the zlib format (RFC
	// 1950), which the embedded file stream carries in Data's place with
	// /Filter /FlateDecode (§7.4.4, §7.11.4; PDF/A-3 allows it);
	// /Params /Size stays Data's length, the size of the decoded file.
	// The caller compressed it, and may so find its bytes in the file.
	DeflatedData []byte
}

// Prepared is an incremental update carrying a signature dictionary whose
// /Contents is still a placeholder of zeros (ISO 32000-1 §12.8.1). The
// byte range is fixed: the caller hashes it (Digest), makes the CMS or
// time-stamp token, and writes the file with it (WriteTo). The source must
// stay unchanged and readable until then.
type Prepared struct {
	src   io.ReaderAt
	size  int64
	upd   []byte // the update, with the placeholder
	gap   int    // offset in upd of the '<' that opens /Contents
	gapN  int    // length of "<hex digits>"
	room  int    // bytes of DER that fit
	br    [4]int64
	field string
	sig   SignatureInfo // what Signatures will report, but Raw and DER
	// first says the original has no signed signature field: the new
	// signature will be the only one Signatures reports.
	first bool
	// base is a SHA-256 that has hashed the original, kept by
	// DigestSHA256 for WriteTo to hand to an Appender.
	base hash.Hash
}

// Appender is a destination of WriteTo that keeps only what follows the
// original (a blob.Tail, which stores what a signing act appends, not
// the whole file again) and needs the original's bytes only for their
// SHA-256. WriteTo then hands it, in place of the bytes, the running
// SHA-256 that DigestSHA256 computed over them while hashing what the
// signature covers: the same bytes are read and hashed once per act, and
// the hash that proves what the destination extends is the hash of the
// bytes that were signed.
type Appender interface {
	io.Writer
	// SkipBase takes the first n bytes as written: h is a SHA-256 that
	// has hashed exactly them, and becomes the destination's own. It
	// fails, and nothing is taken, when the destination expects other
	// than n bytes before what it keeps, or has received some already.
	SkipBase(h hash.Hash, n int64) error
}

// PrepareSignature reads src and builds an incremental update (§7.5.6) that
// adds a signature field with its widget, a signature dictionary of /Type
// /Sig (or /DocTimeStamp) with /Filter /Adobe.PPKLite, the requested
// /SubFilter, /M and a /Contents placeholder, and the attachments. The
// /ByteRange [0 a b c] covers the whole file as written but the
// placeholder with its angle brackets (§12.8.1), so that a PAdES validator
// sees the signature cover its entire revision (EN 319 142-1 §5.1 b).
// Neither /Cert nor /Changes is written, as PAdES requires.
//
// The field joins /AcroForm /Fields (the form is created if needed, with
// /SigFlags 3: signatures exist, append only, §12.7.2) and the widget
// joins the page's /Annots; the catalog, the page, and the form or arrays
// that hold the new references are rewritten under their own object
// numbers with only those changes, and page content streams are never
// touched. A file that already carries signatures gets one more: the
// earlier ones still cover their revisions (chained signatures).
func PrepareSignature(src io.ReaderAt, size int64, spec SignatureSpec) (*Prepared, error) {
	if err := spec.check(); err != nil {
		return nil, err
	}
	r, err := Open(src, size)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.prepareSignature(spec)
}

// check validates the caller's part of the spec.
func (s *SignatureSpec) check() error {
	switch s.SubFilter {
	case SubFilterCAdES, SubFilterRFC3161:
	default:
		return fmt.Errorf("pdf: unsupported signature sub-filter %q", s.SubFilter)
	}
	if s.ContentsSize < 0 || s.ContentsSize > maxContentsSize {
		return fmt.Errorf("pdf: contents size %d out of range", s.ContentsSize)
	}
	if strings.Contains(s.FieldName, ".") || len(s.FieldName) > maxFieldName {
		return fmt.Errorf("pdf: bad signature field name %q", s.FieldName)
	}
	if a := s.Appearance; a != nil {
		for _, v := range a.Rect {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
				return errors.New("pdf: bad appearance rectangle")
			}
		}
	}
	for _, at := range s.Attachments {
		if at.Name == "" {
			return errors.New("pdf: attachment without a name")
		}
	}
	return nil
}

func (r *Reader) prepareSignature(spec SignatureSpec) (*Prepared, error) {
	u, err := newUpdate(r)
	if err != nil {
		return nil, err
	}
	cat, catRef, err := r.catalogRef()
	if err != nil {
		return nil, err
	}
	catChanged := false
	if err := r.checkDocMDP(cat); err != nil {
		return nil, err
	}

	pages, err := r.pageRefs()
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, malformed("document has no pages")
	}
	pageIdx := 0
	if a := spec.Appearance; a != nil {
		pageIdx = a.Page
		if pageIdx < 0 {
			pageIdx += len(pages)
		}
		if pageIdx < 0 || pageIdx >= len(pages) {
			return nil, fmt.Errorf("pdf: appearance on page %d of a %d-page document", a.Page, len(pages))
		}
	}
	pageRef := pages[pageIdx]

	// The interactive form (§12.7.2).
	form := Dict{}
	var formRef Ref
	formIndirect := false
	switch v := cat["AcroForm"].(type) {
	case Ref:
		o, err := r.resolve(v)
		if err != nil {
			return nil, err
		}
		if d, ok := o.(Dict); ok {
			form, formRef, formIndirect = cloneDict(d), v, true
		}
	case Dict:
		form = cloneDict(v)
	}
	if !formIndirect {
		if formRef, err = u.alloc(); err != nil {
			return nil, err
		}
		cat["AcroForm"] = formRef
		catChanged = true
	}
	fields, fieldsRef, err := r.arrayAt(form["Fields"])
	if err != nil {
		return nil, err
	}

	names := map[string]bool{}
	sigFields, signed := 0, false
	if err := r.walkFields(fields, func(f formField) error {
		names[f.name] = true
		if f.ft == "Sig" {
			sigFields++
			_, v := f.dict["V"]
			signed = signed || v
		}
		return nil
	}); err != nil {
		return nil, err
	}
	name := spec.FieldName
	if name == "" {
		for n := sigFields + 1; ; n++ {
			if name = "Signature" + strconv.Itoa(n); !names[name] {
				break
			}
		}
	} else if names[name] {
		return nil, fmt.Errorf("pdf: a field named %q exists", name)
	}

	sigRef, err := u.alloc()
	if err != nil {
		return nil, err
	}
	widgetRef, err := u.alloc()
	if err != nil {
		return nil, err
	}

	// The signature dictionary (Table 252), written by hand so that the
	// placeholder and the byte range have known places.
	typ, m := "Sig", spec.SigningTime
	if spec.SubFilter == SubFilterRFC3161 {
		typ, m = "DocTimeStamp", time.Time{}
	}
	room := spec.ContentsSize
	if room == 0 {
		room = DefaultContentsSize
	}
	// The update is mostly the placeholder, the attachments (a signer's
	// evidence) and the appearance's objects (a font subset of 10 to 20
	// KB): sized for them once rather than grown by copying.
	need := 2*room + 32<<10
	for _, a := range spec.Attachments {
		need += len(a.stored())
	}
	u.buf = append(updateBuffer(len(u.buf)+need), u.buf...)
	if err := u.begin(sigRef); err != nil {
		return nil, err
	}
	u.buf = append(u.buf, "<< /Type /"+typ+" /Filter /Adobe.PPKLite /SubFilter /"+spec.SubFilter+" /ByteRange "...)
	brAt := len(u.buf)
	u.buf = appendRepeat(u.buf, ' ', byteRangeWidth)
	u.buf = append(u.buf, " /Contents "...)
	gap := len(u.buf)
	u.buf = append(u.buf, '<')
	u.buf = appendRepeat(u.buf, '0', 2*room)
	u.buf = append(u.buf, '>')
	gapN := len(u.buf) - gap
	u.blank = [2]int{gap, gap + gapN}
	extra := Dict{}
	if !m.IsZero() {
		extra["M"] = pdfDate(m)
	}
	for k, v := range map[Name]string{"Name": spec.Name, "Reason": spec.Reason, "Location": spec.Location, "ContactInfo": spec.ContactInfo} {
		if v != "" {
			extra[k] = textString(v)
		}
	}
	for _, k := range []Name{"M", "Name", "Reason", "Location", "ContactInfo"} {
		if v, ok := extra[k]; ok {
			u.buf = appendName(append(u.buf, ' '), k)
			if u.buf, err = appendObject(append(u.buf, ' '), v, 0); err != nil {
				return nil, err
			}
		}
	}
	u.buf = append(u.buf, " >>"...)
	u.end()

	// The field, merged with its widget annotation (§12.7.3.1, §12.5.6.19).
	rect := Array{Int(0), Int(0), Int(0), Int(0)}
	widget := Dict{
		"Type": Name("Annot"), "Subtype": Name("Widget"), "FT": Name("Sig"),
		"T": textString(name), "V": sigRef, "P": pageRef,
		"F": Int(132), // Print (4) and Locked (128), §12.5.3
	}
	if a := spec.Appearance; a != nil {
		llx, lly := math.Min(a.Rect[0], a.Rect[2]), math.Min(a.Rect[1], a.Rect[3])
		urx, ury := math.Max(a.Rect[0], a.Rect[2]), math.Max(a.Rect[1], a.Rect[3])
		rect = Array{Real(llx), Real(lly), Real(urx), Real(ury)}
		stream, resources := a.Stream, a.Resources
		var objs []RawObject
		alloc, fresh := u.recorder()
		if a.Draw != nil {
			if stream, resources, objs, err = a.Draw(&Drawing{r: r, alloc: alloc, page: pageRef}); err != nil {
				return nil, fmt.Errorf("pdf: appearance: %w", err)
			}
		}
		res, err := r.parseResources(u, resources, fresh)
		if err != nil {
			return nil, err
		}
		if err := u.writeRaw(objs, fresh); err != nil {
			return nil, fmt.Errorf("pdf: appearance: %w", err)
		}
		apRef, err := u.alloc()
		if err != nil {
			return nil, err
		}
		xo := Dict{"Type": Name("XObject"), "Subtype": Name("Form"), "BBox": Array{Int(0), Int(0), Real(urx - llx), Real(ury - lly)}}
		if res != nil {
			xo["Resources"] = res
		}
		if err := u.writeEncoded(apRef, xo, stream, a.Deflated); err != nil {
			return nil, err
		}
		widget["AP"] = Dict{"N": apRef}
	} else {
		// An invisible signature (a document time-stamp among them) gets
		// an empty appearance all the same: PDF/A-1 wants one on every
		// widget (ISO 19005-1 §6.5.3, as Apache PDFBox's preflight
		// checks), and PDF/A-2 and -3 accept it on a zero-size one.
		apRef, err := u.alloc()
		if err != nil {
			return nil, err
		}
		xo := Dict{"Type": Name("XObject"), "Subtype": Name("Form"), "BBox": Array{Int(0), Int(0), Int(0), Int(0)}}
		if err := u.writeStream(apRef, xo, nil); err != nil {
			return nil, err
		}
		widget["AP"] = Dict{"N": apRef}
	}
	widget["Rect"] = rect
	if err := u.writeObject(widgetRef, widget); err != nil {
		return nil, err
	}

	// The page's annotations (§12.5.2).
	po, err := r.resolve(pageRef)
	if err != nil {
		return nil, err
	}
	page, ok := po.(Dict)
	if !ok {
		return nil, malformed("page %v is not a dictionary", pageRef)
	}
	page = cloneDict(page)
	annots, annotsRef, err := r.arrayAt(page["Annots"])
	if err != nil {
		return nil, err
	}
	annots = append(annots, widgetRef)
	if annotsRef.Num > 0 {
		if err := u.writeObject(annotsRef, annots); err != nil {
			return nil, err
		}
	} else {
		page["Annots"] = annots
		if err := u.writeObject(pageRef, page); err != nil {
			return nil, err
		}
	}

	// The form's fields.
	fields = append(fields, widgetRef)
	if fieldsRef.Num > 0 {
		if err := u.writeObject(fieldsRef, fields); err != nil {
			return nil, err
		}
	} else {
		form["Fields"] = fields
	}
	flags, _ := intValue(form["SigFlags"])
	form["SigFlags"] = Int(flags | 3)
	if err := u.writeObject(formRef, form); err != nil {
		return nil, err
	}

	if len(spec.Attachments) > 0 {
		if err := r.attach(u, cat, spec.Attachments); err != nil {
			return nil, err
		}
		catChanged = true
	}
	raised, err := r.raiseVersion(cat)
	if err != nil {
		return nil, err
	}
	if catChanged || raised {
		if err := u.writeObject(catRef, cat); err != nil {
			return nil, err
		}
	}
	if err := u.finish(); err != nil {
		return nil, err
	}

	p := &Prepared{src: r.src, size: r.size, upd: u.buf, gap: gap, gapN: gapN, room: room, field: name, first: !signed}
	a := r.size + int64(gap)
	b := a + int64(gapN)
	p.br = [4]int64{0, a, b, r.size + int64(len(u.buf)) - b}
	p.sig = SignatureInfo{Field: name, Type: typ, Filter: "Adobe.PPKLite", SubFilter: spec.SubFilter,
		ByteRange: p.br[:], RevisionEnd: r.size + int64(len(u.buf)), Object: sigRef}
	if s, ok := extra["M"].(String); ok {
		p.sig.SigningTime, _ = parseDate(string(s))
	}
	for k, dst := range map[Name]*string{"Name": &p.sig.Name, "Reason": &p.sig.Reason, "Location": &p.sig.Location, "ContactInfo": &p.sig.ContactInfo} {
		if s, ok := extra[k].(String); ok {
			*dst = s.Text()
		}
	}
	br := fmt.Appendf(nil, "[0 %d %d %d]", p.br[1], p.br[2], p.br[3])
	if len(br) > byteRangeWidth {
		return nil, errors.New("pdf: byte range too wide") // cannot happen with int64
	}
	copy(u.buf[brAt:], br)
	return p, nil
}

// appendRepeat appends n copies of c to b: the placeholders of a
// signature dictionary, written straight into the update.
func appendRepeat(b []byte, c byte, n int) []byte {
	b = slices.Grow(b, n)
	fill := b[len(b) : len(b)+n]
	if n > 0 {
		fill[0] = c
		for i := 1; i < n; i *= 2 {
			copy(fill[i:], fill[:i])
		}
	}
	return b[:len(b)+n]
}

// updateBuffers keeps the buffers of released signature updates
// (Prepared.Release) for the next ones: each is mostly the placeholder
// and an attachment, 50 to 100 KB for a signing act.
var updateBuffers sync.Pool

// maxPooledUpdate is the largest update buffer kept for reuse.
const maxPooledUpdate = 1 << 20

// updateBuffer returns an empty buffer with room for n bytes.
func updateBuffer(n int) []byte {
	if b, ok := updateBuffers.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]byte, 0, n)
}

// Release hands the update's memory to the next PrepareSignature. Call
// it when done with p, after its last WriteTo, and only if nothing
// kept what WriteTo wrote without copying it (an io.Writer must not):
// p must not be used afterwards.
func (p *Prepared) Release() {
	if b := p.upd; b != nil && cap(b) <= maxPooledUpdate {
		b = b[:0]
		updateBuffers.Put(&b)
	}
	p.upd = nil
}

// FieldName returns the name of the new signature field.
func (p *Prepared) FieldName() string { return p.field }

// ByteRange returns the /ByteRange: offset and length of the bytes before
// the placeholder, and of those after it (§12.8.1).
func (p *Prepared) ByteRange() [4]int64 { return p.br }

// Content returns the signed bytes: the file as WriteTo writes it, without
// the placeholder. It reads the source afresh on each call.
func (p *Prepared) Content() io.Reader {
	return io.MultiReader(
		io.NewSectionReader(p.src, 0, p.size),
		bytes.NewReader(p.upd[:p.gap]),
		bytes.NewReader(p.upd[p.gap+p.gapN:]),
	)
}

// Digest resets h, streams the signed bytes through it and returns the
// sum: the message digest a CMS signature (the messageDigest attribute,
// EN 319 142-1 §5.2) or a document time-stamp's message imprint covers.
func (p *Prepared) Digest(h hash.Hash) ([]byte, error) {
	h.Reset()
	n, err := copyThrough(h, p.Content())
	if err != nil {
		return nil, fmt.Errorf("pdf: read original: %w", err)
	}
	if want := p.br[1] + p.br[3]; n != want {
		return nil, fmt.Errorf("pdf: read %d signed bytes, want %d: the original changed", n, want)
	}
	return h.Sum(nil), nil
}

// Signature returns what Reader.Signatures reports for the new signature
// in the file WriteTo writes with der: a caller that goes on to gather
// the validation data of the signature or time-stamp it has just made
// (internal/pades, for the document time-stamp of B-LTA) need not open
// and parse the file again for it. It does not check der; WriteTo does.
func (p *Prepared) Signature(der []byte) SignatureInfo {
	si := p.sig
	si.ByteRange = slices.Clone(p.br[:])
	si.Raw = make([]byte, p.room)
	copy(si.Raw, der)
	si.DER = si.Raw[:derLength(si.Raw)]
	return si
}

// First reports whether the original holds no signed signature field, so
// that the new signature is the only one Reader.Signatures will list in
// the file WriteTo writes: with Signature, a caller then knows every
// signature of the file without reading it back (internal/pades, for the
// validation data of a B-LT seal on a fresh document such as a receipt).
func (p *Prepared) First() bool { return p.first }

// DigestSHA256 is Digest with SHA-256, the digest of every PAdES signature
// and document time-stamp segl makes. It also keeps the SHA-256 of the
// original's bytes as they were read, so that WriteTo need not read and
// hash them again for an Appender.
func (p *Prepared) DigestSHA256() ([]byte, error) {
	return p.ContinueSHA256(sha256.New(), 0)
}

// ContinueSHA256 is DigestSHA256 for a caller that has hashed the first n
// bytes of the original already, as they went by (internal/pades, which
// copies a signed revision before it time-stamps it): h is a SHA-256 of
// exactly those bytes, which ContinueSHA256 takes over and goes on with,
// reading only the rest of the original.
func (p *Prepared) ContinueSHA256(h hash.Hash, n int64) ([]byte, error) {
	if h == nil || n < 0 || n > p.size || h.Size() != sha256.Size {
		return nil, fmt.Errorf("pdf: a hash of %d bytes of an original of %d", n, p.size)
	}
	m, err := copySection(h, p.src, n, p.size-n)
	if err != nil {
		return nil, fmt.Errorf("pdf: read original: %w", err)
	}
	if m != p.size-n {
		return nil, fmt.Errorf("pdf: read %d bytes of the original, want %d: the original changed", n+m, p.size)
	}
	base, err := hashstate.Clone(h)
	if err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	h.Write(p.upd[:p.gap])
	h.Write(p.upd[p.gap+p.gapN:])
	p.base = base
	return h.Sum(nil), nil
}

// WriteTo writes the original followed by the update, with der written in
// hexadecimal into /Contents and padded with zeros (§12.8.1). It fails,
// before writing anything, when der does not fit the reserved size.
//
// After DigestSHA256, an Appender gets the original's SHA-256 in place of
// its bytes (SkipBase) and then the update; the count returned is the
// whole file's all the same. It fills the placeholder in p's own update,
// so one Prepared is not written from two goroutines at once.
func (p *Prepared) WriteTo(w io.Writer, der []byte) (int64, error) {
	if len(der) > p.room {
		return 0, fmt.Errorf("pdf: signature of %d bytes exceeds the %d reserved", len(der), p.room)
	}
	// The placeholder is filled in place: nothing else reads it (Digest,
	// Content and Signature skip it), and a later call fills it anew.
	const hexDigits = "0123456789abcdef"
	contents := p.upd[p.gap : p.gap+p.gapN]
	for i, c := range der {
		contents[1+2*i], contents[2+2*i] = hexDigits[c>>4], hexDigits[c&15]
	}
	for i := 1 + 2*len(der); i < len(contents)-1; i++ {
		contents[i] = '0'
	}
	if a, ok := w.(Appender); ok && p.base != nil {
		h, err := hashstate.Clone(p.base)
		if err != nil {
			return 0, fmt.Errorf("pdf: %w", err)
		}
		if err := a.SkipBase(h, p.size); err != nil {
			return 0, fmt.Errorf("pdf: write: %w", err)
		}
		n, err := writeUpdate(w, p.src, 0, p.upd)
		return p.size + n, err
	}
	return writeUpdate(w, p.src, p.size, p.upd)
}

// catalogRef returns a copy of the catalog and its reference, which an
// update rewrites.
func (r *Reader) catalogRef() (Dict, Ref, error) {
	ref, ok := r.trailer["Root"].(Ref)
	if !ok {
		return nil, Ref{}, malformed("trailer /Root is not a reference")
	}
	cat, err := r.catalog()
	if err != nil {
		return nil, Ref{}, err
	}
	return cloneDict(cat), ref, nil
}

// arrayAt resolves o, an array or a reference to one (nil or null read as
// empty), and returns a copy and the reference to rewrite (zero Ref when
// the array is direct and must be rewritten with its holder).
func (r *Reader) arrayAt(o Object) (Array, Ref, error) {
	ref, _ := o.(Ref)
	v, err := r.resolve(o)
	if err != nil {
		return nil, Ref{}, err
	}
	switch a := v.(type) {
	case Array:
		if len(a) >= maxCollection-1 {
			return nil, Ref{}, malformed("array too long to extend")
		}
		return append(Array(nil), a...), ref, nil
	case Null:
		return nil, Ref{}, nil // a dangling reference: replaced by a direct array
	}
	return nil, Ref{}, malformed("expected an array, found %T", v)
}

// checkDocMDP refuses documents certified with no changes permitted
// (§12.8.2.2): /Perms /DocMDP names a signature whose DocMDP reference has
// /TransformParams /P 1.
func (r *Reader) checkDocMDP(cat Dict) error {
	perms, err := r.resolve(cat["Perms"])
	if err != nil {
		return err
	}
	pd, _ := perms.(Dict)
	sig, err := r.resolve(pd["DocMDP"])
	if err != nil {
		return err
	}
	sd, _ := sig.(Dict)
	p, err := r.docMDP(sd)
	if err != nil {
		return err
	}
	if p == 1 {
		return ErrLocked
	}
	return nil
}

// docMDP returns the access permissions (/P, §12.8.2.2, Table 254) of the
// DocMDP transform a signature dictionary's /Reference holds: 1 (no
// changes), 2 (form fill-in and signing) or 3 (and annotations), 2 when the
// transform gives none; 0 when there is no DocMDP transform, so that the
// signature is not a certification signature.
func (r *Reader) docMDP(sd Dict) (int, error) {
	refs, err := r.resolve(sd["Reference"])
	if err != nil {
		return 0, err
	}
	ra, _ := refs.(Array)
	for _, o := range ra {
		o, err := r.resolve(o)
		if err != nil {
			return 0, err
		}
		d, _ := o.(Dict)
		if d["TransformMethod"] != Name("DocMDP") {
			continue
		}
		tp, err := r.resolve(d["TransformParams"])
		if err != nil {
			return 0, err
		}
		td, _ := tp.(Dict)
		p, ok := intValue(td["P"])
		if !ok {
			return 2, nil
		}
		return int(min(max(p, 1), 3)), nil
	}
	return 0, nil
}

// parseResources parses the caller's resource dictionary and checks that
// every reference in it names an existing object or one new in u (fresh).
func (r *Reader) parseResources(u *update, text string, fresh map[Ref]bool) (Dict, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	s := newBytesScanner([]byte(text))
	o, err := s.object(0)
	if err != nil {
		return nil, fmt.Errorf("pdf: appearance resources: %w", err)
	}
	s.skipSpace()
	d, ok := o.(Dict)
	if !ok || s.pos != s.size {
		return nil, errors.New("pdf: appearance resources are not one dictionary")
	}
	refs, err := walkRefs(d, nil, 0)
	if err != nil {
		return nil, err
	}
	if err := u.checkRefs(refs, fresh); err != nil {
		return nil, fmt.Errorf("pdf: appearance resources: %w", err)
	}
	return d, nil
}

// walkRefs lists the references in a direct object.
func walkRefs(o Object, refs []Ref, depth int) ([]Ref, error) {
	if depth > maxDepth {
		return refs, errors.New("pdf: objects nested too deeply")
	}
	var err error
	switch v := o.(type) {
	case Ref:
		refs = append(refs, v)
	case Array:
		for _, e := range v {
			if refs, err = walkRefs(e, refs, depth+1); err != nil {
				return refs, err
			}
		}
	case Dict:
		for _, e := range v {
			if refs, err = walkRefs(e, refs, depth+1); err != nil {
				return refs, err
			}
		}
	}
	return refs, nil
}

// pageRefs lists the pages in document order by walking the page tree
// (§7.7.3.2) as PageCount does. Pages must be indirect objects: an
// annotation refers to its page with /P.
func (r *Reader) pageRefs() ([]Ref, error) {
	cat, err := r.catalog()
	if err != nil {
		return nil, err
	}
	root, ok := cat["Pages"]
	if !ok {
		return nil, malformed("catalog has no /Pages")
	}
	seen := map[Ref]bool{}
	stack := []Object{root}
	var pages []Ref
	visits := 0
	for len(stack) > 0 {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visits++; visits > maxVisit {
			return nil, malformed("page tree larger than %d nodes", maxVisit)
		}
		ref, isRef := o.(Ref)
		if isRef {
			if seen[ref] {
				return nil, malformed("page tree node %v reached twice", ref)
			}
			seen[ref] = true
		}
		o, err := r.resolve(o)
		if err != nil {
			return nil, err
		}
		d, ok := o.(Dict)
		if !ok {
			if _, null := o.(Null); null {
				continue
			}
			return nil, malformed("page tree node is not a dictionary")
		}
		typ, _ := d["Type"].(Name)
		kids, hasKids := d["Kids"]
		if typ == "Page" || (typ != "Pages" && !hasKids) {
			if !isRef {
				return nil, malformed("page is not an indirect object")
			}
			pages = append(pages, ref)
			continue
		}
		ko, err := r.resolve(kids)
		if err != nil {
			return nil, err
		}
		ka, ok := ko.(Array)
		if !ok {
			if _, null := ko.(Null); null {
				continue
			}
			return nil, malformed("page tree /Kids is not an array")
		}
		if len(stack)+len(ka) > maxVisit {
			return nil, malformed("page tree larger than %d nodes", maxVisit)
		}
		for i := len(ka) - 1; i >= 0; i-- {
			stack = append(stack, ka[i])
		}
	}
	return pages, nil
}

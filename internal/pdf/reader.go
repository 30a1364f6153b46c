package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
)

// Limits on the file as a whole.
const (
	headerWindow    = 1024     // %PDF- must start within this many bytes, as common readers allow
	tailWindow      = 1024     // where startxref should be (7.5.5)
	tailWindowMax   = 64 << 10 // how far back startxref is looked for at most
	nearWindow      = 512      // how far from a recorded offset a header is looked for
	maxNearTries    = 8        // candidate headers tried near a bad offset
	maxSections     = 4096     // cross-reference sections in the /Prev chain
	maxIndirect     = 16       // nesting of lookups: /Length, object stream, its /Length
	maxRefChain     = 32       // references to references followed by Resolve
	maxObjectNumber = 1<<31 - 1
	maxGeneration   = 65535
	maxObjStmSize   = 16 << 20 // decoded bytes of one object stream
	objStmCacheSize = 8        // decoded object streams kept
	maxFilters      = 8        // filters applied to one stream
)

// errNotHere reports that an offset does not hold the header the
// cross-reference data promised, so that callers can look nearby.
var errNotHere = fmt.Errorf("%w: no object header at the recorded offset", ErrMalformed)

// malformed returns ErrMalformed wrapped with detail.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

type entryKind uint8

const (
	entryUnset      entryKind = iota
	entryFree                 // free (7.5.4) or of an unknown type (7.5.8.3): reads as null
	entryInUse                // at a byte offset
	entryCompressed           // inside an object stream (7.5.8.3, type 2)
)

// xrefEntry is one cross-reference entry, kept small because a file can
// list millions of objects.
type xrefEntry struct {
	off  int64 // byte offset (in use) or object stream number (compressed)
	idx  int32 // index within the object stream
	gen  uint16
	kind entryKind
}

// sectionForm is how a cross-reference section is written, which an
// incremental update repeats (see update.go).
type sectionForm uint8

const (
	formTable  sectionForm = iota // classic table (7.5.4)
	formStream                    // cross-reference stream (7.5.8)
	formHybrid                    // table whose trailer names an /XRefStm (7.5.8.4)
)

// section is one cross-reference section of the /Prev chain.
type section struct {
	off  int64 // as recorded by startxref or /Prev
	prev int64 // -1 when there is no /Prev
	at   int64 // where it was found, which may differ from off by a few bytes
	end  int64 // just after its trailer dictionary or its stream data
	form sectionForm
}

// Reader gives access to the objects of one PDF file. It holds the merged
// cross-reference data of all revisions (newest entry wins, 7.5.6) and reads
// objects on demand. A Reader is safe for concurrent use; readers returned
// by StreamReader are not shared and read the file independently.
type Reader struct {
	src  io.ReaderAt
	size int64

	headerOff int64 // where %PDF- starts; some writers count offsets from it
	// base is what the file's offsets count from: headerOff, unless its
	// newest section is found counting from the start of the file (ISO
	// 32000-2 §7.5.2 lets data precede the header; such files, and files
	// that had junk put in front of them, count from the header, as qpdf
	// reads them). Updates write their offsets the same way.
	base          int64
	headerVersion string // from %PDF-x.y
	trailer       Dict
	revisions     []int64
	revEnds       []int64 // just after the %%EOF of each revision, oldest first
	newest        section // the section startxref names: an update's /Prev
	encrypted     bool

	maxObj int // object numbers must be below this, bounded by the file size
	// xrefStreamNum is the highest object number of a cross-reference
	// stream of the chain, which broken writers leave out of its own
	// entries and /Size; new objects are numbered above it.
	xrefStreamNum int
	rows          int // cross-reference rows read, bounded by maxRows
	maxRows       int

	mu           sync.Mutex // guards what follows
	s            *scanner
	xref         []xrefEntry
	objstms      []*objStm // most recently used first
	decoded      int64     // bytes produced by decoding object streams
	decodeBudget int64
	parsed       int64 // bytes consumed by parsing objects
	parseBudget  int64
	near         [2 * nearWindow]byte
}

// Open reads the header and the cross-reference structure of a PDF file of
// the given size: it finds startxref near the end (7.5.5) and follows /Prev
// through every revision (7.5.6), reading classic tables (7.5.4),
// cross-reference streams (7.5.8) and the hidden streams of hybrid files
// (7.5.8.4). It reads only those parts of the file; objects are parsed
// later, on demand. Encrypted files open, so that callers can tell them
// apart: see [Reader.Encrypted].
func Open(r io.ReaderAt, size int64) (*Reader, error) {
	if size < int64(len("%PDF-1.0")) {
		return nil, malformed("file too small")
	}
	// Budgets grow with the file: a real file needs far less than this,
	// and a hostile one cannot make the work superlinear.
	maxObj := min(size/4+4096, maxObjectNumber)
	budget := 64*min(size, 1<<40) + 64<<20
	rd := &Reader{
		src:          r,
		size:         size,
		s:            newFileScanner(r, size),
		maxObj:       int(maxObj),
		maxRows:      16 * int(maxObj),
		decodeBudget: budget,
		parseBudget:  budget,
	}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	// Counting from the header is tried first: data before it is either
	// allowed (ISO 32000-2 §7.5.2) or was put in front of a finished file,
	// and in both cases the offsets were written counting from the header.
	// readChain falls back to the start of the file.
	rd.base = rd.headerOff
	start, err := rd.findStartxref()
	if err != nil {
		return nil, err
	}
	if err := rd.readChain(start); err != nil {
		return nil, err
	}
	return rd, nil
}

// readHeader finds "%PDF-x.y" (7.5.2), tolerating leading garbage.
func (r *Reader) readHeader() error {
	buf := make([]byte, min(r.size, headerWindow+16))
	n, err := r.src.ReadAt(buf, 0)
	if n < len(buf) && err != nil && err != io.EOF {
		return fmt.Errorf("pdf: read header: %w", err)
	}
	buf = buf[:n]
	i := bytes.Index(buf, []byte("%PDF-"))
	if i < 0 || i > headerWindow {
		return malformed("no %%PDF- header in the first %d bytes", headerWindow)
	}
	v := buf[i+5:]
	j := 0
	for j < len(v) && j < 8 && (isDigit(v[j]) || v[j] == '.') {
		j++
	}
	if _, _, ok := parseVersion(string(v[:j])); !ok {
		return malformed("bad version in header")
	}
	r.headerOff = int64(i)
	r.headerVersion = string(v[:j])
	return nil
}

// parseVersion splits "major.minor".
func parseVersion(v string) (major, minor int, ok bool) {
	i := bytes.IndexByte([]byte(v), '.')
	if i <= 0 || i == len(v)-1 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(v[:i])
	minor, err2 := strconv.Atoi(v[i+1:])
	return major, minor, err1 == nil && err2 == nil && major >= 0 && minor >= 0
}

// findStartxref returns the offset after the last "startxref" keyword
// (7.5.5), which should be within the last 1024 bytes; writers that append
// junk after %%EOF push it further back, so up to 64 KB are searched.
func (r *Reader) findStartxref() (int64, error) {
	for _, span := range []int64{tailWindow, tailWindowMax} {
		n := min(span, r.size)
		buf := make([]byte, n)
		m, err := r.src.ReadAt(buf, r.size-n)
		if int64(m) < n && err != nil && err != io.EOF {
			return 0, fmt.Errorf("pdf: read trailer: %w", err)
		}
		i := bytes.LastIndex(buf[:m], []byte("startxref"))
		if i < 0 {
			if n == r.size {
				break
			}
			continue
		}
		r.s.pos = r.size - n + int64(i) + int64(len("startxref"))
		off, ok := r.s.integer()
		if !ok {
			return 0, r.s.fail("bad startxref value")
		}
		if off >= r.size {
			return 0, malformed("startxref offset %d out of range", off)
		}
		return off, nil
	}
	return 0, malformed("no startxref in the last %d bytes", tailWindowMax)
}

// readChain follows the /Prev chain from the newest section (7.5.6), so
// that entries of newer revisions shadow older ones, and merges the
// trailers.
func (r *Reader) readChain(start int64) error {
	seen := map[int64]bool{}
	var sections []section
	for off := start; ; {
		if len(sections) == maxSections {
			return malformed("more than %d xref sections", maxSections)
		}
		if off < 0 || off >= r.size {
			return malformed("xref offset %d out of range", off)
		}
		if seen[off] {
			return malformed("xref /Prev loop at offset %d", off)
		}
		seen[off] = true
		sec, trailer, err := r.readSection(off)
		if err != nil {
			return err
		}
		if len(sections) == 0 && abs64(sec.at-off) < abs64(sec.at-off-r.headerOff) {
			r.base = 0 // the newest section is nearer where counting from the start of the file puts it
		}
		at := sec.at
		if at != off {
			if seen[at] {
				return malformed("xref /Prev loop at offset %d", at)
			}
			seen[at] = true
		}
		sec.off, sec.prev = off, -1
		sections = append(sections, sec)
		r.mergeTrailer(trailer)
		p, ok := trailer["Prev"]
		if !ok {
			break
		}
		prev, ok := intValue(p)
		if !ok {
			return malformed("bad /Prev in trailer at offset %d", off)
		}
		sections[len(sections)-1].prev = prev
		off = prev
	}
	r.revisions = revisionsOf(sections)
	r.newest = sections[0]
	r.revEnds = r.revisionEnds(sections)

	if _, ok := r.trailer["Root"]; !ok {
		return malformed("trailer has no /Root")
	}
	if e, ok := r.trailer["Encrypt"]; ok {
		if _, null := e.(Null); !null {
			r.encrypted = true
		}
	}
	return nil
}

// revisionsOf groups sections into revisions. An incremental update's /Prev
// points back to an earlier section (7.5.6). In a linearized file (Annex F)
// the first-page section near the start points forward to the main section
// at the end; both belong to one revision.
func revisionsOf(sections []section) []int64 {
	var revs []int64
	for i, s := range sections {
		if i > 0 && sections[i-1].prev > sections[i-1].off {
			continue
		}
		revs = append(revs, s.off)
	}
	return revs
}

// eofWindow is how far after the end of a cross-reference section its
// "startxref N %%EOF" is looked for (7.5.5).
const eofWindow = 4096

// nearEOFWindow is how much of eofWindow is read first.
const nearEOFWindow = 256

// revisionEnds returns, oldest first, the offset just after the %%EOF (and
// its end-of-line marker, if any) that closes each revision, grouping the
// sections as revisionsOf does. A revision ends after its latest section,
// which for a linearized file (Annex F) is the main section at the end.
// When no %%EOF follows closely, the end of the section stands in for it,
// or the end of the file for the newest revision.
func (r *Reader) revisionEnds(sections []section) []int64 {
	var ends []int64
	var near [nearEOFWindow]byte
	var buf []byte // eofWindow bytes, made when near does not hold the %%EOF
	for i := 0; i < len(sections); {
		last := sections[i].end
		j := i + 1
		for ; j < len(sections) && sections[j-1].prev > sections[j-1].off; j++ {
			last = max(last, sections[j].end)
		}
		end := last
		if i == 0 {
			end = r.size
		}
		// The first %%EOF of the window is the first of its first bytes
		// when they hold one, as "startxref N %%EOF" after a section
		// written by segl or most writers does.
		window := near[:]
		n, _ := r.src.ReadAt(window[:max(0, min(int64(len(window)), r.size-last))], last)
		if k := bytes.Index(window[:n], []byte("%%EOF")); (k < 0 || k+len("%%EOF\r\n") > n) && n == len(window) {
			if buf == nil {
				buf = make([]byte, eofWindow)
			}
			window = buf
			n, _ = r.src.ReadAt(window[:max(0, min(int64(len(window)), r.size-last))], last)
		}
		if n > 0 {
			if k := bytes.Index(window[:n], []byte("%%EOF")); k >= 0 {
				end = last + int64(k) + 5
				rest := window[k+5 : n]
				switch {
				case bytes.HasPrefix(rest, []byte("\r\n")):
					end += 2
				case len(rest) > 0 && (rest[0] == '\n' || rest[0] == '\r'):
					end++
				}
			}
		}
		ends = append(ends, end)
		i = j
	}
	slices.Reverse(ends)
	return ends
}

// mergeTrailer keeps the newest trailer and fills in, from older ones, the
// keys that a careless incremental writer may have dropped (7.5.5).
func (r *Reader) mergeTrailer(t Dict) {
	if r.trailer == nil {
		r.trailer = maps.Clone(t)
		return
	}
	for _, k := range []Name{"Root", "Info", "ID", "Encrypt"} {
		if _, ok := r.trailer[k]; !ok {
			if v, ok := t[k]; ok {
				r.trailer[k] = v
			}
		}
	}
}

// readSection reads the cross-reference section at off: a table or a
// stream. When off does not hold one, the same offset counted from the
// header and the neighbourhood of off are tried, because some writers miss
// by a few bytes. It returns where the section was found, where it ends and
// its form.
//
// A candidate that is not a section, or a broken one, does not stop the
// search: counted from the wrong origin, an offset can land on the word
// "xref" in the data before the header. The candidates are tried in order,
// the counted offsets first, and the first error is reported when none
// holds a section. The neighbourhood is scanned only when no counted
// offset holds one: a well-formed file, which every file segl writes is,
// is read without it (the scan was a tenth of reopening a signed file at
// each step of a completion, once per revision).
func (r *Reader) readSection(off int64) (section, Dict, error) {
	cands := r.counted(off)
	var first error
	try := func(ps []int64) (section, Dict, bool) {
		for _, p := range ps {
			sec, t, err := r.trySection(p)
			switch {
			case err == nil:
				return sec, t, true
			case !errors.Is(err, errNotHere) && first == nil:
				first = err
			}
		}
		return section{}, nil, false
	}
	if sec, t, ok := try(cands); ok {
		return sec, t, nil
	}
	var near []int64
	for _, c := range cands {
		for i, p := range r.headersNear(c, Ref{Num: -1}, true) {
			if i == maxNearTries {
				break
			}
			if !slices.Contains(cands, p) && !slices.Contains(near, p) {
				near = append(near, p)
			}
		}
	}
	if sec, t, ok := try(near); ok {
		return sec, t, nil
	}
	if first != nil {
		return section{}, nil, first
	}
	return section{}, nil, malformed("no xref section at offset %d", off)
}

// counted returns the positions an offset recorded in the file may mean:
// counted from the file's base first, then from the other origin (the
// start of the file or %PDF-) when a header offset makes them differ.
func (r *Reader) counted(off int64) []int64 {
	ps := []int64{off + r.base}
	if r.headerOff > 0 {
		other := off
		if r.base == 0 {
			other = off + r.headerOff
		}
		if other < r.size {
			ps = append(ps, other)
		}
	}
	return ps
}

// trySection reads a section at exactly p, or returns errNotHere.
func (r *Reader) trySection(p int64) (section, Dict, error) {
	s := r.s
	s.pos = p
	s.skipSpace()
	sec := section{at: p, form: formTable}
	var t Dict
	var err error
	if s.hasKeyword("xref") {
		t, sec.end, err = r.readTable()
		if _, ok := t["XRefStm"]; ok {
			sec.form = formHybrid
		}
	} else {
		sec.form = formStream
		t, sec.end, err = r.readXrefStream(p)
	}
	return sec, t, err
}

// readTable reads a classic cross-reference table (7.5.4) and its trailer
// (7.5.5). Entries are read as tokens, not as fixed 20-byte records, which
// accepts every end-of-line variant writers use. In a hybrid section
// (7.5.8.4) the table's entries come first, then the hidden stream's, and
// only then the table's free entries, because writers mark objects that
// live in object streams as free for the benefit of older readers.
func (r *Reader) readTable() (Dict, int64, error) {
	s := r.s
	type pending struct {
		num int
		e   xrefEntry
	}
	var table []pending
	for {
		s.skipSpace()
		c, ok := s.peek()
		if !ok {
			return nil, 0, s.fail("xref table has no trailer")
		}
		if !isDigit(c) {
			break
		}
		first, ok1 := s.integer()
		count, ok2 := s.integer()
		if !ok1 || !ok2 {
			return nil, 0, s.fail("bad xref subsection header at offset %d", s.pos)
		}
		if first+count > int64(r.maxObj) {
			return nil, 0, malformed("xref subsection %d %d beyond object limit", first, count)
		}
		for i := range count {
			if err := r.countRow(); err != nil {
				return nil, 0, err
			}
			off, ok1 := s.integer()
			gen, ok2 := s.integer()
			kw := string(s.keyword())
			if !ok1 || !ok2 || (kw != "n" && kw != "f") || gen > maxGeneration {
				return nil, 0, s.fail("bad xref entry for object %d at offset %d", first+i, s.pos)
			}
			e := xrefEntry{off: off, gen: uint16(gen), kind: entryInUse}
			if kw == "f" {
				e = xrefEntry{kind: entryFree}
			}
			table = append(table, pending{int(first + i), e})
		}
	}
	if !s.hasKeyword("trailer") {
		return nil, 0, s.fail("xref table has no trailer at offset %d", s.pos)
	}
	o, err := s.object(0)
	if err != nil {
		return nil, 0, err
	}
	end := s.pos
	trailer, ok := o.(Dict)
	if !ok {
		return nil, 0, malformed("trailer is not a dictionary")
	}

	for _, p := range table {
		if p.e.kind == entryInUse {
			if err := r.setEntry(p.num, p.e); err != nil {
				return nil, 0, err
			}
		}
	}
	if x, ok := trailer["XRefStm"]; ok {
		off, ok := intValue(x)
		if !ok || off < 0 || off >= r.size {
			return nil, 0, malformed("bad /XRefStm")
		}
		if err := r.readHiddenStream(off); err != nil {
			return nil, 0, err
		}
	}
	for _, p := range table {
		if p.e.kind == entryFree {
			if err := r.setEntry(p.num, p.e); err != nil {
				return nil, 0, err
			}
		}
	}
	return trailer, end, nil
}

// readHiddenStream reads the cross-reference stream named by /XRefStm in a
// hybrid file (7.5.8.4), tolerating a slightly wrong offset. Its /Prev is
// ignored: the table's trailer carries the chain.
func (r *Reader) readHiddenStream(off int64) error {
	cands := append([]int64{off}, r.headersNear(off, Ref{Num: -1}, false)...)
	for i, p := range cands {
		if i > maxNearTries {
			break
		}
		_, _, err := r.readXrefStream(p)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errNotHere) {
			return err
		}
	}
	return malformed("no xref stream at /XRefStm offset %d", off)
}

// countRow charges one cross-reference row against the file's budget, so
// that a small compressed stream cannot make Open loop for long.
func (r *Reader) countRow() error {
	r.rows++
	if r.rows > r.maxRows {
		return malformed("more than %d xref entries", r.maxRows)
	}
	return nil
}

// setEntry records an entry unless a newer revision already did.
func (r *Reader) setEntry(num int, e xrefEntry) error {
	if num < 0 || num >= r.maxObj {
		return malformed("object number %d beyond limit %d", num, r.maxObj)
	}
	if num >= len(r.xref) {
		r.xref = slices.Grow(r.xref, num+1-len(r.xref))[:num+1]
	}
	if r.xref[num].kind == entryUnset {
		r.xref[num] = e
	}
	return nil
}

// readXrefStream reads the cross-reference stream object at p (7.5.8) and
// records its entries. Its dictionary doubles as the trailer (7.5.8.2). It
// also returns the offset just after the stream data.
func (r *Reader) readXrefStream(p int64) (Dict, int64, error) {
	o, err := r.parseIndirectAt(p, Ref{Num: -1}, 0, true)
	if err != nil {
		return nil, 0, err
	}
	st, ok := o.(Stream)
	if !ok || st.Dict["Type"] != Name("XRef") {
		return nil, 0, errNotHere
	}
	r.s.pos = p
	if num, ok := r.s.integer(); ok && num < int64(r.maxObj) {
		r.xrefStreamNum = max(r.xrefStreamNum, int(num))
	}
	d := st.Dict
	var w [3]int
	wa, ok := d["W"].(Array)
	if !ok || len(wa) < 3 {
		return nil, 0, malformed("xref stream has no valid /W")
	}
	for i := range w {
		v, ok := intValue(wa[i])
		if !ok || v < 0 || v > 8 {
			return nil, 0, malformed("xref stream has no valid /W")
		}
		w[i] = int(v)
	}
	rowLen := w[0] + w[1] + w[2]
	if rowLen == 0 {
		return nil, 0, malformed("xref stream has no valid /W")
	}
	size, ok := intValue(d["Size"])
	if !ok || size < 0 || size > int64(r.maxObj) {
		return nil, 0, malformed("xref stream has no valid /Size")
	}
	index := Array{Int(0), Int(size)}
	if v, ok := d["Index"]; ok {
		if index, ok = v.(Array); !ok || len(index)%2 != 0 {
			return nil, 0, malformed("xref stream has no valid /Index")
		}
	}

	rd, err := r.decoder(st, 0, true)
	if err != nil {
		return nil, 0, err
	}
	var row [24]byte
	for i := 0; i < len(index); i += 2 {
		first, ok1 := intValue(index[i])
		count, ok2 := intValue(index[i+1])
		if !ok1 || !ok2 || first < 0 || count < 0 || first+count > int64(r.maxObj) {
			return nil, 0, malformed("xref stream has no valid /Index")
		}
		for j := range count {
			if err := r.countRow(); err != nil {
				return nil, 0, err
			}
			if _, err := io.ReadFull(rd, row[:rowLen]); err != nil {
				if errors.Is(err, ErrMalformed) {
					return nil, 0, err
				}
				return nil, 0, malformed("xref stream data too short: %v", err)
			}
			typ := uint64(1) // 7.5.8.3: a zero-width type field means type 1
			if w[0] > 0 {
				typ = field(row[:w[0]])
			}
			f2 := field(row[w[0] : w[0]+w[1]])
			f3 := field(row[w[0]+w[1] : rowLen])
			var e xrefEntry
			switch typ {
			case 1:
				if f2 > uint64(r.size) || f3 > maxGeneration {
					return nil, 0, malformed("xref stream entry for object %d out of range", first+j)
				}
				e = xrefEntry{off: int64(f2), gen: uint16(f3), kind: entryInUse}
			case 2:
				if f2 >= uint64(r.maxObj) || f3 > maxCollection {
					return nil, 0, malformed("xref stream entry for object %d out of range", first+j)
				}
				e = xrefEntry{off: int64(f2), idx: int32(f3), kind: entryCompressed}
			default: // free, or a type unknown to this version: a null reference
				e = xrefEntry{kind: entryFree}
			}
			if err := r.setEntry(int(first+j), e); err != nil {
				return nil, 0, err
			}
		}
	}
	return d, st.Offset + st.Length, nil
}

// field decodes a big-endian cross-reference stream field.
func field(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// headersNear lists offsets within nearWindow bytes of off that hold an
// object header "N G obj" (any object when want.Num < 0) or, if xref is
// set, the keyword xref; closest first.
func (r *Reader) headersNear(off int64, want Ref, xref bool) []int64 {
	lo := max(0, off-nearWindow)
	hi := min(r.size, off+nearWindow)
	if hi <= lo {
		return nil
	}
	buf := r.near[:hi-lo]
	n, _ := r.src.ReadAt(buf, lo)
	buf = buf[:max(0, min(n, len(buf)))]
	var found []int64
	boundary := func(i int) bool { return i < 0 || i >= len(buf) || !isRegular(buf[i]) }
	for i := range buf {
		if xref && bytes.HasPrefix(buf[i:], []byte("xref")) && boundary(i-1) && boundary(i+4) {
			found = append(found, lo+int64(i))
		}
		if !bytes.HasPrefix(buf[i:], []byte("obj")) || !boundary(i+3) {
			continue
		}
		j := i
		digitsBack := func() (int64, bool) {
			end := j
			for j > 0 && isDigit(buf[j-1]) && end-j < 10 {
				j--
			}
			v, err := strconv.ParseInt(string(buf[j:end]), 10, 64)
			return v, err == nil
		}
		spaceBack := func() bool {
			k := j
			for j > 0 && isSpace(buf[j-1]) {
				j--
			}
			return j < k
		}
		if !spaceBack() {
			continue
		}
		gen, ok := digitsBack()
		if !ok || !spaceBack() {
			continue
		}
		num, ok := digitsBack()
		if !ok || !boundary(j-1) {
			continue
		}
		if want.Num < 0 || (num == int64(want.Num) && gen == int64(want.Gen)) {
			found = append(found, lo+int64(j))
		}
	}
	dist := func(p int64) int64 {
		if p < off {
			return off - p
		}
		return p - off
	}
	slices.SortStableFunc(found, func(a, b int64) int { return int(dist(a) - dist(b)) })
	return found
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

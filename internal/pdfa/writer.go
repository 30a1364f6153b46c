package pdfa

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"strconv"
	"unicode/utf16"

	"github.com/segl/segl/internal/pdf"
)

// header is the file header (ISO 32000-1 7.5.2) and the comment of four
// bytes above 127 that ISO 19005-3 6.1.2 asks for on the next line. PDF/A-3
// is based on PDF 1.7.
const header = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

// writer writes a PDF file front to back without seeking: each indirect
// object as soon as it is complete, the cross-reference table (7.5.4) and
// trailer (7.5.5) at the end. It remembers only the offset of each object,
// so its memory grows with the number of objects, not with their size.
//
// Objects follow the layout ISO 19005-3 6.1.8 requires ("N 0 obj" and
// "endobj" each on their own line) and streams the one of 6.1.7.1 (the
// stream keyword followed by a line feed, endstream preceded by one, and a
// /Length that is exact).
type writer struct {
	bw      *bufio.Writer
	n       int64
	sum     hash.Hash // of everything written, for the file identifier
	offsets []int64   // by object number; 0 until written
	obj     []byte    // scratch for object headers
	quick   bool      // Meta.Quick: page contents stored as they are
	*flater
}

// newWriter returns a writer to w that compresses at zlib's default level,
// or with quick at zlib.BestSpeed (Meta.Quick).
func newWriter(w io.Writer, quick bool) *writer {
	var f *flater
	if quick {
		f = getFastFlater()
	} else {
		f = getFlater()
	}
	bw := writeBuffers.get(func() *bufio.Writer { return bufio.NewWriterSize(nil, 64<<10) })
	bw.Reset(w)
	return &writer{bw: bw, sum: sha256.New(), offsets: []int64{0}, quick: quick, flater: f}
}

// release keeps w's buffer and flater for the next document; w must not
// be used after.
func (w *writer) release() {
	w.bw.Reset(nil)
	writeBuffers.put(w.bw)
	w.flater.release()
}

// Every rendered document (each signer's receipt among them) reads its
// text and writes its file through a 64 KB buffer: they are kept for the
// next document, as flaters are, rather than allocated and zeroed anew.
var (
	readBuffers  = make(idleBuffers[*bufio.Reader], maxIdleBuffers)
	writeBuffers = make(idleBuffers[*bufio.Writer], maxIdleBuffers)
)

// idleBuffers keeps up to maxIdleBuffers idle buffers across garbage
// collections, which a sync.Pool would drop every few documents at the
// rate receipts are made.
type idleBuffers[T any] chan T

// maxIdleBuffers is about as many documents as are rendered at once on a
// small server; a buffer released beyond it is left to the collector.
const maxIdleBuffers = 4

// get returns an idle buffer, or a new one from fresh.
func (l idleBuffers[T]) get(fresh func() T) T {
	select {
	case b := <-l:
		return b
	default:
		return fresh()
	}
}

// put keeps b for the next get, unless enough are kept.
func (l idleBuffers[T]) put(b T) {
	select {
	case l <- b:
	default:
	}
}

func (w *writer) write(p []byte) error {
	w.sum.Write(p)
	n, err := w.bw.Write(p)
	w.n += int64(n)
	if err != nil {
		return fmt.Errorf("pdfa: write: %w", err)
	}
	return nil
}

// alloc reserves the next object number.
func (w *writer) alloc() pdf.Ref {
	w.offsets = append(w.offsets, 0)
	return pdf.Ref{Num: len(w.offsets) - 1}
}

// put writes object ref with the given body.
func (w *writer) put(ref pdf.Ref, body []byte) error {
	if err := w.begin(ref); err != nil {
		return err
	}
	if err := w.write(body); err != nil {
		return err
	}
	return w.write([]byte("\nendobj\n"))
}

// putStream writes object ref as a stream of data, compressed (see
// flater.encode), the dictionary holding the entries in dict.
func (w *writer) putStream(ref pdf.Ref, dict string, data []byte) error {
	z, filtered, err := w.encode(data)
	if err != nil {
		return err
	}
	return w.putEncoded(ref, dict, z, filtered)
}

// putContent writes object ref as a page's content stream: compressed,
// or with Meta.Quick (a flater at zlib.BestSpeed) stored as it is. A
// receipt's page is about 3 KB of text operators and hexadecimal glyph
// ids, which BestSpeed shrank to a third in most of the time spent on its
// rendering (a Huffman table built for every stream); the 2 KB it saved
// cost less to carry than to deflate.
func (w *writer) putContent(ref pdf.Ref, data []byte) error {
	if w.quick {
		return w.putEncoded(ref, "", data, false)
	}
	return w.putStream(ref, "", data)
}

// putProgram writes object ref as a font program (objects.putProgram).
func (w *writer) putProgram(ref pdf.Ref, dict string, data []byte) error {
	z, filtered, err := w.encodeProgram(data)
	if err != nil {
		return err
	}
	return w.putEncoded(ref, dict, z, filtered)
}

// putEncoded writes object ref as a stream whose data z is already
// compressed (filtered) or stored as it is.
func (w *writer) putEncoded(ref pdf.Ref, dict string, z []byte, filtered bool) error {
	if err := w.begin(ref); err != nil {
		return err
	}
	w.obj = streamHeader(w.obj[:0], dict, filtered, len(z))
	if err := w.write(w.obj); err != nil {
		return err
	}
	if err := w.write(z); err != nil {
		return err
	}
	return w.write([]byte("\nendstream\nendobj\n"))
}

// begin records the offset of object ref and writes "N 0 obj".
func (w *writer) begin(ref pdf.Ref) error {
	num := ref.Num
	if num <= 0 || num >= len(w.offsets) || ref.Gen != 0 {
		return fmt.Errorf("pdfa: object %v was not allocated", ref)
	}
	if w.offsets[num] != 0 {
		return fmt.Errorf("pdfa: object %d written twice", num)
	}
	w.offsets[num] = w.n
	w.obj = strconv.AppendInt(w.obj[:0], int64(num), 10)
	w.obj = append(w.obj, " 0 obj\n"...)
	return w.write(w.obj)
}

// flater compresses stream data with FlateDecode (ISO 32000-1 7.4.4), the
// one general-purpose filter ISO 19005-3 6.1.7.2 allows besides none. It
// reuses one compressor, so that a page costs no new compression state, and
// idle flaters are kept for the next document, since a compressor's state
// is most of what rendering a short document allocates.
type flater struct {
	zw    *zlib.Writer
	zbuf  bytes.Buffer
	level int
	idle  idleBuffers[*flater] // where release returns it
}

// Documents are compressed at zlib's default level. The objects of a
// signature page and of a signature appearance (a font subset of a few
// kilobytes, its maps, a short content stream) are made for every
// signing act: there, deflating with zlib's default level is most of the
// cost (half of AppearanceText) and BestSpeed halves it for about 1 KB more
// per signature.
var (
	flaters     = make(idleBuffers[*flater], maxIdleFlaters)
	fastFlaters = make(idleBuffers[*flater], maxIdleFlaters)
)

// maxIdleFlaters bounds the idle flaters of each level (about 1 MB each at
// the default level, 0.5 MB at BestSpeed). Kept across garbage collections,
// as buffers are (idleBuffers): a sync.Pool lost them at every other
// collection, so that a signing act made a new compressor every few acts
// (100 KB allocated per act on average, and its zeroing).
const maxIdleFlaters = 8

func getFlater() *flater {
	return flaters.get(func() *flater { return &flater{level: zlib.DefaultCompression, idle: flaters} })
}

// getFastFlater returns a flater that compresses with zlib.BestSpeed, for
// the objects SignaturePage and AppearanceText make.
func getFastFlater() *flater {
	return fastFlaters.get(func() *flater { return &flater{level: zlib.BestSpeed, idle: fastFlaters} })
}

// Deflate returns data compressed at zlib.BestSpeed, for a stream a signing
// act writes with /Filter /FlateDecode (pdf.Attachment.DeflatedData,
// pdf.Appearance.Deflated): its cost is small, and text such as an act's
// XAdES evidence shrinks to a third (the default level gains about 6% more
// at twice the cost).
func Deflate(data []byte) ([]byte, error) {
	f := getFastFlater()
	defer f.release()
	z, err := f.deflate(data)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(z), nil
}

// release returns f to the idle ones, or to the collector when enough
// are idle; f must not be used after.
func (f *flater) release() {
	if f.zbuf.Cap() > 1<<20 {
		f.zbuf = bytes.Buffer{}
	}
	f.idle.put(f)
}

// minDeflate is the size below which stream data is stored as it is: the
// footers, for example, would hardly shrink, and resetting the compressor
// costs more than compressing them.
const minDeflate = 256

// encode returns data compressed, and true, or data itself and false when
// it is too short to be worth it. The result is valid until the next call.
func (f *flater) encode(data []byte) ([]byte, bool, error) {
	if len(data) < minDeflate {
		return data, false, nil
	}
	z, err := f.deflate(data)
	return z, true, err
}

// encodeProgram is encode for a TrueType font program, which a flater
// at zlib.BestSpeed stores as it is: the outlines and hinting code of a
// subset hardly repeat, so BestSpeed shrank the 11 KB subset of a
// signature's appearance by 13% (the default level by 25%) for a third of
// the cost of making the appearance. The signature page, every signing
// act's appearance and every receipt so carry about 1.5 KB more each;
// documents rendered at the default level keep their fonts compressed.
func (f *flater) encodeProgram(data []byte) ([]byte, bool, error) {
	if f.level == zlib.BestSpeed {
		return data, false, nil
	}
	return f.encode(data)
}

// deflate returns data compressed; the result is valid until the next call.
func (f *flater) deflate(data []byte) ([]byte, error) {
	f.zbuf.Reset()
	if f.zw == nil {
		zw, err := zlib.NewWriterLevel(&f.zbuf, f.level)
		if err != nil {
			return nil, fmt.Errorf("pdfa: deflate: %w", err)
		}
		f.zw = zw
	} else {
		f.zw.Reset(&f.zbuf)
	}
	if _, err := f.zw.Write(data); err != nil {
		return nil, fmt.Errorf("pdfa: deflate: %w", err)
	}
	if err := f.zw.Close(); err != nil {
		return nil, fmt.Errorf("pdfa: deflate: %w", err)
	}
	return f.zbuf.Bytes(), nil
}

// finish writes the cross-reference table and the trailer. The file
// identifier (/ID, required by ISO 19005-3 6.1.3) is the first 16 bytes of
// the SHA-256 of everything before the cross-reference table, so the same
// input always gives the same file.
func (w *writer) finish(root, info pdf.Ref) error {
	for num := 1; num < len(w.offsets); num++ {
		if w.offsets[num] == 0 {
			return fmt.Errorf("pdfa: object %d allocated but not written", num)
		}
	}
	id := w.sum.Sum(nil)[:16]
	start := w.n
	var b bytes.Buffer
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets))
	if err := w.write(b.Bytes()); err != nil {
		return err
	}
	line := []byte("0000000000 00000 n \n")
	for _, off := range w.offsets[1:] {
		for i := 9; i >= 0; i-- {
			line[i] = byte('0' + off%10)
			off /= 10
		}
		if err := w.write(line); err != nil {
			return err
		}
	}
	b.Reset()
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %v /Info %v /ID [<%x> <%x>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(w.offsets), root, info, id, id, start)
	if err := w.write(b.Bytes()); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("pdfa: write: %w", err)
	}
	return nil
}

// textString encodes a text string (ISO 32000-1 7.9.2.2): a literal string
// when s is printable ASCII, where PDFDocEncoding and UTF-8 agree, and
// UTF-16BE with a byte order mark otherwise.
func textString(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			ascii = false
			break
		}
	}
	var b bytes.Buffer
	if ascii {
		b.WriteByte('(')
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '(' || c == ')' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		b.WriteByte(')')
		return b.String()
	}
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteByte('>')
	return b.String()
}

// coord formats a coordinate with two decimals, enough for 1/7200 inch.
func coord(v float64) string {
	return strconv.FormatFloat(v, 'f', 2, 64)
}

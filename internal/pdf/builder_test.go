package pdf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// builder writes small PDF files object by object and records where each
// object starts, so that test files carry exact (or deliberately wrong)
// cross-reference data.
type builder struct {
	bytes.Buffer
	offs     map[int]int64 // objects written since the last xref section
	sections int
	eol      string        // end of a classic xref entry; " \n" when empty
	skew     map[int]int64 // added to recorded offsets, to test tolerance
	base     int64         // subtracted from recorded offsets (header-relative)
}

func newBuilder(version string) *builder {
	b := &builder{offs: map[int]int64{}}
	fmt.Fprintf(b, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version)
	return b
}

func (b *builder) mark(num int) { b.offs[num] = int64(b.Len()) }

// obj writes "num 0 obj body endobj".
func (b *builder) obj(num int, body string) {
	b.mark(num)
	fmt.Fprintf(b, "%d 0 obj\n%s\nendobj\n", num, body)
}

// stream writes a stream object with the given dictionary entries and a
// correct /Length.
func (b *builder) stream(num int, dict string, data []byte) {
	b.mark(num)
	fmt.Fprintf(b, "%d 0 obj\n<< %s /Length %d >>\nstream\n", num, dict, len(data))
	b.Write(data)
	b.WriteString("\nendstream\nendobj\n")
}

// xref writes a classic cross-reference table (7.5.4) for the objects
// written since the previous one, the trailer and startxref, and returns
// the table's offset.
func (b *builder) xref(trailer string) int64 {
	off := int64(b.Len())
	eol := b.eol
	if eol == "" {
		eol = " \n"
	}
	b.WriteString("xref\n")
	if b.sections == 0 {
		b.WriteString("0 1\n0000000000 65535 f" + eol)
	}
	for _, run := range runs(b.offs) {
		fmt.Fprintf(b, "%d %d\n", run[0], len(run))
		for _, n := range run {
			fmt.Fprintf(b, "%010d 00000 n%s", b.offs[n]+b.skew[n]-b.base, eol)
		}
	}
	fmt.Fprintf(b, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", trailer, off-b.base)
	b.offs = map[int]int64{}
	b.sections++
	return off
}

// runs groups object numbers into consecutive runs.
func runs[V any](m map[int]V) [][]int {
	nums := make([]int, 0, len(m))
	for n := range m {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var out [][]int
	for i, n := range nums {
		if i == 0 || n != nums[i-1]+1 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], n)
	}
	return out
}

// xrefEntryRow is one row of a cross-reference stream: type and two fields.
type xrefEntryRow [3]uint64

// xrefStream writes a cross-reference stream object num (7.5.8) holding
// rows plus the in-use entries of everything written since the last
// section and of itself, FlateDecode-compressed with the PNG Up predictor
// as common writers do, then startxref. It returns the stream's offset.
func (b *builder) xrefStream(num int, rows map[int]xrefEntryRow, dict string, withStartxref bool) int64 {
	off := int64(b.Len())
	all := map[int]xrefEntryRow{}
	for n, o := range b.offs {
		all[n] = xrefEntryRow{1, uint64(o), 0}
	}
	for n, r := range rows {
		all[n] = r
	}
	all[num] = xrefEntryRow{1, uint64(off), 0}
	const cols = 1 + 4 + 2
	var raw bytes.Buffer
	var index []string
	prev := make([]byte, cols)
	size := 0
	for _, run := range runs(all) {
		index = append(index, fmt.Sprintf("%d %d", run[0], len(run)))
		size = max(size, run[len(run)-1]+1)
		for _, n := range run {
			row := make([]byte, cols)
			r := all[n]
			row[0] = byte(r[0])
			binary.BigEndian.PutUint32(row[1:5], uint32(r[1]))
			binary.BigEndian.PutUint16(row[5:7], uint16(r[2]))
			raw.WriteByte(2) // PNG Up
			for i := range row {
				raw.WriteByte(row[i] - prev[i])
			}
			prev = row
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	b.offs = map[int]int64{}
	b.sections++
	fmt.Fprintf(b, "%d 0 obj\n<< /Type /XRef /Size %d /Index [%s] /W [1 4 2] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns %d >> %s /Length %d >>\nstream\n",
		num, size, strings.Join(index, " "), cols, dict, z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	if withStartxref {
		fmt.Fprintf(b, "startxref\n%d\n%%%%EOF\n", off)
	}
	return off
}

// objStm writes an object stream (7.5.7) holding the given objects and
// returns the row each of them needs in a cross-reference stream.
func (b *builder) objStm(num int, objs map[int]string) map[int]xrefEntryRow {
	var head, body bytes.Buffer
	rows := map[int]xrefEntryRow{}
	for _, run := range runs(objs) {
		for _, n := range run {
			rows[n] = xrefEntryRow{2, uint64(num), uint64(len(rows))}
			fmt.Fprintf(&head, "%d %d ", n, body.Len())
			body.WriteString(objs[n] + "\n")
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(head.Bytes())
	zw.Write(body.Bytes())
	zw.Close()
	b.stream(num, fmt.Sprintf("/Type /ObjStm /N %d /First %d /Filter /FlateDecode", len(objs), head.Len()), z.Bytes())
	return rows
}

// pageDoc writes the objects of a document with n pages and returns the
// next free object number: 1 catalog (with catalogExtra), 2 page tree,
// then a page and its content stream per page, then the font.
func (b *builder) pageDoc(n int, catalogExtra, pageExtra string) int {
	font := 3 + 2*n
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R "+catalogExtra+" >>")
	var kids []string
	for i := range n {
		kids = append(kids, fmt.Sprintf("%d 0 R", 3+2*i))
	}
	b.obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	for i := range n {
		b.obj(3+2*i, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R %s >>", font, 4+2*i, pageExtra))
		b.stream(4+2*i, "", fmt.Appendf(nil, "BT /F1 24 Tf 72 720 Td (Hello from segl, page %d) Tj ET", i+1))
	}
	b.obj(font, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	return font + 1
}

// simplePDF is a complete document with n pages and a classic xref table.
func simplePDF(n int) []byte {
	b := newBuilder("1.4")
	size := b.pageDoc(n, "", "")
	b.xref(fmt.Sprintf("<< /Size %d /Root 1 0 R >>", size))
	return b.Bytes()
}

func zlibWriter(w *bytes.Buffer) (*zlib.Writer, error) {
	return zlib.NewWriterLevel(w, zlib.BestCompression)
}

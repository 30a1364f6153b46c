package pdf

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/segl/segl/internal/testdocs"
)

// BenchmarkCheck checks generated documents of about 10 MB. Check reads
// the cross-reference data and the objects reachable from the catalog, but
// no stream data, so "big-stream" must allocate about the same whatever the
// stream's size; "many-pages" allocates in proportion to the number of
// objects, which it must visit.
func BenchmarkCheck(b *testing.B) {
	docs := []struct {
		name string
		data []byte
	}{
		{"big-stream-10MB", bigStreamPDF(10 << 20)},
		{"big-stream-1MB", bigStreamPDF(1 << 20)},
		{"many-pages-10MB", simplePDF(36000)},
	}
	for _, d := range docs {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(d.data)))
			b.ReportAllocs()
			for b.Loop() {
				info, err := Check(bytes.NewReader(d.data), int64(len(d.data)))
				if err != nil || info.Pages == 0 {
					b.Fatal(info, err)
				}
			}
		})
	}
}

// bigStreamPDF is a one-page document whose content stream is n bytes.
func bigStreamPDF(n int) []byte {
	bl := newBuilder("1.7")
	bl.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	bl.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	bl.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
	line := []byte("0 0 m 595 842 l S % a line of drawing, repeated to fill the stream\n")
	data := bytes.Repeat(line, n/len(line))
	bl.stream(4, "", data)
	bl.xref("<< /Size 5 /Root 1 0 R >>")
	return bl.Bytes()
}

// BenchmarkSign10MB prepares a signature on a 10 MB document, hashes the
// byte range and writes the signed file to io.Discard. The original is
// streamed, never copied, so B/op must stay far below the file size: what
// remains is the update (about twice ContentsSize for the placeholder and
// its hex copy) and the objects parsed to build it.
func BenchmarkSign10MB(b *testing.B) {
	data := bigStreamPDF(10 << 20)
	der := bytes.Repeat([]byte{0x30}, 4096)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := PrepareSignature(bytes.NewReader(data), int64(len(data)), SignatureSpec{SubFilter: SubFilterCAdES})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Digest(sha256.New()); err != nil {
			b.Fatal(err)
		}
		if _, err := p.WriteTo(io.Discard, der); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCombine combines documents into one, to io.Discard:
// "20x3MB" twenty documents of 3 MB, whose stream data is copied through a
// small buffer, so B/op must stay far below the 60 MB written (what
// remains is the object table and each source's Reader); "10x1000pages"
// ten documents of a thousand pages, which costs per page and object.
func BenchmarkCombine(b *testing.B) {
	docs := []struct {
		name string
		data []byte
		n    int
	}{
		{"20x3MB", testdocs.PDF("Benchmark", 3<<20), 20},
		{"10x1000pages", simplePDF(1000), 10},
	}
	for _, d := range docs {
		b.Run(d.name, func(b *testing.B) {
			srcs := make([]CombineSource, d.n)
			for i := range srcs {
				srcs[i] = CombineSource{R: bytes.NewReader(d.data), Size: int64(len(d.data))}
			}
			b.SetBytes(int64(d.n * len(d.data)))
			b.ReportAllocs()
			for b.Loop() {
				res, err := Combine(io.Discard, srcs)
				if err != nil || len(res.Pages) != len(srcs) {
					b.Fatal(res, err)
				}
			}
		})
	}
}

// BenchmarkPrepareSignature builds a signature's update for a small form,
// with the default room for the signature: what every signing act and
// document time-stamp costs besides reading the document.
func BenchmarkPrepareSignature(b *testing.B) {
	data := formPDF()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PrepareSignature(bytes.NewReader(data), int64(len(data)), SignatureSpec{SubFilter: SubFilterCAdES}); err != nil {
			b.Fatal(err)
		}
	}
}

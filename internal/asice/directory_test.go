package asice

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/segl/segl/internal/xades"
)

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// directoryFlood is a ZIP of nothing but n central directory records of
// one-letter names, with an end record that states stated entries:
// archive/zip keeps every record it can read, whatever the end record says.
func directoryFlood(n, stated int) []byte {
	var b bytes.Buffer
	for range n {
		var h [46]byte
		binary.LittleEndian.PutUint32(h[0:], 0x02014b50)
		binary.LittleEndian.PutUint16(h[28:], 1) // name length
		b.Write(h[:])
		b.WriteByte('a')
	}
	size := b.Len()
	var end [22]byte
	binary.LittleEndian.PutUint32(end[0:], 0x06054b50)
	binary.LittleEndian.PutUint16(end[8:], uint16(stated))
	binary.LittleEndian.PutUint16(end[10:], uint16(stated))
	binary.LittleEndian.PutUint32(end[12:], uint32(size))
	b.Write(end[:])
	return b.Bytes()
}

// TestReadBoundsTheDirectory: a bundle of 100 000 directory records is
// refused having read no more of it than the limits let a bundle need, so
// the memory a refusal costs does not grow with what the client sent.
func TestReadBoundsTheDirectory(t *testing.T) {
	const records = 100_000
	for _, tc := range []struct {
		name   string
		stated int
	}{
		{"fail/directory-flood", records},
		{"fail/directory-flood-stating-three", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flood := directoryFlood(records, tc.stated)
			cr := &countingReaderAt{r: bytes.NewReader(flood)}
			_, err := Read(cr, int64(len(flood)), lim)
			if err == nil {
				t.Fatal("accepted")
			}
			// 30 entries of a few KiB of names need a few hundred KiB.
			const max = 1 << 20
			if cr.n > max {
				t.Fatalf("read %d bytes of a %d-byte bundle before refusing it, more than %d (%v)", cr.n, len(flood), max, err)
			}
		})
	}
	t.Run("ok/every-entry-with-long-names", func(t *testing.T) {
		opts := signer(t)
		var docs []xades.ASiCFile
		for i := range lim.MaxEntries - 2 { // with the manifest and the signature
			name := fmt.Sprintf("%04d_%s.pdf", i, bytes.Repeat([]byte("d"), 1000))
			docs = append(docs, xades.ASiCFile{Name: name, MediaType: "application/pdf", Content: []byte("%PDF-1.7\n")})
		}
		var buf bytes.Buffer
		if err := Write(&buf, docs, []byte("<manifest/>"), opts, time.Now()); err != nil {
			t.Fatal(err)
		}
		b, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), lim)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Documents) != len(docs) {
			t.Fatalf("read %d documents of %d", len(b.Documents), len(docs))
		}
	})
}

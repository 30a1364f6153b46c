package pdf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to Check and to the Reader's methods: any
// input must end in a result or an error, never a panic, a hang or a huge
// allocation. Run it with
//
//	go test -run='^$' -fuzz=FuzzOpen -fuzztime=60s ./internal/pdf/
func FuzzOpen(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, c := range checkCases() {
		if c.data != nil && !strings.Contains(c.name, "bomb") {
			f.Add(c.data())
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Check(bytes.NewReader(data), int64(len(data)))
		if err == nil && info.Pages == 0 {
			t.Fatal("Check accepted a document without pages")
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrEncrypted) &&
			!errors.Is(err, ErrJavaScript) && !errors.Is(err, ErrUnsupportedFilter) {
			t.Fatalf("Check returned an unclassified error: %v", err)
		}
		r, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		_ = r.Version()
		_ = r.Trailer()
		_, _ = r.PageCount()
		for num := range min(len(r.xref), 64) {
			o, err := r.Object(Ref{Num: num, Gen: int(r.xref[num].gen)})
			if err != nil {
				continue
			}
			if st, ok := o.(Stream); ok {
				if sr, err := r.StreamReader(st); err == nil {
					_, _ = io.Copy(io.Discard, io.LimitReader(sr, 1<<20))
				}
			}
		}
	})
}

// FuzzPrepareSignature feeds mutated files to PrepareSignature: it must
// fail with an error, or produce a file that the reader opens again and in
// which the new signature is found where the byte range says. Run it with
//
//	go test -run='^$' -fuzz=FuzzPrepareSignature -fuzztime=45s -parallel=1 ./internal/pdf/
func FuzzPrepareSignature(f *testing.F) {
	for _, name := range []string{"minimal", "object-streams", "incremental", "hybrid", "linearized", "incremental-xref-stream", "javascript"} {
		data, err := os.ReadFile(filepath.Join("testdata", name+".pdf"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
	}
	f.Add(formPDF(), true)
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x07}
	f.Fuzz(func(t *testing.T, data []byte, visible bool) {
		spec := SignatureSpec{
			SubFilter: SubFilterCAdES, ContentsSize: 64, Reason: "fuzz",
			Attachments: []Attachment{{Name: "e.xml", Data: []byte("<e/>")}},
		}
		if visible {
			spec.Appearance = &Appearance{Page: -1, Rect: [4]float64{10, 10, 100, 40}, Stream: []byte("0 0 m 1 1 l S")}
		}
		p, err := PrepareSignature(bytes.NewReader(data), int64(len(data)), spec)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "pdf: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		var out bytes.Buffer
		if _, err := p.WriteTo(&out, der); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out.Bytes(), data) {
			t.Fatal("the original bytes were changed")
		}
		r, err := Open(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatalf("output does not open: %v", err)
		}
		sigs, err := r.Signatures()
		if err != nil {
			t.Fatalf("Signatures: %v", err)
		}
		br := p.ByteRange()
		for _, s := range sigs {
			if s.Field == p.FieldName() {
				if !bytes.Equal(s.DER, der) || len(s.ByteRange) != 4 || [4]int64(s.ByteRange) != br || s.RevisionEnd != int64(out.Len()) {
					t.Fatalf("signature read back as %+v, byte range %v", s, br)
				}
				return
			}
		}
		t.Fatalf("new field %q not found among %d signatures", p.FieldName(), len(sigs))
	})
}

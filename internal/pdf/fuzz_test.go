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

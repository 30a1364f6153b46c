package signing

import (
	"bytes"
	"io"
	"testing"

	"github.com/segl/segl/internal/pdfa"
)

// memObject is a blob.Object over b.
type memObject struct{ *bytes.Reader }

func (memObject) Close() error { return nil }

func TestOpenEvidence(t *testing.T) {
	xml := []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ds:Signature/>")
	z, err := pdfa.Deflate(xml)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		stored  []byte
		want    []byte
		wantErr bool
	}{
		{"ok/deflated", z, xml, false},
		{"ok/as-it-is", xml, xml, false},
		{"ok/byte-order-mark", append([]byte("\xef\xbb\xbf"), xml...), append([]byte("\xef\xbb\xbf"), xml...), false},
		{"ok/white-space-first", append([]byte("\r\n \t"), xml...), append([]byte("\r\n \t"), xml...), false},
		{"ok/empty", nil, nil, false},
		{"fail/deflated-data-changed", append(bytes.Clone(z[:len(z)-1]), z[len(z)-1]^1), nil, true},
		{"fail/deflated-data-cut", z[:len(z)/2], nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := OpenEvidence(memObject{bytes.NewReader(tc.stored)})
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(io.NewSectionReader(o, 0, o.Size()))
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

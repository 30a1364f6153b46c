package pdf

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"
)

// TestAppendMetadata checks that the XMP packet is replaced in an
// incremental update, in place when the catalog has a metadata stream
// (the catalog is then not rewritten) and as a new stream otherwise, and
// that it is written unfiltered, as PDF/A requires.
func TestAppendMetadata(t *testing.T) {
	doc := func(withMetadata bool) []byte {
		b := newBuilder("1.4")
		extra := ""
		if withMetadata {
			extra = "/Metadata 9 0 R"
		}
		size := b.pageDoc(1, extra, "")
		if withMetadata {
			b.stream(9, "/Type /Metadata /Subtype /XML", []byte("<old/>"))
			size = 10
		}
		b.xref(fmt.Sprintf("<< /Size %d /Root 1 0 R >>", size))
		return b.Bytes()
	}
	for _, with := range []bool{true, false} {
		t.Run(fmt.Sprint("existing=", with), func(t *testing.T) {
			src := doc(with)
			var out bytes.Buffer
			if _, err := AppendMetadata(&out, bytes.NewReader(src), int64(len(src)), []byte("<new/>")); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out.Bytes(), src) {
				t.Fatal("not an incremental update")
			}
			upd := out.String()[len(src):]
			if got := regexp.MustCompile(`(?m)^1 0 obj`).MatchString(upd); got == with {
				t.Errorf("catalog rewritten: %v", got)
			}
			if bytes.Contains([]byte(upd), []byte("/Filter")) {
				t.Error("the metadata stream is filtered")
			}
			xmp, err := mustOpen(t, out.Bytes()).Metadata()
			if err != nil || string(xmp) != "<new/>" {
				t.Errorf("metadata %q, %v", xmp, err)
			}
		})
	}
	if xmp, err := mustOpen(t, simplePDF(1)).Metadata(); xmp != nil || err != nil {
		t.Errorf("a document without metadata: %q, %v", xmp, err)
	}
}

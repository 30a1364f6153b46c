package pdf

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/testdocs"
)

// update appends a classic incremental update redefining or adding objects
// (number → body) to a file whose last xref section is classic.
func appendRevision(t *testing.T, src []byte, objs map[int]string) []byte {
	t.Helper()
	r, err := Open(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	size := int(r.Trailer()["Size"].(Int))
	var b bytes.Buffer
	b.Write(src)
	nums := make([]int, 0, len(objs))
	for n := range objs {
		nums = append(nums, n)
		size = max(size, n+1)
	}
	sort.Ints(nums)
	offsets := map[int]int{}
	for _, n := range nums {
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, objs[n])
	}
	xref := b.Len()
	b.WriteString("xref\n")
	for _, n := range nums {
		fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", n, offsets[n])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size, r.Revisions()[0], xref)
	return b.Bytes()
}

func changes(t *testing.T, file []byte, oldEnd int64) []Change {
	t.Helper()
	old, err := Open(bytes.NewReader(file[:oldEnd]), oldEnd)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	list, err := Changes(old, cur)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func kinds(list []Change) string {
	var k []string
	for _, c := range list {
		k = append(k, string(c.Kind))
	}
	sort.Strings(k)
	return strings.Join(k, ",")
}

func signed(t *testing.T, src []byte) []byte {
	t.Helper()
	p, err := PrepareSignature(bytes.NewReader(src), int64(len(src)), SignatureSpec{SubFilter: SubFilterCAdES,
		SigningTime: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), ContentsSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := p.WriteTo(&out, []byte{0x30, 0x00}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestChanges(t *testing.T) {
	base := testdocs.PDF("Kontrakt", 0)
	one := signed(t, base)
	end := int64(len(one))

	var withDSS bytes.Buffer
	if _, err := AppendDSS(&withDSS, bytes.NewReader(one), end, DSS{Certs: [][]byte{{1, 2, 3}}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"ok/nothing", one, ""},
		{"ok/dss", withDSS.Bytes(), "dss"},
		{"ok/second-signature", signed(t, one), "form,signature"},
		{"fail/page-added", appendRevision(t, one, map[int]string{
			2:  "<< /Type /Pages /Kids [3 0 R 50 0 R] /Count 2 >>",
			50: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		}), "pages"},
		{"fail/content-changed", appendRevision(t, one, map[int]string{
			4: "<< /Length 35 >>\nstream\nBT /F1 24 Tf 72 720 Td (Lie) Tj ET\nendstream",
		}), "content"},
		{"fail/javascript-added", appendRevision(t, one, map[int]string{
			1: "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
		}), "catalog,form"},
		{"fail/annotation-added", appendRevision(t, one, map[int]string{
			3:  "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /PieceInfo << /Pad << /Data 6 0 R >> >> /Annots [51 0 R] >>",
			51: "<< /Type /Annot /Subtype /FreeText /Rect [72 700 300 740] /Contents (Not what you signed) /DA (/Helv 12 Tf) >>",
		}), "annotation,annotation"}, // the FreeText added, and the signature's widget dropped from /Annots
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kinds(changes(t, tt.file, end)); got != tt.want {
				t.Fatalf("changes %q, want %q", got, tt.want)
			}
		})
	}
}

package pdf

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/segl/segl/internal/testdocs"
)

// withInfo makes the last trailer of file name object info its document
// information dictionary. The trailer follows the xref table, so no
// offset moves.
func withInfo(t *testing.T, file []byte, info int) []byte {
	t.Helper()
	const head = "trailer\n<< "
	i := bytes.LastIndex(file, []byte(head))
	if i < 0 {
		t.Fatal("no classic trailer")
	}
	i += len(head)
	return slices.Concat(file[:i], fmt.Appendf(nil, "/Info %d 0 R ", info), file[i:])
}

func metadataStream(modified string) string {
	xmp := `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		`<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:ModifyDate>` + modified +
		`</xmp:ModifyDate></rdf:Description></rdf:RDF></x:xmpmeta>`
	return fmt.Sprintf("<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n%s\nendstream", len(xmp), xmp)
}

// TestChangesMetadata: a change after signing to the XMP metadata stream
// (catalog /Metadata) or to the document information dictionary (trailer
// /Info, which the catalog does not reach) is a metadata change, whether
// the object is redefined or another one named; redefined as it was, it
// is no change. Acrobat and pyHanko rewrite both on every incremental
// save; before, the XMP stream was a catalog change and /Info was not
// compared at all.
func TestChangesMetadata(t *testing.T) {
	const info = `<< /Title (Kontrakt) /ModDate (D:20261207120000Z) >>`
	base := withInfo(t, appendRevision(t, testdocs.PDF("Kontrakt", 0), map[int]string{
		1:  "<< /Type /Catalog /Pages 2 0 R /Metadata 50 0 R >>",
		50: metadataStream("2026-12-07T12:00:00Z"),
		51: info,
	}), 51)
	one := signed(t, base)
	end := int64(len(one))
	// The signed revision's catalog (signing added /AcroForm), with
	// /Metadata pointing to object 60 and extra entries.
	catalog := func(extra string) string {
		i := bytes.LastIndex(one, []byte("\n1 0 obj\n")) + len("\n1 0 obj\n")
		body := string(one[i : i+bytes.Index(one[i:], []byte("\nendobj"))])
		if !strings.Contains(body, "/Metadata 50 0 R") || !strings.HasSuffix(body, ">>") {
			t.Fatalf("signed catalog %q", body)
		}
		return strings.Replace(strings.TrimSuffix(body, ">>"), "/Metadata 50 0 R", "/Metadata 60 0 R", 1) + extra + " >>"
	}

	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"ok/nothing", one, ""},
		{"ok/xmp-redefined-as-it-was", appendRevision(t, one, map[int]string{50: metadataStream("2026-12-07T12:00:00Z")}), ""},
		{"ok/info-redefined-as-it-was", appendRevision(t, one, map[int]string{51: info}), ""},
		{"metadata/xmp-changed", appendRevision(t, one, map[int]string{50: metadataStream("2026-12-08T09:00:00Z")}), "metadata"},
		{"metadata/xmp-replaced", appendRevision(t, one, map[int]string{
			1:  catalog(""),
			60: metadataStream("2026-12-08T09:00:00Z"),
		}), "metadata"},
		{"metadata/info-changed", appendRevision(t, one, map[int]string{51: `<< /Title (Kjøpekontrakt) /ModDate (D:20261207120000Z) >>`}), "metadata"},
		{"metadata/info-replaced", withInfo(t, appendRevision(t, one, map[int]string{61: `<< /Title (Kjøpekontrakt) >>`}), 61), "metadata"},
		{"catalog/xmp-and-action", appendRevision(t, one, map[int]string{
			1:  catalog(" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
			60: metadataStream("2026-12-08T09:00:00Z"),
		}), "catalog,metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := changes(t, tt.file, end)
			if got := kinds(list); got != tt.want {
				t.Fatalf("changes %q (%+v), want %q", got, list, tt.want)
			}
		})
	}
	info2 := changes(t, withInfo(t, appendRevision(t, one, map[int]string{61: `<< /Title (X) >>`}), 61), end)
	if len(info2) != 1 || info2[0].Detail != "document information dictionary" {
		t.Fatalf("an /Info change reads %+v", info2)
	}
}

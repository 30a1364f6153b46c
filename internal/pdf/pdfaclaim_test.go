package pdf

import (
	"strings"
	"testing"
)

func TestClaimPDFA3(t *testing.T) {
	for _, tc := range []struct {
		name, xmp string
		want      PDFAClaim
		changed   bool
	}{
		{"element part 1", `<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>1</pdfaid:part><pdfaid:amd>2005</pdfaid:amd><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>`,
			PDFAClaim{3, "B"}, true},
		{"attribute part 2, other prefix", `<rdf:Description rdf:about="" xmlns:id='http://www.aiim.org/pdfa/ns/id/' id:part='2' id:conformance='U'/>`,
			PDFAClaim{3, "U"}, true},
		{"level A kept", `<rdf:Description xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="1" pdfaid:conformance="A"/>`,
			PDFAClaim{3, "A"}, true},
		{"part 3 untouched", `<x xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></x>`,
			PDFAClaim{3, "B"}, false},
		{"no claim", `<x xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>part 1</dc:title></x>`, PDFAClaim{}, false},
		{"pdfaid prefix bound elsewhere", `<x xmlns:pdfaid="urn:other"><pdfaid:part>1</pdfaid:part></x>`, PDFAClaim{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, changed := ClaimPDFA3([]byte(tc.xmp))
			if changed != tc.changed {
				t.Errorf("changed %v, want %v", changed, tc.changed)
			}
			if got := ReadPDFAClaim(out); got != tc.want {
				t.Errorf("claim %+v, want %+v:\n%s", got, tc.want, out)
			}
			if strings.Contains(string(out), "amd") {
				t.Errorf("the old part's amendment stayed:\n%s", out)
			}
		})
	}
}

package pdf

import (
	"bytes"
	"regexp"
)

// pdfaidNS is the namespace of the PDF/A identification schema (ISO
// 19005-1 §6.7.11, 19005-3 §6.6.4).
const pdfaidNS = "http://www.aiim.org/pdfa/ns/id/"

var (
	nsDecl = regexp.MustCompile(`xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']` + regexp.QuoteMeta(pdfaidNS) + `["']`)
)

// PDFAClaim is a document's PDF/A identification, read from its XMP
// metadata ([Reader.Metadata]).
type PDFAClaim struct {
	Part        int    // 1, 2, 3 …; 0 when the document claims none
	Conformance string // "A", "B" or "U"
}

// ReadPDFAClaim finds the PDF/A identification in an XMP packet, in element
// (<pdfaid:part>1</pdfaid:part>) or attribute (pdfaid:part="1") form,
// under whatever prefix the packet binds to the pdfaid namespace.
func ReadPDFAClaim(xmp []byte) PDFAClaim {
	var c PDFAClaim
	for _, m := range nsDecl.FindAllSubmatch(xmp, -1) {
		prefix := regexp.QuoteMeta(string(m[1]))
		if v := property(xmp, prefix, "part"); len(v) == 1 && v[0] >= '1' && v[0] <= '9' {
			c.Part = int(v[0] - '0')
		}
		if v := property(xmp, prefix, "conformance"); len(v) == 1 {
			c.Conformance = string(bytes.ToUpper(v))
		}
	}
	return c
}

func property(xmp []byte, prefix, name string) []byte {
	for _, re := range propertyForms(prefix, name) {
		if m := re.FindSubmatch(xmp); m != nil {
			return bytes.TrimSpace(m[2])
		}
	}
	return nil
}

// propertyForms are the element and attribute forms of one simple XMP
// property; group 2 is its value.
func propertyForms(prefix, name string) []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`(<` + prefix + `:` + name + `\s*>)([^<]*)(</` + prefix + `:` + name + `\s*>)`),
		regexp.MustCompile(`(\s` + prefix + `:` + name + `\s*=\s*["'])([^"']*)(["'])`),
	}
}

// ClaimPDFA3 rewrites an XMP packet that claims PDF/A-1 or PDF/A-2 to
// claim PDF/A-3 at the same conformance level, and reports whether it
// changed anything. segl attaches each signer's evidence (XAdES) to the
// document with an /AF relationship: PDF/A-1 forbids embedded files
// (ISO 19005-1 §6.1.11) and PDF/A-2 allows only PDF/A files (19005-2
// §6.8), while PDF/A-3 allows any file associated through /AF with an
// /AFRelationship (19005-3 §6.8), which is how segl attaches it. What
// else PDF/A-3 requires of a PDF/A-1 or -2 file holds already: PDF/A-3 is
// PDF/A-2 plus those attachments, and PDF/A-2 relaxes PDF/A-1 (a 1.x
// file, transparency and JPEG 2000 allowed, the same font, colour and
// metadata rules); PDF/A-1's levels A and B exist in PDF/A-3 too. The
// amendment (pdfaid:amd) of the old part is dropped with it.
//
// A packet without a PDF/A claim, or with part 3 or later, is returned
// unchanged.
func ClaimPDFA3(xmp []byte) ([]byte, bool) {
	c := ReadPDFAClaim(xmp)
	if c.Part != 1 && c.Part != 2 {
		return xmp, false
	}
	out := xmp
	for _, m := range nsDecl.FindAllSubmatch(xmp, -1) {
		prefix := regexp.QuoteMeta(string(m[1]))
		for _, re := range propertyForms(prefix, "part") {
			out = re.ReplaceAll(out, []byte("${1}3${3}"))
		}
		amd := []*regexp.Regexp{
			regexp.MustCompile(`\s*<` + prefix + `:amd\s*>[^<]*</` + prefix + `:amd\s*>`),
			regexp.MustCompile(`\s` + prefix + `:amd\s*=\s*["'][^"']*["']`),
		}
		for _, re := range amd {
			out = re.ReplaceAll(out, nil)
		}
	}
	return out, true
}

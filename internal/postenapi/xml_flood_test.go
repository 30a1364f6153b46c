package postenapi

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
)

// TestXMLFloodIsBounded: a message of the largest size made of many small
// things costs a bounded multiple of its size to decode, whether it is
// refused or not. encoding/xml gathers one start tag's attributes before
// anything can look at them, and decodes every element the type has a
// slice for: a megabyte of attributes in one tag cost some 100 MB, the
// same attributes over many tags 80 MB, and a megabyte of <signer/> 210
// MB, all refused only afterwards. Allocation is measured with
// runtime.MemStats (this test is not parallel, so it runs alone).
func TestXMLFloodIsBounded(t *testing.T) {
	const ns = `xmlns="http://signering.posten.no/schema/v1"`
	flood := func(open, unit, close string) []byte {
		var b strings.Builder
		b.WriteString(`<portal-signature-job-manifest ` + ns + `><signers>` + open)
		for i := 0; b.Len() < maxXML-200; i++ {
			b.WriteString(strings.ReplaceAll(unit, "#", fmt.Sprint(i)))
		}
		b.WriteString(close + `</signers></portal-signature-job-manifest>`)
		return []byte(b.String())
	}
	for _, tc := range []struct {
		name    string
		doc     []byte
		refused bool
	}{
		{"attributes-in-one-tag", flood(`<signer`, ` a#=""`, `/>`), true},
		{"attributes-over-many-tags", flood(``, `<signer a="" b="" c="" d=""/>`, ``), true},
		{"namespace-declarations", flood(`<signer`, ` xmlns:p#="u"`, `/>`), true},
		{"elements", flood(``, `<signer/>`, ``), true},
		{"unknown-elements", flood(``, `<x/>`, ``), true},
		{"comments", flood(``, `<!---->`, ``), false},
		{"processing-instructions", flood(``, `<?a?>`, ``), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.doc) > maxXML {
				t.Fatalf("the flood is %d bytes, more than the %d decode reads", len(tc.doc), maxXML)
			}
			var m portalManifest
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := decode(bytes.NewReader(tc.doc), &m)
			runtime.ReadMemStats(&after)
			if tc.refused && !errs.HasCode(err, codeSchema) || !tc.refused && err != nil {
				t.Fatalf("decode: %v", err)
			}
			const bound = 16 * maxXML
			if n := after.TotalAlloc - before.TotalAlloc; n > bound {
				t.Fatalf("decoding %d bytes allocated %d bytes, more than %d", len(tc.doc), n, bound)
			}
		})
	}
}

// TestAttributeBoundReadsMarkup: attrBound counts the attributes of start
// tags only, so what looks like them in comments, CDATA sections,
// processing instructions and quoted values is no attribute.
func TestAttributeBoundReadsMarkup(t *testing.T) {
	many := strings.Repeat(` a=""`, maxAttrs+1)
	for _, tc := range []struct {
		name, xml string
		ok        bool
	}{
		{"ok/comment", `<r><!--<x` + many + `>--></r>`, true},
		{"ok/cdata", `<r><![CDATA[<x` + many + `>]]></r>`, true},
		{"ok/processing-instruction", `<r><?pi <x` + many + `> ?></r>`, true},
		{"ok/quoted-value", `<r a="` + strings.Repeat(`=`, maxAttrs+1) + `>'"/>`, true},
		{"ok/as-many-as-allowed", `<r` + strings.Repeat(` a=""`, maxAttrs) + `/>`, true},
		{"fail/one-more", `<r` + many + `/>`, false},
		{"fail/after-markup", `<r><!-- a --><![CDATA[b]]><?c?><x` + many + `/></r>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &attrBound{data: []byte(tc.xml)}
			var err error
			for err == nil {
				_, err = b.ReadByte()
			}
			if tc.ok != (err.Error() == "EOF") {
				t.Fatalf("got %v", err)
			}
		})
	}
}

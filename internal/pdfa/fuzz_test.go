package pdfa

import (
	"bytes"
	"strings"
	"testing"

	"github.com/segl/segl/internal/pdf"
)

// seeds are the fuzzer's starting points; TestRenderTextSeeds also checks
// each with qpdf.
func seeds() []string {
	return []string{
		"",
		"a",
		consent,
		"\f\f\f",
		"\r\r\n\n\t\t x\tyy\tzzz\v\b\x00\x7f\u0085\u2028\u2029",
		"\ufeff\ufeff\ufffd\U0010FFFF\U000E0001\u0378",
		strings.Repeat("Ø", 500) + "\n" + strings.Repeat(" ", 500) + "x",
		strings.Repeat("a\u0301\u0302\u0303", 400),
		"مرحبا بالعالم — שלום — Привет — Γειά — 你好 — 😀",
		strings.Repeat("word ", 2000),
		strings.Repeat("\n", 130),
		"(\\)<>[]{}/%#",
	}
}

func TestRenderTextSeeds(t *testing.T) {
	for i, s := range seeds() {
		data, info := render(t, s, Meta{Title: s[:min(len(s), 40)], Created: created})
		pi, err := pdf.Check(bytes.NewReader(data), int64(len(data)))
		if err != nil || pi.Pages != info.Pages {
			t.Fatalf("seed %d: pdf.Check = %+v, %v; want %d pages", i, pi, err, info.Pages)
		}
		qpdfCheck(t, data)
	}
}

// FuzzRenderText renders arbitrary text (made valid UTF-8, as RenderText's
// callers guarantee) and title: it must never fail or panic, and what it
// writes must open as a PDF with the pages it reports. Run it with
//
//	go test -run='^$' -fuzz=FuzzRenderText -fuzztime=45s -parallel=1 ./internal/pdfa/
func FuzzRenderText(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s, "Tittel")
	}
	f.Fuzz(func(t *testing.T, text, title string) {
		text = strings.ToValidUTF8(text, "\ufffd")
		var out bytes.Buffer
		info, err := RenderText(&out, strings.NewReader(text), Meta{Title: title, Created: created})
		if err != nil {
			t.Fatalf("RenderText: %v", err)
		}
		if info.Pages < 1 || info.Size != int64(out.Len()) {
			t.Fatalf("Info %+v for %d bytes", info, out.Len())
		}
		pi, err := pdf.Check(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil || pi.Pages != info.Pages {
			t.Fatalf("pdf.Check = %+v, %v; want %d pages", pi, err, info.Pages)
		}
	})
}

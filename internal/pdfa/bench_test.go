package pdfa

import (
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

// textSource generates n bytes of Norwegian-looking text on the fly, so
// that a benchmark or test holds none of it: what RenderText allocates is
// all there is.
type textSource struct {
	left int
	pos  int
	line []byte
}

var sourceLines = [][]byte{
	[]byte("Partene er enige om at avtalen gjelder fra signering og løper til den sies opp skriftlig med tre måneders varsel.\n"),
	[]byte("Behandlingsansvarlig:\tEksempel AS, org.nr. 912 345 678, Søndre gate 1, 0150 Oslo.\n"),
	[]byte("Databehandleren skal sørge for at personer som har tilgang til personopplysningene, har taushetsplikt – også etter at arbeidsforholdet er avsluttet, jf. personopplysningsloven og GDPR artikkel 28 nr. 3 bokstav b. ÆØÅ æøå.\n"),
	[]byte("\n"),
	[]byte("Kort linje.\n"),
}

func newTextSource(n int) *textSource { return &textSource{left: n} }

func (s *textSource) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && s.left > 0 {
		if len(s.line) == 0 {
			s.line = sourceLines[s.pos%len(sourceLines)]
			s.pos++
		}
		c := copy(p[n:min(len(p), n+s.left)], s.line)
		s.line, n, s.left = s.line[c:], n+c, s.left-c
	}
	return n, nil
}

// BenchmarkRenderText10MB renders 10 MB of text. B/op is everything
// allocated in one run; it stays far below the size of the text, because
// RenderText holds one page at a time. Run it with
//
//	go test -run='^$' -bench=RenderText10MB -benchtime=3x ./internal/pdfa/
func BenchmarkRenderText10MB(b *testing.B) {
	const size = 10 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	var pages int
	var out int64
	for b.Loop() {
		info, err := RenderText(io.Discard, newTextSource(size), Meta{Title: "Benchmark", Created: created})
		if err != nil {
			b.Fatal(err)
		}
		pages, out = info.Pages, info.Size
	}
	b.ReportMetric(float64(pages), "pages")
	b.ReportMetric(float64(out)/(1<<20), "MB-out")
}

// TestRenderTextBoundedMemory checks that what RenderText allocates does
// not grow with the text: rendering 1 MiB allocates, over the whole run,
// hardly more than rendering 256 KiB. What grows is the bookkeeping per page
// (object offsets, page references), a few hundred bytes for a page of
// several kilobytes of text.
func TestRenderTextBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 1.25 MiB")
	}
	// The least of three runs: a pooled compressor that the garbage
	// collector dropped is allocated again now and then (about 900 KB at
	// once), which says nothing about growth with the text.
	allocs := func(size int) (uint64, Info) {
		least, info := uint64(math.MaxUint64), Info{}
		for range 3 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			i, err := RenderText(io.Discard, newTextSource(size), Meta{Title: "Memory", Created: created})
			if err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			least, info = min(least, after.TotalAlloc-before.TotalAlloc), i
		}
		return least, info
	}
	allocs(1 << 10) // load the font
	small, si := allocs(256 << 10)
	large, li := allocs(1 << 20)
	t.Logf("256 KiB of text: %d pages, %d bytes allocated; 1 MiB: %d pages, %d bytes allocated", si.Pages, small, li.Pages, large)
	if grow := int64(large) - int64(small); grow > 256<<10 || large > 4<<20 {
		t.Errorf("allocations grow by %d bytes for 768 KiB more text (%d in all)", grow, large)
	}
	if perPage := (int64(large) - int64(small)) / int64(li.Pages-si.Pages); perPage > 512 {
		t.Errorf("%d bytes allocated per page", perPage)
	}
}

// BenchmarkRenderTextConsent renders the one-page consent form: the fixed
// cost of a document (metadata, ICC profile, font subset).
func BenchmarkRenderTextConsent(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderText(io.Discard, strings.NewReader(consent), Meta{Title: "Samtykke", Created: created}); err != nil {
			b.Fatal(err)
		}
	}
}

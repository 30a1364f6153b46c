package pdfa

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/segl/segl/internal/testtool"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/segl/segl/internal/pdf"
)

var created = time.Date(2026, 3, 5, 14, 3, 27, 0, time.FixedZone("CET", 3600))

// consent is a one-page Norwegian consent form.
const consent = `Samtykkeerklæring

Jeg samtykker til at Eksempel AS behandler opplysninger om meg for å
administrere arbeidsforholdet, slik det er beskrevet i personvernerklæringen.

Navn:	Ærlige Åse Østby
Adresse:	Søndre gate 1, 0150 Oslo

Samtykket kan trekkes tilbake når som helst ved å kontakte personvernombudet.
ÆØÅ æøå – “sitat” € 100,–
`

// longText has Norwegian letters, lines longer than the page is wide, a
// word longer than a line, tabs, a form feed and enough lines for more than
// three pages.
func longText() string {
	var b strings.Builder
	b.WriteString("Avtale om behandling av personopplysninger\n\n")
	for i := range 40 {
		fmt.Fprintf(&b, "%d.\tPunkt %d: Databehandleren skal bare behandle personopplysninger etter dokumentert instruks fra den behandlingsansvarlige, også når det gjelder overføring til tredjeland – æøå ÆØÅ.\n", i+1, i+1)
	}
	b.WriteString(strings.Repeat("Langtordsomikkefårplasspåénlinjeogmåbrytesinneiordet", 6) + "\n")
	b.WriteString("\fNy side etter sideskift.\n")
	for i := range 80 {
		fmt.Fprintf(&b, "Linje %d\n", i+1)
	}
	return b.String()
}

func render(t testing.TB, text string, meta Meta) ([]byte, Info) {
	t.Helper()
	var out bytes.Buffer
	info, err := RenderText(&out, strings.NewReader(text), meta)
	if err != nil {
		t.Fatalf("RenderText: %v", err)
	}
	if info.Size != int64(out.Len()) {
		t.Fatalf("Info.Size = %d, wrote %d bytes", info.Size, out.Len())
	}
	return out.Bytes(), info
}

// tool runs an external checker on a PDF and returns its standard output.
// Tests that need one skip without it; scripts/install-deps.sh installs
// qpdf and poppler-utils for CI.
func tool(t testing.TB, data []byte, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		testtool.Missing(t, "%s not installed (Debian qpdf / poppler-utils)", name)
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if i := slices.Index(args, "{}"); i >= 0 {
		args = slices.Clone(args)
		args[i] = path
	} else {
		args = append(args, path)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("%s %v complained:\n%s", name, args, stderr.String())
	}
	return stdout.String()
}

func qpdfCheck(t testing.TB, data []byte) {
	t.Helper()
	out := tool(t, data, "qpdf", "--check")
	if !strings.Contains(out, "No syntax or stream encoding errors found") {
		t.Fatalf("qpdf --check:\n%s", out)
	}
}

var footerLine = regexp.MustCompile(`^(Signatur)?[Ss]ide \d+ av \d+ / (Signature p|P)age \d+ of \d+$`)

// extracted returns the text pdftotext finds, pages split at form feeds,
// without the footers.
func extracted(t testing.TB, data []byte) []string {
	t.Helper()
	pages := strings.Split(tool(t, data, "pdftotext", "-enc", "UTF-8", "{}", "-"), "\f")
	pages = pages[:len(pages)-1] // after the last form feed
	for i, p := range pages {
		var keep []string
		for _, l := range strings.Split(p, "\n") {
			if !footerLine.MatchString(strings.TrimSpace(l)) {
				keep = append(keep, l)
			}
		}
		pages[i] = strings.Join(keep, "\n")
	}
	return pages
}

// squeeze removes all white space: wrapping and tab expansion change the
// white space of a text but never its other characters or their order.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func TestRenderTextTools(t *testing.T) {
	meta := Meta{Title: "Databehandleravtale – æøå", Author: "Eksempel AS", Subject: "Avtale", Lang: "nb", Created: created}
	text := longText()
	data, info := render(t, text, meta)
	if info.Pages < 3 {
		t.Fatalf("Pages = %d, want at least 3", info.Pages)
	}
	qpdfCheck(t, data)

	fonts := tool(t, data, "pdffonts")
	if !regexp.MustCompile(`(?m)^[A-Z]{6}\+DejaVuSans +CID TrueType +Identity-H +yes yes yes `).MatchString(fonts) {
		t.Errorf("pdffonts: want one embedded subset with ToUnicode:\n%s", fonts)
	}
	if n := strings.Count(fonts, "\n"); n != 3 {
		t.Errorf("pdffonts lists %d fonts, want 1:\n%s", n-2, fonts)
	}

	pdfinfo := tool(t, data, "pdfinfo", "-isodates")
	for _, want := range []string{
		fmt.Sprintf("Pages:           %d\n", info.Pages),
		"Title:           Databehandleravtale – æøå\n",
		"Author:          Eksempel AS\n",
		"Producer:        segl\n",
		"CreationDate:    2026-03-05T14:03:27+01\n",
		"Page size:       595.28 x 841.89 pts (A4)\n",
		"Metadata Stream: yes\n",
		"JavaScript:      no\n",
		"Encrypted:       no\n",
	} {
		if !strings.Contains(pdfinfo, want) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, pdfinfo)
		}
	}

	pages := extracted(t, data)
	if len(pages) != info.Pages {
		t.Fatalf("pdftotext found %d pages, want %d", len(pages), info.Pages)
	}
	all := strings.Join(pages, "\n")
	title, rest, _ := strings.Cut(all, "\n")
	if title != meta.Title {
		t.Errorf("first line %q, want the title %q", title, meta.Title)
	}
	if got, want := squeeze(rest), squeeze(text); got != want {
		t.Errorf("pdftotext does not give back the text:\n got %.300q\nwant %.300q", got, want)
	}
	// Long lines are wrapped: no extracted line is much longer than what
	// fits across the page at 10 pt.
	for _, l := range strings.Split(rest, "\n") {
		if n := len([]rune(l)); n > 110 {
			t.Errorf("line of %d characters, not wrapped: %q", n, l)
		}
	}
	// The form feed started a page.
	var feed int
	for i, p := range pages {
		if strings.HasPrefix(strings.TrimSpace(p), "Ny side etter sideskift.") {
			feed = i
		}
	}
	if feed == 0 {
		t.Errorf("no page begins with the text after the form feed")
	}
}

func TestRenderTextOnePage(t *testing.T) {
	data, info := render(t, consent, Meta{Title: "Samtykke", Lang: "nb", Created: created})
	// poppler rasterises the page with the embedded subset (FreeType
	// reads it) without a complaint, and draws text.
	pgm := strings.SplitAfterN(tool(t, data, "pdftoppm", "-r", "50", "-gray", "-f", "1", "-l", "1"), "\n", 4)
	if len(pgm) != 4 || pgm[0] != "P5\n" {
		t.Fatalf("pdftoppm: not a PGM image")
	}
	dark := 0
	for _, px := range []byte(pgm[3]) {
		if px < 160 {
			dark++
		}
	}
	if dark < 500 {
		t.Errorf("pdftoppm drew %d dark pixels, want text", dark)
	}
	if info.Pages != 1 {
		t.Fatalf("Pages = %d, want 1", info.Pages)
	}
	if info.Size > 40<<10 {
		t.Errorf("a one-page consent form takes %d bytes, want at most 40 KiB", info.Size)
	}
	t.Logf("one-page consent form: %d bytes", info.Size)
	qpdfCheck(t, data)
	pages := extracted(t, data)
	if got, want := squeeze(pages[0]), squeeze("Samtykke"+consent); got != want {
		t.Errorf("pdftotext:\n got %q\nwant %q", got, want)
	}
	for _, want := range []string{"Ærlige Åse Østby", "ÆØÅ æøå – “sitat” € 100,–"} {
		if !strings.Contains(pages[0], want) {
			t.Errorf("pdftotext lacks %q:\n%s", want, pages[0])
		}
	}
}

// TestRenderTextLayout checks page breaks, line endings and the handling
// of characters the font lacks, through pdftotext.
func TestRenderTextLayout(t *testing.T) {
	many := strings.Repeat("x\n", 200)
	tests := []struct {
		name  string
		text  string
		pages int
		want  []string // per page, white space squeezed, footers removed
	}{
		{"ok/empty", "", 1, []string{""}},
		{"ok/bom-skipped", "\ufeffabc", 1, []string{"abc"}},
		{"ok/form-feed-at-end-adds-no-page", "a\n\f", 1, []string{"a"}},
		{"ok/form-feed-mid-line", "a\fb", 2, []string{"a", "b"}},
		{"ok/two-form-feeds-leave-a-blank-page", "a\f\fb", 3, []string{"a", "", "b"}},
		{"ok/form-feed-first", "\fa", 2, []string{"", "a"}},
		{"ok/line-endings", "a\r\nb\rc\nd", 1, []string{"abcd"}},
		{"ok/missing-glyphs-and-controls", "a\x01b\u0378c\U000E0001d", 1, []string{"a\ufffdb\ufffdc\ufffdd"}},
		{"ok/replacement-char", "a\ufffdb", 1, []string{"a\ufffdb"}},
		{"ok/200-lines", many, 4, nil},
		{"ok/combining-marks", strings.Repeat("e\u0301", 3000), 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, info := render(t, tc.text, Meta{Lang: "en", Created: created})
			if info.Pages != tc.pages {
				t.Errorf("Pages = %d, want %d", info.Pages, tc.pages)
			}
			pi, err := pdf.Check(bytes.NewReader(data), int64(len(data)))
			if err != nil || pi.Pages != info.Pages {
				t.Fatalf("pdf.Check = %+v, %v; want %d pages", pi, err, info.Pages)
			}
			qpdfCheck(t, data)
			pages := extracted(t, data)
			if len(pages) != tc.pages {
				t.Fatalf("pdftotext found %d pages, want %d", len(pages), tc.pages)
			}
			if tc.want == nil {
				if got, want := squeeze(strings.Join(pages, "")), squeeze(tc.text); got != want {
					t.Errorf("pdftotext:\n got %.200q\nwant %.200q", got, want)
				}
				return
			}
			for i, p := range pages {
				if got := squeeze(p); got != tc.want[i] {
					t.Errorf("page %d: got %q, want %q", i+1, got, tc.want[i])
				}
			}
		})
	}
}

func TestRenderTextFooter(t *testing.T) {
	data, info := render(t, strings.Repeat("x\n", 150), Meta{Created: created})
	out := tool(t, data, "pdftotext", "-enc", "UTF-8", "{}", "-")
	for n := 1; n <= info.Pages; n++ {
		want := fmt.Sprintf("Side %d av %d / Page %d of %d", n, info.Pages, n, info.Pages)
		if !strings.Contains(out, want) {
			t.Errorf("no footer %q", want)
		}
	}
}

// A text that begins a larger document (the front page of a combined
// document) numbers its pages as the whole document's: M counts the
// pages that follow (Meta.PagesAfter), and no footer reads "of 1".
func TestRenderTextFooterPagesAfter(t *testing.T) {
	data, info := render(t, strings.Repeat("x\n", 100), Meta{Created: created, PagesAfter: 5})
	if info.Pages != 2 {
		t.Fatalf("rendered %d pages, want 2", info.Pages)
	}
	out := tool(t, data, "pdftotext", "-enc", "UTF-8", "{}", "-")
	for _, want := range []string{"Side 1 av 7 / Page 1 of 7", "Side 2 av 7 / Page 2 of 7"} {
		if !strings.Contains(out, want) {
			t.Errorf("no footer %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "av 2") {
		t.Errorf("a footer counts the text's pages only:\n%s", out)
	}
	var buf bytes.Buffer
	if _, err := RenderText(&buf, strings.NewReader("x"), Meta{PagesAfter: -1}); err == nil || !strings.HasPrefix(err.Error(), "pdfa: ") {
		t.Errorf("PagesAfter -1: err = %v, want a pdfa error", err)
	}
}

func TestRenderTextMetaErrors(t *testing.T) {
	var out bytes.Buffer
	for _, lang := range []string{"nb-NO", "norsk", "n", "NB", "nb)"} {
		_, err := RenderText(&out, strings.NewReader("x"), Meta{Lang: lang})
		if err == nil || !strings.HasPrefix(err.Error(), "pdfa: ") {
			t.Errorf("Lang %s: err = %v, want a pdfa error", lang, err)
		}
	}
	_, err := RenderText(&out, strings.NewReader("x"), Meta{Lang: "se"})
	if err != nil {
		t.Errorf("Lang se (a language segl has no catalogue for yet, but may): %v", err)
	}
	_, err = RenderText(&out, iotestErrReader{}, Meta{})
	if err == nil || !strings.Contains(err.Error(), "pdfa: read text") {
		t.Errorf("failing reader: err = %v", err)
	}
	_, err = RenderText(failWriter{}, strings.NewReader("x"), Meta{})
	if err == nil || !strings.Contains(err.Error(), "pdfa: write") {
		t.Errorf("failing writer: err = %v", err)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestRenderTextDeterministic: the same input gives the same bytes, so
// that a rendered document can be checked by rendering it again.
func TestRenderTextDeterministic(t *testing.T) {
	a, _ := render(t, consent, Meta{Title: "T", Created: created})
	b, _ := render(t, consent, Meta{Title: "T", Created: created})
	if !bytes.Equal(a, b) {
		t.Error("two renderings of the same text differ")
	}
}

// TestRenderTextPDFA checks with internal/pdf what ISO 19005-3 requires of
// the file structure, since veraPDF is not packaged for Debian.
func TestRenderTextPDFA(t *testing.T) {
	meta := Meta{Title: "Avtale (utkast) \\ æøå\tny", Author: "Kari Nordmann", Subject: "Emne", Lang: "nb", Created: created}
	data, _ := render(t, longText(), meta)
	checkPDFA(t, data, meta)
}

func checkPDFA(t *testing.T, data []byte, meta Meta) {
	t.Helper()
	// 6.1.2: header, then a comment of at least four bytes above 127.
	if !bytes.HasPrefix(data, []byte("%PDF-1.7\n%")) || !bytes.Equal(data[10:15], []byte("\xe2\xe3\xcf\xd3\n")) {
		t.Errorf("header %q", data[:16])
	}
	// 6.1.3: nothing after %%EOF but one end of line.
	if !bytes.HasSuffix(data, []byte("\n%%EOF\n")) {
		t.Errorf("file ends %q", data[len(data)-12:])
	}
	r, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	tr := r.Trailer()
	if _, ok := tr["Encrypt"]; ok {
		t.Error("trailer has /Encrypt")
	}
	// The second string names the version: equal to the first in a file
	// as written, new in each incremental update (ISO 32000-1 14.4).
	id, ok := tr["ID"].(pdf.Array)
	if !ok || len(id) != 2 || len(str(t, id[0])) != 16 || len(r.Revisions()) == 1 && !bytes.Equal(str(t, id[0]), str(t, id[1])) {
		t.Errorf("trailer /ID = %v", tr["ID"])
	}
	cat := dict(t, r, tr["Root"])
	if n, _ := cat["Type"].(pdf.Name); n != "Catalog" {
		t.Errorf("catalog /Type %v", cat["Type"])
	}
	if got := string(str(t, cat["Lang"])); got != meta.Lang {
		t.Errorf("/Lang = %q, want %q", got, meta.Lang)
	}
	for _, key := range []pdf.Name{"OpenAction", "AA", "Names", "AcroForm"} {
		if cat[key] != nil {
			t.Errorf("catalog has /%s", key)
		}
	}

	// 6.2.2: the output intent.
	intents, _ := resolve(t, r, cat["OutputIntents"]).(pdf.Array)
	if len(intents) != 1 {
		t.Fatalf("/OutputIntents = %v", cat["OutputIntents"])
	}
	oi := dict(t, r, intents[0])
	if s, _ := oi["S"].(pdf.Name); s != "GTS_PDFA1" {
		t.Errorf("output intent /S = %v", oi["S"])
	}
	prof, ok := resolve(t, r, oi["DestOutputProfile"]).(pdf.Stream)
	if !ok {
		t.Fatal("no /DestOutputProfile stream")
	}
	if n, _ := prof.Dict["N"].(pdf.Int); n != 3 {
		t.Errorf("ICC profile /N = %v", prof.Dict["N"])
	}
	icc := streamData(t, r, prof)
	if !bytes.Equal(icc, srgbProfile) || string(icc[12:20]) != "mntrRGB " {
		t.Errorf("ICC profile is not the embedded sRGB monitor profile")
	}

	// 6.6.2, 6.6.4: XMP identification, and the information dictionary
	// agreeing with it.
	md, ok := resolve(t, r, cat["Metadata"]).(pdf.Stream)
	if !ok {
		t.Fatal("no /Metadata stream")
	}
	if md.Dict["Filter"] != nil {
		t.Error("metadata stream is compressed")
	}
	x := parseXMP(t, streamData(t, r, md))
	if x.Part != "3" || x.Conformance != "B" {
		t.Errorf("pdfaid part %q conformance %q", x.Part, x.Conformance)
	}
	info := dict(t, r, tr["Info"])
	clean, err := cleanMeta(meta)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ key, info, xmp, want string }{
		{"Title", text(t, info["Title"]), x.Title, clean.Title},
		{"Author", text(t, info["Author"]), x.Creator, clean.Author},
		{"Subject", text(t, info["Subject"]), x.Description, clean.Subject},
		{"Producer", text(t, info["Producer"]), x.Producer, "segl"},
	} {
		if c.info != c.xmp || c.info != c.want {
			t.Errorf("/%s %q, XMP %q, want %q", c.key, c.info, c.xmp, c.want)
		}
	}
	for _, c := range []struct{ key, xmp string }{
		{"CreationDate", x.CreateDate}, {"ModDate", x.ModifyDate},
	} {
		it, err := time.Parse("D:20060102150405-07'00'", text(t, info[pdf.Name(c.key)]))
		if err != nil {
			t.Fatalf("/%s: %v", c.key, err)
		}
		xt, err := time.Parse(time.RFC3339, c.xmp)
		if err != nil {
			t.Fatalf("XMP date for /%s: %v", c.key, err)
		}
		if !it.Equal(xt) || !it.Equal(meta.Created) {
			t.Errorf("/%s %v, XMP %v, want %v", c.key, it, xt, meta.Created)
		}
		if _, off := it.Zone(); off != 3600 {
			t.Errorf("/%s offset %d s, want the creation time's", c.key, off)
		}
	}
	if x.Language != meta.Lang {
		t.Errorf("dc:language %q", x.Language)
	}

	// 6.2.11: every font embedded, with what PDF/A asks of CIDFontType2.
	if _, err := pdf.Check(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("pdf.Check: %v", err)
	}
	for _, page := range pages(t, r, cat["Pages"]) {
		if page["Group"] != nil || page["Annots"] != nil || page["AA"] != nil {
			t.Errorf("page has /Group, /Annots or /AA: %v", page)
		}
		res := dict(t, r, page["Resources"])
		for name, f := range dict(t, r, res["Font"]) {
			checkFont(t, r, name, dict(t, r, f))
		}
	}
}

// checkFont checks a Type 0 font as ISO 19005-3 6.2.11 would: embedded
// program, CIDToGIDMap, ToUnicode, subset name, and /W equal to the
// program's advance widths (6.2.11.5).
func checkFont(t *testing.T, r *pdf.Reader, name pdf.Name, f pdf.Dict) {
	t.Helper()
	if st, _ := f["Subtype"].(pdf.Name); st != "Type0" {
		t.Fatalf("font %s is %v, want Type0", name, f["Subtype"])
	}
	if _, ok := resolve(t, r, f["ToUnicode"]).(pdf.Stream); !ok {
		t.Errorf("font %s has no /ToUnicode stream", name)
	}
	desc, _ := resolve(t, r, f["DescendantFonts"]).(pdf.Array)
	if len(desc) != 1 {
		t.Fatalf("font %s /DescendantFonts %v", name, f["DescendantFonts"])
	}
	cf := dict(t, r, desc[0])
	base, _ := cf["BaseFont"].(pdf.Name)
	if !regexp.MustCompile(`^[A-Z]{6}\+DejaVuSans$`).MatchString(string(base)) {
		t.Errorf("font %s /BaseFont %q is not a subset name", name, base)
	}
	fd := dict(t, r, cf["FontDescriptor"])
	ff, ok := resolve(t, r, fd["FontFile2"]).(pdf.Stream)
	if !ok {
		t.Fatalf("font %s not embedded", name)
	}
	prog := streamData(t, r, ff)
	if l1, _ := ff.Dict["Length1"].(pdf.Int); int(l1) != len(prog) {
		t.Errorf("/Length1 %d, program has %d bytes", l1, len(prog))
	}
	sf := checkProgram(t, prog)
	m, ok := resolve(t, r, cf["CIDToGIDMap"]).(pdf.Stream)
	if !ok {
		t.Fatalf("font %s has no /CIDToGIDMap stream", name)
	}
	cidGID := streamData(t, r, m)
	w, _ := resolve(t, r, cf["W"]).(pdf.Array)
	widths := map[int]int{}
	for i := 0; i+1 < len(w); i += 2 {
		first, _ := w[i].(pdf.Int)
		ws, _ := w[i+1].(pdf.Array)
		for j, v := range ws {
			n, _ := v.(pdf.Int)
			widths[int(first)+j] = int(n)
		}
	}
	if len(widths) == 0 || len(widths) != len(cidGID)/2-1 {
		t.Errorf("/W has %d widths for %d CIDs", len(widths), len(cidGID)/2-1)
	}
	for cid, want := range widths {
		g := binary.BigEndian.Uint16(cidGID[2*cid:])
		if g == 0 || int(g) >= sf.numGlyphs {
			t.Errorf("CID %d maps to glyph %d of %d", cid, g, sf.numGlyphs)
			continue
		}
		got := int(float64(sf.advance[g])*1000/float64(sf.unitsPerEm) + 0.5)
		if got != want {
			t.Errorf("CID %d: /W %d, font program %d", cid, want, got)
		}
	}
}

// checkProgram parses an embedded font program and checks its structure:
// table checksums, the whole-font checksum, and composite glyphs that name
// glyphs of the subset.
func checkProgram(t *testing.T, prog []byte) *sfnt {
	t.Helper()
	sf, err := parseSFNT(prog, false)
	if err != nil {
		t.Fatalf("embedded font: %v", err)
	}
	if c := checksum(prog); c != 0xB1B0AFBA {
		t.Errorf("font checksum %#x, want 0xB1B0AFBA", c)
	}
	for tag, off := range tableOffsets(prog) {
		tb := sf.tables[tag]
		want := checksum(tb)
		if tag == "head" {
			h := bytes.Clone(tb)
			binary.BigEndian.PutUint32(h[8:], 0)
			want = checksum(h)
		}
		n := int(binary.BigEndian.Uint16(prog[4:]))
		for i := range n {
			rec := prog[12+16*i:]
			if int(binary.BigEndian.Uint32(rec[8:])) == off && binary.BigEndian.Uint32(rec[4:]) != want {
				t.Errorf("table %q checksum wrong", tag)
			}
		}
	}
	for g := range sf.numGlyphs {
		b := sf.glyph(uint16(g))
		end, err := components(b, func(off int) error {
			if c := binary.BigEndian.Uint16(b[off:]); int(c) >= sf.numGlyphs || sf.loca[c] == sf.loca[c+1] {
				return fmt.Errorf("glyph %d: component %d missing", g, c)
			}
			if binary.BigEndian.Uint16(b[off-2:])&haveInstructions != 0 {
				return fmt.Errorf("glyph %d: a component says instructions follow", g)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		// No glyph keeps its instructions (appendUnhinted).
		switch {
		case len(b) < compositeHeader:
		case end > 0 && len(b)-end > 3: // at most the padding to four bytes follows
			t.Errorf("glyph %d: %d bytes after its last component", g, len(b)-end)
		case end == 0:
			at := compositeHeader + 2*int(int16(binary.BigEndian.Uint16(b)))
			if n := binary.BigEndian.Uint16(b[at:]); n != 0 {
				t.Errorf("glyph %d keeps %d bytes of instructions", g, n)
			}
		}
	}
	return sf
}

type xmpFields struct {
	Part        string `xml:"RDF>Description>part"`
	Conformance string `xml:"RDF>Description>conformance"`
	Title       string `xml:"RDF>Description>title>Alt>li"`
	Creator     string `xml:"RDF>Description>creator>Seq>li"`
	Description string `xml:"RDF>Description>description>Alt>li"`
	Language    string `xml:"RDF>Description>language>Bag>li"`
	CreateDate  string `xml:"RDF>Description>CreateDate"`
	ModifyDate  string `xml:"RDF>Description>ModifyDate"`
	Producer    string `xml:"RDF>Description>Producer"`
}

func parseXMP(t *testing.T, b []byte) xmpFields {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>")) ||
		!bytes.HasSuffix(b, []byte("<?xpacket end=\"w\"?>")) {
		t.Errorf("XMP packet wrapper wrong")
	}
	var x xmpFields
	if err := xml.Unmarshal(b, &x); err != nil {
		t.Fatalf("XMP: %v", err)
	}
	return x
}

func resolve(t *testing.T, r *pdf.Reader, o pdf.Object) pdf.Object {
	t.Helper()
	o, err := r.Resolve(o)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func dict(t *testing.T, r *pdf.Reader, o pdf.Object) pdf.Dict {
	t.Helper()
	d, ok := resolve(t, r, o).(pdf.Dict)
	if !ok {
		t.Fatalf("%v is not a dictionary", o)
	}
	return d
}

func str(t *testing.T, o pdf.Object) []byte {
	t.Helper()
	s, ok := o.(pdf.String)
	if !ok {
		t.Fatalf("%v is not a string", o)
	}
	return s
}

// text decodes a PDF text string (UTF-16BE with BOM, or ASCII).
func text(t *testing.T, o pdf.Object) string {
	t.Helper()
	if o == nil {
		return ""
	}
	s := str(t, o)
	if !bytes.HasPrefix(s, []byte{0xFE, 0xFF}) {
		return string(s)
	}
	u := make([]uint16, (len(s)-2)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(s[2+2*i:])
	}
	return string(utf16.Decode(u))
}

func streamData(t *testing.T, r *pdf.Reader, s pdf.Stream) []byte {
	t.Helper()
	rd, err := r.StreamReader(s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pages returns the leaves of the page tree in order.
func pages(t *testing.T, r *pdf.Reader, node pdf.Object) []pdf.Dict {
	t.Helper()
	d := dict(t, r, node)
	if typ, _ := d["Type"].(pdf.Name); typ == "Page" {
		return []pdf.Dict{d}
	}
	kids, _ := resolve(t, r, d["Kids"]).(pdf.Array)
	var out []pdf.Dict
	for _, k := range kids {
		out = append(out, pages(t, r, k)...)
	}
	if n, _ := d["Count"].(pdf.Int); int(n) != len(out) {
		t.Errorf("page tree node /Count %d, has %d pages", n, len(out))
	}
	return out
}

// TestRenderTextConcurrent: calls share only the parsed font and the pool
// of compressors; run with -race.
func TestRenderTextConcurrent(t *testing.T) {
	want, _ := render(t, consent, Meta{Title: "T", Created: created})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			var out bytes.Buffer
			_, err := RenderText(&out, strings.NewReader(consent), Meta{Title: "T", Created: created})
			if err == nil && !bytes.Equal(out.Bytes(), want) {
				err = errors.New("concurrent rendering differs")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestRenderTextQuick checks that a document rendered with Meta.Quick (each
// signer's receipt) is the same document, compressed less: its page
// contents are stored as they are, it passes the same PDF/A and qpdf
// checks, and pdftotext reads the same text from it.
func TestRenderTextQuick(t *testing.T) {
	meta := Meta{Title: "Kvittering", Author: "Kari Nordmann", Lang: "nb", Created: created}
	plain, info := render(t, longText(), meta)
	meta.Quick = true
	quick, _ := render(t, longText(), meta)
	if bytes.Equal(plain, quick) {
		t.Fatal("Quick made the same bytes as the default level")
	}
	// A page's text and its footer's; a footer is too short to deflate
	// either way.
	stored := regexp.MustCompile(`<< /Length \d+ >>\nstream\nBT\n/F1 `)
	if n, m := len(stored.FindAll(quick, -1)), len(stored.FindAll(plain, -1)); n != 2*info.Pages || m != info.Pages {
		t.Errorf("%d content streams stored as they are with Quick, %d without; want %d and %d", n, m, 2*info.Pages, info.Pages)
	}
	checkPDFA(t, quick, meta)
	qpdfCheck(t, quick)
	if a, b := extracted(t, plain), extracted(t, quick); !slices.Equal(a, b) {
		t.Errorf("pdftotext reads %d pages from the quick file, %d from the other, or different text", len(b), len(a))
	}
}

// fontPrograms finds the /FontFile2 streams' dictionaries ("<< [/Filter
// /FlateDecode ]/Length1 N /Length M >>") in a file or an object body and
// reports, for each, whether it is compressed.
func fontPrograms(t *testing.T, data []byte) []bool {
	t.Helper()
	var out []bool
	for _, m := range regexp.MustCompile(`<< (/Filter /FlateDecode )?/Length1 (\d+) /Length (\d+) >>\nstream\n`).FindAllSubmatch(data, -1) {
		filtered := len(m[1]) > 0
		if !filtered && string(m[2]) != string(m[3]) {
			t.Errorf("a font program stored as it is has /Length1 %s and /Length %s", m[2], m[3])
		}
		out = append(out, filtered)
	}
	if len(out) == 0 {
		t.Fatal("no font program found")
	}
	return out
}

// TestQuickFontProgramStored checks that what is made anew for every
// signing act (receipts, Meta.Quick; the signature page; the
// appearances) stores its font program as it is, since compressing it
// fast saved a tenth of its bytes for most of the time spent on the font,
// while a document rendered once for people to sign keeps it compressed.
func TestQuickFontProgramStored(t *testing.T) {
	meta := Meta{Title: "Kvittering", Author: "Kari Nordmann", Lang: "nb", Created: created}
	plain, _ := render(t, consent, meta)
	if got := fontPrograms(t, plain); !slices.Equal(got, []bool{true}) {
		t.Errorf("document at the default level: font programs compressed %v, want [true]", got)
	}
	meta.Quick = true
	quick, _ := render(t, consent, meta)
	if got := fontPrograms(t, quick); !slices.Equal(got, []bool{false}) {
		t.Errorf("quick document: font programs compressed %v, want [false]", got)
	}
	_, _, objs, err := AppearanceText([]string{"Kari Nordmann", "Signert / Signed: 2026-03-05 14:10:00 CET"}, 200, 80, "", &blankDrawing{next: 100})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []byte
	for _, o := range objs {
		bodies = append(bodies, o.Body...)
	}
	if got := fontPrograms(t, bodies); !slices.Equal(got, []bool{false}) {
		t.Errorf("appearance: font programs compressed %v, want [false]", got)
	}
}

// TestRenderTextRepertoire checks that a document rendered with a
// prepared font (Meta.Repertoire, each signer's receipt) is the same
// document with a larger font: it passes the same checks and pdftotext
// reads the same text, whether the text keeps to the repertoire or not;
// and that a text beyond it leaves the prepared font as it was.
func TestRenderTextRepertoire(t *testing.T) {
	const repertoire = " !\"'()+,-./0123456789:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzÆØÅæøå–“”€"
	baseFont := regexp.MustCompile(`/BaseFont /([A-Z]{6})\+`)
	tagOf := func(data []byte) string {
		m := baseFont.FindSubmatch(data)
		if m == nil {
			t.Fatal("no /BaseFont")
		}
		return string(m[1])
	}
	meta := Meta{Title: "Kvittering", Author: "Kari Nordmann", Lang: "nb", Created: created, Quick: true}
	plain, _ := render(t, consent, meta)
	meta.Repertoire = repertoire
	first, _ := render(t, consent, meta)
	beyond, _ := render(t, consent+"Ŋŧ\n", meta) // Sámi letters the repertoire lacks
	again, _ := render(t, consent, meta)
	for name, data := range map[string][]byte{"in the repertoire": first, "beyond it": beyond} {
		t.Run(name, func(t *testing.T) {
			checkPDFA(t, data, meta)
			qpdfCheck(t, data)
		})
	}
	if a, b := extracted(t, plain), extracted(t, first); !slices.Equal(a, b) {
		t.Errorf("pdftotext reads %q with the prepared font, %q without", b, a)
	}
	if got := squeeze(strings.Join(extracted(t, beyond), "")); !strings.HasSuffix(got, "Ŋŧ") {
		t.Errorf("pdftotext reads %q from the text beyond the repertoire", got)
	}
	if !bytes.Equal(first, again) {
		t.Error("two documents from the same text and prepared font differ")
	}
	// The prepared font program is deflated once, at the default level; a
	// subset of the document's own is stored as it is (Quick).
	if got := [][]bool{fontPrograms(t, first), fontPrograms(t, beyond)}; !slices.Equal(got[0], []bool{true}) || !slices.Equal(got[1], []bool{false}) {
		t.Errorf("font programs compressed %v (in the repertoire), %v (beyond it); want [true], [false]", got[0], got[1])
	}
	if tagOf(first) == tagOf(plain) || tagOf(beyond) == tagOf(first) {
		t.Errorf("subset tags %s (own subset), %s (prepared), %s (beyond it): want three", tagOf(plain), tagOf(first), tagOf(beyond))
	}
}

// blankDrawing is a Drawing for an appearance drawn apart from any
// document: numbers from next on, and nothing to refer to.
type blankDrawing struct{ next int }

func (d *blankDrawing) Alloc() (pdf.Ref, error) { d.next++; return pdf.Ref{Num: d.next}, nil }
func (*blankDrawing) Page() pdf.Ref             { return pdf.Ref{} }
func (*blankDrawing) Resolve(pdf.Object) (pdf.Object, error) {
	return pdf.Null{}, nil
}
func (*blankDrawing) Holds(pdf.Ref, []byte) bool { return false }

package pdfa

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/segl/segl/internal/doctext"
	"github.com/segl/segl/internal/pdf"
)

var consentSum = sha256.Sum256([]byte(consent))

// texts returns the built-in catalogue of lang.
func texts(t testing.TB, lang string) doctext.Texts {
	t.Helper()
	c, err := doctext.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Has(lang) {
		t.Fatalf("no catalogue %s", lang)
	}
	return c.Texts(lang)
}

func testSlots(n int) Slots {
	c, _ := doctext.Embedded()
	first, en := c.SignaturePage("nb")
	return Slots{
		Text: first.Page, English: en.Page,
		Sender: "Eksempel kommune (312345679)", JobTitle: "Samtykke til behandling",
		Title: "Samtykke – æøå", FileName: "samtykke.txt", SHA256: consentSum[:],
		Job: "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e77", Reference: "Sak 2026/41", Signers: n,
	}
}

// appendPages adds the signature pages as the signing code does: an
// incremental update written by internal/pdf.
func appendPages(t *testing.T, doc []byte, s Slots, repertoire string) []byte {
	t.Helper()
	var out bytes.Buffer
	var got PageObjects
	n, err := pdf.AppendPages(&out, bytes.NewReader(doc), int64(len(doc)), func(parent pdf.Ref, alloc func() (pdf.Ref, error)) ([]pdf.Ref, []pdf.RawObject, error) {
		po, err := SignaturePage(s, parent, repertoire, alloc)
		got = po
		return po.Pages, po.Objects, err
	})
	if err != nil {
		t.Fatalf("AppendPages: %v", err)
	}
	if n != int64(out.Len()) {
		t.Fatalf("AppendPages wrote %d bytes, says %d", out.Len(), n)
	}
	if _, pages := SlotLayout(s.Signers); len(got.Pages) != pages {
		t.Fatalf("%d signature pages, SlotLayout says %d", len(got.Pages), pages)
	}
	return out.Bytes()
}

// TestSignaturePage checks the pages with their own font subset, with a
// prepared one (a repertoire that holds their text, whose font program is
// deflated once), and with text beyond the repertoire, which gets a
// subset of its own.
func TestSignaturePage(t *testing.T) {
	meta := Meta{Title: "Samtykke", Lang: "nb", Created: created}
	doc, info := render(t, consent, meta)
	slots := testSlots(2)
	ascii := ""
	for r := ' '; r <= '~'; r++ {
		ascii += string(r)
	}
	prepared := ascii + "ÆØÅæøå–" + fmt.Sprint(slots.Text, slots.English)
	for _, tc := range []struct {
		name, repertoire string
		compressed       bool // the pages' font program
	}{
		{"ok/own-subset", "", false},
		{"ok/prepared", prepared, true},
		{"ok/beyond-the-repertoire", strings.ReplaceAll(prepared, "–", ""), false}, // the title's dash
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := appendPages(t, doc, slots, tc.repertoire)
			checkSignaturePage(t, data, info, meta)
			if got := fontPrograms(t, data); !slices.Equal(got, []bool{true, tc.compressed}) {
				t.Errorf("font programs compressed %v, want the document's and the pages' [true %v]", got, tc.compressed)
			}
		})
	}
}

func checkSignaturePage(t *testing.T, data []byte, info Info, meta Meta) {
	t.Helper()
	qpdfCheck(t, data)
	pi, err := pdf.Check(bytes.NewReader(data), int64(len(data)))
	if err != nil || pi.Pages != info.Pages+1 || pi.Revisions != 2 {
		t.Fatalf("pdf.Check = %+v, %v; want %d pages in 2 revisions", pi, err, info.Pages+1)
	}
	fonts := tool(t, data, "pdffonts")
	if n := len(regexp.MustCompile(`(?m)^[A-Z]{6}\+DejaVuSans +CID TrueType +Identity-H +yes yes yes `).FindAllString(fonts, -1)); n != 2 {
		t.Errorf("pdffonts: want two embedded subsets with ToUnicode:\n%s", fonts)
	}
	pages := extracted(t, data)
	last := pages[len(pages)-1]
	for _, want := range []string{
		"Signaturer / Signatures",
		"Avsender / Sender", "Eksempel kommune (312345679)",
		"Oppdrag / Job", "Samtykke til behandling",
		"Dokument / Document", "Samtykke – æøå",
		"Filnavn / File name", "samtykke.txt",
		"SHA-256", hex.EncodeToString(consentSum[:]),
		"Oppdrags-ID / Job ID", "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e77",
		"Referanse / Reference", "Sak 2026/41",
		"Signaturene er digitale signaturer (PAdES)",
		"The signatures are digital signatures (PAdES)",
	} {
		if !strings.Contains(last, want) {
			t.Errorf("signature page lacks %q:\n%s", want, last)
		}
	}
	if !regexp.MustCompile(`(?m)^1$`).MatchString(last) || !regexp.MustCompile(`(?m)^2$`).MatchString(last) {
		t.Errorf("slot numbers 1 and 2 missing:\n%s", last)
	}
	if !strings.Contains(tool(t, data, "pdftotext", "{}", "-"), "Signaturside 1 av 1 / Signature page 1 of 1") {
		t.Error("signature page footer missing")
	}
	// The update keeps the document PDF/A: the structure checks pass on
	// the updated file too.
	checkPDFA(t, data, meta)
}

// A text document gets its signature page in the one revision RenderText
// writes, in the document's own font.
func TestRenderTextWithSignaturePage(t *testing.T) {
	plain, plainInfo := render(t, consent, Meta{Title: "Samtykke", Created: created})
	slots := testSlots(3)
	meta := Meta{Title: "Samtykke", Lang: "nb", Created: created, SignaturePage: &slots}
	data, info := render(t, consent, meta)
	if info.Pages != plainInfo.Pages+1 {
		t.Fatalf("Pages = %d, want %d", info.Pages, plainInfo.Pages+1)
	}
	qpdfCheck(t, data)
	pi, err := pdf.Check(bytes.NewReader(data), int64(len(data)))
	if err != nil || pi.Pages != info.Pages || pi.Revisions != 1 {
		t.Fatalf("pdf.Check = %+v, %v; want %d pages in 1 revision", pi, err, info.Pages)
	}
	if fonts := tool(t, data, "pdffonts"); strings.Count(fonts, "\n") != 3 {
		t.Errorf("pdffonts: want one font:\n%s", fonts)
	}
	pages := extracted(t, data)
	if first := extracted(t, plain)[0]; pages[0] != first {
		t.Errorf("the text pages changed:\n%s\n---\n%s", pages[0], first)
	}
	if !strings.Contains(pages[len(pages)-1], "Signaturer / Signatures") || !regexp.MustCompile(`(?m)^3$`).MatchString(pages[len(pages)-1]) {
		t.Errorf("signature page with three slots missing:\n%s", pages[len(pages)-1])
	}
	all := tool(t, data, "pdftotext", "{}", "-")
	if !strings.Contains(all, "Side 1 av 1 / Page 1 of 1") || !strings.Contains(all, "Signaturside 1 av 1 / Signature page 1 of 1") {
		t.Errorf("footers: the text pages count themselves, the signature pages themselves:\n%s", all)
	}
	checkPDFA(t, data, meta)
}

func TestSignaturePageManySlots(t *testing.T) {
	doc, _ := render(t, "x", Meta{Created: created})
	s := testSlots(40)
	s.Title = strings.Repeat("Et langt dokumentnavn ", 20)
	s.FileName = strings.Repeat("langt-filnavn-", 30) + ".pdf"
	data := appendPages(t, doc, s, "")
	qpdfCheck(t, data)
	pages := extracted(t, data)
	_, n := SlotLayout(40)
	if len(pages) != 1+n || n < 3 {
		t.Fatalf("%d pages, want 1 and %d signature pages (more than two)", len(pages), n)
	}
	all := strings.Join(pages[1:], "\n")
	for i := range 40 {
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^%d$`, i+1)).MatchString(all) {
			t.Errorf("slot %d missing", i+1)
		}
	}
	if !strings.Contains(pages[1], "Et langt dokumentnavn Et langt") || !strings.Contains(pages[1], "…") {
		t.Errorf("long title not cut with an ellipsis:\n%s", pages[1])
	}
	if !strings.Contains(pages[2], "Signaturer / Signatures (forts. / cont.)") {
		t.Errorf("continuation heading missing:\n%s", pages[2])
	}
	if !strings.Contains(tool(t, data, "pdftotext", "{}", "-"), fmt.Sprintf("Signaturside %d av %d / Signature page %d of %d", n, n, n, n)) {
		t.Error("last signature page footer missing")
	}
}

// The slots lie inside the body of their page, below the header, in order
// and without overlapping, and their places depend on their number only.
func TestSlotLayout(t *testing.T) {
	for _, n := range []int{1, 2, 6, 7, 14, 15, MaxSlots} {
		slots, pages := SlotLayout(n)
		if len(slots) != n || pages != slots[n-1].Page+1 {
			t.Fatalf("SlotLayout(%d): %d slots on %d pages", n, len(slots), pages)
		}
		for i, s := range slots {
			llx, lly, urx, ury := s.Rect[0], s.Rect[1], s.Rect[2], s.Rect[3]
			top := pageHeight - margin - contHeaderHeight
			if s.Page == 0 {
				top = pageHeight - margin - headerHeight
			}
			if llx < margin || urx > pageWidth-margin || lly < bodyBottom || ury > top || urx-llx < 400 || ury-lly < 70 {
				t.Errorf("SlotLayout(%d) slot %d: %+v outside the body", n, i, s)
			}
			if i > 0 {
				p := slots[i-1]
				if s.Page < p.Page || s.Page > p.Page+1 || (s.Page == p.Page && ury > p.Rect[1]) {
					t.Errorf("SlotLayout(%d) slot %d: %+v not after %+v", n, i, s, p)
				}
			}
			if all, _ := SlotLayout(MaxSlots); all[i] != s {
				t.Errorf("SlotLayout(%d) slot %d differs from SlotLayout(%d)", n, i, MaxSlots)
			}
		}
	}
	if first, _ := SlotLayout(7); first[5].Page != 0 || first[6].Page != 1 {
		t.Errorf("six slots fit the first page, want the seventh on the second: %+v", first)
	}
	for _, n := range []int{0, -1, MaxSlots + 1} {
		if slots, pages := SlotLayout(n); slots != nil || pages != 0 {
			t.Errorf("SlotLayout(%d) = %v, %d", n, slots, pages)
		}
	}
}

func TestSignaturePageErrors(t *testing.T) {
	alloc := func() (pdf.Ref, error) { return pdf.Ref{Num: 7}, nil }
	one := testSlots(1)
	noDigest := one
	noDigest.SHA256 = nil
	noText := one
	noText.Text = doctext.Page{}
	for _, tc := range []struct {
		name   string
		slots  Slots
		parent pdf.Ref
		alloc  func() (pdf.Ref, error)
	}{
		{"fail/no-slots", testSlots(0), pdf.Ref{Num: 2}, alloc},
		{"fail/too-many-slots", testSlots(MaxSlots + 1), pdf.Ref{Num: 2}, alloc},
		{"fail/no-digest", noDigest, pdf.Ref{Num: 2}, alloc},
		{"fail/no-text", noText, pdf.Ref{Num: 2}, alloc},
		{"fail/no-parent", one, pdf.Ref{}, alloc},
		{"fail/alloc-repeats-a-number", one, pdf.Ref{Num: 2}, alloc},
		{"fail/alloc-fails", one, pdf.Ref{Num: 2}, func() (pdf.Ref, error) { return pdf.Ref{}, fmt.Errorf("pdf: too many objects") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SignaturePage(tc.slots, tc.parent, "", tc.alloc)
			if err == nil || !strings.HasPrefix(err.Error(), "pdf") {
				t.Errorf("err = %v, want an error", err)
			}
		})
	}
	t.Run("fail/render-without-digest", func(t *testing.T) {
		var out bytes.Buffer
		if _, err := RenderText(&out, strings.NewReader("x"), Meta{SignaturePage: &noDigest}); err == nil || out.Len() > 0 {
			t.Errorf("err = %v after %d bytes, want an error before writing", err, out.Len())
		}
	})
}

// An appearance with its own font subset goes into a signature's update:
// internal/pdf writes its objects, and the file stays well-formed PDF/A
// with three embedded subsets (text, signature page, appearance). So does
// one with a prepared subset (a repertoire that holds its lines, whose
// font program is deflated once), and one whose lines go beyond the
// repertoire, which gets a subset of its own.
func TestAppearanceText(t *testing.T) {
	slots := testSlots(2)
	doc, _ := render(t, consent, Meta{Title: "Samtykke", Created: created, SignaturePage: &slots})
	r, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	npages, _ := r.PageCount()
	places, sigPages := SlotLayout(2)
	slot := places[1]
	lines := []string{"Ærlige Åse Østby", "Fødselsdato / Date of birth: 1979-05-12", "Signert / Signed: 2026-03-05 14:10:00 CET",
		"eID: BankID, nivå høyt / level high", "SHA-256: " + hex.EncodeToString(consentSum[:]) + strings.Repeat(" x", 200)}
	ascii := ""
	for r := ' '; r <= '~'; r++ {
		ascii += string(r)
	}
	for _, tc := range []struct {
		name, repertoire string
		compressed       bool // the font program
	}{
		{"ok/own-subset", "", false},
		{"ok/prepared", ascii + "ÆØÅæøåéô…", true},
		{"ok/beyond-the-repertoire", ascii + "ÆØæøå…", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stream []byte
			var objs []pdf.RawObject
			p, err := pdf.PrepareSignature(bytes.NewReader(doc), int64(len(doc)), pdf.SignatureSpec{
				SubFilter: pdf.SubFilterCAdES,
				Appearance: &pdf.Appearance{Page: npages - sigPages + slot.Page, Rect: slot.Rect,
					Draw: func(d *pdf.Drawing) ([]byte, string, []pdf.RawObject, error) {
						s, res, o, err := AppearanceText(lines, slot.Rect[2]-slot.Rect[0], slot.Rect[3]-slot.Rect[1], tc.repertoire, d)
						stream, objs = s, o
						return s, res, o, err
					}},
			})
			if err != nil {
				t.Fatalf("PrepareSignature: %v", err)
			}
			var out bytes.Buffer
			if _, err := p.WriteTo(&out, []byte{0x30, 0x00}); err != nil {
				t.Fatal(err)
			}
			data := out.Bytes()
			qpdfCheck(t, data)
			fonts := tool(t, data, "pdffonts")
			if n := len(regexp.MustCompile(`(?m)^[A-Z]{6}\+DejaVuSans +CID TrueType +Identity-H +yes yes yes `).FindAllString(fonts, -1)); n != 2 {
				t.Errorf("pdffonts: want the document's subset and the appearance's:\n%s", fonts)
			}
			var bodies []byte
			for _, o := range objs {
				bodies = append(bodies, o.Body...)
			}
			if got := fontPrograms(t, bodies); !slices.Equal(got, []bool{tc.compressed}) {
				t.Errorf("appearance: font programs compressed %v, want [%v]", got, tc.compressed)
			}
			// Five text objects, one per line, each at most 9.0 points (the name
			// at 1.25 times), none below 5 points: the overlong last line is cut.
			sizes := regexp.MustCompile(`/F1 ([0-9.]+) Tf`).FindAllStringSubmatch(string(stream), -1)
			if len(sizes) != len(lines) {
				t.Fatalf("%d lines drawn, want %d:\n%s", len(sizes), len(lines), stream)
			}
			for i, m := range sizes {
				var size float64
				fmt.Sscan(m[1], &size)
				if size < 5 || size > 9*1.25 || i > 0 && size > 9 {
					t.Errorf("line %d at %g points", i, size)
				}
			}
		})
	}

	for _, tc := range []struct {
		name          string
		lines         []string
		width, height float64
	}{
		{"fail/no-lines", nil, 400, 70},
		{"fail/too-many-lines", make([]string, 21), 400, 70},
		{"fail/box-too-small", lines, 5, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, _, err := AppearanceText(tc.lines, tc.width, tc.height, "", &blankDrawing{next: 8}); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestSignaturePageWording: the signature page calls the people who sign
// what segl's forms and notices call them, "undertegnere", not
// "signatarer" (issue 14 item 10), and, since it is fixed before the first
// signature, says nothing that only holds before the signing ("the boxes
// below are filled in as the signers sign", issue 14 item 3).
func TestSignaturePageWording(t *testing.T) {
	for lang, want := range map[string]string{"nb": "undertegner", "nn": "underteiknar", "en": "signer"} {
		text := texts(t, lang).Page.Explanation
		if !strings.Contains(text, want) || strings.Contains(strings.ToLower(text), "signatar") {
			t.Errorf("%s explanation: %q", lang, text)
		}
		for _, process := range []string{"fylles ut", "fyllast ut", "filled in", "signeres", "will be"} {
			if strings.Contains(text, process) {
				t.Errorf("%s explanation speaks of the process (%q): %q", lang, process, text)
			}
		}
	}
}

// With the job in Nynorsk, the Norwegian half of the page is Nynorsk: the
// labels, the explanation and the footer.
func TestSignaturePageNynorsk(t *testing.T) {
	doc, _ := render(t, consent, Meta{Title: "Samtykke", Lang: "nn", Created: created})
	s := testSlots(2)
	s.Text = texts(t, "nn").Page
	data := appendPages(t, doc, s, "")
	qpdfCheck(t, data)
	pages := extracted(t, data)
	last := pages[len(pages)-1]
	for _, want := range []string{
		"Signaturar / Signatures", "Avsendar / Sender", "Filnamn / File name",
		"Signaturane er digitale signaturar (PAdES) i denne PDF-fila",
		"The signatures are digital signatures (PAdES)",
	} {
		if !strings.Contains(last, want) {
			t.Errorf("Nynorsk signature page lacks %q:\n%s", want, last)
		}
	}
	for _, bokmal := range []string{"Signaturer", "Avsender", "Filnavn", "ikke"} {
		if strings.Contains(last, bokmal) {
			t.Errorf("Nynorsk signature page has the bokmål %q:\n%s", bokmal, last)
		}
	}
}

// TestAppearanceRefersToHeldFont: an appearance whose lines keep to the
// repertoire the signature page was made with embeds no font of its own
// but refers to the page's, the same objects byte for byte; one with
// another repertoire gets its own subset, and a later appearance with that
// repertoire refers to the earlier appearance's. One going beyond its
// repertoire has a subset of its own, as before. The file stays
// well-formed and pdffonts sees each subset once.
func TestAppearanceRefersToHeldFont(t *testing.T) {
	slots := testSlots(4)
	ascii := ""
	for r := ' '; r <= '~'; r++ {
		ascii += string(r)
	}
	pageRep := ascii + "ÆØÅæøå–…" + fmt.Sprint(slots.Text, slots.English)
	doc, _ := render(t, consent, Meta{Title: "Samtykke", Created: created})
	doc = appendPages(t, doc, slots, pageRep)
	r, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	npages, _ := r.PageCount()
	places, sigPages := SlotLayout(slots.Signers)
	sign := func(doc []byte, slot int, lines []string, repertoire string) ([]byte, string, []pdf.RawObject) {
		t.Helper()
		var res string
		var objs []pdf.RawObject
		s := places[slot]
		p, err := pdf.PrepareSignature(bytes.NewReader(doc), int64(len(doc)), pdf.SignatureSpec{
			SubFilter: pdf.SubFilterCAdES,
			Appearance: &pdf.Appearance{Page: npages - sigPages + s.Page, Rect: s.Rect,
				Draw: func(d *pdf.Drawing) ([]byte, string, []pdf.RawObject, error) {
					stream, r, o, err := AppearanceText(lines, s.Rect[2]-s.Rect[0], s.Rect[3]-s.Rect[1], repertoire, d)
					res, objs = r, o
					return stream, r, o, err
				}},
		})
		if err != nil {
			t.Fatalf("PrepareSignature: %v", err)
		}
		var out bytes.Buffer
		if _, err := p.WriteTo(&out, []byte{0x30, 0x00}); err != nil {
			t.Fatal(err)
		}
		qpdfCheck(t, out.Bytes())
		return out.Bytes(), res, objs
	}
	pageFont := regexp.MustCompile(`/Font << /F1 (\d+ 0 R) >>`).FindAllSubmatch(doc, -1)
	if len(pageFont) == 0 {
		t.Fatal("no page font")
	}
	lines := []string{"Kari Nordmann", "Signert / Signed: 2026-03-05 14:10:00 CET"}
	otherRep := pageRep + "é"

	doc, res, objs := sign(doc, 0, lines, pageRep)
	if want := fmt.Sprintf("<< /Font << /F1 %s >> >>", pageFont[len(pageFont)-1][1]); len(objs) != 0 || res != want {
		t.Errorf("appearance with the page's repertoire: %d objects, resources %s; want none and %s", len(objs), res, want)
	}
	doc, res2, objs := sign(doc, 1, lines, otherRep)
	if len(objs) != 7 || res2 == res {
		t.Errorf("appearance with another repertoire: %d objects, resources %s; want its own 7", len(objs), res2)
	}
	doc, res3, objs := sign(doc, 2, lines, otherRep)
	if len(objs) != 0 || res3 != res2 {
		t.Errorf("second appearance with that repertoire: %d objects, resources %s; want none and %s", len(objs), res3, res2)
	}
	doc, _, objs = sign(doc, 3, []string{"Åse Ōkubo"}, pageRep)
	if len(objs) != 7 {
		t.Errorf("appearance beyond its repertoire: %d objects, want its own 7", len(objs))
	}
	fonts := tool(t, doc, "pdffonts")
	if n := len(regexp.MustCompile(`(?m)^[A-Z]{6}\+DejaVuSans +CID TrueType +Identity-H +yes yes yes `).FindAllString(fonts, -1)); n != 4 {
		t.Errorf("pdffonts: want the text's, the page's, the other repertoire's and the last appearance's subsets:\n%s", fonts)
	}
}

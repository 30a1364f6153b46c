package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// newPage is what a caller of AppendPages returns for one page: the page
// and its content stream, with a font of its own.
func newPage(parent Ref, alloc func() (Ref, error), text string) (Ref, []RawObject, error) {
	page, err := alloc()
	if err != nil {
		return Ref{}, nil, err
	}
	content, err := alloc()
	if err != nil {
		return Ref{}, nil, err
	}
	font, err := alloc()
	if err != nil {
		return Ref{}, nil, err
	}
	data := fmt.Sprintf("BT /F9 12 Tf 72 720 Td (%s) Tj ET", text)
	return page, []RawObject{
		{page, fmt.Appendf(nil, "<< /Type /Page /Parent %v /MediaBox [0 0 595 842] /Resources << /Font << /F9 %v >> >> /Contents %v >>", parent, font, content)},
		{content, fmt.Appendf(nil, "<< /Length %d >>\nstream\n%s\nendstream", len(data), data)},
		{font, []byte("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")},
	}, nil
}

func addPages(texts ...string) func(Ref, func() (Ref, error)) ([]Ref, []RawObject, error) {
	return func(parent Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error) {
		var pages []Ref
		var objs []RawObject
		for _, text := range texts {
			p, o, err := newPage(parent, alloc, text)
			if err != nil {
				return nil, nil, err
			}
			pages, objs = append(pages, p), append(objs, o...)
		}
		return pages, objs, nil
	}
}

func TestAppendPages(t *testing.T) {
	requireTools(t, "qpdf")
	fixtures := signFixtures(t)
	delete(fixtures, "big-10MB")
	fixtures["form"] = formPDF()
	fixtures["two-level-tree"] = twoLevelTree()
	for name, data := range fixtures {
		t.Run("ok/"+name, func(t *testing.T) {
			before := mustOpen(t, data)
			n, err := before.PageCount()
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			written, err := AppendPages(&out, bytes.NewReader(data), int64(len(data)), addPages("Signaturer", "Signaturer 2"))
			if err != nil {
				t.Fatalf("AppendPages: %v", err)
			}
			if written != int64(out.Len()) || !bytes.HasPrefix(out.Bytes(), data) {
				t.Fatalf("wrote %d bytes, says %d, or changed the original", out.Len(), written)
			}
			qpdfCheck(t, out.Bytes())
			after := mustOpen(t, out.Bytes())
			if m, err := after.PageCount(); err != nil || m != n+2 {
				t.Fatalf("PageCount = %d, %v; want %d", m, err, n+2)
			}
			pages, err := after.pages()
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range []string{"(Signaturer)", "(Signaturer 2)"} {
				c, err := after.Resolve(pages[n+i]["Contents"])
				if err != nil {
					t.Fatal(err)
				}
				sr, err := after.StreamReader(c.(Stream))
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := io.ReadAll(sr); !bytes.Contains(b, []byte(want)) {
					t.Errorf("page %d shows %q, want %s: the new pages are last, in order", n+i+1, b, want)
				}
			}
			changes, err := Changes(before, after)
			if err != nil || len(changes) != 1 || changes[0].Kind != ChangePages {
				t.Errorf("Changes = %v, %v; want the pages only", changes, err)
			}
			// The document can then be signed on a new page.
			p := devPKI(t)
			signed := p.sign(t, out.Bytes(), SignatureSpec{Appearance: &Appearance{Page: -1, Rect: [4]float64{72, 72, 300, 120}}})
			if res := p.pdfsig(t, signed); !res[0].has("Signature is Valid") {
				t.Errorf("pdfsig:\n%s", res[0].text)
			}
			if _, err := AppendPages(&out, bytes.NewReader(signed), int64(len(signed)), addPages("late")); !errors.Is(err, ErrSigned) {
				t.Errorf("AppendPages on a signed document: %v, want ErrSigned", err)
			}
		})
	}
}

func TestAppendPagesErrors(t *testing.T) {
	data := formPDF()
	page := func(parent Ref, alloc func() (Ref, error)) (Ref, []RawObject) {
		p, objs, err := newPage(parent, alloc, "x")
		if err != nil {
			t.Fatal(err)
		}
		return p, objs
	}
	for _, tc := range []struct {
		name  string
		build func(Ref, func() (Ref, error)) ([]Ref, []RawObject, error)
	}{
		{"fail/build-fails", func(Ref, func() (Ref, error)) ([]Ref, []RawObject, error) {
			return nil, nil, errors.New("no glyphs")
		}},
		{"fail/no-pages", func(Ref, func() (Ref, error)) ([]Ref, []RawObject, error) { return nil, nil, nil }},
		{"fail/page-not-written", func(parent Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error) {
			p, objs := page(parent, alloc)
			return []Ref{p}, objs[1:], nil
		}},
		{"fail/not-allocated", func(parent Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error) {
			p, objs := page(parent, alloc)
			return []Ref{p}, append(objs, RawObject{Ref{Num: 3}, []byte("<< >>")}), nil
		}},
		{"fail/allocated-not-written", func(parent Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error) {
			p, objs := page(parent, alloc)
			alloc()
			return []Ref{p}, objs, nil
		}},
		{"fail/wrong-parent", func(_ Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error) {
			p, objs := page(Ref{Num: 3}, alloc)
			return []Ref{p}, objs, nil
		}},
		{"fail/missing-reference", func(parent Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error) {
			p, objs := page(parent, alloc)
			objs[2].Body = []byte("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Widths 99 0 R >>")
			return []Ref{p}, objs, nil
		}},
		{"fail/stream-length", func(parent Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error) {
			p, objs := page(parent, alloc)
			objs[1].Body = []byte("<< /Length 3 >>\nstream\nBT ET\nendstream")
			return []Ref{p}, objs, nil
		}},
		{"fail/two-objects", func(parent Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error) {
			p, objs := page(parent, alloc)
			objs[2].Body = []byte("<< >> << >>")
			return []Ref{p}, objs, nil
		}},
		{"fail/endobj-in-body", func(parent Ref, alloc func() (Ref, error)) ([]Ref, []RawObject, error) {
			p, objs := page(parent, alloc)
			objs[2].Body = []byte("<< >>\nendobj\n3 0 obj << >>")
			return []Ref{p}, objs, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := AppendPages(&out, bytes.NewReader(data), int64(len(data)), tc.build)
			if err == nil || !strings.HasPrefix(err.Error(), "pdf: ") || out.Len() != 0 {
				t.Errorf("err = %v, wrote %d bytes; want an error and nothing written", err, out.Len())
			}
		})
	}
}

// An appearance with objects of its own: Draw allocates them in the
// signature's update, and the signature covers them.
func TestAppearanceDraw(t *testing.T) {
	p := devPKI(t)
	data := formPDF()
	out := p.sign(t, data, SignatureSpec{Appearance: &Appearance{Page: 0, Rect: [4]float64{72, 500, 400, 560},
		Draw: func(d *Drawing) ([]byte, string, []RawObject, error) {
			font, err := d.Alloc()
			if err != nil {
				return nil, "", nil, err
			}
			return []byte("BT /F7 10 Tf 4 20 Td (Signed by Kari Nordmann) Tj ET"), fmt.Sprintf("<< /Font << /F7 %v >> >>", font),
				[]RawObject{{font, []byte("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>")}}, nil
		}}})
	qpdfCheck(t, out)
	if res := p.pdfsig(t, out); !res[0].has("Signature is Valid") || !res[0].has("Total document signed") {
		t.Fatalf("pdfsig:\n%s", res[0].text)
	}
	upd := string(out[len(data):])
	if !strings.Contains(upd, "/BaseFont /Courier") {
		t.Error("the appearance's font is not in the update")
	}

	// A second appearance finds the first's font as written, and refers
	// to it instead of writing it again.
	var held, page Ref
	var holds []bool
	out2 := p.sign(t, out, SignatureSpec{Appearance: &Appearance{Page: 0, Rect: [4]float64{72, 400, 400, 460},
		Draw: func(d *Drawing) ([]byte, string, []RawObject, error) {
			page = d.Page()
			o, err := d.Resolve(page)
			if err != nil {
				return nil, "", nil, err
			}
			annots, err := d.Resolve(o.(Dict)["Annots"])
			if err != nil {
				return nil, "", nil, err
			}
			list := annots.(Array)
			w, err := d.Resolve(list[len(list)-1]) // the first signature's widget
			if err != nil {
				return nil, "", nil, err
			}
			ap, _ := d.Resolve(w.(Dict)["AP"])
			n, _ := d.Resolve(ap.(Dict)["N"])
			res, _ := d.Resolve(n.(Stream).Dict["Resources"])
			fonts, _ := d.Resolve(res.(Dict)["Font"])
			held = fonts.(Dict)["F7"].(Ref)
			body := []byte("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>")
			holds = []bool{d.Holds(held, body), d.Holds(held, body[:len(body)-1]), d.Holds(held, append(body, ' ')),
				d.Holds(Ref{Num: held.Num, Gen: 1}, body), d.Holds(Ref{Num: 9999}, body), d.Holds(page, body)}
			return []byte("BT /F7 10 Tf 4 20 Td (Signed) Tj ET"), fmt.Sprintf("<< /Font << /F7 %v >> >>", held), nil, nil
		}}})
	qpdfCheck(t, out2)
	if res := p.pdfsig(t, out2); len(res) != 2 || !res[1].has("Signature is Valid") {
		t.Fatalf("pdfsig:\n%v", res)
	}
	if !slices.Equal(holds, []bool{true, false, false, false, false, false}) {
		t.Errorf("Holds of the font as written, cut short, longer, another generation, a missing object, the page: %v", holds)
	}
	if bytes.Contains(out2[len(out):], []byte("/BaseFont /Courier")) {
		t.Error("the second appearance wrote the font again")
	}

	draw := func(objs func(font Ref) []RawObject, resources string) *Appearance {
		return &Appearance{Draw: func(d *Drawing) ([]byte, string, []RawObject, error) {
			font, _ := d.Alloc()
			res := resources
			if res == "" {
				res = fmt.Sprintf("<< /Font << /F7 %v >> >>", font)
			}
			return []byte("BT ET"), res, objs(font), nil
		}}
	}
	courier := []byte("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>")
	for _, tc := range []struct {
		name string
		a    *Appearance
	}{
		{"fail/draw-fails", &Appearance{Draw: func(*Drawing) ([]byte, string, []RawObject, error) {
			return nil, "", nil, errors.New("no glyphs")
		}}},
		{"fail/allocated-not-written", draw(func(Ref) []RawObject { return nil }, "")},
		{"fail/resources-name-missing-object", draw(func(f Ref) []RawObject { return []RawObject{{f, courier}} }, "<< /Font << /F7 99 0 R >> >>")},
		{"fail/object-not-allocated", draw(func(f Ref) []RawObject { return []RawObject{{f, courier}, {Ref{Num: 5}, courier}} }, "")},
		{"fail/object-written-twice", draw(func(f Ref) []RawObject { return []RawObject{{f, courier}, {f, courier}} }, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PrepareSignature(bytes.NewReader(data), int64(len(data)), SignatureSpec{SubFilter: SubFilterCAdES, Appearance: tc.a})
			if err == nil || !strings.HasPrefix(err.Error(), "pdf: ") {
				t.Errorf("err = %v, want an error", err)
			}
		})
	}
}

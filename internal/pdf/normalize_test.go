package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/testdocs"
)

// sameButID checks that NormalizeWithID writes what Normalize wrote
// (out), with the given /ID strings in place of the digest of out.
func sameButID(t testing.TB, data, out []byte) {
	t.Helper()
	id := bytes.Repeat([]byte{0xA5, '(', ')', '\\'}, 8) // 32 bytes, 16 used; a literal string's special characters
	var with bytes.Buffer
	if _, err := NormalizeWithID(&with, bytes.NewReader(data), int64(len(data)), id); err != nil {
		t.Fatalf("NormalizeWithID: %v", err)
	}
	tr := mustOpen(t, with.Bytes()).trailer
	if want := (Array{String(id[:16]), String(id[:16])}); !reflect.DeepEqual(tr["ID"], want) {
		t.Fatalf("NormalizeWithID: /ID %v, want %v", tr["ID"], want)
	}
	digest, ok := mustOpen(t, out).trailer["ID"].(Array)
	if !ok || len(digest) != 2 {
		t.Fatalf("Normalize: /ID %v", digest)
	}
	encode := func(o Object) []byte {
		b, err := appendObject(nil, o, 0)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := bytes.ReplaceAll(out, encode(digest), encode(Array{String(id[:16]), String(id[:16])}))
	if !bytes.Equal(with.Bytes(), want) {
		t.Fatalf("NormalizeWithID wrote other bytes than Normalize besides the /ID")
	}
}

// normalize runs Normalize on data and checks what every result must
// satisfy: the output opens, passes Check, keeps the page count, and is
// either the input unchanged or a copy of one revision that Normalize
// leaves as it is (the rewrite is idempotent).
func normalize(t testing.TB, data []byte) ([]byte, NormalizeResult) {
	t.Helper()
	var out bytes.Buffer
	res, err := Normalize(&out, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	in, err := Check(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Check of the input: %v", err)
	}
	got, err := Check(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatalf("Check of the output: %v", err)
	}
	if res.Rewritten && got.Findings != nil {
		t.Fatalf("the rewritten copy still has findings: %+v", got.Findings)
	}
	if got.Pages != in.Pages {
		t.Fatalf("%d pages became %d", in.Pages, got.Pages)
	}
	if !res.Rewritten {
		if res.Reason == "" || !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("not rewritten (%q) but the output differs from the input", res.Reason)
		}
		return out.Bytes(), res
	}
	if got.Revisions != 1 || got.Version != in.Version {
		t.Fatalf("output has %d revisions and version %s (input %s)", got.Revisions, got.Version, in.Version)
	}
	sameButID(t, data, out.Bytes())
	if r := mustOpen(t, out.Bytes()); len(r.RevisionEnds()) != 1 || bytes.Count(out.Bytes(), []byte("%%EOF")) != 1 {
		t.Fatalf("output has revision ends %v and %d %%%%EOF markers", r.RevisionEnds(), bytes.Count(out.Bytes(), []byte("%%EOF")))
	}
	var again bytes.Buffer
	res2, err := Normalize(&again, bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatalf("Normalize of the output: %v", err)
	}
	if !res2.Rewritten || len(res2.Dropped) != 0 || res2.Objects != res.Objects || !bytes.Equal(again.Bytes(), out.Bytes()) {
		t.Fatalf("Normalize is not idempotent: %+v then %+v", res, res2)
	}
	return out.Bytes(), res
}

// pdftotext returns the text poppler extracts from data.
func pdftotext(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-q", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// qpdfPages returns qpdf's page count of data.
func qpdfPages(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("qpdf", "--show-npages", path).CombinedOutput()
	if err != nil {
		t.Fatalf("qpdf --show-npages: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

type normFixture struct {
	name    string
	data    []byte
	dropped []string
}

// normalizeFixtures are the documents whose rewrite must look the same to
// qpdf and poppler, with what the rewrite reports dropping.
func normalizeFixtures(t testing.TB) []normFixture {
	t.Helper()
	fx := []normFixture{
		{"minimal", nil, nil},
		{"object-streams", nil, nil},
		{"incremental", nil, []string{"1 earlier revision"}},
		{"hybrid", nil, nil},
		{"linearized", nil, []string{"linearization"}},
		{"incremental-xref-stream", nil, []string{"1 earlier revision"}},
		{"testdocs-10MB", testdocs.PDF("Avtale om levering, side 1", 10<<20), nil},
		{"form", formPDF(), nil},
	}
	for i := range fx {
		if fx[i].data != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("testdata", fx[i].name+".pdf"))
		if err != nil {
			t.Fatal(err)
		}
		fx[i].data = data
	}
	return fx
}

func TestNormalizeFixtures(t *testing.T) {
	requireTools(t, "qpdf", "pdftotext")
	for _, fx := range normalizeFixtures(t) {
		t.Run("ok/"+fx.name, func(t *testing.T) {
			out, res := normalize(t, fx.data)
			if !res.Rewritten || !slices.Equal(res.Dropped, fx.dropped) {
				t.Fatalf("result %+v, want dropped %q", res, fx.dropped)
			}
			qpdfCheck(t, out)
			if a, b := qpdfPages(t, fx.data), qpdfPages(t, out); a != b {
				t.Errorf("qpdf counts %s pages, was %s", b, a)
			}
			if a, b := pdftotext(t, fx.data), pdftotext(t, out); a != b || strings.TrimSpace(a) == "" {
				t.Errorf("text %q, was %q", b, a)
			}
			for _, s := range []string{"/ObjStm", "/XRef", "/Prev", "/Linearized"} {
				if bytes.Contains(out, []byte(s)) {
					t.Errorf("output contains %s", s)
				}
			}
			if len(out) > len(fx.data)+len(fx.data)/2+4096 {
				t.Errorf("output is %d bytes, input %d", len(out), len(fx.data))
			}
		})
	}
}

// shadowDoc is a one-page document showing text: 1 catalog (with
// catalogExtra), 2 page tree, 3 page (with pageExtra), 4 content, 5 font,
// then the extra objects from number 6 on, referenced or not as the
// extras say.
func shadowDoc(text, catalogExtra, pageExtra string, extra ...string) []byte {
	b := newBuilder("1.7")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R "+catalogExtra+" >>")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	b.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R "+pageExtra+" >>")
	b.stream(4, "", []byte("BT /F1 24 Tf 72 720 Td ("+text+") Tj ET"))
	b.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i, body := range extra {
		b.obj(6+i, body)
	}
	b.xref(fmt.Sprintf("<< /Size %d /Root 1 0 R >>", 6+len(extra)))
	return b.Bytes()
}

// contentStream is the body of a content stream object showing text.
func contentStream(text string) string {
	c := "BT /F1 24 Tf 72 720 Td (" + text + ") Tj ET"
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c), c)
}

// TestNormalizeShadowAttacks builds the hiding places of shadow and
// incremental saving attacks and checks that nothing hidden survives.
func TestNormalizeShadowAttacks(t *testing.T) {
	requireTools(t, "pdftotext")
	const hidden = "Buyer pays 1 000 000 NOK"
	const shown = "Buyer pays 10 NOK"

	t.Run("ok/earlier-revision-overlaid", func(t *testing.T) {
		// Revision 1 says one thing; revision 2 overlays the page content.
		// Cut at the first %%EOF, the upload shows the hidden text again.
		data := appendRevision(t, shadowDoc(hidden, "", ""), map[int]string{4: contentStream(shown)})
		r := mustOpen(t, data)
		if len(r.Revisions()) != 2 {
			t.Fatalf("fixture has %d revisions", len(r.Revisions()))
		}
		if old := data[:r.RevisionEnds()[0]]; !strings.Contains(pdftotext(t, old), hidden) {
			t.Fatal("the first revision of the fixture does not show the hidden text")
		}

		out, res := normalize(t, data)
		if !slices.Equal(res.Dropped, []string{"1 earlier revision"}) {
			t.Errorf("dropped %q", res.Dropped)
		}
		r = mustOpen(t, out)
		if len(r.Revisions()) != 1 || len(r.RevisionEnds()) != 1 {
			t.Errorf("revisions %v, ends %v", r.Revisions(), r.RevisionEnds())
		}
		if bytes.Contains(out, []byte(hidden)) {
			t.Error("the hidden text is still in the file")
		}
		if got := pdftotext(t, out); !strings.Contains(got, shown) {
			t.Errorf("text %q", got)
		}
	})

	t.Run("ok/unreferenced-page", func(t *testing.T) {
		// A page and its content that nothing references, ready for an
		// update after signing to put into the page tree.
		data := shadowDoc(shown, "", "",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 7 0 R >>",
			contentStream(hidden))
		out, res := normalize(t, data)
		if !slices.Equal(res.Dropped, []string{"2 unreferenced objects"}) || res.Objects != 5 {
			t.Errorf("result %+v", res)
		}
		if bytes.Contains(out, []byte(hidden)) {
			t.Error("the hidden text is still in the file")
		}
	})

	t.Run("ok/freed-in-a-later-revision", func(t *testing.T) {
		// The hidden page lives in revision 1; revision 2 frees it, so a
		// revision 3 after signing could bring it back under a new number.
		data := shadowDoc(shown, "", "", contentStream(hidden))
		r := mustOpen(t, data)
		var b bytes.Buffer
		b.Write(data)
		xref := b.Len()
		fmt.Fprintf(&b, "xref\n6 1\n0000000000 00001 f \ntrailer\n<< /Size 7 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", r.Revisions()[0], xref)
		out, res := normalize(t, b.Bytes())
		if !slices.Equal(res.Dropped, []string{"1 earlier revision"}) {
			t.Errorf("dropped %q", res.Dropped)
		}
		if bytes.Contains(out, []byte(hidden)) {
			t.Error("the hidden text is still in the file")
		}
	})

	t.Run("ok/unreferenced-in-object-stream", func(t *testing.T) {
		b := newBuilder("1.7")
		b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		b.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
		b.stream(4, "", []byte("BT /F1 24 Tf 72 720 Td ("+shown+") Tj ET"))
		rows := b.objStm(6, map[int]string{
			2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			5: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [<< /Type /Annot /Subtype /FreeText /Rect [0 0 100 100] /Contents (" + hidden + ") >>] >>",
		})
		b.xrefStream(7, rows, "/Root 1 0 R", true)
		out, res := normalize(t, b.Bytes())
		if !slices.Equal(res.Dropped, []string{"1 unreferenced object"}) {
			t.Errorf("dropped %q", res.Dropped)
		}
		if bytes.Contains(out, []byte(hidden)) || bytes.Contains(out, []byte("ObjStm")) {
			t.Error("the hidden annotation is still in the file")
		}
	})

	t.Run("ok/info-keeps-only-text", func(t *testing.T) {
		// /Info may only hold text: a stream hung on it stays behind.
		b := newBuilder("1.7")
		b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
		b.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
		b.stream(4, "", []byte("BT /F1 24 Tf 72 720 Td ("+shown+") Tj ET"))
		b.obj(5, "<< /Title 6 0 R /Author (Kari) /Trapped /False /Spare 7 0 R /Dangling 9 0 R >>")
		b.obj(6, "(Kontrakt)")
		b.stream(7, "", []byte("BT /F1 24 Tf 72 720 Td ("+hidden+") Tj ET"))
		b.xref("<< /Size 8 /Root 1 0 R /Info 5 0 R >>")
		out, res := normalize(t, b.Bytes())
		if !slices.Equal(res.Dropped, []string{"1 /Info entry that is not text"}) || res.Objects != 5 {
			t.Errorf("result %+v", res)
		}
		if bytes.Contains(out, []byte(hidden)) {
			t.Error("the hidden text is still in the file")
		}
		info, err := mustOpen(t, out).Resolve(mustOpen(t, out).Trailer()["Info"])
		if err != nil {
			t.Fatal(err)
		}
		if got := format(info); got != `<</"Author" "Kari" /"Title" "Kontrakt" /"Trapped" /"False">>` {
			t.Errorf("/Info %s", got)
		}
	})

	t.Run("ok/leading-and-trailing-bytes", func(t *testing.T) {
		data := append(append([]byte("junk\n"), shadowDoc(shown, "", "")...), "% "+hidden+"\n"...)
		out, res := normalize(t, data)
		want := []string{"5 bytes before %PDF-", fmt.Sprintf("%d bytes after the last %%%%EOF", len(hidden)+3)}
		if !slices.Equal(res.Dropped, want) {
			t.Errorf("dropped %q, want %q", res.Dropped, want)
		}
		if bytes.Contains(out, []byte(hidden)) || !bytes.HasPrefix(out, []byte("%PDF-1.7\n")) {
			t.Error("the extra bytes are still in the file")
		}
	})
}

// TestNormalizeActions checks what is kept, dropped or refused in the
// catalog, on pages, annotations and fields, and in the form.
func TestNormalizeActions(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		file    string
		err     error
		dropped []string
		check   func(t *testing.T, r *Reader, cat Dict, out []byte)
	}{
		{
			name: "ok/open-action-destination-kept",
			data: shadowDoc("x", "/OpenAction [3 0 R /FitH 842]", ""),
			check: func(t *testing.T, r *Reader, cat Dict, _ []byte) {
				pages, err := r.pageRefs()
				if err != nil {
					t.Fatal(err)
				}
				want := Array{pages[0], Name("FitH"), Int(842)}
				if got, ok := cat["OpenAction"].(Array); !ok || format(got) != format(want) {
					t.Errorf("/OpenAction %v, want %v", cat["OpenAction"], want)
				}
			},
		},
		{
			name: "ok/indirect-open-action-destination-kept",
			data: shadowDoc("x", "/OpenAction 6 0 R", "", "[3 0 R /Fit]"),
			check: func(t *testing.T, r *Reader, cat Dict, _ []byte) {
				if a, ok := cat["OpenAction"].(Array); !ok || len(a) != 2 || a[1] != Name("Fit") {
					t.Errorf("/OpenAction %v", cat["OpenAction"])
				}
			},
		},
		{
			name:    "ok/page-aa-dropped",
			data:    shadowDoc("x", "", "/AA << /O << /S /Named /N /Print >> /C 6 0 R >>", "<< /S /URI /URI (https://example.org/track) >>"),
			dropped: []string{"/AA on 1 page"},
			check: func(t *testing.T, r *Reader, _ Dict, out []byte) {
				pages, _ := r.pages()
				if _, ok := pages[0]["AA"]; ok || bytes.Contains(out, []byte("example.org")) {
					t.Error("the page still has its additional actions")
				}
			},
		},
		{
			name: "ok/catalog-and-field-aa-dropped",
			data: shadowDoc("x", "/AcroForm 7 0 R /AA << /WC << /S /Named /N /Print >> >>", "/Annots [6 0 R]",
				"<< /Type /Annot /Subtype /Widget /FT /Tx /T (f) /Rect [0 0 9 9] /P 3 0 R /AA << /Fo << /S /Named /N /Print >> >> >>",
				"<< /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) >>"),
			dropped: []string{"/AA on the catalog", "/AA on 1 annotation or field"},
			check: func(t *testing.T, _ *Reader, _ Dict, out []byte) {
				if bytes.Contains(out, []byte("/AA")) || !bytes.Contains(out, []byte("/FT /Tx")) {
					t.Error("additional actions kept, or the field lost")
				}
			},
		},
		{
			name:    "ok/launch-open-action-dropped",
			data:    shadowDoc("x", "/OpenAction 6 0 R", "", "<< /Type /Action /S /Launch /F (cmd.exe) >>"),
			dropped: []string{"/OpenAction (/Launch action)"},
			check: func(t *testing.T, _ *Reader, cat Dict, out []byte) {
				if _, ok := cat["OpenAction"]; ok || bytes.Contains(out, []byte("cmd.exe")) {
					t.Error("the launch action is still there")
				}
			},
		},
		{
			name:    "ok/goto-open-action-kept-without-next",
			data:    shadowDoc("x", "/OpenAction << /Type /Action /S /GoTo /D [3 0 R /Fit] /Next << /S /Named /N /Print >> >>", ""),
			dropped: []string{"/OpenAction /Next"},
			check: func(t *testing.T, _ *Reader, cat Dict, _ []byte) {
				a, _ := cat["OpenAction"].(Dict)
				if a["S"] != Name("GoTo") || a["Next"] != nil {
					t.Errorf("/OpenAction %v", cat["OpenAction"])
				}
			},
		},
		{
			name:    "ok/perms-dropped",
			data:    shadowDoc("x", "/Perms << /UR3 6 0 R >>", "", "<< /Type /Sig /Filter /Adobe.PPKLite /Contents <00> /Reference [<< /TransformMethod /UR3 >>] >>"),
			dropped: []string{"/Perms"},
			check: func(t *testing.T, _ *Reader, cat Dict, out []byte) {
				if _, ok := cat["Perms"]; ok || bytes.Contains(out, []byte("UR3")) {
					t.Error("/Perms is still there")
				}
			},
		},
		{
			name: "ok/xfa-dropped-acroform-kept",
			data: shadowDoc("x", "/AcroForm 6 0 R /NeedsRendering false", "",
				"<< /Fields [] /XFA 7 0 R /DA (/Helv 0 Tf 0 g) >>",
				"<< /Length 37 >>\nstream\n<xdp:xdp>Buyer pays a lot</xdp:xdp>\nendstream"),
			dropped: []string{"/AcroForm /XFA"},
			check: func(t *testing.T, r *Reader, cat Dict, out []byte) {
				form, _ := r.Resolve(cat["AcroForm"])
				if d, ok := form.(Dict); !ok || d["DA"] == nil || d["XFA"] != nil || cat["NeedsRendering"] != nil {
					t.Errorf("/AcroForm %v, /NeedsRendering %v", form, cat["NeedsRendering"])
				}
				if bytes.Contains(out, []byte("xdp")) {
					t.Error("the XFA stream is still there")
				}
			},
		},
		{
			name:    "ok/direct-acroform-xfa-dropped",
			data:    shadowDoc("x", "/AcroForm << /Fields [] /XFA [(template) 6 0 R] >>", "", "<< /Length 6 >>\nstream\n<xdp/>\nendstream"),
			dropped: []string{"/AcroForm /XFA"},
		},
		{
			name:    "ok/missing-objects-become-null",
			data:    shadowDoc("x", "/Threads 99 0 R /Outlines 6 0 R", "", "<< /Type /Outlines /First 98 0 R /Count 0 >>"),
			dropped: []string{"2 references to missing objects"},
			check: func(t *testing.T, _ *Reader, cat Dict, out []byte) {
				if _, ok := cat["Threads"]; ok || bytes.Contains(out, []byte("/First")) {
					t.Error("references to missing objects kept")
				}
			},
		},
		{
			name:    "ok/embedded-files-kept",
			data:    shadowDoc("x", "/Names << /EmbeddedFiles << /Names [(a.txt) 6 0 R] >> >>", "", "<< /Type /Filespec /F (a.txt) /EF << /F 7 0 R >> >>", "<< /Type /EmbeddedFile /Length 5 >>\nstream\nhello\nendstream"),
			dropped: nil,
			check: func(t *testing.T, _ *Reader, _ Dict, out []byte) {
				if !bytes.Contains(out, []byte("stream\nhello\nendstream")) {
					t.Error("the embedded file is gone")
				}
			},
		},
		{name: "fail/dynamic-xfa", data: shadowDoc("x", "/AcroForm << /Fields [] /XFA (<xdp/>) >> /NeedsRendering true", ""), err: ErrDynamicXFA},
		{name: "fail/external-stream-data", data: shadowDoc("x", "", "/Thumb 6 0 R", "<< /Length 0 /F (secret.txt) >>\nstream\n\nendstream"), err: ErrUnsupportedFilter},
		{name: "ok/javascript-open-action-dropped", file: "javascript.pdf", dropped: []string{"/OpenAction (/JavaScript action)"}},
		{name: "ok/javascript-open-action-in-object-stream-dropped", file: "javascript-objstm.pdf", dropped: []string{"/OpenAction (/JavaScript action)"}},
		{name: "ok/page-aa-javascript-dropped", data: pageAA(), dropped: []string{"/AA on 1 page"}},
		{name: "ok/acrobat-date-field-format-action-dropped", data: dateFieldForm(), dropped: []string{"/AA on 1 annotation or field"}},
		{name: "fail/javascript-aa-also-a-link-action", data: sharedJS(), err: ErrJavaScript},
		{name: "fail/javascript-names", data: namesJS(), err: ErrJavaScript},
		{name: "fail/encrypted", file: "encrypted.pdf", err: ErrEncrypted},
		{name: "fail/truncated", file: "truncated.pdf", err: ErrMalformed},
		{name: "fail/no-pages", data: noPages(), err: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if tt.file != "" {
				var err error
				if data, err = os.ReadFile(filepath.Join("testdata", tt.file)); err != nil {
					t.Fatal(err)
				}
			}
			if tt.err != nil {
				var out bytes.Buffer
				_, err := Normalize(&out, bytes.NewReader(data), int64(len(data)))
				if !errors.Is(err, tt.err) || !strings.HasPrefix(err.Error(), "pdf: ") {
					t.Fatalf("error %v, want %v", err, tt.err)
				}
				return
			}
			out, res := normalize(t, data)
			if !res.Rewritten || !slices.Equal(res.Dropped, tt.dropped) {
				t.Fatalf("result %+v, want dropped %q", res, tt.dropped)
			}
			if tt.check != nil {
				r := mustOpen(t, out)
				cat, err := r.catalogDict()
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, r, cat, out)
			}
		})
	}
}

// TestNormalizeSigned checks that a signed upload is passed through
// byte for byte.
// TestNormalizeCopiedRuns checks what Normalize says it copied: each
// listed run of the copy is the upload's bytes at the listed offset, the
// large padding stream is listed, and short streams are not.
func TestNormalizeCopiedRuns(t *testing.T) {
	data := testdocs.PDF("runs", 300_000)
	out, res := normalize(t, data)
	if len(res.Copied) != 1 || res.Copied[0].Size < 290_000 {
		t.Fatalf("Copied = %+v, want the one padding stream", res.Copied)
	}
	for _, r := range res.Copied {
		if r.Size < MinCopiedRun || !bytes.Equal(out[r.At:r.At+r.Size], data[r.Offset:r.Offset+r.Size]) {
			t.Fatalf("run %+v is not the upload's bytes", r)
		}
	}
	if _, small := normalize(t, testdocs.PDF("runs", 10_000)); small.Copied != nil {
		t.Fatalf("short streams listed: %+v", small.Copied)
	}
}

func TestNormalizeSigned(t *testing.T) {
	for _, name := range []string{"minimal", "object-streams", "incremental-xref-stream"} {
		t.Run("ok/"+name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name+".pdf"))
			if err != nil {
				t.Fatal(err)
			}
			one := signed(t, data)
			// Later updates do not change that: validation judges them.
			var later bytes.Buffer
			if _, err := AppendDSS(&later, bytes.NewReader(one), int64(len(one)), DSS{Certs: [][]byte{{1, 2, 3}}}); err != nil {
				t.Fatal(err)
			}
			for _, in := range [][]byte{one, later.Bytes()} {
				var out bytes.Buffer
				res, err := Normalize(&out, bytes.NewReader(in), int64(len(in)))
				if err != nil {
					t.Fatal(err)
				}
				if res.Rewritten || !strings.Contains(res.Reason, "1 signature") || res.Objects != 0 || res.Dropped != nil {
					t.Errorf("result %+v", res)
				}
				if !bytes.Equal(out.Bytes(), in) {
					t.Error("the signed upload was changed")
				}
			}
		})
	}
}

// TestNormalizeThenSign signs normalised documents with a real CMS made by
// openssl and has pdfsig verify it covers the whole file.
func TestNormalizeThenSign(t *testing.T) {
	p := devPKI(t)
	when := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	fixtures := normalizeFixtures(t)
	fixtures = append(fixtures, normFixture{"shadow", appendRevision(t, shadowDoc("Hidden", "/OpenAction [3 0 R /Fit]", "/AA << /O << /S /Named /N /Print >> >>"), map[int]string{4: contentStream("Shown")}), nil})
	for _, fx := range fixtures {
		t.Run("ok/"+fx.name, func(t *testing.T) {
			norm, res := normalize(t, fx.data)
			if !res.Rewritten {
				t.Fatalf("not rewritten: %s", res.Reason)
			}
			out := p.sign(t, norm, SignatureSpec{SigningTime: when, Reason: "Normalised, then sealed"})
			qpdfCheck(t, out)
			sigs := p.pdfsig(t, out)
			if len(sigs) != 1 || !sigs[0].has("Signature is Valid") || !sigs[0].has("Total document signed") {
				t.Fatalf("pdfsig:\n%+v", sigs)
			}
			// Signed now, the document is passed through from here on.
			again, res := normalize(t, out)
			if res.Rewritten || !bytes.Equal(again, out) {
				t.Fatalf("a signed document was rewritten: %+v", res)
			}
		})
	}
}

// FuzzNormalize feeds mutated documents to Normalize: each must fail with
// a classified error, or give a document that opens, passes Check with the
// same page count, and is its own normalisation (see normalize). Run it
// with
//
//	go test -run='^$' -fuzz=FuzzNormalize -fuzztime=45s -parallel=1 ./internal/pdf/
func FuzzNormalize(f *testing.F) {
	for _, fx := range normalizeFixtures(f) {
		if len(fx.data) < 1<<20 {
			f.Add(fx.data)
		}
	}
	for _, name := range []string{"javascript", "encrypted", "truncated"} {
		data, err := os.ReadFile(filepath.Join("testdata", name+".pdf"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(shadowDoc("x", "/OpenAction [3 0 R /Fit] /AcroForm 6 0 R /Perms << /UR3 7 0 R >>", "/AA << /O << /S /Named /N /Print >> >> /Annots [8 0 R]",
		"<< /Fields [8 0 R] /XFA 7 0 R >>", "<< /Length 3 >>\nstream\nxfa\nendstream",
		"<< /Type /Annot /Subtype /Widget /FT /Tx /T (f) /Rect [0 0 9 9] /P 3 0 R /AA << /Fo 9 0 R >> >>", "<< /S /Named /N /Print >>"))
	f.Add(formPDF())
	// An earlier revision overlaid, with /Info and a hidden object.
	base := shadowDoc("Hidden", "", "", "<< /Title (T) /Extra 7 0 R >>", contentStream("Unused"))
	var upd bytes.Buffer
	upd.Write(base)
	at := upd.Len()
	fmt.Fprintf(&upd, "4 0 obj\n%s\nendobj\n", contentStream("Shown"))
	xref := upd.Len()
	fmt.Fprintf(&upd, "xref\n4 1\n%010d 00000 n \ntrailer\n<< /Size 8 /Root 1 0 R /Info 6 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n",
		at, bytes.LastIndex(base, []byte("\nxref\n"))+1, xref)
	f.Add(upd.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		res, err := Normalize(&out, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrEncrypted) && !errors.Is(err, ErrJavaScript) &&
				!errors.Is(err, ErrUnsupportedFilter) && !errors.Is(err, ErrDynamicXFA) {
				t.Fatalf("unclassified error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "pdf: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		normalize(t, data)
		if res.Rewritten && int64(out.Len()) > 2*int64(len(data))+4096+int64(res.Objects)*64 {
			t.Fatalf("%d bytes became %d", len(data), out.Len())
		}
	})
}

// BenchmarkNormalize10MB rewrites a 10 MB document to io.Discard. Stream
// data is copied through a small buffer, so B/op must stay far below the
// file size.
func BenchmarkNormalize10MB(b *testing.B) {
	data := testdocs.PDF("Benchmark", 10<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Normalize(io.Discard, bytes.NewReader(data), int64(len(data)))
		if err != nil || !res.Rewritten {
			b.Fatal(res, err)
		}
	}
}

// A signed upload is passed through unchanged, so JavaScript in its
// actions would stay: Normalize refuses it rather than dropping it.
func TestNormalizeSignedKeepsNoJavaScript(t *testing.T) {
	src := pageAA()
	prep, err := PrepareSignature(bytes.NewReader(src), int64(len(src)), SignatureSpec{SubFilter: SubFilterCAdES})
	if err != nil {
		t.Fatal(err)
	}
	var signed bytes.Buffer
	if _, err := prep.WriteTo(&signed, []byte{0x30, 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := Normalize(io.Discard, bytes.NewReader(signed.Bytes()), int64(signed.Len())); !errors.Is(err, ErrJavaScript) {
		t.Fatalf("signed upload with page /AA JavaScript: %v, want ErrJavaScript", err)
	}
}

// TestCheckSignable: Check reports what makes a readable document one segl
// can never sign, by the same rule Normalize applies, so that an upload is
// refused when its job is created.
func TestCheckSignable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "minimal.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		data []byte
		want error
	}{
		{"ok/unsigned", data, nil},
		{"ok/static-xfa", shadowDoc("x", "/AcroForm << /Fields [] /XFA (<xdp/>) >> /NeedsRendering false", ""), nil},
		{"fail/signed", signed(t, data), ErrSigned},
		{"fail/dynamic-xfa", shadowDoc("x", "/AcroForm << /Fields [] /XFA (<xdp/>) >> /NeedsRendering true", ""), ErrDynamicXFA},
	} {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Check(bytes.NewReader(tt.data), int64(len(tt.data)))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if err := info.Signable(); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Signable: %v, want %v", err, tt.want)
			}
		})
	}
}

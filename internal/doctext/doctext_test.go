package doctext

import (
	"encoding/json"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// copyFS is the built-in catalogues as a test FS, for a test to add,
// change or remove a file as a translator would.
func copyFS(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	files, err := fs.Glob(embedded, "i18n/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded catalogues: %v %v", files, err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(embedded, f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = &fstest.MapFile{Data: b}
	}
	return out
}

// edit rewrites the catalogue of lang in fsys as a generic JSON object.
func edit(t *testing.T, fsys fstest.MapFS, lang string, change func(m map[string]map[string]any)) {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal(fsys["i18n/"+lang+".json"].Data, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	fsys["i18n/"+lang+".json"] = &fstest.MapFile{Data: b}
}

// The built-in catalogues load, each with every text (Load refuses a
// catalogue with a text missing), and are bokmål, Nynorsk and English.
func TestEmbedded(t *testing.T) {
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Languages(); !slices.Equal(got, []string{"nb", "en", "nn"}) {
		t.Errorf("Languages = %v, want nb, en, nn", got)
	}
	if got := Languages(); !slices.Equal(got, c.Languages()) {
		t.Errorf("Languages() = %v", got)
	}
	for _, lang := range c.Languages() {
		if err := complete(reflect.ValueOf(c.Texts(lang)), reflect.ValueOf(c.Texts(Bokmal)), ""); err != nil {
			t.Errorf("%s: %v", lang, err)
		}
	}
}

// A translator's se.json makes Northern Sámi a language; its signature
// page is Sámi beside English, an English job's bokmål beside English, and
// a language without a catalogue gets bokmål.
func TestAddLanguage(t *testing.T) {
	fsys := copyFS(t)
	fsys["i18n/se.json"] = &fstest.MapFile{Data: fsys["i18n/en.json"].Data}
	edit(t, fsys, "se", func(m map[string]map[string]any) { m["page"]["Heading"] = "Vuolláičállagat" })
	c, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Languages(); !slices.Equal(got, []string{"nb", "en", "nn", "se"}) {
		t.Errorf("Languages = %v", got)
	}
	for lang, want := range map[string][2]string{
		"se": {"Vuolláičállagat", "Signatures"}, "en": {"Signaturer", "Signatures"}, "nn": {"Signaturar", "Signatures"},
		"nb": {"Signaturer", "Signatures"}, "": {"Signaturer", "Signatures"}, "de": {"Signaturer", "Signatures"},
	} {
		first, en := c.SignaturePage(lang)
		if first.Page.Heading != want[0] || en.Page.Heading != want[1] {
			t.Errorf("SignaturePage(%q) = %q, %q; want %q", lang, first.Page.Heading, en.Page.Heading, want)
		}
	}
	if c.Has("de") || !c.Has("se") {
		t.Error("Has: de or not se")
	}
}

// A catalogue that lacks a text, has one bokmål does not, misspells a key,
// breaks the footer's format or is not named by a language does not load,
// and the error says which file and which text.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(fsys fstest.MapFS)
		want   string
	}{
		{"fail/missing-text", func(fsys fstest.MapFS) {
			edit(t, fsys, "nn", func(m map[string]map[string]any) { delete(m["receipt"], "Footer") })
		}, "i18n/nn.json: Receipt.Footer is missing"},
		{"fail/empty-text", func(fsys fstest.MapFS) {
			edit(t, fsys, "en", func(m map[string]map[string]any) { m["page"]["Explanation"] = "" })
		}, "i18n/en.json: Page.Explanation is missing"},
		{"fail/missing-level", func(fsys fstest.MapFS) {
			edit(t, fsys, "nn", func(m map[string]map[string]any) { delete(m["slot"]["Level"].(map[string]any), "high") })
		}, `i18n/nn.json: Slot.Level["high"] is missing`},
		{"fail/extra-level", func(fsys fstest.MapFS) {
			edit(t, fsys, "nn", func(m map[string]map[string]any) { m["receipt"]["Levels"].(map[string]any)["low"] = "låg" })
		}, `i18n/nn.json: Receipt.Levels["low"] is unknown to bokmål`},
		{"fail/unknown-key", func(fsys fstest.MapFS) {
			edit(t, fsys, "nn", func(m map[string]map[string]any) { m["page"]["Haeding"] = "Signaturar" })
		}, `i18n/nn.json: json: unknown field "Haeding"`},
		{"fail/footer-format", func(fsys fstest.MapFS) {
			edit(t, fsys, "nn", func(m map[string]map[string]any) { m["page"]["Page"] = "Side %d av %d av %d" })
		}, "does not take the page and the page count"},
		{"fail/no-english", func(fsys fstest.MapFS) { delete(fsys, "i18n/en.json") }, "no i18n/en.json"},
		{"fail/no-bokmal", func(fsys fstest.MapFS) { delete(fsys, "i18n/nb.json") }, "no i18n/nb.json"},
		{"fail/bad-name", func(fsys fstest.MapFS) {
			fsys["i18n/nb-NO.json"] = &fstest.MapFile{Data: fsys["i18n/nb.json"].Data}
		}, "i18n/nb-NO.json: the name is not LANG.json"},
		{"fail/not-json", func(fsys fstest.MapFS) { fsys["i18n/se.json"] = &fstest.MapFile{Data: []byte("{")} }, "i18n/se.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := copyFS(t)
			tc.change(fsys)
			_, err := Load(fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

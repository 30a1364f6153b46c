package web

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/segl/segl/internal/errs"
)

func TestLanguageChoice(t *testing.T) {
	for _, tc := range []struct {
		name, query, cookie, accept string
		want, h1                    string
	}{
		{"ok/default-bokmal", "", "", "", "nb", "Dine signeringsoppdrag"},
		{"ok/accept-english", "", "", "en-US,en;q=0.9", "en", "Your signing tasks"},
		{"ok/accept-nynorsk", "", "", "nn-NO", "nn", "Signeringsoppdraga dine"},
		{"ok/accept-norwegian-then-nynorsk", "", "", "no, nn;q=0.9", "nb", "Dine signeringsoppdrag"},
		{"ok/query-nynorsk", "?lang=nn", "en", "en", "nn", "Signeringsoppdraga dine"},
		{"ok/cookie-nynorsk", "", "nn", "nb", "nn", "Signeringsoppdraga dine"},
		{"ok/accept-no", "", "", "no", "nb", "Dine signeringsoppdrag"},
		{"ok/accept-unsupported-then-english", "", "", "de-DE, en;q=0.5", "en", "Your signing tasks"},
		{"ok/accept-weights", "", "", "en;q=0.3, nb;q=0.8", "nb", "Dine signeringsoppdrag"},
		{"ok/accept-only-unsupported", "", "", "de, fr;q=0.9", "nb", "Dine signeringsoppdrag"},
		{"ok/accept-q-zero", "", "", "en;q=0, de", "nb", "Dine signeringsoppdrag"},
		{"ok/cookie-beats-accept", "", "en", "nb", "en", "Your signing tasks"},
		{"ok/query-beats-cookie", "?lang=nb", "en", "en", "nb", "Dine signeringsoppdrag"},
		{"ok/query-english", "?lang=en", "", "", "en", "Your signing tasks"},
		{"ok/unknown-query-ignored", "?lang=sv", "", "en", "en", "Your signing tasks"},
		{"ok/bad-cookie-ignored", "", "xx", "", "nb", "Dine signeringsoppdrag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			if tc.cookie != "" {
				e.jar[langCookie] = &http.Cookie{Name: langCookie, Value: tc.cookie}
			}
			res, page := e.get("/sign/"+tc.query, "Accept-Language", tc.accept)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := match(t, langRE, page); got != tc.want {
				t.Errorf("lang %q, want %q", got, tc.want)
			}
			if got := match(t, h1RE, page); got != tc.h1 {
				t.Errorf("h1 %q, want %q", got, tc.h1)
			}
			if got := res.Header.Get("Content-Language"); got != tc.want {
				t.Errorf("Content-Language %q", got)
			}
		})
	}
}

func TestLanguageRemembered(t *testing.T) {
	e := newEnv(t, Options{})
	_, page := e.get("/sign/?lang=en", "Accept-Language", "nb")
	if match(t, langRE, page) != "en" {
		t.Fatal("?lang=en not obeyed")
	}
	c := e.jar[langCookie]
	if c == nil || c.Value != "en" {
		t.Fatalf("language cookie %v", c)
	}
	_, page = e.get("/sign/", "Accept-Language", "nb")
	if match(t, langRE, page) != "en" {
		t.Error("language not remembered")
	}
	// The switch links to the same page in the other language.
	if want := `href="/sign/?lang=nb" lang="nb" hreflang="nb"`; !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(page) {
		t.Errorf("no language switch %s in\n%s", want, page)
	}
}

func TestLanguageCookieAttributes(t *testing.T) {
	e := newEnv(t, Options{})
	r, _ := e.get("/sign/?lang=en")
	for _, c := range r.Cookies() {
		if c.Name == langCookie && (!c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/") {
			t.Errorf("language cookie attributes: %+v", c)
		}
	}
}

// Every key a template uses, and every error page key, exists (New already
// checks that both catalogues hold the same keys).
func TestCatalogueCoversTemplates(t *testing.T) {
	e := newEnv(t, Options{})
	files, err := templateFS.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`\bT "([^"]+)"`)
	for _, f := range files {
		raw, _ := templateFS.ReadFile("templates/" + f.Name())
		for _, m := range keyRE.FindAllStringSubmatch(string(raw), -1) {
			for _, lang := range Languages {
				if _, ok := e.web.catalogues[lang][m[1]]; !ok {
					t.Errorf("%s: key %q missing in %s", f.Name(), m[1], lang)
				}
			}
		}
	}
	keys := []string{"error.csrf", "error.410", "error.500"}
	keys = append(keys, explainedKeys(t)...)
	for _, k := range codePages {
		keys = append(keys, k)
	}
	for _, k := range errs.Kinds {
		keys = append(keys, "error."+strconv.Itoa(k.HTTPStatus()))
	}
	keys = append(keys, "lang.name")
	for _, k := range keys {
		for _, suffix := range []string{".title", ".text"} {
			if k == "lang.name" {
				suffix = ""
			}
			for _, lang := range Languages {
				if _, ok := e.web.catalogues[lang][k+suffix]; !ok {
					t.Errorf("key %q missing in %s", k+suffix, lang)
				}
			}
		}
	}
}

func TestFormatDateTime(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct {
		name string
		at   time.Time
		lang string
		want string
	}{
		{"ok/winter-nb", time.Date(2026, 1, 2, 13, 5, 0, 0, time.UTC), "nb", "2. januar 2026 kl. 14:05"},
		{"ok/winter-en", time.Date(2026, 1, 2, 13, 5, 0, 0, time.UTC), "en", "2 January 2026 at 14:05"},
		{"ok/summer-crosses-midnight-nb", time.Date(2026, 7, 1, 22, 30, 0, 0, time.UTC), "nb", "2. juli 2026 kl. 00:30"},
		{"ok/summer-crosses-midnight-en", time.Date(2026, 7, 1, 22, 30, 0, 0, time.UTC), "en", "2 July 2026 at 00:30"},
		{"ok/other-zone-in", time.Date(2026, 12, 24, 12, 0, 0, 0, time.FixedZone("NYC", -5*3600)), "nb", "24. desember 2026 kl. 18:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := e.web.FormatDateTime(tc.lang, tc.at); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := e.web.FormatDate("en", time.Date(2026, 5, 17, 23, 0, 0, 0, time.UTC)); got != "18 May 2026" {
		t.Errorf("FormatDate: %q", got)
	}
}

// explainedKeys are the page keys given to explain as literals in the
// package's code: each needs a title and a text.
func explainedKeys(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != "web" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "explain" {
				return true
			}
			if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				k, _ := strconv.Unquote(lit.Value)
				keys = append(keys, k)
			}
			return true
		})
	}
	if len(keys) < 10 {
		t.Fatalf("found only %d explained keys: %v", len(keys), keys)
	}
	return keys
}

// withLanguage is the embedded catalogues plus one more language, lang,
// as a translator would add it: a copy of bokmål's files renamed, with
// every text replaced by text(key), unless only is set, when just those
// keys are kept.
func withLanguage(t *testing.T, lang string, text func(key string) string, only ...string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	files, _ := fs.Glob(catalogueFS, "i18n/*.json")
	for _, f := range files {
		raw, _ := catalogueFS.ReadFile(f)
		fsys[f] = &fstest.MapFile{Data: raw}
		base := path.Base(f)
		if base != Bokmal+".json" && !strings.HasSuffix(base, "."+Bokmal+".json") {
			continue
		}
		var c map[string]string
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		for k := range c {
			c[k] = text(k)
			if len(only) > 0 && !slices.Contains(only, k) {
				delete(c, k)
			}
		}
		raw, _ = json.Marshal(c)
		fsys[path.Join("i18n", strings.TrimSuffix(base, Bokmal+".json")+lang+".json")] = &fstest.MapFile{Data: raw}
	}
	return fsys
}

// A language is added by adding its catalogue files, no code: Northern
// Sámi (se) then appears in the switch of every page, named in itself,
// Accept-Language and ?lang= choose it, and its texts and dates are used.
func TestLanguageAddedByFiles(t *testing.T) {
	sami := withLanguage(t, "se", func(k string) string {
		switch k {
		case "lang.name":
			return "Davvisámegiella"
		case "sign.home.title":
			return "Du vuolláičállinbarggut"
		case "date":
			return "%d. %s %d"
		}
		return "se:" + k
	})
	e := newEnv(t, Options{Catalogues: sami})
	if got := e.web.Languages(); !slices.Contains(got, "se") || got[0] != Bokmal || len(got) != len(Languages)+1 {
		t.Fatalf("languages %v", got)
	}
	res, page := e.get("/sign/", "Accept-Language", "se-NO, nb;q=0.8")
	if match(t, langRE, page) != "se" || res.Header.Get("Content-Language") != "se" || match(t, h1RE, page) != "Du vuolláičállinbarggut" {
		t.Fatalf("Accept-Language se: lang %s, h1 %s", match(t, langRE, page), match(t, h1RE, page))
	}
	for _, want := range []string{`<a href="/sign/?lang=nb" lang="nb" hreflang="nb">Norsk (bokmål)</a>`,
		`<span class="lang-current" lang="se" aria-current="true">Davvisámegiella</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the switch lacks %s", want)
		}
	}
	_, page = e.get("/sign/?lang=nb")
	if !strings.Contains(page, `<a href="/sign/?lang=se" lang="se" hreflang="se">Davvisámegiella</a>`) {
		t.Error("the bokmål page does not offer se")
	}
	if got := e.web.FormatDate("se", time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)); got != "2. se:month.3 2026" {
		t.Errorf("a date in se: %q", got)
	}

	// Without the catalogue, a Sámi reader gets bokmål, not English.
	plain := newEnv(t, Options{})
	if _, page := plain.get("/sign/", "Accept-Language", "se, en;q=0.5"); match(t, langRE, page) != Bokmal {
		t.Errorf("se without a catalogue: %s", match(t, langRE, page))
	}
}

// Every catalogue has every key: a language missing one (or adding one
// bokmål lacks) does not load, so no page shows a bare key.
func TestCatalogueComplete(t *testing.T) {
	langs, cats, err := loadCatalogues(catalogueFS)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range langs {
		for k := range cats[Bokmal] {
			if _, ok := cats[lang][k]; !ok {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
	partial := withLanguage(t, "se", func(k string) string { return k }, "lang.name", "sign.home.title")
	if _, err := New(Options{Key: testKey, Catalogues: partial}); err == nil || !strings.Contains(err.Error(), "catalogue se lacks") {
		t.Fatalf("a partial catalogue: %v", err)
	}
	extra := withLanguage(t, "se", func(k string) string { return k })
	extra["i18n/se.json"].Data = []byte(strings.Replace(string(extra["i18n/se.json"].Data), "{", `{"only.in.se":"x",`, 1))
	if _, err := New(Options{Key: testKey, Catalogues: extra}); err == nil || !strings.Contains(err.Error(), `unknown key "only.in.se"`) {
		t.Fatalf("a catalogue with a key of its own: %v", err)
	}
}

// Nynorsk is written as Nynorsk, not bokmål with a few words swapped: no
// text holds a word that is bokmål only.
func TestNynorskIsNotBokmal(t *testing.T) {
	_, cats, err := loadCatalogues(catalogueFS)
	if err != nil {
		t.Fatal(err)
	}
	bokmal := regexp.MustCompile(`(?i)\b(ikke|jeg|hvis|hva|hvem|hvor|hvordan|fra|bare|noe|noen|ennå|blir|mer|dokumentene|avsenderen|undertegner\w*|sikkerhetsnivå|lenken|innloggingen|virksomhet\w*|bruker|brukere|skjemaet kunne ikke)\b`)
	for k, v := range cats[Nynorsk] {
		if m := bokmal.FindString(v); m != "" {
			t.Errorf("nn %s: %q is bokmål (%s)", k, m, v)
		}
	}
}

package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segl/segl/internal/clock"
)

// Languages are BCP 47 tags, for <html lang>: one per catalogue,
// i18n/LANG.json, with its areas' i18n/AREA.LANG.json beside it. A
// translator adds a language (Northern Sámi, se) by adding its files;
// the switch in the header offers it, Accept-Language and ?lang= choose
// it, and nothing in the code names it. Bokmål is the default: the
// service is Norwegian.
const (
	Bokmal  = "nb"
	Nynorsk = "nn"
	English = "en"
)

// Languages lists the languages segl ships, default first: those of the
// embedded catalogues. When they do not load, it is bokmål alone, and New
// says what is wrong with them.
var Languages = func() []string {
	langs, _, err := loadCatalogues(catalogueFS)
	if err != nil {
		return []string{Bokmal}
	}
	return langs
}()

const langCookie = "__Host-segl-lang"

//go:embed i18n/*.json
var catalogueFS embed.FS

// catalogue maps a message key to its text in one language. Texts may hold
// fmt verbs for the arguments T is given.
type catalogue map[string]string

// langTagRE is what a catalogue's language may be: a two- or three-letter
// primary language subtag (RFC 5646 section 2.2.1), enough for nb, nn,
// en, se, sma, smj.
var langTagRE = regexp.MustCompile(`^[a-z]{2,3}$`)

// loadCatalogues reads i18n/LANG.json and every i18n/AREA.LANG.json (one
// file per area of the site, e.g. portal.nb.json) of fsys into one
// catalogue per language, and lists the languages: Bokmål first, the
// others by tag. A language is one with a LANG.json; an area file of
// another language, or a key defined twice, is an error.
func loadCatalogues(fsys fs.FS) ([]string, map[string]catalogue, error) {
	files, err := fs.Glob(fsys, "i18n/*.json")
	if err != nil {
		return nil, nil, fmt.Errorf("web: catalogues: %w", err)
	}
	out := make(map[string]catalogue)
	var langs []string
	for _, f := range files {
		parts := strings.Split(strings.TrimSuffix(path.Base(f), ".json"), ".")
		if lang := parts[len(parts)-1]; len(parts) == 1 && langTagRE.MatchString(lang) {
			out[lang] = catalogue{}
			langs = append(langs, lang)
		}
	}
	if _, ok := out[Bokmal]; !ok {
		return nil, nil, fmt.Errorf("web: catalogues: no i18n/%s.json", Bokmal)
	}
	for _, f := range files {
		parts := strings.Split(strings.TrimSuffix(path.Base(f), ".json"), ".")
		lang := parts[len(parts)-1]
		if _, ok := out[lang]; !ok || len(parts) > 2 {
			return nil, nil, fmt.Errorf("web: catalogue %s: not LANG.json or AREA.LANG.json of a language with a LANG.json", f)
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, nil, fmt.Errorf("web: catalogue %s: %w", f, err)
		}
		var c catalogue
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, nil, fmt.Errorf("web: catalogue %s: %w", f, err)
		}
		for k, v := range c {
			if _, dup := out[lang][k]; dup {
				return nil, nil, fmt.Errorf("web: catalogue %s: %q defined twice", f, k)
			}
			out[lang][k] = v
		}
	}
	// Every language must say everything the default says, and nothing
	// more, so a page never shows a bare key in one language only.
	for _, lang := range langs {
		for k := range out[Bokmal] {
			if _, ok := out[lang][k]; !ok {
				return nil, nil, fmt.Errorf("web: catalogue %s lacks %q", lang, k)
			}
		}
		for k := range out[lang] {
			if _, ok := out[Bokmal][k]; !ok {
				return nil, nil, fmt.Errorf("web: catalogue %s has unknown key %q", lang, k)
			}
		}
	}
	slices.SortFunc(langs, func(a, b string) int {
		switch {
		case a == Bokmal:
			return -1
		case b == Bokmal:
			return 1
		}
		return strings.Compare(a, b)
	})
	return langs, out, nil
}

// T returns the text of key in lang, formatted with args. A missing key
// returns the key itself (and the catalogue test catches it before that).
func (w *Web) T(lang, key string, args ...any) string {
	c, ok := w.catalogues[lang]
	if !ok {
		c = w.catalogues[Bokmal]
	}
	s, ok := c[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Languages lists the languages w serves, default first.
func (w *Web) Languages() []string { return w.languages }

func (w *Web) isLang(s string) bool { return slices.Contains(w.languages, s) }

// chooseLang picks the language of a response: ?lang= (remembered in a
// cookie for the following pages), then that cookie, then Accept-Language,
// then bokmål.
func (w *Web) chooseLang(rw http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); w.isLang(q) {
		http.SetCookie(rw, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return q
	}
	if c, err := r.Cookie(langCookie); err == nil && w.isLang(c.Value) {
		return c.Value
	}
	return w.fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// nearest is the language served to a reader who asks for one segl has
// no catalogue of: bokmål for the macrolanguage "no" and for the other
// languages of Norway, whose readers read it better than English.
var nearest = map[string]string{"no": Bokmal, "nn": Bokmal, "se": Bokmal, "sma": Bokmal, "smj": Bokmal}

// fromAcceptLanguage picks the supported language the client weights
// highest (RFC 9110 section 12.5.4), by primary subtag ("nn-NO" is nn);
// a language without a catalogue counts as its nearest one, if any; "*"
// and anything else fall to the default.
func (w *Web) fromAcceptLanguage(header string) string {
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(header, ",") {
		fields := strings.Split(part, ";")
		tag := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, p := range fields[1:] {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		lang, _, _ := strings.Cut(tag, "-")
		if !w.isLang(lang) {
			lang = nearest[lang]
		}
		if lang == "" {
			continue
		}
		// At equal weight the first named wins (RFC 9110 lists in order
		// of preference).
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	if best == "" {
		return Bokmal
	}
	return best
}

// oslo is the time zone every date on a page is shown in: the service's
// users are in Norway, whatever zone the server runs in.
var oslo = clock.Norway

// FormatDate formats t as a date in Norwegian time, as the language writes
// it (the catalogue's "date" pattern over day, month name and year): "2.
// januar 2026", "2 January 2026".
func (w *Web) FormatDate(lang string, t time.Time) string {
	t = t.In(oslo)
	month := w.T(lang, "month."+strconv.Itoa(int(t.Month())))
	return w.T(lang, "date", t.Day(), month, t.Year())
}

// FormatDateTime formats t as date and time of day in Norwegian time:
// "2. januar 2026 kl. 14:05", "2 January 2026 at 14:05".
func (w *Web) FormatDateTime(lang string, t time.Time) string {
	return w.T(lang, "datetime", w.FormatDate(lang, t), t.In(oslo).Format("15:04"))
}

// FormatSize writes a file size in the units segl's limits are set in (1
// kB = 1024 bytes, 1 MB = 1024 kB, as JEDEC and Windows count), with the
// language's decimal mark (the catalogue's "number.decimal"): "980 byte",
// "97,7 kB", "1.2 MB". A document's size and the limit it must keep are
// then read in one unit: the default limit, 10 << 20 bytes, reads "10
// MB", not the "10,5 MB" of decimal units, and a file shown as at most
// "10 MB" is within it. A whole number of units is written without
// decimals.
func (w *Web) FormatSize(lang string, n int64) string {
	if n < 1024 {
		return w.T(lang, "size.bytes", n)
	}
	v, unit := float64(n)/1024, "kB"
	if v >= 1024 {
		v, unit = v/1024, "MB"
	}
	if v >= 1024 {
		v, unit = v/1024, "GB"
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if v >= 100 || v == float64(int64(v)) {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strings.Replace(s, ".", w.T(lang, "number.decimal"), 1) + " " + unit
}

package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segl/segl/internal/clock"
)

// Languages, as BCP 47 tags for <html lang>. Bokmål is the default: the
// service is Norwegian, and English is for those who ask for it.
const (
	Bokmal  = "nb"
	English = "en"
)

// Languages lists the supported languages, default first.
var Languages = []string{Bokmal, English}

const langCookie = "__Host-segl-lang"

//go:embed i18n/*.json
var catalogueFS embed.FS

// catalogue maps a message key to its text in one language. Texts may hold
// fmt verbs for the arguments T is given.
type catalogue map[string]string

// loadCatalogues reads i18n/LANG.json and every i18n/AREA.LANG.json (one
// file per area of the site, e.g. portal.nb.json) into one catalogue per
// language. A key defined twice is an error.
func loadCatalogues() (map[string]catalogue, error) {
	out := make(map[string]catalogue)
	for _, lang := range Languages {
		files, err := fs.Glob(catalogueFS, "i18n/*"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", lang, err)
		}
		out[lang] = catalogue{}
		for _, f := range files {
			if base := path.Base(f); base != lang+".json" && !strings.HasSuffix(base, "."+lang+".json") {
				continue
			}
			raw, err := catalogueFS.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("web: catalogue %s: %w", f, err)
			}
			var c catalogue
			if err := json.Unmarshal(raw, &c); err != nil {
				return nil, fmt.Errorf("web: catalogue %s: %w", f, err)
			}
			for k, v := range c {
				if _, dup := out[lang][k]; dup {
					return nil, fmt.Errorf("web: catalogue %s: %q defined twice", f, k)
				}
				out[lang][k] = v
			}
		}
		if len(out[lang]) == 0 {
			return nil, fmt.Errorf("web: catalogue %s: no messages", lang)
		}
	}
	// Every language must say everything the default says, and nothing more,
	// so a page never shows a bare key in one language only.
	for _, lang := range Languages[1:] {
		for k := range out[Bokmal] {
			if _, ok := out[lang][k]; !ok {
				return nil, fmt.Errorf("web: catalogue %s lacks %q", lang, k)
			}
		}
		for k := range out[lang] {
			if _, ok := out[Bokmal][k]; !ok {
				return nil, fmt.Errorf("web: catalogue %s has unknown key %q", lang, k)
			}
		}
	}
	return out, nil
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

func isLang(s string) bool { return slices.Contains(Languages, s) }

// chooseLang picks the language of a response: ?lang= (remembered in a
// cookie for the following pages), then that cookie, then Accept-Language,
// then bokmål.
func (w *Web) chooseLang(rw http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); isLang(q) {
		http.SetCookie(rw, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return q
	}
	if c, err := r.Cookie(langCookie); err == nil && isLang(c.Value) {
		return c.Value
	}
	return fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// fromAcceptLanguage picks the supported language the client weights
// highest (RFC 9110 section 12.5.4). Nynorsk and the macrolanguage "no" are
// served bokmål, the closer of the two we have; "*" and anything else fall
// to the default.
func fromAcceptLanguage(header string) string {
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
		primary, _, _ := strings.Cut(tag, "-")
		var lang string
		switch primary {
		case "nb", "no", "nn":
			lang = Bokmal
		case "en":
			lang = English
		default:
			continue
		}
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
// it: "2. januar 2026", "2 January 2026".
func (w *Web) FormatDate(lang string, t time.Time) string {
	t = t.In(oslo)
	month := w.T(lang, "month."+strconv.Itoa(int(t.Month())))
	if lang == English {
		return fmt.Sprintf("%d %s %d", t.Day(), month, t.Year())
	}
	return fmt.Sprintf("%d. %s %d", t.Day(), month, t.Year())
}

// FormatDateTime formats t as date and time of day in Norwegian time:
// "2. januar 2026 kl. 14:05", "2 January 2026 at 14:05".
func (w *Web) FormatDateTime(lang string, t time.Time) string {
	return w.T(lang, "datetime", w.FormatDate(lang, t), t.In(oslo).Format("15:04"))
}

// FormatSize writes a file size in the units segl's limits are set in (1
// kB = 1024 bytes, 1 MB = 1024 kB, as JEDEC and Windows count), with the
// language's decimal mark: "980 byte", "97,7 kB", "1.2 MB". A document's
// size and the limit it must keep are then read in one unit: the default
// limit, 10 << 20 bytes, reads "10 MB", not the "10,5 MB" of decimal
// units, and a file shown as at most "10 MB" is within it. A whole number
// of units is written without decimals.
func FormatSize(lang string, n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " " + map[string]string{Bokmal: "byte", English: "bytes"}[lang]
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
	if lang != English {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " " + unit
}

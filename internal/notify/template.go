package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/segl/segl/internal/clock"
)

//go:embed templates
var templateFS embed.FS

// Rendered is a message rendered for one language: the e-mail subject, its
// plain-text and HTML alternatives, and the short SMS text.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
	SMS     string
}

type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var (
	loadOnce  sync.Once
	templates map[string]templateSet // key lang + "/" + name
	languages []string
	loadErr   error
)

// oslo is the time zone deadlines are shown in: segl serves Norwegian public
// bodies, and a deadline "at 15:00" must mean 15:00 where the reader is.
var oslo = clock.Norway

// dateFunc formats a deadline as the language writes it: its common.txt
// names the months ("months", twelve words) and lays out a date and time
// ("datetime" over .Day, .Month, .Year and .Time), so a language brings its
// own dates with its files. text is the language's text set, filled in
// once it is parsed.
func dateFunc(text **texttemplate.Template) func(any) (string, error) {
	return func(v any) (string, error) {
		t, ok := v.(time.Time)
		if !ok {
			return "", fmt.Errorf("date: want time.Time, got %T", v)
		}
		t = t.In(oslo)
		var b bytes.Buffer
		if err := (*text).ExecuteTemplate(&b, "months", nil); err != nil {
			return "", fmt.Errorf("date: %w", err)
		}
		months := strings.Fields(b.String())
		if len(months) != 12 {
			return "", fmt.Errorf("date: %d month names, want 12", len(months))
		}
		b.Reset()
		err := (*text).ExecuteTemplate(&b, "datetime", map[string]any{"Day": t.Day(), "Month": months[t.Month()-1],
			"Year": t.Year(), "Time": t.Format("15:04")})
		return strings.TrimSpace(b.String()), err
	}
}

// names are the templates every language must have.
var names = []string{SignRequest, Reminder, JobCompleted, JobEnded, OneTimeCode}

// loadTemplates parses every language's templates: a language is a
// directory templates/LANG holding common.txt, common.html and a .txt
// and .html file per template, so a translator adds one (Northern Sámi,
// se) with files alone. Bokmål, the default, must be there; a language
// missing a file does not load.
func loadTemplates(fsys fs.FS) (map[string]templateSet, []string, error) {
	dirs, err := fs.ReadDir(fsys, "templates")
	if err != nil {
		return nil, nil, fmt.Errorf("notify: templates: %w", err)
	}
	var langs []string
	for _, d := range dirs {
		if d.IsDir() {
			langs = append(langs, d.Name())
		}
	}
	if !slices.Contains(langs, LangNB) {
		return nil, nil, fmt.Errorf("notify: templates: no %s", LangNB)
	}
	sets := map[string]templateSet{}
	for _, lang := range langs {
		for _, name := range names {
			dir := "templates/" + lang + "/"
			var text *texttemplate.Template
			text, err := texttemplate.New(name).Option("missingkey=error").
				Funcs(texttemplate.FuncMap{"date": dateFunc(&text)}).
				ParseFS(fsys, dir+"common.txt", dir+name+".txt")
			if err != nil {
				return nil, nil, fmt.Errorf("notify: template %s/%s: %w", lang, name, err)
			}
			html, err := htmltemplate.New(name).Option("missingkey=error").
				Funcs(htmltemplate.FuncMap{"date": dateFunc(&text)}).
				ParseFS(fsys, "templates/layout.html", dir+"common.html", dir+name+".html")
			if err != nil {
				return nil, nil, fmt.Errorf("notify: template %s/%s: %w", lang, name, err)
			}
			// The HTML layout shows the subject as the page title.
			if _, err := html.New("subject").Parse(text.Lookup("subject").Tree.Root.String()); err != nil {
				return nil, nil, fmt.Errorf("notify: template %s/%s: %w", lang, name, err)
			}
			sets[lang+"/"+name] = templateSet{text: text, html: html}
		}
	}
	// Every file must belong to a template we know, so a typo in a file name
	// is a test failure and not a template that silently never renders.
	err = fs.WalkDir(fsys, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := strings.TrimSuffix(strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], ".txt"), ".html")
		if base == "common" || base == "layout" {
			return nil
		}
		if _, ok := sets[LangNB+"/"+base]; !ok {
			return fmt.Errorf("notify: unused template file %s", path)
		}
		return nil
	})
	slices.SortFunc(langs, func(a, b string) int {
		switch {
		case a == LangNB:
			return -1
		case b == LangNB:
			return 1
		}
		return strings.Compare(a, b)
	})
	return sets, langs, err
}

func load() error {
	loadOnce.Do(func() { templates, languages, loadErr = loadTemplates(templateFS) })
	return loadErr
}

// Languages lists the languages notices can be written in, bokmål first:
// the template directories present.
func Languages() []string {
	if load() != nil {
		return []string{LangNB}
	}
	return languages
}

// Language is the language to write to a reader who prefers lang (as the
// contact register gives it, "nb", "nn", "en", "se"): lang itself when
// there are templates in it, else bokmål.
func Language(lang string) string {
	if slices.Contains(Languages(), lang) {
		return lang
	}
	return LangNB
}

// Render renders m's template in m's language. Missing data is an error
// (ErrInvalid), never "<no value>" in a message to a citizen.
func Render(m Message) (Rendered, error) {
	if err := load(); err != nil {
		return Rendered{}, err
	}
	lang := m.Lang
	if lang == "" {
		lang = LangNB
	}
	set, ok := templates[lang+"/"+m.Template]
	if !ok {
		return Rendered{}, invalid("no template %q in language %q", m.Template, lang)
	}
	var r Rendered
	var b bytes.Buffer
	for _, part := range []struct {
		name string
		dst  *string
	}{{"subject", &r.Subject}, {"text", &r.Text}, {"sms", &r.SMS}} {
		b.Reset()
		if err := set.text.ExecuteTemplate(&b, part.name, m.Data); err != nil {
			return Rendered{}, invalid("render %s/%s %s: %v", lang, m.Template, part.name, err)
		}
		*part.dst = strings.TrimSpace(b.String())
	}
	b.Reset()
	if err := set.html.ExecuteTemplate(&b, "layout", map[string]any{"Lang": lang, "D": m.Data}); err != nil {
		return Rendered{}, invalid("render %s/%s html: %v", lang, m.Template, err)
	}
	r.HTML = b.String()
	r.Text += "\n"
	return r, nil
}

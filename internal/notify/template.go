package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
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
	loadErr   error
)

var monthsNB = [...]string{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"}

// oslo is the time zone deadlines are shown in: segl serves Norwegian public
// bodies, and a deadline "at 15:00" must mean 15:00 where the reader is.
var oslo = clock.Norway

func dateFunc(lang string) func(any) (string, error) {
	return func(v any) (string, error) {
		t, ok := v.(time.Time)
		if !ok {
			return "", fmt.Errorf("date: want time.Time, got %T", v)
		}
		t = t.In(oslo)
		if lang == LangNB {
			return fmt.Sprintf("%d. %s %d kl. %02d:%02d", t.Day(), monthsNB[t.Month()-1], t.Year(), t.Hour(), t.Minute()), nil
		}
		return t.Format("2 January 2006 at 15:04 (Norwegian time)"), nil
	}
}

func loadTemplates() (map[string]templateSet, error) {
	sets := map[string]templateSet{}
	for _, lang := range []string{LangNB, LangEN} {
		for _, name := range []string{SignRequest, Reminder, JobCompleted, JobEnded, OneTimeCode} {
			dir := "templates/" + lang + "/"
			text, err := texttemplate.New(name).Option("missingkey=error").
				Funcs(texttemplate.FuncMap{"date": dateFunc(lang)}).
				ParseFS(templateFS, dir+"common.txt", dir+name+".txt")
			if err != nil {
				return nil, fmt.Errorf("notify: template %s/%s: %w", lang, name, err)
			}
			html, err := htmltemplate.New(name).Option("missingkey=error").
				Funcs(htmltemplate.FuncMap{"date": dateFunc(lang)}).
				ParseFS(templateFS, "templates/layout.html", dir+"common.html", dir+name+".html")
			if err != nil {
				return nil, fmt.Errorf("notify: template %s/%s: %w", lang, name, err)
			}
			// The HTML layout shows the subject as the page title.
			if _, err := html.New("subject").Parse(text.Lookup("subject").Tree.Root.String()); err != nil {
				return nil, fmt.Errorf("notify: template %s/%s: %w", lang, name, err)
			}
			sets[lang+"/"+name] = templateSet{text: text, html: html}
		}
	}
	// Every file must belong to a template we know, so a typo in a file name
	// is a test failure and not a template that silently never renders.
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
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
	return sets, err
}

// Render renders m's template in m's language. Missing data is an error
// (ErrInvalid), never "<no value>" in a message to a citizen.
func Render(m Message) (Rendered, error) {
	loadOnce.Do(func() { templates, loadErr = loadTemplates() })
	if loadErr != nil {
		return Rendered{}, loadErr
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

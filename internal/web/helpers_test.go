package web

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
)

var testKey = bytes.Repeat([]byte{7}, 32)

// testEnv is a Web with its routes on a mux, a fake clock and a cookie jar
// of one browser.
type testEnv struct {
	t     *testing.T
	web   *Web
	mux   *http.ServeMux
	clock *clock.Fake
	jar   map[string]*http.Cookie
	logs  *bytes.Buffer
}

func newEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	e := &testEnv{t: t, clock: clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),
		jar: map[string]*http.Cookie{}, logs: &bytes.Buffer{}}
	if opts.Key == nil {
		opts.Key = testKey
	}
	if opts.Clock == nil {
		opts.Clock = e.clock
	}
	opts.Log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.web = w
	e.mux = http.NewServeMux()
	w.Routes(e.mux)
	return e
}

// do sends a request through the mux with the jar's cookies and keeps the
// cookies the response sets, as a browser would.
func (e *testEnv) do(r *http.Request) *http.Response {
	e.t.Helper()
	for _, c := range e.jar {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, r)
	res := rec.Result()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(e.jar, c.Name)
			continue
		}
		e.jar[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
	}
	return res
}

func (e *testEnv) get(target string, header ...string) (*http.Response, string) {
	e.t.Helper()
	r := httptest.NewRequest("GET", "https://segl.test"+target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	res := e.do(r)
	return res, body(e.t, res)
}

func (e *testEnv) postForm(target string, form url.Values, header ...string) (*http.Response, string) {
	e.t.Helper()
	r := httptest.NewRequest("POST", "https://segl.test"+target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	res := e.do(r)
	return res, body(e.t, res)
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
	langRE  = regexp.MustCompile(`<html lang="([a-z]+)">`)
	h1RE    = regexp.MustCompile(`<h1>([^<]*)</h1>`)
)

func match(t *testing.T, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, s)
	}
	return m[1]
}

// addPage adds a page template for tests, in every language. Call it before
// the first request: a template set cannot be cloned once executed.
func (e *testEnv) addPage(name, content string) {
	e.t.Helper()
	// The served sets have been executed (foldEscapes) and cannot be
	// cloned; the same templates before folding can.
	unfolded, err := e.web.parseTemplates(false)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, lang := range Languages {
		t, err := unfolded[lang]["sign_home"].Clone()
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := t.Parse(content); err != nil {
			e.t.Fatal(err)
		}
		e.web.pages[lang][name] = t
	}
}

// formPage is a page with a form, for the CSRF tests.
const formPage = `{{define "content"}}<form method="post" action="/sign/test">{{csrfField $}}<button>Send</button></form>{{end}}`

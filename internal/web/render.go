package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// layoutFile is the base layout every page is rendered into. A page file
// defines "title" (the part of <title> before the service name) and
// "content" (what goes in <main>).
const layoutFile = "templates/layout.html"

// partialFiles are the shared partials: pieces several pages use, such as
// an area's navigation ("portal-nav", "admin-nav"). They are parsed with
// the layout into every page's set and are never pages of their own, so
// they must not define "title" or "content".
const partialFiles = "templates/partial_*.html"

// parseTemplates parses, once, one template set per page and language: the
// layout and the partials plus the page, with T and the date functions
// bound to the language, so rendering never clones or re-parses. With
// fold, the fixed texts and asset URLs are put in place (foldConstants);
// only a test parses without, to compare.
func (w *Web) parseTemplates(fold bool) (map[string]map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	partials, err := fs.Glob(templateFS, partialFiles)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	shared := append([]string{layoutFile}, partials...)
	out := make(map[string]map[string]*template.Template)
	for _, lang := range w.languages {
		base, err := template.New(path.Base(layoutFile)).Funcs(w.funcs(lang)).ParseFS(templateFS, shared...)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		for _, name := range []string{"title", "content"} {
			if base.Lookup(name) != nil {
				return nil, fmt.Errorf("web: a partial defines %q, which is for pages", name)
			}
		}
		out[lang] = make(map[string]*template.Template)
		for _, f := range files {
			if slices.Contains(shared, f) {
				continue
			}
			t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
			if err != nil {
				return nil, fmt.Errorf("web: %w", err)
			}
			if fold {
				if err := w.foldConstants(lang, t); err != nil {
					return nil, fmt.Errorf("web: %s: %w", f, err)
				}
				if err := foldEscapes(t); err != nil {
					return nil, fmt.Errorf("web: %s: %w", f, err)
				}
			}
			out[lang][strings.TrimSuffix(path.Base(f), ".html")] = t
		}
	}
	return out, nil
}

// foldConstants replaces, in every template of set, each call of T,
// static or langName whose arguments are all string constants by the
// string it returns: a page's fixed texts, asset URLs and language names
// are the same on every request, so they are looked up once here instead
// of through a reflected function call on every render. The layout's
// language switch is written out per language first (unrollLanguages). The string is still escaped for its
// context by html/template, which escapes set after this (on its first
// execution), exactly as it escapes what the call would have returned; a
// page renders byte for byte what it did with the calls
// (TestFoldedPagesRenderTheSame). A call of an unknown asset is an error
// here, at start-up, instead of on every request.
func (w *Web) foldConstants(lang string, set *template.Template) error {
	fold := func(name string, args []string) (string, bool, error) {
		switch {
		case name == "T" && len(args) >= 1:
			rest := make([]any, len(args)-1)
			for i, a := range args[1:] {
				rest[i] = a
			}
			return w.T(lang, args[0], rest...), true, nil
		case name == "static" && len(args) == 1:
			u, err := w.assets.url(args[0])
			return u, true, err
		case name == "langName" && len(args) == 1:
			return w.langName(args[0]), true, nil
		}
		return "", false, nil
	}
	for _, t := range set.Templates() {
		if t.Tree == nil {
			continue
		}
		if t.Name() == path.Base(layoutFile) {
			w.unrollLanguages(lang, t.Tree.Root)
		}
		if err := foldNode(t.Tree.Root, fold); err != nil {
			return err
		}
	}
	return nil
}

// foldFunc is the value of a call of function name with constant string
// arguments, and whether it has one.
type foldFunc func(name string, args []string) (string, bool, error)

// foldNode folds the constant calls under n (see foldConstants). Only a
// pipeline's first command is folded: a later one also receives the value
// piped into it, which is not a constant.
func foldNode(n parse.Node, fold foldFunc) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := foldNode(c, fold); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		return foldNode(n.Pipe, fold)
	case *parse.TemplateNode:
		return foldNode(n.Pipe, fold)
	case *parse.IfNode:
		return foldBranch(&n.BranchNode, fold)
	case *parse.RangeNode:
		return foldBranch(&n.BranchNode, fold)
	case *parse.WithNode:
		return foldBranch(&n.BranchNode, fold)
	case *parse.PipeNode:
		if n == nil {
			return nil
		}
		for i, c := range n.Cmds {
			for _, a := range c.Args {
				if err := foldNode(a, fold); err != nil {
					return err
				}
			}
			if i == 0 {
				if err := foldCommand(c, fold); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func foldBranch(b *parse.BranchNode, fold foldFunc) error {
	for _, n := range []parse.Node{b.Pipe, b.List, b.ElseList} {
		if err := foldNode(n, fold); err != nil {
			return err
		}
	}
	return nil
}

// foldCommand turns c, a call of a function with constant string
// arguments that fold knows, into the string constant it returns.
func foldCommand(c *parse.CommandNode, fold foldFunc) error {
	if len(c.Args) == 0 {
		return nil
	}
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok {
		return nil
	}
	args := make([]string, 0, len(c.Args)-1)
	for _, a := range c.Args[1:] {
		s, ok := a.(*parse.StringNode)
		if !ok {
			return nil
		}
		args = append(args, s.Text)
	}
	v, ok, err := fold(id.Ident, args)
	if err != nil || !ok {
		return err
	}
	c.Args = []parse.Node{stringNode(id.Pos, v)}
	return nil
}

// funcs are the template functions of one language:
//
//	{{T "key" args…}}      the text of key in the page's language
//	{{date .When}}         "2. januar 2026" / "2 January 2026", Norwegian time
//	{{datetime .When}}     "2. januar 2026 kl. 14:05" / "2 January 2026 at 14:05"
//	{{size .Bytes}}        "97,7 kB" / "97.7 kB"
//	{{langName "nn"}}      "Norsk (nynorsk)": a language named in itself
//	{{static "segl.css"}}  the content-hashed URL of an asset (long cache)
//	{{csrfField $}}        the hidden CSRF input for a form; $ is the *Page
//	{{errorSummary .Errors "key"}}  input for the "error-summary-text" partial
func (w *Web) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"T":        func(key string, args ...any) string { return w.T(lang, key, args...) },
		"date":     func(t time.Time) string { return w.FormatDate(lang, t) },
		"datetime": func(t time.Time) string { return w.FormatDateTime(lang, t) },
		"size":     func(n int64) string { return w.FormatSize(lang, n) },
		"langName": w.langName,
		"static":   w.assets.url,
		// errorSummary bundles errors already in the page's language
		// with an optional note (a catalogue key) for "error-summary-text".
		"errorSummary": func(errors []portalError, note string) any {
			return struct {
				Errors []portalError
				Note   string
			}{errors, note}
		},
		"csrfField": func(p *Page) template.HTML {
			return template.HTML(`<input type="hidden" name="` + csrfField + `" value="` +
				template.HTMLEscapeString(p.CSRFToken) + `">`)
		},
	}
}

// langName is a language's name in itself ("lang.name" of its
// catalogue), as a language switch names them.
func (w *Web) langName(l string) string { return w.T(l, "lang.name") }

// Page is what every template is executed with: the handler's data plus
// what the layout needs.
type Page struct {
	Lang      string // "nb" or "en", for <html lang> and links
	Status    int    // HTTP status of the response
	Data      any    // the handler's data
	CSRFToken string // for forms (csrfField) and the X-CSRF-Token header
	Area      string // the part of the site the page is in: "sign", "portal" or "admin"
	// SessionTimer is the login's time limit, for the page to announce
	// (WCAG 2.2.1); nil on a page without a login.
	SessionTimer *SessionTimer
	url          *url.URL
	langs        []string
}

// SessionTimer is how long the login of the request has left. The page
// says the idle limit in words, and segl.js warns two minutes before the
// end and offers to stay logged in (a request that slides the idle
// limit), which the absolute limit bounds (WCAG 2.2.1 Timing Adjustable).
type SessionTimer struct {
	Left    int // seconds until the login ends unless it is used
	Idle    int // seconds of the idle limit, which each use starts again
	EndLeft int // seconds until its absolute limit, which no use moves
}

// IdleMinutes is the idle limit in whole minutes, rounded up.
func (t *SessionTimer) IdleMinutes() int { return (t.Idle + 59) / 60 }

// sessionTimer is the timer of the login st opened, or nil when it has
// none (no session, not logged in, or ended).
func (w *Web) sessionTimer(st *reqState) *SessionTimer {
	if st.session == nil || st.session.err != nil || !st.session.s.LoggedIn() {
		return nil
	}
	s, now := st.session.s, w.clock.Now()
	idleEnd, end := s.Seen.Add(w.idle), s.Created.Add(w.max)
	if !now.Before(idleEnd) || !now.Before(end) {
		return nil
	}
	left := idleEnd
	if end.Before(left) {
		left = end
	}
	return &SessionTimer{Left: int(left.Sub(now) / time.Second), Idle: int(w.idle / time.Second),
		EndLeft: int(end.Sub(now) / time.Second)}
}

// areaSign is the area of the signer pages under /sign, and of any page
// outside the staff areas.
const areaSign = "sign"

// areaOf is the area of the site the path p lies in: the staff areas by
// their prefix, everything else the signer pages'.
func areaOf(p string) string {
	for _, a := range []string{AreaPortal, AreaAdmin} {
		if p == "/"+a || strings.HasPrefix(p, "/"+a+"/") {
			return a
		}
	}
	return areaSign
}

// Home is the front page of the page's area, where the service name in the
// header and an error page's way back lead.
func (p *Page) Home() string { return "/" + p.Area + "/" }

// At is what an area's navigation partial is executed with: the page, and
// which of the navigation's items is the current page ("" for none), so
// {{template "portal-nav" ($.At "jobs")}} marks "jobs" with aria-current.
func (p *Page) At(current string) PageAt { return PageAt{Page: p, Current: current} }

// PageAt is a page with its current navigation item (see At).
type PageAt struct {
	Page    *Page
	Current string
}

// Languages lists the languages for the switch in the header.
func (p *Page) Languages() []string { return p.langs }

// LangURL is the current page in another language: the same path and query
// with lang set, so the switch works without JavaScript.
func (p *Page) LangURL(lang string) string {
	// Most pages have no query: no map to parse and encode for them.
	query := "lang=" + url.QueryEscape(lang)
	if p.url.RawQuery != "" {
		q := p.url.Query()
		q.Set("lang", lang)
		query = q.Encode()
	}
	return (&url.URL{Path: p.url.Path, RawQuery: query}).String()
}

// Render writes the page template name (its file name without ".html")
// with data, in the request's language, with status 200. The page is
// rendered into a buffer first, so a template failure becomes a clean 500
// page rather than half a page.
func (w *Web) Render(rw http.ResponseWriter, r *http.Request, name string, data any) {
	w.render(rw, r, http.StatusOK, name, data)
}

func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, name string, data any) {
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	lang, err := w.execute(buf, r, status, name, data)
	if err != nil {
		if name == errorPage {
			// The error page itself failed: say so in the plainest way.
			w.log.Error("web: error page failed", "err", err)
			http.Error(rw, "500 internal server error", http.StatusInternalServerError)
			return
		}
		w.Error(rw, r, fmt.Errorf("web: render %s: %w", name, err))
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	h.Set("Cache-Control", "no-store") // pages are personal: no shared or back-button caching
	// The whole page is at hand, so its length is said: over HTTP/1.1 the
	// body then goes out as it is, not in chunks whose closing empty chunk
	// costs a page over 8 KB a write and a TLS record of its own
	// (TestPagesGoOutWhole).
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	rw.WriteHeader(status)
	rw.Write(buf.Bytes())
}

// pageBuffers are the buffers pages are rendered into, kept between
// requests: a page of 10–20 KB would otherwise grow a new buffer through
// eight sizes on every request.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledPage is the largest buffer kept for the next page; the rare
// larger page (a long list of jobs) gives its buffer to the collector
// rather than pinning it.
const maxPooledPage = 256 << 10

func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledPage {
		return
	}
	b.Reset()
	pageBuffers.Put(b)
}

// execute renders page name with data into buf, in the request's
// language, which it returns.
func (w *Web) execute(buf *bytes.Buffer, r *http.Request, status int, name string, data any) (string, error) {
	st := stateOf(r)
	if st == nil {
		// Not behind Protect: still pick a language, but there is no CSRF
		// token to give, so forms on this page will be refused.
		w.log.Warn("web: page rendered without Protect", "path", r.URL.Path)
		st = &reqState{lang: w.fromAcceptLanguage(r.Header.Get("Accept-Language"))}
	}
	t := w.pages[st.lang][name]
	if t == nil {
		return st.lang, fmt.Errorf("no page template %q", name)
	}
	p := &Page{Lang: st.lang, Status: status, Data: data, CSRFToken: w.token(st), Area: areaOf(r.URL.Path),
		SessionTimer: w.sessionTimer(st), url: r.URL, langs: w.languages}
	return st.lang, t.ExecuteTemplate(buf, path.Base(layoutFile), p)
}

// reqState is what Protect learns about a request, for Render and the
// session helpers. It is a pointer in the context so that starting or
// ending a session in a handler re-binds the CSRF token of the page it
// then renders.
type reqState struct {
	lang      string
	csrfNonce string // the CSRF cookie's value
	sessionID string // the authentic session cookie's ID, expired or not
	// session is the request's session as the CSRF check opened it (or a
	// handler started or ended it), so that it is opened once per request.
	session *openedSession
}

// openedSession is what openSession made of the request's cookie.
type openedSession struct {
	s      Session
	oldKey bool
	err    error
}

type stateKey struct{}

func withState(r *http.Request, st *reqState) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
}

func stateOf(r *http.Request) *reqState {
	st, _ := r.Context().Value(stateKey{}).(*reqState)
	return st
}

// Lang is the language chosen for the request (Protect chooses it;
// bokmål outside Protect).
func Lang(r *http.Request) string {
	if st := stateOf(r); st != nil {
		return st.lang
	}
	return Bokmal
}

// Package web is the foundation every segl page stands on (DESIGN section 5,
// MISSION I6): server-rendered html/template pages in Norwegian bokmål and
// English, CSRF protection, stateless signer sessions, localized error pages,
// security headers and hashed static assets. There is no build step: the
// templates, catalogues and assets are embedded in the binary.
//
// Pages are handlers of the form func(http.ResponseWriter, *http.Request)
// error, adapted by Handle and wrapped by Protect (Mount does both). A handler
// reads straight down and ends with Render, or returns an error that Handle
// turns into a localized page with the right status.
package web

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/segl/segl/internal/clock"
)

// Options configure the web layer. The zero value of every field but Key is
// a safe default.
type Options struct {
	// Key is the server secret, at least 32 bytes, from which the CSRF and
	// session keys are derived (HKDF-SHA256, RFC 5869, one label each, so
	// the same secret may also serve other purposes). Every node of a
	// scaled-out deployment must be given the same key. Required.
	Key []byte
	// OldKeys are earlier secrets still accepted when reading cookies and
	// CSRF tokens, never used to make new ones, so the key can be rotated
	// without ending everyone's session.
	OldKeys [][]byte
	// Clock tells the time for session expiry; nil means the system clock.
	Clock clock.Clock
	// Log receives internal errors in full; nil means slog.Default().
	Log *slog.Logger
	// SessionIdle is the sliding session lifetime: a session unused for
	// this long has ended. Zero means 15 minutes.
	SessionIdle time.Duration
	// SessionMax is the absolute session lifetime however active the
	// signer is. Zero means 2 hours.
	SessionMax time.Duration
	// MaxForm limits the request body of unsafe methods on protected
	// routes other than uploads. Zero means 1 MiB: the largest form segl
	// has is an organisation's settings.
	MaxForm int64
	// MaxUpload limits the request body of routes mounted with
	// MountUpload. Zero means 256 MiB; the server passes the largest job
	// the limits allow (job.Limits.MaxUploadBytes).
	MaxUpload int64
	// Signing, when set, is what the signing ceremony under /sign needs;
	// nil serves only the signer start page (with its login link).
	Signing *Signing
	// Staff, when set, is what the sender portal (/portal) and the
	// central administration (/admin) need; nil serves neither.
	Staff *Staff
	// Operator is who runs the service, named on the pages about it; the
	// zero value names "the service owner" without an address.
	Operator Operator
	// Catalogues, when set, replaces the embedded i18n/*.json (for tests
	// of how a language is added); nil: the embedded ones.
	Catalogues fs.FS
	// Observe, when set, is shown every error a page answers with, for a
	// monitor such as health.Storage; nil: none.
	Observe func(error)
}

// Web holds the parsed templates, catalogues, keys and assets. It is safe
// for concurrent use and holds no per-user state.
type Web struct {
	log       *slog.Logger
	clock     clock.Clock
	idle, max time.Duration
	maxForm   int64
	maxUpload int64

	sessionKeys [][]byte // [0] seals, all open
	csrfKeys    [][]byte // [0] signs, all verify

	operator   Operator
	languages  []string // default first
	catalogues map[string]catalogue
	pages      map[string]map[string]*template.Template // lang → page → template set
	assets     *assets
	cop        *http.CrossOriginProtection
	signing    *Signing
	staff      *Staff
	observe    func(error)
	patterns   []string // what Routes and Mount registered (Patterns)
}

// New parses the templates and catalogues, hashes the static assets and
// derives the keys. It fails on a short key or a broken template, so a
// mistake shows at start-up rather than on the first request.
func New(opts Options) (*Web, error) {
	if len(opts.Key) < 32 {
		return nil, errors.New("web: key must be at least 32 bytes")
	}
	w := &Web{log: opts.Log, clock: opts.Clock, idle: opts.SessionIdle, max: opts.SessionMax,
		maxForm: opts.MaxForm, maxUpload: opts.MaxUpload,
		signing: opts.Signing, staff: opts.Staff, observe: opts.Observe, operator: opts.Operator}
	if w.signing != nil && w.signing.Svc == nil {
		return nil, errors.New("web: signing needs the ceremony service")
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.clock == nil {
		w.clock = clock.System{}
	}
	if w.idle <= 0 {
		w.idle = 15 * time.Minute
	}
	if w.max <= 0 {
		w.max = 2 * time.Hour
	}
	if w.maxForm <= 0 {
		w.maxForm = 1 << 20
	}
	if w.maxUpload <= 0 {
		w.maxUpload = 256 << 20
	}
	for i, k := range append([][]byte{opts.Key}, opts.OldKeys...) {
		if len(k) < 32 {
			return nil, fmt.Errorf("web: old key %d must be at least 32 bytes", i)
		}
		sk, err := hkdf.Key(sha256.New, k, nil, "segl/web/session v1", 32)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		ck, err := hkdf.Key(sha256.New, k, nil, "segl/web/csrf v1", 32)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		w.sessionKeys = append(w.sessionKeys, sk)
		w.csrfKeys = append(w.csrfKeys, ck)
	}
	var err error
	catalogues := opts.Catalogues
	if catalogues == nil {
		catalogues = catalogueFS
	}
	if w.languages, w.catalogues, err = loadCatalogues(catalogues); err != nil {
		return nil, err
	}
	if w.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if w.pages, err = w.parseTemplates(true); err != nil {
		return nil, err
	}
	w.cop = http.NewCrossOriginProtection()
	w.cop.SetDenyHandler(http.HandlerFunc(w.csrfFailed))
	return w, nil
}

// Routes mounts the static assets (and /favicon.ico), the catch-all "not
// found" pages of the three web areas, the signer start page and, with
// Options.Signing, the signing ceremony (sign.go). More specific patterns
// registered later (by Mount) take precedence over the catch-alls.
func (w *Web) Routes(mux *http.ServeMux) {
	w.handle(mux, "GET /static/{name}", securityHeaders(http.HandlerFunc(w.serveAsset)))
	// Browsers ask for /favicon.ico on their own, whatever the page says.
	w.handle(mux, "GET /favicon.ico", securityHeaders(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		r.SetPathValue("name", "favicon.svg")
		w.serveAsset(rw, r)
	})))
	w.Mount(mux, "GET /sign/{$}", w.signHome)
	w.Mount(mux, "GET /session", w.sessionAlive)
	for _, name := range aboutPages {
		w.Mount(mux, "GET /about/"+name, w.about(name))
	}
	if w.signing != nil {
		w.signRoutes(mux)
		w.handle(mux, "GET "+logoPrefix+"{org}/{file}", securityHeaders(http.HandlerFunc(w.serveLogo)))
	}
	if w.staff != nil {
		w.staffRoutes(mux)
	}
	notFound := func(http.ResponseWriter, *http.Request) error {
		return errNotFound
	}
	for _, area := range []string{"/sign/", "/portal/", "/admin/"} {
		w.Mount(mux, area, notFound)
	}
}

// HandlerFunc is a page handler: it renders, or returns an error for Handle
// to show as a page.
type HandlerFunc func(http.ResponseWriter, *http.Request) error

// Mount registers a page on mux: Protect(Handle(fn)). Every web page should
// be mounted this way so that it gets the headers, language, CSRF check and
// error pages; the JSON API is not, and is untouched by this package.
func (w *Web) Mount(mux *http.ServeMux, pattern string, fn HandlerFunc) {
	w.handle(mux, pattern, w.Protect(w.Handle(fn)))
}

// MountUpload registers a page that takes files (multipart/form-data) as
// Mount does, with the upload body limit (Options.MaxUpload) instead of
// the form limit, and only for a request with a session: an upload from
// someone not logged in is refused before its body is read.
func (w *Web) MountUpload(mux *http.ServeMux, pattern string, fn HandlerFunc) {
	w.handle(mux, pattern, w.protect(w.Handle(fn), true))
}

func (w *Web) handle(mux *http.ServeMux, pattern string, h http.Handler) {
	mux.Handle(pattern, h)
	w.patterns = append(w.patterns, pattern)
}

// Patterns lists the patterns Routes and Mount registered, so that a test
// can reach every page (internal/server's tenancy matrix): a page added
// without a case there fails it.
func (w *Web) Patterns() []string { return slices.Clone(w.patterns) }

// Protect wraps a page handler with, outermost first: the security headers,
// the choice of language, the browser cross-origin check
// (http.CrossOriginProtection, on Sec-Fetch-Site and Origin) and the CSRF
// token check on every unsafe method. Rejections are localized 403 pages.
func (w *Web) Protect(h http.Handler) http.Handler { return w.protect(h, false) }

func (w *Web) protect(h http.Handler, upload bool) http.Handler {
	inner := w.cop.Handler(w.csrf(h, upload))
	return securityHeaders(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		st := &reqState{lang: w.chooseLang(rw, r)}
		rw.Header().Set("Content-Language", st.lang)
		inner.ServeHTTP(rw, withState(r, st))
	}))
}

// Handle adapts a page handler: an error it returns becomes a localized
// error page (see Error). A handler that has already written a response
// when it fails cannot be helped; the error is then only logged, which is
// why handlers end with Render (which writes all or nothing).
func (w *Web) Handle(fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: rw}
		err := fn(tw, r)
		if err == nil {
			return
		}
		if w.observe != nil {
			w.observe(err)
		}
		if tw.wrote {
			w.log.Error("web: handler failed after writing", "method", r.Method, "path", r.URL.Path, "err", err)
			return
		}
		w.Error(rw, r, err)
	})
}

// trackingWriter notes whether anything has been written.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// ReadFrom hands a copy into the response (http.ServeContent's, for the
// documents a signer reads) to the writer below, whose own ReadFrom sizes
// the pieces of a body (the server's edge: one TLS record per HTTP/2
// frame).
func (t *trackingWriter) ReadFrom(src io.Reader) (int64, error) {
	n, err := io.Copy(t.ResponseWriter, src)
	if n > 0 {
		t.wrote = true
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, Options{})
	css, _ := e.web.assets.url("segl.css")
	for _, p := range []string{"/sign/", "/sign/missing", css} {
		res, _ := e.get(p)
		h := res.Header
		for name, want := range map[string]string{
			"Content-Security-Policy":   ContentSecurityPolicy,
			"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
			"Referrer-Policy":           "no-referrer",
			"X-Content-Type-Options":    "nosniff",
			"X-Frame-Options":           "DENY",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", p, name, got, want)
			}
		}
	}
	for _, directive := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "worker-src 'self'"} {
		if !strings.Contains(ContentSecurityPolicy, directive) {
			t.Errorf("CSP lacks %s", directive)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "unsafe") {
		t.Error("CSP allows unsafe-*")
	}
	res, _ := e.get("/sign/")
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("pages are cacheable: %q", res.Header.Get("Cache-Control"))
	}
}

// The page itself must obey the CSP: no inline scripts, styles or event
// handlers, and nothing from another origin.
func TestPagesObeyCSP(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{"/sign/", "/sign/missing"} {
		_, page := e.get(p)
		for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload=", "http://", "https://", "javascript:"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s contains %q", p, bad)
			}
		}
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t, Options{})
	_, page := e.get("/sign/")
	for _, name := range []string{"segl.css", "segl.js"} {
		u, err := e.web.assets.url(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page, `"`+u+`"`) {
			t.Errorf("page does not link %s", u)
		}
		res, body := e.get(u)
		if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d %q", u, res.StatusCode, res.Header.Get("Cache-Control"))
		}
		want := map[string]string{"segl.css": "text/css; charset=utf-8", "segl.js": "text/javascript; charset=utf-8"}[name]
		if ct := res.Header.Get("Content-Type"); ct != want {
			t.Errorf("%s: Content-Type %q", u, ct)
		}
		raw, _ := staticFS.ReadFile("static/" + name)
		if body != string(raw) {
			t.Errorf("%s: body differs", u)
		}
		etag := res.Header.Get("ETag")
		res, _ = e.get("/static/"+name, "If-None-Match", etag)
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidation %d", name, res.StatusCode)
		}
		res, _ = e.get("/static/" + name)
		if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("ETag") != etag {
			t.Errorf("%s plain: %d %q", name, res.StatusCode, res.Header.Get("Cache-Control"))
		}
	}
	if res, _ := e.get("/favicon.ico"); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("/favicon.ico: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := e.get("/static/nope.css"); res.StatusCode != 404 {
		t.Errorf("unknown asset: %d", res.StatusCode)
	}
	if _, err := e.web.assets.url("segl.000000000000.css"); err == nil {
		t.Error("static accepts a hashed name")
	}
}

// No third-party fonts, scripts or imports in the stylesheet.
func TestStylesheetIsSelfContained(t *testing.T) {
	css, _ := staticFS.ReadFile("static/segl.css")
	for _, bad := range []string{"@import", "url(", "@font-face", "http"} {
		if strings.Contains(string(css), bad) {
			t.Errorf("segl.css contains %q", bad)
		}
	}
}

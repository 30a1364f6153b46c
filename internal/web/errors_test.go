package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/errs"
)

func TestErrorPages(t *testing.T) {
	secret := "sqlite: table jobs locked at /var/lib/segl/segl.db"
	for _, tc := range []struct {
		name   string
		err    error
		lang   string
		status int
		h1     string
	}{
		{"not-found/nb", errs.E(errs.NotFound, "job-not-found", "no job %s", secret), "nb", 404, "Fant ikke siden"},
		{"not-found/en", errs.E(errs.NotFound, "job-not-found", "no job"), "en", 404, "Page not found"},
		{"forbidden", errs.E(errs.Forbidden, "wrong-person", "%s", secret), "nb", 403, "Du har ikke tilgang"},
		{"conflict", errs.E(errs.Conflict, "signer-state", "%s", secret), "en", 409, "Something has changed"},
		{"gone/link-expired", LinkExpired(), "nb", 410, "Lenken er utløpt eller allerede brukt"},
		{"gone/link-used", LinkUsed(), "en", 410, "The link has expired or has already been used"},
		{"gone/wrapped", fmt.Errorf("ceremony: %w", LinkUsed()), "en", 410, "The link has expired or has already been used"},
		{"gone/job-cancelled", errs.E(errs.Conflict, ceremony.CodeJobCancelled, "cancelled"), "en", 410, "The sender has withdrawn this task"},
		{"unauthenticated", errs.E(errs.Unauthenticated, "session-expired", "x"), "en", 401, "Your session has ended"},
		{"invalid", errs.Field("pid", "invalid-pid", "%s", secret), "nb", 400, "Noe er galt med forespørselen"},
		{"too-large", errs.E(errs.TooLarge, "too-large", "x"), "en", 413, "The file is too large"},
		{"unavailable", errs.E(errs.Unavailable, "idporten-down", "%s", secret), "nb", 503, "Tjenesten er midlertidig utilgjengelig"},
		{"internal/untyped", errors.New(secret), "nb", 500, "Noe gikk galt hos oss"},
		{"internal/typed", errs.Wrap(errors.New(secret), errs.Internal, "db", "%s", secret), "en", 500, "Something went wrong on our side"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			e.web.Mount(e.mux, "GET /sign/fail", func(http.ResponseWriter, *http.Request) error { return tc.err })
			res, page := e.get("/sign/fail?lang=" + tc.lang)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if got := match(t, h1RE, page); got != tc.h1 {
				t.Errorf("h1 %q, want %q", got, tc.h1)
			}
			if match(t, langRE, page) != tc.lang {
				t.Error("wrong language")
			}
			if strings.Contains(page, "sqlite") || strings.Contains(page, "/var/lib") || strings.Contains(page, "no job") {
				t.Errorf("page leaks the error:\n%s", page)
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.status == 500 {
				ref := regexp.MustCompile(`(?:Referanse|Reference): ([0-9a-f]{12})`).FindStringSubmatch(page)
				if ref == nil {
					t.Fatalf("no reference on the 500 page:\n%s", page)
				}
				if !strings.Contains(e.logs.String(), "ref="+ref[1]) || !strings.Contains(e.logs.String(), secret) {
					t.Errorf("reference or cause not logged:\n%s", e.logs)
				}
			}
		})
	}
}

func TestUnknownPagesAreLocalized404(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{"/sign/nope", "/portal/", "/admin/x/y", "/sign/login"} {
		res, page := e.get(p, "Accept-Language", "en")
		if res.StatusCode != 404 || match(t, h1RE, page) != "Page not found" {
			t.Errorf("%s: %d %s", p, res.StatusCode, page)
		}
	}
	// /sign without the slash is redirected to the start page.
	res, _ := e.get("/sign")
	if res.StatusCode/100 != 3 || res.Header.Get("Location") != "/sign/" {
		t.Errorf("/sign: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// A template that fails half-way gives a clean 500 page, not half a page.
func TestRenderFailureIsClean500(t *testing.T) {
	e := newEnv(t, Options{})
	e.addPage("broken", `{{define "content"}}<p>PARTIAL</p>{{.Data.Missing}}{{end}}`)
	e.web.Mount(e.mux, "GET /sign/broken", func(w http.ResponseWriter, r *http.Request) error {
		e.web.Render(w, r, "broken", struct{}{})
		return nil
	})
	e.web.Mount(e.mux, "GET /sign/nopage", func(w http.ResponseWriter, r *http.Request) error {
		e.web.Render(w, r, "no-such-page", nil)
		return nil
	})
	for _, p := range []string{"/sign/broken", "/sign/nopage"} {
		res, page := e.get(p)
		if res.StatusCode != 500 {
			t.Fatalf("%s: status %d", p, res.StatusCode)
		}
		if strings.Contains(page, "PARTIAL") || strings.Count(page, "<html") != 1 {
			t.Errorf("%s: partial page:\n%s", p, page)
		}
		if match(t, h1RE, page) != "Noe gikk galt hos oss" {
			t.Errorf("%s: not the 500 page", p)
		}
	}
}

// A handler that has written and then fails is only logged: a second page
// must not be appended to the first.
func TestHandleAfterWrite(t *testing.T) {
	e := newEnv(t, Options{})
	e.web.Mount(e.mux, "GET /sign/half", func(w http.ResponseWriter, r *http.Request) error {
		w.Write([]byte("first"))
		return errors.New("late failure")
	})
	res, page := e.get("/sign/half")
	if res.StatusCode != 200 || page != "first" {
		t.Errorf("%d %q", res.StatusCode, page)
	}
	if !strings.Contains(e.logs.String(), "late failure") {
		t.Error("late failure not logged")
	}
}

package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A page shown to someone logged in announces the login's time limit
// (WCAG 2.2.1): the footer says the idle limit in words, and the warning
// segl.js shows counts from what the server knows: the seconds left until
// the idle or the absolute limit, whichever comes first, the idle limit a
// use starts again, and the seconds left until the absolute limit. A page
// without a login has neither.
func TestSessionTimerOnPages(t *testing.T) {
	e := sessionEnv(t, Options{})
	// A page whose handler uses the session (and so slides it), as every
	// page behind a login does.
	e.web.Mount(e.mux, "GET /sign/page", func(w http.ResponseWriter, r *http.Request) error {
		e.web.Session(w, r)
		e.web.Render(w, r, "sign_home", homeView{})
		return nil
	})
	timer := regexp.MustCompile(`data-session-left="(\d+)" data-session-idle="(\d+)" data-session-end="(\d+)"`)
	const note = "Av sikkerhetshensyn blir du logget ut etter 15 minutter uten aktivitet."
	check := func(what string, want []string) {
		t.Helper()
		_, page := e.get("/sign/page")
		m := timer.FindStringSubmatch(page)
		switch {
		case want == nil && (m != nil || strings.Contains(page, note)):
			t.Fatalf("%s: a time limit on a page without a login:\n%s", what, page)
		case want == nil:
		case m == nil || !strings.Contains(page, note):
			t.Fatalf("%s: no time limit on the page:\n%s", what, page)
		case strings.Join(m[1:], " ") != strings.Join(want, " "):
			t.Fatalf("%s: left, idle, end = %q, want %q", what, m[1:], want)
		}
	}

	check("before login", nil)
	e.get("/sign/start")
	check("just logged in", []string{"900", "900", "7200"})
	e.clock.Advance(10 * time.Minute)
	check("ten minutes later, the page slid it", []string{"900", "900", "6600"})
	for range 10 { // 110 minutes since login: the absolute limit comes first
		e.clock.Advance(10 * time.Minute)
		e.get("/sign/who")
	}
	e.clock.Advance(5 * time.Minute)
	check("five minutes before the absolute limit", []string{"300", "900", "300"})
	e.clock.Advance(5 * time.Minute)
	check("ended", nil)
}

package server_test

import (
	"net/http"
	"testing"
)

// TestSessionAlive: the session timer's "stay logged in" asks /session,
// which says 204 only while the login is live and 401 once it has ended
// elsewhere (here a logout in the same browser, replayed from a copy of
// the cookie), so the page cannot claim to have extended a login that is
// gone. The front pages it asked before answer 200 either way.
func TestSessionAlive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser(t)
	if p := b.get("/session"); p.status != http.StatusUnauthorized || p.body != "" {
		t.Fatalf("without a login: %d %q", p.status, p.body)
	}
	b.portalLogin(larsPID).want(t, http.StatusOK, "")
	if p := b.get("/session"); p.status != http.StatusNoContent || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("logged in: %d %v", p.status, p.header)
	}
	copied := b.sessionCookie()
	b.submit(b.get("/portal/users"), "/portal/logout", nil)
	if p := e.withCookie(t, copied).get("/session"); p.status != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", p.status)
	}
}

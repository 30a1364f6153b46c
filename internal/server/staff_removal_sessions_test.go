package server_test

import (
	"net/http"
	"net/url"
	"testing"
)

// saraStaff is a person of the synthetic population with no role in
// --dev: the tests make her a portal user.
const saraStaff = "10856606428" // Sara Dahl, BankID

// TestStaffRemovalEndsSessions: a portal user removed and given the role
// again does not find their sessions of before the removal working again:
// not when it was their last role (the counter of their logouts went with
// it), nor when they kept a role in another organisation. A login after
// the new role works, and a session of the other organisation goes on.
func TestStaffRemovalEndsSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	grant := func(admin *browser, pid string) {
		t.Helper()
		admin.submit(admin.get("/portal/users"), "/portal/users", url.Values{"pid": {pid}, "name": {"Sara Dahl"},
			"email": {"sara@example.test"}, "role": {"sender"}}).has(t, "Tilgangen er gitt.")
	}
	remove := func(admin *browser, pid string) {
		t.Helper()
		admin.submit(admin.get("/portal/users"), "/portal/users/remove", url.Values{"pid": {pid}}).want(t, http.StatusOK, "Brukere")
	}
	ola, lars := e.browser(t), e.browser(t)
	ola.portalLogin(olaPID).want(t, http.StatusOK, "Signeringsoppdrag")
	lars.portalLogin(larsPID).want(t, http.StatusOK, "Signeringsoppdrag")

	// Her last role.
	grant(ola, saraStaff)
	old := e.browser(t)
	old.portalLogin(saraStaff).want(t, http.StatusOK, "Signeringsoppdrag")
	remove(ola, saraStaff)
	old.get("/portal/jobs/new").want(t, http.StatusForbidden, "Du har ikke tilgang til avsenderportalen")
	grant(ola, saraStaff)
	if p := old.get("/portal/jobs/new"); p.status != http.StatusUnauthorized {
		t.Fatalf("a session of before the removal, after the role was given again: %d %s", p.status, p.h1())
	}
	fresh := e.browser(t)
	fresh.portalLogin(saraStaff).want(t, http.StatusOK, "Signeringsoppdrag")

	// A role left in another organisation.
	grant(lars, saraStaff)
	inA, inB := e.browser(t), e.browser(t)
	for b, org := range map[*browser]string{inA: orgA, inB: orgB} {
		b.submit(b.portalLogin(saraStaff), "/portal/org", url.Values{"org": {org}}).want(t, http.StatusOK, "Signeringsoppdrag")
	}
	remove(ola, saraStaff)
	grant(ola, saraStaff)
	if p := inA.get("/portal/jobs/new"); p.status != http.StatusUnauthorized {
		t.Fatalf("a session for %s of before the removal there, after the role was given again: %d %s", orgA, p.status, p.h1())
	}
	inB.get("/portal/jobs/new").want(t, http.StatusOK, "Nytt signeringsoppdrag")
}

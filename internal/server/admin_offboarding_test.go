package server_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/store"
)

// TestAdminOffboardingRemovesUsers: an organisation is offboarded by
// deactivating it, which closes its portal, and then removing its users
// on its page at /admin, the last administrator too, whom nobody else
// could remove. Their rows go, their jobs stay as a former user's, and
// their portal session is refused even once the organisation is back.
func TestAdminOffboardingRemovesUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ola := e.browser(t)
	ola.portalLogin(olaPID).want(t, http.StatusOK, "Signeringsoppdrag")
	sent := ola.sendJob(ola.get("/portal/jobs/new"), jobFields("Olas avtale", kariPID), pdfFile("olas.pdf"))
	sent.want(t, http.StatusOK, "Olas avtale")

	admin := e.browser(t)
	admin.adminLogin(adminPID).want(t, http.StatusOK, "Virksomheter")
	off := admin.submit(admin.get("/admin/orgs/"+orgA), "/deactivate", nil)
	off.has(t, "Virksomheten er deaktivert.", olaPID, `aria-label="Fjern tilgangen for Ola Nordmann"`)
	removed := admin.submit(off, "/users/remove", url.Values{"pid": {olaPID}})
	removed.want(t, http.StatusOK, "Lånekassen test")
	removed.has(t, "Tilgangen er fjernet.", "Virksomheten har ingen brukere i avsenderportalen.")
	removed.hasNot(t, olaPID)
	if _, err := e.srv.Store.User(ctx, orgA, olaPID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Ola as a user after the removal: %v", err)
	}
	list, _, err := e.srv.Store.ListJobs(ctx, orgA, store.JobQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range list {
		if j.Creator == "pid:"+olaPID {
			t.Errorf("job %s still names its creator by identity number", j.ID)
		}
	}
	admin.submit(off, "/users/remove", url.Values{"pid": {olaPID}}).want(t, http.StatusNotFound, "")

	admin.submit(admin.get("/admin/orgs/"+orgA), "/reactivate", nil).has(t, "Virksomheten er aktiv igjen.")
	if p := ola.get("/portal/jobs/new"); p.status != http.StatusForbidden {
		t.Fatalf("Ola's portal session after the offboarding: %d %s", p.status, p.h1())
	}
}

package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/segl/segl/client"
)

// TestStaffSessionOpensNoSignerPages: a session of the portal or the
// administration is worth nothing on the signer's pages (web.Session's
// Area), even for a person who has a task there: signing needs a login to
// sign.
func TestStaffSessionOpensNoSignerPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := directRequest()
	req.Flow, req.ExitURLs, req.Signers = "portal", nil, []client.SignerRequest{{PID: larsPID}}
	j := e.mustCreate(e.client(orgA), req)
	for _, area := range []struct {
		name  string
		login func(b *browser) page
	}{
		{"portal", func(b *browser) page { return b.portalLogin(larsPID) }},
		{"admin", func(b *browser) page { return b.adminLogin(larsPID) }},
	} {
		t.Run(area.name, func(t *testing.T) {
			b := e.browser(t)
			area.login(b)
			home := b.get("/sign/")
			home.hasNot(t, j.Title, j.Signers[0].ID)
			for _, p := range []string{"/sign/" + j.Signers[0].ID + "/job", "/sign/" + j.Signers[0].ID + "/documents/" + j.Documents[0].ID} {
				if got := b.get(p); got.status != http.StatusUnauthorized {
					t.Errorf("%s with a %s session: %d\n%.2000s", p, area.name, got.status, got.body)
				}
			}
			// The job page's form, posted with the staff session's own
			// token, signs nothing.
			m := csrfTokenRE.FindStringSubmatch(b.get("/" + area.name + "/").body)
			if m == nil {
				t.Fatal("no CSRF token")
			}
			signed := b.adminPost(page{body: `name="csrf_token" value="` + m[1] + `"`}, "/sign/"+j.Signers[0].ID+"/sign",
				url.Values{"confirm": {"yes"}})
			if signed.status != http.StatusUnauthorized {
				t.Errorf("signing with a %s session: %d\n%.2000s", area.name, signed.status, signed.body)
			}
		})
	}
	if got, err := e.client(orgA).Job(t.Context(), j.ID); err != nil || got.Signers[0].Status == "signed" {
		t.Fatalf("the job after: %v %+v", err, got)
	}
}

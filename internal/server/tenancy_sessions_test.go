package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/segl/segl/client"
)

// sessionCookie is the browser's session cookie, as somebody who copied
// it from the browser has it.
func (b *browser) sessionCookie() *http.Cookie {
	b.t.Helper()
	u, _ := url.Parse(b.e.srv.URL + "/")
	for _, c := range b.bot.HTTP.Jar.Cookies(u) {
		if c.Name == "__Host-segl-session" {
			return c
		}
	}
	b.t.Fatal("no session cookie")
	return nil
}

// withCookie is a new browser holding only c.
func (e *env) withCookie(t *testing.T, c *http.Cookie) *browser {
	b := e.browser(t)
	u, _ := url.Parse(e.srv.URL + "/")
	b.bot.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/", Secure: true, HttpOnly: true}})
	return b
}

// TestStaffLogoutEndsTheSession (ASVS 7.4.1): after logging out of the
// portal or the administration, the session cookie replayed from a copy
// opens nothing, on any node, and neither does another browser's session
// of the same person; a new login works.
func TestStaffLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, area := range []struct {
		name, pid, page string
		login           func(b *browser, pid string) page
	}{
		{"portal", larsPID, "/portal/users", (*browser).portalLogin},
		{"admin", adminPID, "/admin/orgs", (*browser).adminLogin},
	} {
		t.Run(area.name, func(t *testing.T) {
			b, other := e.browser(t), e.browser(t)
			home := area.login(b, area.pid)
			home.want(t, http.StatusOK, "")
			area.login(other, area.pid).want(t, http.StatusOK, "")
			stolen := b.sessionCookie()
			if b.get(area.page).status != http.StatusOK {
				t.Fatalf("%s before logout", area.page)
			}
			b.submit(b.get(area.page), "/"+area.name+"/logout", nil)
			for name, br := range map[string]*browser{"the copied cookie": e.withCookie(t, stolen), "another browser": other} {
				if p := br.get(area.page); p.status != http.StatusUnauthorized {
					t.Errorf("%s after logout: %s %d\n%.2000s", name, area.page, p.status, p.body)
				}
			}
			area.login(b, area.pid).want(t, http.StatusOK, "")
			if p := b.get(area.page); p.status != http.StatusOK {
				t.Errorf("a new login after logout: %s %d", area.page, p.status)
			}
		})
	}
}

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

// TestSignerCannotChangeTheResult: a signer who has signed can neither
// reject nor sign again with their session; a signer whose job the sender
// cancelled, then deleted, can no longer sign it nor read its documents.
func TestSignerCannotChangeTheResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	j := e.mustCreate(c, directRequest())
	ola := e.browser(t)
	view := ola.login(j.Signers[0].SigningURL, olaPID, "")
	view.want(t, http.StatusOK, "Arbeidsavtale")
	ola.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	// Back to the sender's completion URL, as after signing: nothing to
	// reject any more.
	if p := ola.submit(view, "/reject", url.Values{"confirm": {"yes"}, "reason": {"angret"}}); p.status < 400 && !strings.HasPrefix(p.location, "https://sender.example/ok") {
		t.Errorf("rejecting after signing: %d %s", p.status, p.location)
	}
	kari := e.browser(t)
	kariView := kari.login(j.Signers[1].SigningURL, kariPID, "")
	kariView.want(t, http.StatusOK, "Arbeidsavtale")
	got, err := c.Job(t.Context(), j.ID)
	if err != nil || got.Signers[0].Status != "signed" || got.Signers[0].RejectionReason != "" {
		t.Fatalf("Ola after rejecting a signed job: %v %+v", err, got)
	}

	if _, err := c.CancelJob(t.Context(), j.ID); err != nil {
		t.Fatal(err)
	}
	kari.bot.Follow = false
	// Back to the sender's error URL, with nothing signed.
	if p := kari.submit(kariView, "/sign", url.Values{"confirm": {"yes"}}); p.status < 400 && !strings.HasPrefix(p.location, "https://sender.example/err") {
		t.Errorf("signing a cancelled job: %d %s", p.status, p.location)
	}
	doc := "/sign/" + j.Signers[1].ID + "/documents/" + j.Documents[0].ID
	if _, err := c.DeleteJob(t.Context(), j.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{doc, "/sign/" + j.Signers[1].ID + "/job", "/sign/" + j.Signers[0].ID + "/signed/" + j.Documents[0].ID} {
		for _, b := range []*browser{kari, ola} {
			if got := b.get(p); got.status < 300 || strings.HasPrefix(got.body, "%PDF") {
				t.Errorf("%s of a deleted job: %d", p, got.status)
			}
		}
	}
	if got, err := c.Job(t.Context(), j.ID); err != nil || got.Status != "cancelled" || got.Signers[1].Status == "signed" {
		t.Fatalf("the job after: %v %+v", err, got)
	}
}

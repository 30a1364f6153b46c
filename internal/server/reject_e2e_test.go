package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/segl/segl/client"
)

// TestRejectionReasonReachesTheSender: the reject form tells the signer
// "the sender sees what you write", so what Ola writes reaches the sender
// everywhere it hears of the rejection: the API's job (on his signer), the
// events feed, the callback, the portal's job page and the notice e-mail
// (issue 14 item 1).
func TestRejectionReasonReachesTheSender(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	org, err := e.srv.Store.Org(ctx, orgA)
	if err != nil {
		t.Fatal(err)
	}
	org.ContactEmail = "post@lanekassen.example"
	if err := e.srv.Store.PutOrg(ctx, testBy, org); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var callbacks []client.Event
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev client.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("callback body %q: %v", body, err)
		}
		mu.Lock()
		callbacks = append(callbacks, ev)
		mu.Unlock()
	}))
	defer receiver.Close()

	c := e.client(orgA)
	req := directRequest()
	req.CallbackURL = receiver.URL + "/segl"
	j := e.mustCreate(c, req)
	const reason = "Feil lønn.\nSe punkt 3 i avtalen."
	ola := e.browser(t)
	view := ola.login(j.Signers[0].SigningURL, olaPID, "")
	ola.rejectJob(view, reason)

	got, err := c.Job(ctx, j.ID)
	if err != nil || got.Signers[0].RejectionReason != reason || got.Signers[1].RejectionReason != "" {
		t.Fatalf("the API's job: %v %+v", err, got)
	}
	events, err := c.Events(ctx, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	var rejected *client.Event
	for i, ev := range events {
		if ev.Type == "signer.rejected" {
			rejected = &events[i]
		} else if ev.RejectionReason != "" {
			t.Errorf("event %s carries a reason", ev.Type)
		}
	}
	if rejected == nil || rejected.SignerID != j.Signers[0].ID || rejected.RejectionReason != reason {
		t.Fatalf("the feed's rejection: %+v", rejected)
	}
	eventually(t, "the rejection's callback", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range callbacks {
			if ev.Type == "signer.rejected" && ev.RejectionReason == reason {
				return true
			}
		}
		return false
	})

	eventually(t, "the sender's notice", func() bool { return len(e.mailTo("post@lanekassen.example")) == 1 })
	notice := e.mailTo("post@lanekassen.example")[0]
	if !strings.Contains(strings.ReplaceAll(notice.Text, "\r\n", "\n"), "Begrunnelsen fra undertegneren:\n"+reason) || !strings.Contains(notice.HTML, "Se punkt 3 i avtalen.") {
		t.Fatalf("the notice does not give the reason:\n%s\n%s", notice.Text, notice.HTML)
	}

	admin := e.browser(t)
	admin.portalLogin(olaPID)
	page := admin.get("/portal/jobs/" + j.ID)
	page.want(t, http.StatusOK, "Arbeidsavtale")
	page.has(t, "<dt>Begrunnelse for avvisningen</dt><dd class=\"prose-text\">Feil lønn.\nSe punkt 3 i avtalen.</dd>")
}

// rejectJob rejects the job on the signer's job page with reason, and
// confirms it.
func (b *browser) rejectJob(view page, reason string) page {
	b.t.Helper()
	confirm := b.submit(view, "/reject", url.Values{"reason": {reason}})
	confirm.want(b.t, http.StatusOK, "Vil du avvise oppdraget?")
	return b.submit(confirm, "/reject", url.Values{"confirm": {"yes"}})
}

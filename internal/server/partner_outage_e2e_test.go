package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/segl/segl/client"
)

// TestDirectSignerDuringPartnerOutage puts the TSA out (the development
// TSA's gate, /dev/tsa/hold?out=1) while a direct-flow signer signs. The
// act cannot be made, but nothing ends the signer's part: they stay on
// segl's own page, 503 with Retry-After, which says to try again in a
// moment and links back to the job, never the sender's error URL; the job
// and the signer stay active. Once the TSA is back the same session signs
// from that link and goes to the sender's completion URL.
func TestDirectSignerDuringPartnerOutage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	req := directRequest()
	req.Signers = req.Signers[:1]
	j := e.mustCreate(c, req)

	ola := e.browser(t)
	view := ola.login(j.Signers[0].SigningURL, olaPID, "bankid")
	view.want(t, http.StatusOK, "Arbeidsavtale")

	if st := gate(t, c.HTTP, e.srv.URL, http.MethodPost, "?out=1"); !st.Out {
		t.Fatalf("the TSA is not out: %+v", st)
	}
	out := ola.submit(view, "/sign", url.Values{"confirm": {"yes"}})
	out.want(t, http.StatusServiceUnavailable, "Tjenesten er midlertidig utilgjengelig")
	if out.location != "" || out.url.Host != view.url.Host {
		t.Fatalf("the signer was sent away during the outage: %s %s", out.url, out.location)
	}
	if got := out.header.Get("Retry-After"); got == "" {
		t.Error("503 without Retry-After")
	}
	if !strings.Contains(out.body, "ingenting er signert") || !strings.Contains(out.body, "lenken din virker fortsatt") {
		t.Errorf("the page does not say that nothing was signed and the link still works:\n%s", out.body)
	}
	if got, err := c.Job(ctx, j.ID); err != nil || got.Status != client.JobActive || got.Signers[0].Status == "signed" {
		t.Fatalf("the job after the failed act: %v %+v", err, got)
	}

	gate(t, c.HTTP, e.srv.URL, http.MethodDelete, "")
	again := ola.link(out, "Prøv igjen")
	again.want(t, http.StatusOK, "Arbeidsavtale")
	ola.submit(again, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	e.completed(c, j.ID)
}

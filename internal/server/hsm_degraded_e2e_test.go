package server_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testtool"
)

// TestHSMDegraded deletes the time-stamping key from the token while segl
// runs with it: /readyz still answers 200, so the node keeps its traffic,
// but says "degraded" with the HSM's code, and segl_degraded{check="hsm"}
// turns 1; a signer who signs in the portal is told to try again later
// (503). A node
// started on a fresh token with a good key is ready again, and the same
// signer's act succeeds there.
func TestHSMDegraded(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	onData := func(c *config.Config) { c.Data = data }
	keys := hsmKeys(t, data)
	e := newEnv(t, onData, keys, devCAKeysOnly, withMetrics)
	c := e.client(orgA)
	req := directRequest()
	req.Flow, req.ExitURLs = "portal", nil // the direct flow: TestDirectSignerDuringPartnerOutage
	j := e.mustCreate(c, req)
	b := e.browser(t)
	tasks := b.idp(b.link(b.get("/sign/"), "Logg inn"), olaPID, "bankid")
	view := b.link(tasks, "Arbeidsavtale")
	view.want(t, 200, "Arbeidsavtale")
	if code, rep := e.readyz(t); code != http.StatusOK || rep.Status != health.StatusReady {
		t.Fatalf("readyz with the key in the token: %d %+v", code, rep)
	}
	if m := scrape(t, e.srv.MetricsURL); m[`segl_degraded{check="hsm"}`] != "0" {
		t.Fatalf("segl_degraded with the key in the token: %q", m[`segl_degraded{check="hsm"}`])
	}

	testtool.SoftToken{Module: e.cfg.PKCS11Module, Label: e.cfg.PKCS11Token, PINFile: e.cfg.PKCS11PINFile}.DeleteKey(t, pki.RoleTSA)
	code, rep := e.readyz(t)
	if code != http.StatusOK || rep.Status != health.StatusDegraded || rep.Failed != nil ||
		!reflect.DeepEqual(rep.Degraded, map[string]string{"hsm": "hsm-unavailable"}) {
		t.Fatalf("readyz with the key deleted: %d %+v", code, rep)
	}
	if m := scrape(t, e.srv.MetricsURL); m[`segl_degraded{check="hsm"}`] != "1" {
		t.Fatalf("segl_degraded with the key deleted: %q", m[`segl_degraded{check="hsm"}`])
	}
	b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).want(t, http.StatusServiceUnavailable, "Tjenesten er midlertidig utilgjengelig")
	if code, rep := e.readyz(t); code != http.StatusOK || rep.Status != health.StatusDegraded {
		t.Fatalf("readyz after the failed act: %d %+v", code, rep)
	}

	// The operator gives the node a token with a good key and restarts it.
	again := newEnv(t, onData, hsmKeys(t, data), devCAKeysOnly)
	if code, rep := again.readyz(t); code != http.StatusOK || rep.Status != health.StatusReady || rep.Degraded != nil {
		t.Fatalf("readyz on a fresh token: %d %+v", code, rep)
	}
	if _, err := again.srv.Svc.Sign(context.Background(), j.Signers[0].ID, ola); err != nil {
		t.Fatalf("the act on a fresh token: %v", err)
	}
}

package server_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testtool"
)

// TestHSMKeyRestoredWithoutRestart deletes the time-stamping key from the
// token while segl runs with it, then restores it from the token's backup:
// the signer's act fails with hsm-unavailable while the key is gone, and
// succeeds on the same running node once it is back, which is ready (not
// degraded) afterwards, with segl_degraded{check="hsm"} back to 0.
func TestHSMKeyRestoredWithoutRestart(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	e := newEnv(t, func(c *config.Config) { c.Data = data }, hsmKeys(t, data), devCAKeysOnly, withMetrics)
	c := e.client(orgA)
	req := directRequest()
	req.Flow, req.ExitURLs = "portal", nil
	j := e.mustCreate(c, req)

	token := testtool.SoftToken{Module: e.cfg.PKCS11Module, Label: e.cfg.PKCS11Token, PINFile: e.cfg.PKCS11PINFile}
	restore := token.BackUp(t)
	token.DeleteKey(t, pki.RoleTSA)
	_, err := e.srv.Svc.Sign(context.Background(), j.Signers[0].ID, ola)
	var ee *errs.Error
	if !errors.As(err, &ee) || ee.Code != "hsm-unavailable" {
		t.Fatalf("the act with the key deleted: %v, want hsm-unavailable", err)
	}
	if code, rep := e.readyz(t); code != http.StatusOK || rep.Status != health.StatusDegraded {
		t.Fatalf("readyz with the key deleted: %d %+v", code, rep)
	}

	restore()
	if _, err := e.srv.Svc.Sign(context.Background(), j.Signers[0].ID, ola); err != nil {
		t.Fatalf("the act with the key restored: %v", err)
	}
	if code, rep := e.readyz(t); code != http.StatusOK || rep.Status != health.StatusReady || rep.Degraded != nil {
		t.Fatalf("readyz with the key restored: %d %+v", code, rep)
	}
	if m := scrape(t, e.srv.MetricsURL); m[`segl_degraded{check="hsm"}`] != "0" {
		t.Fatalf("segl_degraded with the key restored: %q", m[`segl_degraded{check="hsm"}`])
	}
}

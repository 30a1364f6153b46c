package server_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/pki"
)

// TestTSAAndOCSPDegraded: a production node whose TSA (tsa-url) or OCSP
// responder (ocsp-url) fails stays ready but says "degraded" in /readyz,
// with the service's code under its check (tsa: tsa-unavailable, ocsp:
// revocation-unavailable) and segl_degraded{check} at 1, while the
// signer's act is refused as an outage; once the service answers again
// the act succeeds and the node is ready, every gauge back to 0.
func TestTSAAndOCSPDegraded(t *testing.T) {
	t.Parallel()
	dev := newEnv(t)
	dir := filepath.Join(dev.data, "pki")
	// The services, behind a proxy that answers 503 for a path while it
	// is down, with the development server's certificate (so pki-trust
	// covers it).
	var tsaDown, ocspDown atomic.Bool
	target, err := url.Parse(dev.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := pki.LoadPool(filepath.Join(dir, "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	forward.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/dev/tsa") && tsaDown.Load() || strings.HasPrefix(r.URL.Path, "/dev/ocsp") && ocspDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	proxy.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	proxy.StartTLS()
	t.Cleanup(proxy.Close)

	prod := newEnvB(t, asProduction(dev), withMetrics, func(c *config.Config) {
		c.TSAURL, c.OCSPURL = proxy.URL+"/dev/tsa", proxy.URL+"/dev/ocsp"
	})
	ctx := context.Background()
	c := prod.onboardedClient(t, dir)
	req := directRequest()
	req.Signers = req.Signers[:1]
	j := prod.mustCreate(c, req)
	gauges := func(want map[string]string) {
		t.Helper()
		m := scrape(t, prod.srv.MetricsURL)
		for check, v := range want {
			if got := m[`segl_degraded{check="`+check+`"}`]; got != v {
				t.Fatalf("segl_degraded{check=%q} = %q, want %s", check, got, v)
			}
		}
	}
	if code, rep := readyzOf(t, c, prod.srv.URL); code != http.StatusOK || rep.Status != health.StatusReady {
		t.Fatalf("readyz before any outage: %d %+v", code, rep)
	}
	gauges(map[string]string{"tsa": "0", "ocsp": "0"})

	for _, down := range []struct {
		check, code string
		flag        *atomic.Bool
	}{
		{"ocsp", "revocation-unavailable", &ocspDown},
		{"tsa", "tsa-unavailable", &tsaDown},
	} {
		down.flag.Store(true)
		if _, err := prod.srv.Svc.Sign(ctx, j.Signers[0].ID, ola); errs.KindOf(err) != errs.Unavailable {
			t.Fatalf("%s down: the act: %v (kind %v), want Unavailable", down.check, err, errs.KindOf(err))
		}
		code, rep := readyzOf(t, c, prod.srv.URL)
		if code != http.StatusOK || rep.Status != health.StatusDegraded || rep.Failed != nil || rep.Degraded[down.check] != down.code {
			t.Fatalf("%s down: readyz %d %+v, want 200 degraded with %s: %s", down.check, code, rep, down.check, down.code)
		}
		gauges(map[string]string{down.check: "1"})
		down.flag.Store(false)
	}

	if _, err := prod.srv.Svc.Sign(ctx, j.Signers[0].ID, ola); err != nil {
		t.Fatalf("both back: the act: %v", err)
	}
	if code, rep := readyzOf(t, c, prod.srv.URL); code != http.StatusOK || rep.Status != health.StatusReady || rep.Degraded != nil {
		t.Fatalf("both back: readyz %d %+v", code, rep)
	}
	gauges(map[string]string{"tsa": "0", "ocsp": "0"})
}

// readyzOf asks url's /readyz with c (a node whose data directory holds
// no development root, which env.readyz trusts).
func readyzOf(t *testing.T, c *client.Client, url string) (int, health.Report) {
	t.Helper()
	var rep health.Report
	resp, err := c.HTTP.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, rep
}

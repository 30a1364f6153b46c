package server_test

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/health"
)

// TestProbesOnMetricsListener: while every slot of the public listener is
// held (max-connections 2, each by a connection that finished its TLS
// handshake and sends nothing, a slowloris), /healthz and /readyz still
// answer on the metrics listener, where docs/operations.md tells an
// orchestrator to probe; a connection to the public listener meanwhile
// waits for a slot, and gets one once a held connection closes.
func TestProbesOnMetricsListener(t *testing.T) {
	t.Parallel()
	const limit = 2
	e := newEnv(t, withMetrics, func(c *config.Config) {
		c.HTTP.MaxConnections = limit
		c.HTTP.HeaderTimeout = time.Hour // the held connections keep their slots throughout
	})
	u, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	// dial connects to the public listener; the channel gives the
	// connection once its handshake is done (the server has given it a
	// slot), or nil if the handshake failed.
	dial := func() <-chan *tls.Conn {
		raw, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		done := make(chan *tls.Conn, 1)
		go func() {
			c := tls.Client(raw, &tls.Config{RootCAs: e.srv.Dev.Roots(), ServerName: u.Hostname()})
			if c.Handshake() != nil {
				c = nil
			}
			done <- c
		}()
		return done
	}
	var held []*tls.Conn
	for range limit {
		c := <-dial()
		if c == nil {
			t.Fatal("handshake with the public listener failed")
		}
		held = append(held, c)
	}
	waiting := dial()

	base := strings.TrimSuffix(e.srv.MetricsURL, "/metrics")
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("%s on the metrics listener: %v", path, err)
		}
		var rep health.Report
		if path == "/readyz" {
			err = json.NewDecoder(resp.Body).Decode(&rep)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || path == "/readyz" && rep.Status != health.StatusReady {
			t.Fatalf("%s on the metrics listener with the public one full: %d %+v %v, want 200 ready", path, resp.StatusCode, rep, err)
		}
	}
	select {
	case <-waiting:
		t.Fatal("a connection beyond max-connections was served while every slot was held")
	default:
	}
	held[0].Close()
	if c := <-waiting; c == nil {
		t.Fatal("the waiting connection's handshake failed once a slot came free")
	}
}

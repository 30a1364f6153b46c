package server_test

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/server"
)

// TestMaxConnections floods a segl server (max-connections 4) with 48
// connections that finish their TLS handshake and
// then send nothing (slowloris). The server holds at most its limit of
// them, counted in the process's open descriptors, and the rest wait,
// none refused. Then, with the flood gone and every slot held by an idle
// keep-alive client, a new client is still answered at once (an idle
// connection is closed for it). Not parallel: it counts descriptors.
func TestMaxConnections(t *testing.T) {
	const limit, flood, slack = 4, 48, 8 // slack: descriptors the server's background work may open meanwhile
	e := newEnv(t, func(c *config.Config) { c.HTTP.MaxConnections = limit })
	u, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	base := server.OpenFDs(t)
	handshaken := make(chan *tls.Conn, flood)
	var raws []net.Conn
	for range flood {
		raw, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
		go func() {
			c := tls.Client(raw, &tls.Config{RootCAs: e.srv.Dev.Roots(), ServerName: u.Hostname()})
			if c.Handshake() == nil {
				handshaken <- c
			}
		}()
	}
	for range limit {
		<-handshaken
	}
	// The flood's own descriptors, the server's limit, the connection
	// its accept loop holds while it waits for a slot, and the slack.
	if got, most := server.OpenFDs(t)-base, flood+limit+1+slack; got > most {
		t.Fatalf("%d descriptors opened for a flood of %d, want at most %d (the server holds more than max-connections %d)",
			got, flood, most, limit)
	}
	for _, raw := range raws {
		raw.Close()
	}

	get := func(c *http.Client) {
		t.Helper()
		resp, err := c.Get(e.srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/healthz: %d", resp.StatusCode)
		}
	}
	for range limit {
		get(e.httpClient("")) // each keeps its connection, idle
	}
	get(e.httpClient(""))
}

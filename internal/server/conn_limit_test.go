package server

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// limitedServer is an HTTPS test server behind a connLimit of limit, with
// segl's ConnState hook and a header timeout far beyond the test.
func limitedServer(t *testing.T, limit int) (*httptest.Server, *connLimit) {
	t.Helper()
	cl := newConnLimit(limit)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }))
	srv.Listener = cl.listener(srv.Listener)
	srv.Config.ConnState = cl.connState
	srv.Config.ReadHeaderTimeout = time.Hour
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, cl
}

// TestConnLimitBoundsAFlood: a flood of three times the limit of
// connections that finish their TLS handshake and then send nothing (a
// slowloris) holds exactly the limit of connections in the server; the
// others wait, none refused: each one closed lets exactly one more in,
// and once the flood is over every slot is free. The descriptors the
// server holds stay within the limit (plus the one accepted connection
// waiting for a slot), counted, not timed. Not parallel: it counts the
// process's descriptors.
func TestConnLimitBoundsAFlood(t *testing.T) {
	// slack: descriptors the process's background work may open
	// meanwhile, far below the flood-limit more that a server without
	// the limit would hold.
	const limit, flood, slack = 8, 24, 4
	srv, cl := limitedServer(t, limit)
	base := OpenFDs(t)
	handshaken := make(chan *tls.Conn, flood)
	for range flood {
		raw, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		go func() {
			c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
			if c.Handshake() == nil {
				handshaken <- c
			}
		}()
	}
	var open []*tls.Conn
	for range limit {
		open = append(open, <-handshaken)
	}
	// Every flood connection is connected (the kernel's backlog holds
	// those the server has not accepted); the server holds its limit and
	// the one accepted connection that waits for a slot.
	if got, most := OpenFDs(t)-base, flood+limit+1+slack; got > most {
		t.Fatalf("%d descriptors for %d connections, want at most %d", got, flood, most)
	}
	if len(cl.slots) != limit {
		t.Fatalf("%d slots taken, want %d", len(cl.slots), limit)
	}
	for served := limit; served < flood; served++ {
		open[0].Close()
		open = append(open[1:], <-handshaken)
		if len(cl.slots) > limit {
			t.Fatalf("%d slots taken, limit %d", len(cl.slots), limit)
		}
	}
	for _, c := range open {
		c.Close()
	}
	for len(cl.slots) > 0 {
		time.Sleep(time.Millisecond) // the server's goroutines notice the closes
	}
}

// TestConnLimitClosesIdleForNewcomer: with every slot held by an idle
// keep-alive connection, a new client is answered at once: one idle
// connection is closed for it (its client opens a new one when it needs
// it), instead of the newcomer waiting out the idle timeout.
func TestConnLimitClosesIdleForNewcomer(t *testing.T) {
	t.Parallel()
	const limit = 4
	srv, cl := limitedServer(t, limit)
	get := func(c *http.Client) {
		t.Helper()
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	newClient := func() *http.Client {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr}
	}
	for range limit {
		get(newClient()) // each leaves its connection open, idle
	}
	get(newClient())
	if len(cl.slots) > limit {
		t.Fatalf("%d slots taken, limit %d", len(cl.slots), limit)
	}
}

package pgtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy forwards a loopback TCP port to a test database's server, and can
// cut every connection and refuse new ones, as a database that went away
// does, then come back on the same port: an outage without stopping the
// server other tests share.
type Proxy struct {
	URL string // the database's URL through the proxy

	t      testing.TB
	addr   string
	target func() (net.Conn, error)
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

// NewProxy starts a proxy to the database at dbURL (as URL returns it).
func NewProxy(t testing.TB, dbURL string) *Proxy {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, addr: "127.0.0.1:0"}
	host, port := u.Query().Get("host"), u.Port()
	if host == "" {
		host = u.Hostname()
	}
	if port == "" {
		port = "5432"
	}
	if len(host) > 0 && host[0] == '/' { // a unix socket directory, as scripts/pg-test-server makes
		p.target = func() (net.Conn, error) { return net.Dial("unix", host+"/.s.PGSQL."+port) }
	} else {
		p.target = func() (net.Conn, error) { return net.Dial("tcp", net.JoinHostPort(host, port)) }
	}
	p.Up()
	q := u.Query()
	q.Del("host")
	u.RawQuery, u.Host = q.Encode(), p.addr
	p.URL = u.String()
	t.Cleanup(p.Down)
	return p
}

// Up listens again, on the same port after the first time.
func (p *Proxy) Up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := p.target()
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

// Down closes the listener and every connection through it.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

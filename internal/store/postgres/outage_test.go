package postgres

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pgtest"
)

// TestDatabaseOutage cuts the network between segl and PostgreSQL (a
// loopback proxy in between is closed, open connections and all) and
// restores it: while it is down every call answers the Unavailable kind,
// which the edges turn into 503, not an internal error; afterwards the
// same *DB works again by itself, and the audit chain is intact.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	p := newProxy(t, pgtest.URL(t))
	db := open(t, p.url)
	t.Cleanup(func() { db.Close() })
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	create := func() (*job.Job, error) {
		r := &job.Request{Title: "Avtale", Flow: job.Portal, SignatureType: job.Authenticated,
			Signers: []job.SignerRequest{{PID: "21909825250"}}}
		j, ev := job.New(r, "317510748", "cert:42", nil, func() string { return uuid.Must(uuid.NewV7()).String() }, t0, job.DefaultLimits)
		return j, db.CreateJob(ctx, j, ev, nil)
	}
	before, err := create()
	if err != nil {
		t.Fatal(err)
	}

	p.down()
	if _, err := db.Job(ctx, before.Org, before.ID); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("a read with the database down: %v, want the unavailable kind", err)
	}
	if _, err := create(); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("a write with the database down: %v, want the unavailable kind", err)
	}

	p.up()
	var after *job.Job
	for range 200 { // a new connection is made on demand; no restart
		if after, err = create(); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after the database came back: %v", err)
	}
	if _, err := db.Job(ctx, before.Org, before.ID); err != nil {
		t.Fatalf("the job from before the outage: %v", err)
	}
	var v audit.Verifier
	if err := db.AuditRecords(ctx, 0, v.Next); err != nil || v.Count != 4 {
		t.Fatalf("audit chain after the outage: %v, %d records (want 4: two jobs created and activated; %s)", err, v.Count, after.ID)
	}
}

// proxy forwards a loopback TCP port to the test server, and can cut
// every connection and refuse new ones, as a database that went away does.
type proxy struct {
	t      *testing.T
	url    string // the database's URL through the proxy
	addr   string // the loopback address the proxy listens on
	target func() (net.Conn, error)
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, dbURL string) *proxy {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t}
	host, port := u.Query().Get("host"), u.Port()
	if port == "" {
		port = "5432"
	}
	if host == "" {
		host = u.Hostname()
	}
	if len(host) > 0 && host[0] == '/' { // a unix socket directory, as scripts/pg-test-server makes
		p.target = func() (net.Conn, error) { return net.Dial("unix", host+"/.s.PGSQL."+port) }
	} else {
		p.target = func() (net.Conn, error) { return net.Dial("tcp", net.JoinHostPort(host, port)) }
	}
	p.addr = "127.0.0.1:0"
	p.up()
	q := u.Query()
	q.Del("host")
	u.RawQuery = q.Encode()
	u.Host = p.addr
	p.url = u.String()
	t.Cleanup(p.down)
	return p
}

// up listens again, on the same port after the first time.
func (p *proxy) up() {
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

// down closes the listener and every connection through it.
func (p *proxy) down() {
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

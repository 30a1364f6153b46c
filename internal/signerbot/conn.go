package signerbot

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// oneConn is a pinned browser's one connection to its segl: HTTP/1.1 with
// keep-alive, one request at a time, each written and its answer read in
// the caller's goroutine. net/http's Transport hands every request to a
// writing and a reading goroutine of the connection's, three goroutines
// per browser and switches between them on every request, which a load
// generator of many short-lived browsers on the cores it measures pays
// for on every signer.
//
// A request waits for nothing: it fails while the previous answer's body
// is open. A connection the server closed is not retried; the browser's
// next request fails, as a bench should see it. The answer's body must be
// closed (Browser.Do and http.Client's redirects do).
type oneConn struct {
	addr string      // host:port
	tls  *tls.Config // with ServerName and http/1.1

	mu   sync.Mutex
	conn *tls.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	busy bool // an answer's body is open
}

func newOneConn(u *url.URL, tc *tls.Config) *oneConn {
	tc = tc.Clone()
	tc.ServerName = u.Hostname()
	tc.NextProtos = []string{"http/1.1"}
	return &oneConn{addr: hostPort(u), tls: tc}
}

var errBusy = errors.New("signerbot: a request before the previous answer was closed")

func (t *oneConn) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" || hostPort(req.URL) != t.addr {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("signerbot: %s is not this browser's segl", req.URL.Redacted())
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.busy {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errBusy
	}
	if t.conn == nil {
		// No TCP keep-alive: a bench browser's connection lives for a
		// signer's few requests, far less than the first probe's 15 s
		// idle, and enabling it is four system calls per connection.
		d := tls.Dialer{NetDialer: &net.Dialer{KeepAlive: -1}, Config: t.tls}
		c, err := d.DialContext(req.Context(), "tcp", t.addr)
		if err != nil {
			return nil, err
		}
		t.conn = c.(*tls.Conn)
		t.br, t.bw = bufio.NewReader(t.conn), bufio.NewWriter(t.conn)
	}
	// The request's context ends the exchange, as http.Transport's does: a
	// past deadline wakes whatever reads or writes the connection, up to
	// the answer's body being closed (bench --max-time with a stalled
	// server).
	conn := t.conn
	stop := context.AfterFunc(req.Context(), func() { conn.SetDeadline(time.Unix(1, 0)) })
	err := req.Write(t.bw)
	if err == nil {
		err = t.bw.Flush()
	}
	var res *http.Response
	if err == nil {
		res, err = http.ReadResponse(t.br, req)
	}
	if err != nil {
		stop()
		t.closeLocked()
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	t.busy = true
	res.Body = &connBody{ReadCloser: res.Body, t: t, stop: stop, last: res.Close || req.Close}
	return res, nil
}

// CloseIdleConnections closes the connection unless an answer is being
// read from it (http.Client.CloseIdleConnections calls it).
func (t *oneConn) CloseIdleConnections() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.busy {
		t.closeLocked()
	}
}

func (t *oneConn) closeLocked() {
	if t.conn != nil {
		t.conn.Close()
	}
	t.conn, t.br, t.bw = nil, nil, nil
}

// connBody is an answer's body. Closing it reads what is left (so the
// next answer starts where it should) and frees the connection, or closes
// it when the answer was the connection's last.
type connBody struct {
	io.ReadCloser
	t      *oneConn
	stop   func() bool // stops the request context's watch; false once it fired
	last   bool
	closed bool
}

func (b *connBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	err := b.ReadCloser.Close()
	expired := !b.stop() // the connection's deadline is past: no next request on it
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	b.t.busy = false
	if b.last || err != nil || expired {
		b.t.closeLocked()
	}
	return err
}

// hostPort is u's host with the port, 443 when it names none.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

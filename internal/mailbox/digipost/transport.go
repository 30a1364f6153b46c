package digipost

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
)

// defaultClient is the client of a Client without one of its own.
var defaultClient = &http.Client{Transport: Transport(nil)}

// Transport is an HTTP transport fit for sending messages: HTTP/1.1 on
// connections kept for the next message. A message is one request of
// hundreds of kilobytes that multiplexing gains nothing from, and over
// HTTP/2 net/http's client and server frame, flow-control and copy it for
// about twice the CPU (BenchmarkDeliverTLS in dev/mailbox). Up to 64 idle
// connections are kept, so that concurrent deliveries do not each need a
// new TLS handshake. tlsConfig may be nil. The TLS connections are made
// over the transport's DialContext, as net/http's own are, so a caller may
// replace it (to reach a test server, say).
//
// A body goes out in chunks of up to 128 KiB, each one socket write of
// its TLS records (gatheringConn) instead of one write per 16 KiB record.
// Through a proxy net/http makes the TLS connection to the server itself,
// one write per record.
func Transport(tlsConfig *tls.Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ForceAttemptHTTP2 = false
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 64, 64
	t.TLSClientConfig = tlsConfig
	t.DialTLSContext = (&tlsDialer{transport: t}).dial
	return t
}

// tlsDialer makes the TLS connections of a Transport as net/http would
// with its TLSClientConfig and TLSHandshakeTimeout (ServerName from the
// address unless configured, no ALPN since the transport speaks HTTP/1.1
// only), each a gatheringConn over a connection from its DialContext.
type tlsDialer struct {
	transport *http.Transport
}

// dialRaw dials as net/http does without DialTLSContext: the transport's
// DialContext when set (a clone of http.DefaultTransport has one), a
// net.Dialer otherwise.
func (d *tlsDialer) dialRaw(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial := d.transport.DialContext; dial != nil {
		return dial(ctx, network, addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *tlsDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{}
	if c := d.transport.TLSClientConfig; c != nil {
		cfg = c.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	cfg.NextProtos = nil
	raw, err := d.dialRaw(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	under := &recordGatherer{Conn: raw}
	conn := tls.Client(under, cfg)
	if timeout := d.transport.TLSHandshakeTimeout; timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return &gatheringConn{Conn: conn, under: under}, nil
}

// gatheringConn is a TLS connection whose Write hands the socket all the
// records it makes at once: crypto/tls writes each record of at most
// 16 KiB with a system call of its own, and on loopback each such write
// also wakes the reader for a record at a time.
type gatheringConn struct {
	*tls.Conn
	under *recordGatherer
	write sync.Mutex // one gathering at a time
}

// maxChunk is how much of a body ReadFrom encrypts and writes at a time.
const maxChunk = 128 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, maxChunk); return &b }}

func (c *gatheringConn) Write(p []byte) (int, error) {
	c.write.Lock()
	defer c.write.Unlock()
	c.under.gather()
	n, err := c.Conn.Write(p)
	if ferr := c.under.flush(); err == nil && ferr != nil {
		// The socket did not take the records: the connection is broken,
		// as after any failed write, and the transport drops it.
		return 0, ferr
	}
	return n, err
}

// ReadFrom sends r with one Write per Read of up to maxChunk: net/http's
// transport copies a request body this way (io.Copy), in 32 KiB reads
// otherwise. A body in memory is read a chunk at a time; a streamed one
// goes out as it comes.
func (c *gatheringConn) ReadFrom(r io.Reader) (int64, error) {
	buf := chunks.Get().(*[]byte)
	defer chunks.Put(buf)
	var total int64
	for {
		n, err := r.Read(*buf)
		if n > 0 {
			m, werr := c.Write((*buf)[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// recordGatherer is the socket under a gatheringConn: between gather and
// flush it keeps what TLS writes, and writes it at once on flush. A write
// from elsewhere meanwhile (crypto/tls answering a key update while
// reading) joins the gathered records in the order TLS made them; outside
// a gathering it goes straight to the socket.
type recordGatherer struct {
	net.Conn
	mu        sync.Mutex
	gathering bool
	buf       *[]byte // from gathered, while gathering
}

var gathered = sync.Pool{New: func() any { b := make([]byte, 0, maxChunk+17<<10); return &b }}

func (g *recordGatherer) gather() {
	g.mu.Lock()
	g.gathering = true
	g.buf = gathered.Get().(*[]byte)
	g.mu.Unlock()
}

func (g *recordGatherer) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.gathering {
		return g.Conn.Write(p)
	}
	*g.buf = append(*g.buf, p...)
	if len(*g.buf) >= maxChunk { // a Write larger than a chunk
		_, err := g.Conn.Write(*g.buf)
		*g.buf = (*g.buf)[:0]
		if err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (g *recordGatherer) flush() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gathering = false
	buf := g.buf
	g.buf = nil
	var err error
	if len(*buf) > 0 {
		_, err = g.Conn.Write(*buf)
	}
	*buf = (*buf)[:0]
	gathered.Put(buf)
	return err
}

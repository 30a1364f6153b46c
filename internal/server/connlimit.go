package server

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"syscall"
)

// connLimit bounds the connections the listener holds at once, so that a
// flood of idle or slow connections (slowloris) costs at most that many
// descriptors, goroutines and buffers however long it goes on. A
// connection beyond the limit is accepted from the kernel and then waits,
// unanswered, for a slot (the ones after it wait in the kernel's listen
// backlog); to free one at once, an idle keep-alive connection (between
// requests, http.StateIdle) is closed, as nginx drains its keep-alive
// connections when it runs out: its client opens a new one when it needs
// it. Connections still sending their first request are bounded by
// header-timeout and bodies by the edge's limits, so slots also come free
// by themselves.
type connLimit struct {
	slots chan struct{} // one token per open connection
	done  chan struct{} // closed with the listener
	once  sync.Once

	mu   sync.Mutex
	idle map[net.Conn]struct{} // keep-alive connections between requests, as ConnState names them
	// want says that a connection waits for a slot and no idle one has
	// been closed for it yet: the next to become idle is. Only the
	// server's accept loop waits, so one flag is enough.
	want bool
}

// newConnLimit holds at most limit connections.
func newConnLimit(limit int) *connLimit {
	return &connLimit{slots: make(chan struct{}, limit), done: make(chan struct{}), idle: map[net.Conn]struct{}{}}
}

// listener is ln with the limit.
func (l *connLimit) listener(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, l: l}
}

// connState is the http.Server's ConnState hook: it keeps the set of idle
// connections, the ones closed first when the listener is full, and
// closes one that becomes idle while a connection waits.
func (l *connLimit) connState(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	shed := state == http.StateIdle && l.want
	switch {
	case shed:
		l.want = false
	case state == http.StateIdle:
		l.idle[c] = struct{}{}
	default:
		delete(l.idle, c)
	}
	l.mu.Unlock()
	if shed {
		closeBelowTLS(c)
	}
}

// wait takes a slot for a connection that found none free: it closes an
// idle connection, or has the next one to become idle closed, and waits
// for a slot (that one's, or any other's). It reports false once the
// listener is closed.
func (l *connLimit) wait() bool {
	l.mu.Lock()
	var victim net.Conn
	for c := range l.idle {
		victim = c
		delete(l.idle, c)
		break
	}
	l.want = victim == nil
	l.mu.Unlock()
	if victim != nil {
		closeBelowTLS(victim)
	}
	defer func() {
		l.mu.Lock()
		l.want = false
		l.mu.Unlock()
	}()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-l.done:
		return false
	}
}

// closeBelowTLS closes c's connection below TLS, so that no close_notify
// races a write of the server's; c's own goroutine then ends and gives
// back its slot.
func closeBelowTLS(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	c.Close()
}

type limitedListener struct {
	net.Listener
	l *connLimit
}

func (ll *limitedListener) Accept() (net.Conn, error) {
	c, err := ll.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case ll.l.slots <- struct{}{}:
	default:
		if !ll.l.wait() {
			c.Close()
			return nil, net.ErrClosed
		}
	}
	return &limitedConn{Conn: c, l: ll.l}, nil
}

func (ll *limitedListener) Close() error {
	ll.l.once.Do(func() { close(ll.l.done) })
	return ll.Listener.Close()
}

// limitedConn gives its slot back when closed, once.
type limitedConn struct {
	net.Conn
	l    *connLimit
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { <-c.l.slots })
	return err
}

// fdReserve is what a node keeps of its open-file limit for everything
// but client connections: the databases, blobs and temporary files being
// read and written, and the connections to the services it calls.
const fdReserve = 256

// connectionsWithin is limit lowered, when it must be, to what the process
// may open (RLIMIT_NOFILE, which Go raises to its hard limit at start)
// less fdReserve, so that a full listener never starves the store of
// descriptors; the second result says it was lowered. A limit that
// cannot be read leaves limit as it is.
func connectionsWithin(limit int) (int, bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= uint64(limit+fdReserve) {
		return limit, false
	}
	return max(1, int(lim.Cur)-fdReserve), true
}

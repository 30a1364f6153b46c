package testtool

import (
	"net"
	"sync/atomic"
)

// CountingConn counts the writes to a connection: under TLS each is one
// record or more gathered, and one system call, which tests of how
// responses and bodies go out on the wire bound.
type CountingConn struct {
	net.Conn
	Writes *atomic.Int64
}

func (c CountingConn) Write(p []byte) (int, error) {
	c.Writes.Add(1)
	return c.Conn.Write(p)
}

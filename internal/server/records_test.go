package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/testdocs"
)

// recordCounter counts the TLS records a connection receives, by their
// 5-byte headers (RFC 8446 section 5.1), and how many of them carry
// fewer than 64 bytes.
type recordCounter struct {
	net.Conn
	mu             sync.Mutex
	header         []byte
	left           int // bytes of the current record still to come
	records, small int
}

func (c *recordCounter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := p[:n]; len(b) > 0; {
		if c.left > 0 {
			k := min(c.left, len(b))
			c.left, b = c.left-k, b[k:]
			continue
		}
		k := min(5-len(c.header), len(b))
		c.header, b = append(c.header, b[:k]...), b[k:]
		if len(c.header) == 5 {
			c.left = int(binary.BigEndian.Uint16(c.header[3:]))
			c.records++
			if c.left < 64 {
				c.small++
			}
			c.header = c.header[:0]
		}
	}
	return n, err
}

func (c *recordCounter) counts() (records, small int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.records, c.small
}

// A download over HTTP/2 goes out in DATA frames that each fill one TLS
// record: crypto/tls sends every record with a system call, and a frame
// of the 16 KiB that clients allow by default, with its 9-byte header,
// took a full record and a 9-byte one.
func TestDownloadsGoOutInWholeRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	var dialed atomic.Pointer[recordCounter]
	tr := c.HTTP.Transport.(*http.Transport)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn := &recordCounter{Conn: raw}
		dialed.Store(conn)
		return conn, nil
	}
	doc := testdocs.PDF("Arbeidsavtale", 300_000)
	j, err := c.CreateJob(context.Background(), directRequest(), []client.Upload{{Part: "doc1", FileName: "k.pdf",
		ContentType: "application/pdf", Body: bytes.NewReader(doc)}})
	if err != nil {
		t.Fatal(err)
	}
	conn := dialed.Load()
	before, beforeSmall := conn.counts()
	body, err := c.Document(context.Background(), j.ID, j.Documents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(body)
	body.Close()
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("download: %d bytes, %v", len(got), err)
	}
	after, afterSmall := conn.counts()
	records, small := after-before, afterSmall-beforeSmall
	// The body's records, the response's HEADERS (and the first DATA
	// frame's start, when they share the connection's buffer) and the
	// stream's end.
	want := (len(doc)+16<<10-10)/(16<<10-9) + 3
	t.Logf("%d bytes in %d records, %d of them under 64 bytes", len(doc), records, small)
	if records > want || small > 1 {
		t.Errorf("%d bytes in %d records (%d under 64 bytes), want at most %d records and 1 small one", len(doc), records, small, want)
	}
}

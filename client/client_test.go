package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/testtool"
)

// readSizes is a response body that records how much each Read asks for.
type readSizes struct {
	r     io.Reader
	sizes []int
}

func (b *readSizes) Read(p []byte) (int, error) {
	b.sizes = append(b.sizes, len(p))
	return b.r.Read(p)
}

func (b *readSizes) Close() error { return nil }

// A signed document is read from the connection in large chunks, however
// the caller copies it: over HTTP/2 every read of 4 KiB or more makes the
// client send the server a WINDOW_UPDATE, a write on the connection and a
// frame for the server to read and process. io.Copy into io.Discard (8 KiB
// at a time) wrote 37 of them for a 300 KB document.
func TestDownloadReadsInLargeChunks(t *testing.T) {
	doc := bytes.Repeat([]byte("%PDF-1.7 segl "), 300<<10/14)
	// What the download asks of the body, whatever the caller's buffer.
	body := &readSizes{r: bytes.NewReader(doc)}
	d := &download{r: bufio.NewReaderSize(body, downloadChunk), body: body}
	if n, err := io.Copy(io.Discard, d); err != nil || n != int64(len(doc)) {
		t.Fatalf("copied %d, %v", n, err)
	}
	for _, n := range body.sizes {
		if n < downloadChunk {
			t.Fatalf("the body was read %d bytes at a time (%v), want %d", n, body.sizes, downloadChunk)
		}
	}

	// Over real HTTP/2 and TLS, counting the client's writes.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(doc))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	cfg := &tls.Config{RootCAs: roots, ServerName: "example.com", NextProtos: []string{"h2"}}
	var writes atomic.Int64
	tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: cfg,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(testtool.CountingConn{Conn: c, Writes: &writes}, cfg)
			return tc, tc.HandshakeContext(ctx)
		}}
	defer tr.CloseIdleConnections()
	c := &Client{BaseURL: srv.URL, HTTP: &http.Client{Transport: tr}}
	for i := range 2 { // the first pays for the handshake and the connection's settings
		rc, err := c.SignedDocument(context.Background(), "j1", "d1")
		if err != nil {
			t.Fatal(err)
		}
		before := writes.Load()
		h := sha256.New()
		_, err = io.Copy(io.MultiWriter(h, io.Discard), rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := sha256.Sum256(doc); !bytes.Equal(h.Sum(nil), want[:]) {
			t.Fatal("the document read is not the one served")
		}
		n := writes.Load() - before
		t.Logf("%d bytes: %d writes by the client", len(doc), n)
		// How many depends on how many frames each read finds waiting:
		// 5 to 14 on an idle machine, never more than about one per 16 KiB
		// frame the server sends (19 here); 37 before, one per 8 KiB.
		if i == 1 && n > 24 {
			t.Errorf("reading a %d-byte document took %d writes, want at most 24", len(doc), n)
		}
	}
}

// A document from a slow source (a pipe, a network stream) reaches the
// server as its source gives it: the SDK gathers its own small writes,
// never the document's bytes while the source waits.
func TestCreateJobStreamsASlowDocument(t *testing.T) {
	const first = 1000
	got := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, err := mr.NextPart(); err != nil { // the job's JSON
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		doc, err := mr.NextPart()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b := make([]byte, first)
		if _, err := io.ReadFull(doc, b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- b
		io.Copy(io.Discard, doc)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"j1"}`)
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}

	src, feed := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := c.CreateJob(context.Background(), JobRequest{}, []Upload{{Part: "doc", FileName: "a.pdf", Body: src}})
		done <- err
	}()
	want := bytes.Repeat([]byte{'x'}, first)
	if _, err := feed.Write(want); err != nil {
		t.Fatal(err)
	}
	// The source now waits; its first bytes must reach the server anyway.
	// The timer only turns a hang into a failure.
	select {
	case b := <-got:
		if !bytes.Equal(b, want) {
			t.Errorf("the server read %q", b)
		}
	case err := <-done:
		t.Fatalf("CreateJob ended before its document did: %v", err)
	case <-time.After(30 * time.Second):
		feed.CloseWithError(io.ErrUnexpectedEOF)
		t.Fatal("the document's first bytes were held back while its source waited")
	}
	feed.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

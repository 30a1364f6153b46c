package digipost

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/segl/segl/internal/testtool"
)

// TestTransportGathersRecords posts a body of about 1 MB through Transport
// to a server that offers HTTP/2 as well: it arrives whole, over HTTP/1.1,
// in one socket write per 128 KiB chunk (and one for the head) where
// crypto/tls alone writes each 16 KiB record by itself, 65 writes or more.
func TestTransportGathersRecords(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum := sha256.New()
		if _, err := io.Copy(sum, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, r.Proto+" "+hex.EncodeToString(sum.Sum(nil)))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	transport := Transport(&tls.Config{RootCAs: roots})
	defer transport.CloseIdleConnections()
	var writes, handshakeWrites atomic.Int64
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return testtool.CountingConn{Conn: c, Writes: &writes}, nil
	}
	dialTLS := transport.DialTLSContext
	transport.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialTLS(ctx, network, addr)
		handshakeWrites.Store(writes.Load())
		return c, err
	}
	body := make([]byte, 1<<20+7)
	rand.Read(body)
	want := sha256.Sum256(body)
	res, err := (&http.Client{Transport: transport}).Post(srv.URL, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "HTTP/1.1 "+hex.EncodeToString(want[:]) {
		t.Fatalf("server saw %q; want HTTP/1.1 and the body's hash", got)
	}
	// The head with the body's first 4 KiB (net/http's buffer), then
	// chunks of 128 KiB.
	if n := int(writes.Load() - handshakeWrites.Load()); n > 1+(len(body)+maxChunk-1)/maxChunk {
		t.Errorf("%d socket writes for a body of %d bytes; want one per %d bytes", n, len(body), maxChunk)
	}
}

// TestTransportDialsWithDialContext sends to a host name that only the
// transport's DialContext knows how to reach: the TLS connection is made
// over what it dials, and checked against the name in the URL.
func TestTransportDialsWithDialContext(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Host)
	}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	transport := Transport(&tls.Config{RootCAs: roots})
	defer transport.CloseIdleConnections()
	var dialed []string
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	// httptest's certificate names example.com, whose address is not
	// the server's.
	res, err := (&http.Client{Transport: transport}).Get("https://example.com/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "example.com" || len(dialed) != 1 || dialed[0] != "example.com:443" {
		t.Fatalf("server saw host %q, DialContext dialed %q; want example.com through one dial of example.com:443", got, dialed)
	}
}

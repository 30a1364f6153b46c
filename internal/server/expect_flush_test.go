package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/segl/segl/internal/config"
)

// A handler that answers a request expecting 100 (Continue) without
// reading its body, and sends its header by flushing rather than by
// writing, still closes the connection: the client, which holds the body
// back, is answered at once instead of after its expect timeout. Both
// ways to flush are covered: http.ResponseController and http.Flusher.
func TestExpectContinueFlushedAnswerCloses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		flush func(w http.ResponseWriter)
	}{
		{"response-controller", func(w http.ResponseWriter) { http.NewResponseController(w).Flush() }},
		{"flusher", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			limits := config.DefaultHTTPLimits
			limits.BodyIdleTimeout = time.Hour // what the server waits for is then the client's body
			srv := httptest.NewServer(&edge{limits: limits, next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.flush(w)
				fmt.Fprint(w, "not reading that")
			})})
			defer srv.Close()
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(time.Minute)) // a hang fails, never passes
			fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !resp.Close {
				t.Fatalf("got %d (close %v), want 200 closing the connection", resp.StatusCode, resp.Close)
			}
		})
	}
}

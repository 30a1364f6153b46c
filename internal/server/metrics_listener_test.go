package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
)

// TestMetricsListenerFailureIsReported: a metrics listener whose Serve
// gives up while segl runs is logged and degrades the node (the check
// "metrics", metrics-unavailable), instead of leaving a node that serves
// without a word about its numbers; a shutdown (Close) is no failure.
func TestMetricsListenerFailureIsReported(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		stop     func(*http.Server, net.Listener)
		wantCode string
	}{
		{"fail/listener-gone", func(_ *http.Server, ln net.Listener) { ln.Close() }, codeMetricsUnavailable},
		{"ok/shutdown", func(srv *http.Server, _ net.Listener) { srv.Close() }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
			check, served := serveMetrics(srv, ln, slog.New(slog.NewTextHandler(&logged, nil)))
			resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err := check(context.Background()); err != nil {
				t.Fatalf("serving: %v", err)
			}
			c.stop(srv, ln)
			<-served
			err = check(context.Background())
			if code := codeOf(err); code != c.wantCode {
				t.Fatalf("after stop: %v (code %q), want code %q", err, code, c.wantCode)
			}
			if got := strings.Contains(logged.String(), "metrics listener failed"); got != (c.wantCode != "") {
				t.Fatalf("logged %v, want %v:\n%s", got, c.wantCode != "", logged.String())
			}
			srv.Close()
		})
	}
}

func codeOf(err error) string {
	if e := errs.From(err); e != nil {
		return e.Code
	}
	return ""
}

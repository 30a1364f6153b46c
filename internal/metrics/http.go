package metrics

import (
	"io"
	"net/http"
	"strconv"
	"time"
)

// Routes measures every request that mux serves, labelled by the pattern
// that matched (http.Request.Pattern, Go 1.22+: "GET /api/v1/jobs/{id}"),
// never by the raw path, whose job and signer ids would make a series per
// job. Requests no pattern matched are labelled "unmatched". Routes must
// wrap the mux itself: the mux sets Pattern on the request it is given.
func (m *Metrics) Routes(mux http.Handler) http.Handler {
	if m == nil {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			m.requests.WithLabelValues(route, method(r.Method), strconv.Itoa(code)).Observe(time.Since(start).Seconds())
		}()
		mux.ServeHTTP(sw, r)
	})
}

// method keeps the label to the methods segl serves; anything else a
// client sends is "other".
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter remembers the status code of the response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom hands a copy into the response (http.ServeContent's) to the
// writer below, whose own ReadFrom may choose how large its pieces are
// (the server's edge sizes them to TLS records).
func (w *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return io.Copy(w.ResponseWriter, src)
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushes, deadlines), as the edge's own writer does.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Transport measures the calls made through next (nil: the default
// transport) as calls to peer: their latency and whether they failed. A
// call fails when no response came or the peer answered 5xx; a 4xx is the
// peer's answer to segl's request and the caller judges it.
func (m *Metrics) Transport(peer string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return &transport{m: m, peer: peer, next: next}
}

// Client returns a copy of c (nil: a zero client) whose calls are measured
// as calls to peer.
func (m *Metrics) Client(peer string, c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	cp.Transport = m.Transport(peer, cp.Transport)
	return &cp
}

type transport struct {
	m    *Metrics
	peer string
	next http.RoundTripper
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	failed := err
	if err == nil && resp.StatusCode >= 500 {
		failed = errPeerStatus
	}
	t.m.PeerCall(t.peer, time.Since(start), failed)
	return resp, err
}

// errPeerStatus marks a 5xx answer as a failed call.
var errPeerStatus = httpStatusError{}

type httpStatusError struct{}

func (httpStatusError) Error() string { return "metrics: peer answered 5xx" }

// Wrap is Transport as a function, for adapters that build their own
// client and take a hook for its transport (eid/oidc).
func (m *Metrics) Wrap(peer string) func(http.RoundTripper) http.RoundTripper {
	return func(rt http.RoundTripper) http.RoundTripper { return m.Transport(peer, rt) }
}

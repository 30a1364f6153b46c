package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	blobfs "github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/errs"
)

// exposition is what Prometheus would read from m.
func exposition(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func TestRoutesByPattern(t *testing.T) {
	m := New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jobs/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := m.Routes(mux)
	for _, path := range []string{"/jobs/a1", "/jobs/b2", "/nowhere/c3"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	out := exposition(t, m)
	for _, want := range []string{
		`segl_http_request_duration_seconds_count{code="418",method="GET",route="GET /jobs/{id}"} 2`,
		`segl_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	for _, id := range []string{"a1", "b2", "c3"} {
		if strings.Contains(out, id) {
			t.Errorf("the path's %s became a label", id)
		}
	}
}

func TestTransportCountsFailures(t *testing.T) {
	m := New()
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer peer.Close()
	c := m.Client("tsa", peer.Client())
	for _, path := range []string{"/", "/missing", "/down"} {
		resp, err := c.Get(peer.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	peer.Close()
	if _, err := c.Get(peer.URL); err == nil {
		t.Fatal("a closed peer answered")
	}
	out := exposition(t, m)
	for _, want := range []string{
		`segl_peer_call_duration_seconds_count{outcome="ok",peer="tsa"} 2`,
		`segl_peer_call_duration_seconds_count{outcome="error",peer="tsa"} 2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
}

// failing is a blob store whose every answer is err.
type failing struct{ err error }

func (f failing) Put(context.Context, io.Reader, int64) (blob.Ref, error) { return blob.Ref{}, f.err }
func (f failing) Open(context.Context, string) (blob.Object, error)       { return nil, f.err }
func (f failing) Delete(context.Context, string) error                    { return f.err }

// TestStorageErrorsAreFailuresOnly: a store saying "not found" or a
// caller giving up is not a storage error; a store that fails is.
func TestStorageErrorsAreFailuresOnly(t *testing.T) {
	m := New()
	ctx := context.Background()
	for _, err := range []error{
		errs.E(errs.NotFound, "blob-not-found", "no blob"),
		errs.E(errs.TooLarge, "too-large", "too large"),
		context.Canceled,
		errs.E(errs.Unavailable, "blobs-unavailable", "s3 down"),
		errs.StorageFull(errors.New("no space left on device")),
		errors.New("read-only file system"),
	} {
		m.Blobs(failing{err}).Open(ctx, "k")
	}
	out := exposition(t, m)
	for _, want := range []string{
		`segl_storage_errors_total{kind="unavailable",store="blob"} 1`,
		`segl_storage_errors_total{kind="insufficient_storage",store="blob"} 1`,
		`segl_storage_errors_total{kind="internal",store="blob"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	if n := strings.Count(out, "segl_storage_errors_total{"); n != 3 {
		t.Errorf("%d storage error series, want 3:\n%s", n, out)
	}
}

// TestBlobsKeepCapabilities: the wrapped store keeps the optional
// capabilities of the store it wraps, and gains none: the blob sweep and
// the deletion's grace find blob.Sweeper by type assertion.
func TestBlobsKeepCapabilities(t *testing.T) {
	m := New()
	fsStore, err := blobfs.Open(t.TempDir(), blobfs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name          string
		s             blob.Store
		files, sweeps bool
	}{
		{"neither", failing{}, false, false},
		{"both/fs", fsStore, true, true},
		{"sweeper", sweeperOnly{}, false, true},
	} {
		b := m.Blobs(c.s)
		_, files := b.(blob.StagedPutter)
		_, sweeps := b.(blob.Sweeper)
		if files != c.files || sweeps != c.sweeps {
			t.Errorf("%s: wrapped StagedPutter %v, Sweeper %v; want %v, %v", c.name, files, sweeps, c.files, c.sweeps)
		}
	}
}

// sweeperOnly is a blob store that can tell its blobs' ages, and has none.
type sweeperOnly struct{ failing }

func (sweeperOnly) WalkOlder(context.Context, time.Time, func(string) error) error { return nil }
func (sweeperOnly) DeleteIfOlder(context.Context, string, time.Time) (bool, error) {
	return false, nil
}

// TestNilRecordsNothing: code wired without metrics calls the same
// methods.
func TestNilRecordsNothing(t *testing.T) {
	var m *Metrics
	m.Task("callback", "done")
	m.PeerCall("smtp", 0, nil)
	if b := m.Blobs(failing{}); b != (failing{}) {
		t.Fatalf("nil metrics wrapped the blob store: %T", b)
	}
	h := http.NotFoundHandler()
	if m.Routes(h) == nil || m.Transport("tsa", nil) != http.DefaultTransport {
		t.Fatal("nil metrics changed the handler or transport")
	}
}

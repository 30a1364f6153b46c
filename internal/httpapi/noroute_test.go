package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/segl/segl/client"
)

// A path of the API asked with a method it does not take is 405 with
// Allow (RFC 9110 §15.5.6), so a client sees its mistake is the method;
// a path that is no route's stays 404.
func TestNoRouteSaysWhichMethods(t *testing.T) {
	a := &API{Log: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	a.Routes(mux)
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"PUT", "/api/v1/jobs", 405, "method-not-allowed", "GET, HEAD, POST"},
		{"PATCH", "/api/v1/jobs/7", 405, "method-not-allowed", "GET, HEAD, DELETE"},
		{"GET", "/api/v1/jobs/7/cancel", 405, "method-not-allowed", "POST"},
		{"POST", "/api/v1/openapi.json", 405, "method-not-allowed", "GET, HEAD"},
		{"GET", "/api/v1/jobs/7/nothing", 404, "no-such-endpoint", ""},
		{"GET", "/api/v2/jobs", 404, "no-such-endpoint", ""},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		var p client.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatalf("%s %s: %v in %q", tc.method, tc.path, err, rec.Body)
		}
		if rec.Code != tc.status || p.Status != tc.status || p.Code != tc.code || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %q Allow %q, want %d %q Allow %q", tc.method, tc.path,
				rec.Code, p.Code, rec.Header().Get("Allow"), tc.status, tc.code, tc.allow)
		}
	}
}

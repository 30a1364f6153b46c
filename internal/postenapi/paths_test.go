package postenapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A path of this API with empty segments or a trailing slash (a root URL
// configured with a trailing slash) reaches the route it names, where
// http.ServeMux alone would answer a redirect the Java client cannot
// follow with its streamed job. Other paths are left to the mux.
func TestPaths(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{org}/direct/signature-jobs", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("create " + r.PathValue("org")))
	})
	mux.HandleFunc("GET /api/{org}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("root " + r.PathValue("org")))
	})
	h := Paths(mux)
	for _, tc := range []struct {
		method, target string
		status         int
		body           string
	}{
		{"POST", "/api//310000001/direct/signature-jobs", 200, "create 310000001"},
		{"POST", "/api/310000001/direct/signature-jobs/", 200, "create 310000001"},
		{"POST", "/api/310000001//direct//signature-jobs", 200, "create 310000001"},
		{"POST", "/api/310000001/direct/signature-jobs", 200, "create 310000001"},
		{"GET", "/api/310000001/", 200, "root 310000001"},
		{"GET", "/api/%33%31%30000001", 200, "root 310000001"},
		// Not this API's: the mux's own rules.
		{"GET", "/api//v1/jobs", http.StatusTemporaryRedirect, ""},
		{"GET", "/web//x", http.StatusTemporaryRedirect, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
		if rec.Code != tc.status || tc.body != "" && rec.Body.String() != tc.body {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.target, rec.Code, rec.Body, tc.status, tc.body)
		}
	}
}

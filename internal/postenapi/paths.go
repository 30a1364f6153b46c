package postenapi

import (
	"net/http"
	"net/url"
	"strings"
)

// Paths hands next the path a client of this API meant when the one it
// sent has empty segments or a trailing slash, as a root URL configured
// with a trailing slash gives: the Java client appends its path segments
// to the root's (Apache URIBuilder.appendPath), so a root of
// "https://segl.example/api/" makes "/api//{org}/direct/signature-jobs".
// http.ServeMux answers such a path with a 307 to the cleaned one, which
// the Java client does not follow with its job: the multipart body it
// streams is not repeatable (Apache RedirectExec), so the creation fails
// with the redirect as an unexpected response. Only paths whose first
// segment under /api is an organisation number are touched; /api/v1 keeps
// its own rules.
func Paths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clean, ok := apiPath(r.URL.Path)
		if !ok || clean == r.URL.Path {
			next.ServeHTTP(w, r)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = new(url.URL)
		*r2.URL = *r.URL
		r2.URL.Path, r2.URL.RawPath = clean, ""
		next.ServeHTTP(w, r2)
		// For the metrics around the mux, which label by the pattern the
		// mux set on the request it was given.
		r.Pattern = r2.Pattern
	})
}

// apiPath is p without empty segments, if p is a path of this API:
// "/api/", then (after any empty segments) an organisation number.
func apiPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/api/")
	if !ok {
		return "", false
	}
	var segs []string
	for _, s := range strings.Split(rest, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 || !isOrgNumber(segs[0]) {
		return "", false
	}
	return "/api/" + strings.Join(segs, "/"), true
}

// isOrgNumber reports whether s is a 9-digit organisation number, the
// first segment of every path of this API.
func isOrgNumber(s string) bool {
	return len(s) == 9 && strings.Trim(s, "0123456789") == ""
}

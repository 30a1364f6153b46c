package server

import (
	"net/http"
	"strings"
)

// rawPrefix serves every path under prefix with h before the ServeMux sees
// the request. ServeMux cleans a path before matching it and answers a
// path that cleaning changes with a 301 to the cleaned one, so "//" inside
// a path never reaches a handler. An OCSP GET is "/{url-encoding of
// base64}" (RFC 6960 appendix A.1), and base64 holds "/"; clients such as
// openssl do not always percent-encode it, so about one request in forty
// holds "//" and, cleaned, loses a character. Such a handler reads the
// path itself (r.URL.EscapedPath) and gets it as sent.
type rawPrefix struct {
	prefix string // ends in "/"
	h      http.Handler
}

// rawPrefixes routes the paths under each prefix to its handler, as sent,
// and every other request to next. The prefix is the request's pattern,
// for the route label of the metrics.
func rawPrefixes(routes []rawPrefix, next http.Handler) http.Handler {
	if len(routes) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, rp := range routes {
			if strings.HasPrefix(r.URL.Path, rp.prefix) {
				r.Pattern = rp.prefix
				rp.h.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

package web

import "net/http"

// ContentSecurityPolicy is sent with every web response. Scripts, styles,
// images and fonts come only from segl itself (/static), never inline and
// never from a third party; nothing may frame a page (clickjacking: a
// signing page must not be overlaid). worker-src names the one worker
// there is, PDF.js's (the sign page's preview), a module script from
// /static like every other. form-action is deliberately absent:
// browsers apply it to the redirect after a form post, and a direct-flow
// signer is sent back to the sender's exit URL exactly that way.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"font-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// StrictTransportSecurity is the HSTS header (RFC 6797) of every segl
// response, pages and API alike: two years and subdomains, as
// hstspreload.org asks; the service is HTTPS only. Browsers ignore it on
// IP addresses.
const StrictTransportSecurity = "max-age=63072000; includeSubDomains"

// securityHeaderSet is what securityHeaders puts on every web response,
// each value a slice made once here: assigned to a response's header as
// it is, instead of a key to canonicalise and a new slice for each of
// eight headers on every request. net/http only reads the values, and
// Set and Add on the response replace or copy them, never write into
// them.
var securityHeaderSet = []struct {
	key   string
	value []string
}{
	{"Content-Security-Policy", []string{ContentSecurityPolicy}},
	{"Strict-Transport-Security", []string{StrictTransportSecurity}},
	{"Referrer-Policy", []string{"no-referrer"}}, // signing links carry secrets in the path
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}}, // frame-ancestors for browsers without CSP 2
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"Cross-Origin-Resource-Policy", []string{"same-origin"}},
	{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=(), payment=(), usb=()"}},
}

// securityHeaders sets the headers every web response carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hd := rw.Header()
		for _, sh := range securityHeaderSet {
			hd[sh.key] = sh.value
		}
		h.ServeHTTP(rw, r)
	})
}

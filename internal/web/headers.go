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

// securityHeaders sets the headers every web response carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hd := rw.Header()
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("Strict-Transport-Security", StrictTransportSecurity)
		hd.Set("Referrer-Policy", "no-referrer") // signing links carry secrets in the path
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY") // frame-ancestors for browsers without CSP 2
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		h.ServeHTTP(rw, r)
	})
}

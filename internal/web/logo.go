package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/segl/segl/internal/store"
)

// Organisations' logos (issue 14), served from segl's own origin to the
// signer's pages, before login too. A logo is a PNG or JPEG the central
// administrator uploaded (staff.SetOrgLogo checks the bytes): it is sent
// with exactly its stored type, nosniff (securityHeaders) and a CSP that
// allows nothing, so that even a file a browser might take for a document
// can do nothing. Its URL names its digest, so it is cached for good and a
// new logo has a new URL.

// logoPrefix is where logos are served: outside the /sign area, whose
// {signer} wildcard would clash with any fixed path under it.
const logoPrefix = "/logos/"

// logoURL is the URL of an organisation's logo; "" when it has none (l is
// zero).
func logoURL(org string, l store.LogoRef) string {
	if l.SHA256 == "" {
		return ""
	}
	return logoPrefix + url.PathEscape(org) + "/" + logoFile(l)
}

// logoFile is the last segment of a logo's URL: the start of its digest
// and the extension of its type.
func logoFile(l store.LogoRef) string {
	ext := ".png"
	if l.MediaType == "image/jpeg" {
		ext = ".jpg"
	}
	return l.SHA256[:min(len(l.SHA256), 16)] + ext
}

// serveLogo answers GET /logos/{org}/{file}: the organisation's logo if
// file names the one it has now, else 404.
func (w *Web) serveLogo(rw http.ResponseWriter, r *http.Request) {
	l, ok, err := w.signing.Svc.OrgLogo(r.Context(), r.PathValue("org"))
	if err != nil {
		w.log.Error("web: logo", "org", r.PathValue("org"), "err", err)
		http.Error(rw, "logo unavailable", http.StatusServiceUnavailable)
		return
	}
	if !ok || r.PathValue("file") != logoFile(l.Ref()) || !strings.HasPrefix(l.MediaType, "image/") {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", l.MediaType)
	h.Set("Content-Length", strconv.Itoa(len(l.Data)))
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	rw.Write(l.Data)
}

package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
)

// CSRF protection is the signed double-submit cookie (OWASP CSRF cheat
// sheet): the browser holds a random nonce in an HttpOnly cookie, and every
// form carries HMAC(key, nonce, session ID). An attacker's page can make the
// browser send the cookie but cannot read it, and cannot compute the token
// without the server key; the __Host- prefix stops a sibling subdomain from
// planting a nonce of its own. Binding the session ID means a token from
// before login is void after it (no login CSRF, no session fixation). In
// front of that, http.CrossOriginProtection refuses unsafe requests that the
// browser itself marks as cross-site (Sec-Fetch-Site, Origin).
const (
	csrfCookie = "__Host-segl-csrf"
	csrfField  = "csrf_token"
	csrfHeader = "X-CSRF-Token"
)

// multipartMemory is how much of a multipart form the CSRF check keeps in
// memory; the rest goes to temporary files that net/http removes after the
// request. Handlers then read r.MultipartForm.
const multipartMemory = 8 << 20

func (w *Web) csrf(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		if c, err := r.Cookie(csrfCookie); err == nil && validNonce(c.Value) {
			st.csrfNonce = c.Value
		}
		if s, err := w.openSession(r); err == nil {
			st.sessionID = s.ID
		}
		if safeMethod(r.Method) {
			if st.csrfNonce == "" {
				st.csrfNonce = newNonce()
				http.SetCookie(rw, &http.Cookie{Name: csrfCookie, Value: st.csrfNonce, Path: "/",
					Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
			}
			h.ServeHTTP(rw, r)
			return
		}
		r.Body = http.MaxBytesReader(rw, r.Body, w.maxBody)
		got, err := submittedToken(r)
		if r.MultipartForm != nil {
			// net/http removes the temporary files of the original
			// request's form only, and r is a copy.
			defer r.MultipartForm.RemoveAll()
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				w.Error(rw, r, errTooLarge)
				return
			}
			w.Error(rw, r, errBadForm)
			return
		}
		if st.csrfNonce == "" || !w.validToken(st, got) {
			w.csrfFailed(rw, r)
			return
		}
		h.ServeHTTP(rw, r)
	})
}

// safeMethod reports whether a method must not change state (RFC 9110
// section 9.2.1), so it needs no token.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// submittedToken finds the token in the X-CSRF-Token header (for scripts)
// or in the form field csrf_token.
func submittedToken(r *http.Request) (string, error) {
	if t := r.Header.Get(csrfHeader); t != "" {
		return t, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if ct == "multipart/form-data" {
		err = r.ParseMultipartForm(multipartMemory)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return "", err
	}
	return r.PostForm.Get(csrfField), nil
}

// token is the CSRF token for the request's nonce and session, made with
// the current key.
func (w *Web) token(st *reqState) string {
	if st.csrfNonce == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(csrfMAC(w.csrfKeys[0], st.csrfNonce, st.sessionID))
}

func (w *Web) validToken(st *reqState, got string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(got)
	if err != nil || len(raw) != sha256.Size {
		return false
	}
	for _, k := range w.csrfKeys {
		if hmac.Equal(raw, csrfMAC(k, st.csrfNonce, st.sessionID)) {
			return true
		}
	}
	return false
}

func csrfMAC(key []byte, nonce, sessionID string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("segl csrf\x00"))
	m.Write([]byte(nonce))
	m.Write([]byte{0})
	m.Write([]byte(sessionID))
	return m.Sum(nil)
}

func newNonce() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func validNonce(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// csrfFailed is the readable 403 page for a refused form.
func (w *Web) csrfFailed(rw http.ResponseWriter, r *http.Request) {
	w.log.Info("web: csrf check failed", "method", r.Method, "path", r.URL.Path,
		"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	w.renderError(rw, r, http.StatusForbidden, "error.csrf", "")
}

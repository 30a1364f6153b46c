package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/segl/segl/internal/errs"
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

// errBadToken is a form without a valid CSRF token; it is refused with
// the readable 403 page (csrfFailed).
var errBadToken = errors.New("web: missing or invalid csrf token")

// errNoSession refuses an upload from someone who is not logged in, before
// its body is read.
var errNoSession = errs.E(errs.Unauthenticated, codeSessionMissing, "an upload needs a session")

// maxTokenBytes is more than a token ever is (43 characters); a longer
// csrf_token part is not one.
const maxTokenBytes = 256

// csrf checks the token of every unsafe request before the handler runs,
// and reads no more of the body than it must to find it (issue 9): a
// request without the CSRF cookie cannot carry a valid token and is
// refused unread; an upload route also refuses a request without a
// session unread; a url-encoded form is read up to Options.MaxForm; a
// multipart form must carry the token in its first part (browsers send
// the parts in document order, and csrfField opens every form), which is
// checked before any file is read. Only then are the remaining parts read,
// files straight to temporary files, never into memory.
func (w *Web) csrf(h http.Handler, upload bool) http.Handler {
	limit := w.maxForm
	if upload {
		limit = w.maxUpload
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		if c, err := r.Cookie(csrfCookie); err == nil && validNonce(c.Value) {
			st.csrfNonce = c.Value
		}
		s, oldKey, serr := w.openSession(r)
		st.session = &openedSession{s, oldKey, serr}
		if serr == nil {
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
		if st.csrfNonce == "" {
			w.csrfFailed(rw, r)
			return
		}
		if upload && st.sessionID == "" {
			w.Error(rw, r, errNoSession)
			return
		}
		r.Body = http.MaxBytesReader(rw, r.Body, limit)
		err := w.readForm(r, st)
		if r.MultipartForm != nil {
			// net/http removes the temporary files of the original
			// request's form only, and r is a copy.
			defer r.MultipartForm.RemoveAll()
		}
		var tooLarge *http.MaxBytesError
		switch {
		case errors.Is(err, errBadToken):
			w.csrfFailed(rw, r)
		case errors.As(err, &tooLarge):
			w.Error(rw, r, errTooLarge)
		case err != nil:
			w.Error(rw, r, errBadForm)
		default:
			h.ServeHTTP(rw, r)
		}
	})
}

// safeMethod reports whether a method must not change state (RFC 9110
// section 9.2.1), so it needs no token.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// readForm checks the token, from the X-CSRF-Token header (for scripts)
// or the form field csrf_token, and parses the form into r.PostForm (and
// r.MultipartForm). A body that is no form needs the header.
func (w *Web) readForm(r *http.Request, st *reqState) error {
	header := r.Header.Get(csrfHeader)
	if header != "" && !w.validToken(st, header) {
		return errBadToken
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "multipart/form-data":
		return w.readMultipart(r, st, header != "")
	case ct == "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return err
		}
		if header == "" && !w.validToken(st, r.PostForm.Get(csrfField)) {
			return errBadToken
		}
		return nil
	case header == "":
		return errBadToken
	}
	return nil
}

// readMultipart reads a multipart form whose first part is the token
// (unless the header carried it): the token is checked first, then the
// rest is read with no file data in memory (ReadForm with maxMemory 0
// writes every file to a temporary file; field values are capped at
// 10 MiB by mime/multipart, and by the body limit before that).
func (w *Web) readMultipart(r *http.Request, st *reqState, tokenChecked bool) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return err
	}
	if !tokenChecked {
		part, err := mr.NextPart()
		if err != nil {
			return err
		}
		if part.FormName() != csrfField || part.FileName() != "" {
			return errBadToken
		}
		tok, err := io.ReadAll(io.LimitReader(part, maxTokenBytes))
		if err != nil {
			return err
		}
		if !w.validToken(st, string(tok)) {
			return errBadToken
		}
	}
	form, err := mr.ReadForm(0)
	if err != nil {
		return err
	}
	r.MultipartForm, r.PostForm = form, url.Values(form.Value)
	return nil
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

package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/errs"
)

// goneCodes are the codes of errors shown as 410 Gone, "the link has
// expired or has already been used": a signer's link is spent, not wrong.
// Return them with kind Conflict (the state forbids it), for example
// LinkExpired().
var goneCodes = []string{ceremony.CodeLinkExpired, ceremony.CodeLinkUsed, ceremony.CodeJobCancelled, errs.CodeJobDeleted}

// codePages are the errors that have a page of their own wherever they
// come from, by code: catalogue prefixes as for explain.
var codePages = map[string]string{
	// The signer's allowance of one-time codes ran out: the link is locked
	// for good, so the page sends them to the sender, with no way to retry.
	ceremony.CodeLinkLocked: "sign.locked",
	// The sender cancelled the job: the link is spent, and the signer
	// should hear why rather than that it expired.
	ceremony.CodeJobCancelled: "sign.cancelled",
}

// LinkExpired is the error for a signing link past its expiry.
func LinkExpired() *errs.Error {
	return errs.E(errs.Conflict, ceremony.CodeLinkExpired, "the link has expired")
}

// LinkUsed is the error for a one-time link that has been used.
func LinkUsed() *errs.Error {
	return errs.E(errs.Conflict, ceremony.CodeLinkUsed, "the link has already been used")
}

var (
	errNotFound = errs.E(errs.NotFound, codePageNotFound, "no such page")
	errTooLarge = errs.E(errs.TooLarge, codeBodyTooLarge, "request body too large")
	errBadForm  = errs.E(errs.Invalid, codeBadForm, "malformed form")
)

// Error shows err as a localized page with the status its kind maps to:
// Invalid 400, Unauthenticated 401 ("your session has ended"), Forbidden
// 403, NotFound 404, Conflict 409 (410 for the link codes above), TooLarge
// 413, Unavailable 503, InsufficientStorage 507 ("try again later", with
// the API's Retry-After). The
// page says only what the catalogue says for that status; the error's own
// message is for logs, and is never shown, because domain messages are
// English and may name internals. Its way back leads to the front page of
// the request's area (/sign/, /portal/ or /admin/), and a 401 in a staff
// area offers that area's login. An error without a kind is a bug: logged
// in full with a random reference that the 500 page shows, so support can
// find the log line.
func (w *Web) Error(rw http.ResponseWriter, r *http.Request, err error) {
	e := errs.From(err)
	if e == nil || e.Kind == errs.Internal {
		ref := reference()
		w.log.Error("web: internal error", "ref", ref, "method", r.Method, "path", r.URL.Path, "err", err)
		w.renderError(rw, r, http.StatusInternalServerError, "error.500", ref)
		return
	}
	status := e.Kind.HTTPStatus()
	if e.Kind == errs.Conflict && slices.Contains(goneCodes, e.Code) {
		status = http.StatusGone
	}
	if after := e.Kind.RetryAfter(); after != "" {
		rw.Header().Set("Retry-After", after)
	}
	if status == http.StatusUnauthorized {
		// A page, not an HTTP authentication challenge: the way back in is
		// the signer's link or the login page.
		rw.Header().Set("WWW-Authenticate", `segl-session realm="segl"`)
	}
	w.log.Debug("web: error page", "status", status, "code", e.Code, "path", r.URL.Path, "err", err)
	d := errorData{Key: "error." + strconv.Itoa(status)}
	if area := areaOf(r.URL.Path); status == http.StatusUnauthorized && area != areaSign {
		// Staff have no signer's link to open again: their way back in
		// is their own area's login.
		d.Key, d.Retry, d.RetryKey = "staff.error.session-ended", "/"+area+"/login", "staff.error.session-ended.retry"
	}
	if key, ok := codePages[e.Code]; ok {
		d.Key = key
	}
	var pe *pageError
	if errors.As(err, &pe) {
		d.Key, d.Retry, d.RetryKey = pe.key, pe.retry, pe.retryKey
	}
	w.render(rw, r, status, errorPage, d)
}

// pageError gives an error a page of its own: the status still follows
// the wrapped error's kind, but the page says what the catalogue says under
// key (key+".title", key+".text"), and can offer a way on (a link to retry,
// labelled by retryKey). Pages opt in with explain; every other error gets
// the page of its status.
type pageError struct {
	err      error
	key      string
	retry    string // a same-site path, or ""
	retryKey string
}

func (e *pageError) Error() string { return e.err.Error() }
func (e *pageError) Unwrap() error { return e.err }

// errorData is what the error page shows.
type errorData struct {
	Key       string // catalogue prefix: "error.404", "error.csrf"…
	Reference string // for 500s
	Retry     string // a link to try again, when there is one
	RetryKey  string // its text
}

const errorPage = "error"

func (w *Web) renderError(rw http.ResponseWriter, r *http.Request, status int, key, ref string) {
	w.render(rw, r, status, errorPage, errorData{Key: key, Reference: ref})
}

func reference() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

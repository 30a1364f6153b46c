package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/store"
)

// The signing ceremony (DESIGN section 5, the signer's pages under /sign).
//
// Direct flow: the sender's web app redirects the signer to their link
// /sign/{signer}?t={token}. The page there starts an eID login bound to
// that link: the pending login (state, nonce, PKCE verifier) goes into a
// new sealed session cookie that names the job and signer, and the browser
// goes to ID-porten. ID-porten sends it back to GET /sign/callback
// (response_mode=query); the login is completed there, checked against the
// signer (right person, level of assurance) and a fresh session (new ID:
// no fixation) then carries the identity, still bound to that one job and
// signer, for at most the idle lifetime. The signer reads the documents,
// signs or rejects, and is sent to the sender's exit URL with
// status_query_token appended. A link whose signer has signed never signs
// again: it shows "already signed", and the receipt to its owner.
//
// Portal flow: the person logs in at /sign/ with a session bound to no job,
// sees the tasks waiting for them (ceremony.Tasks), opens, signs and gets a
// receipt with the document hashes and their signed files. Every action
// rechecks, in the store, that the signer entry is theirs and that it is
// their turn: a session only says who they are.

// Signing is what the signer's pages need from the rest of segl. Given to
// New, Routes mounts the whole ceremony under /sign; without it only the
// start page is served.
type Signing struct {
	// Svc runs the use cases. Required.
	Svc *ceremony.Service
	// Login is the eID login (ID-porten, or its development stand-in).
	// Nil: logins are refused with "login unavailable".
	Login eid.Login
	// BaseURL is segl's public https URL without a trailing slash; the
	// login callback is BaseURL+"/sign/callback", which must be registered
	// with the provider.
	BaseURL string
}

// signRoutes mounts the ceremony. Literal segments win over the {signer}
// wildcard, so "login" and "callback" are never taken for a signer id.
func (w *Web) signRoutes(mux *http.ServeMux) {
	w.Mount(mux, "GET /sign/login", w.portalLogin)
	w.Mount(mux, "GET /sign/callback", w.loginCallback)
	w.Mount(mux, "POST /sign/logout", w.logout)
	w.Mount(mux, "GET /sign/{signer}", w.signerLink)
	w.Mount(mux, "POST /sign/{signer}/login", w.linkLogin)
	w.Mount(mux, "POST /sign/{signer}/code/send", w.sendCode)
	w.Mount(mux, "POST /sign/{signer}/code", w.checkCode)
	w.Mount(mux, "GET /sign/{signer}/job", w.jobPage)
	w.Mount(mux, "GET /sign/{signer}/documents/{doc}", w.document)
	w.Mount(mux, "POST /sign/{signer}/sign", w.signJob)
	w.Mount(mux, "POST /sign/{signer}/reject", w.rejectJob)
	w.Mount(mux, "GET /sign/{signer}/receipt", w.receipt)
	w.Mount(mux, "GET /sign/{signer}/receipt.pdf", w.receiptPDF)
	w.Mount(mux, "GET /sign/{signer}/signed/{doc}", w.signedDocument)
}

func (w *Web) callbackURL() string { return w.signing.BaseURL + "/sign/callback" }

func signerPath(signerID, page string) string {
	return "/sign/" + url.PathEscape(signerID) + "/" + page
}

func linkPath(signerID, token string) string {
	return "/sign/" + url.PathEscape(signerID) + "?" + url.Values{"t": {token}}.Encode()
}

// partnerOut is the page for an outage of a service segl depends on
// (errs.Unavailable): 503 with Retry-After, saying that nothing was signed
// and nothing is lost, with a way to try again from retry.
func partnerOut(err error, retry string) error {
	return explain(err, "sign.error.unavailable", retry, "error.507.retry")
}

// loginUnavailable is the page for a server without an eID login.
func loginUnavailable() error {
	return explain(errs.E(errs.Unavailable, codeLoginUnavailable, "no eid login is configured"),
		"sign.error.login-unavailable", "", "")
}

// explain gives err a page of its own (see pageError).
func explain(err error, key, retry, retryKey string) error {
	return &pageError{err: err, key: key, retry: retry, retryKey: retryKey}
}

func codeOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// atPage makes the page rendered for this request link its language switch
// to p (a GET page) instead of the request's own URL, for pages rendered
// in answer to a form or a login callback.
func atPage(r *http.Request, p string) {
	u, err := url.Parse(p)
	if err == nil {
		r.URL = u
	}
}

// --- starting and completing a login ---

// signerLink is the direct flow's entry: the signer's link. Before login it
// shows nothing of the job but the level of assurance it needs.
func (w *Web) signerLink(rw http.ResponseWriter, r *http.Request) error {
	ctx, signerID, token := r.Context(), r.PathValue("signer"), r.URL.Query().Get("t")
	j, signer, err := w.signing.Svc.SignerByLink(ctx, signerID, token)
	if codeOf(err) == ceremony.CodeLinkUsed {
		return w.usedLink(rw, r, signerID, token)
	}
	if err != nil {
		return err
	}
	s, err := w.Session(rw, r)
	if err == nil && s.LoggedIn() && s.Signer == signerID && s.Job == j.ID {
		http.Redirect(rw, r, signerPath(signerID, "job"), http.StatusSeeOther)
		return nil
	}
	if ceremony.NeedsCode(signer) && s.Coded != signerID {
		live, err := w.signing.Svc.HasLiveCode(ctx, signerID)
		if err != nil {
			return err
		}
		sender, err := w.senderOf(ctx, j)
		if err != nil {
			return err
		}
		sent := r.URL.Query().Has("sent")
		w.Render(rw, r, "sign_code", codeView{SignerID: signerID, Token: token, Sent: sent, Asked: sent || live, Sender: sender})
		return nil
	}
	sender, err := w.senderOf(ctx, j)
	if err != nil {
		return err
	}
	w.Render(rw, r, "sign_start", startView{SignerID: signerID, Token: token, High: j.Assurance == job.High,
		Sender: sender, Title: j.Title})
	return nil
}

// senderView is the organisation that sent a job, as the signer's pages
// show it (the "sender" partial).
type senderView struct {
	Name string
	Logo string // the logo's URL; "" when the organisation has none
}

// senderOf is the sender of j for the signer's pages. Its name was sent
// in the signer's notice already, with the job's title, so the link page
// may show both before login: the link holder learns nothing new.
func (w *Web) senderOf(ctx context.Context, j *job.Job) (senderView, error) {
	name, logo, err := w.signing.Svc.Sender(ctx, j)
	if err != nil {
		return senderView{}, err
	}
	return senderView{Name: name, Logo: logoURL(j.Org, logo)}, nil
}

// --- one-time codes, for signers addressed by e-mail or mobile ---

// codeView is the one-time-code page. Until a code was asked for, it
// offers only to send one: a field for a code that does not exist, and a
// button to confirm it, only lead to "ask for a code first".
type codeView struct {
	SignerID, Token string
	Sender          senderView
	Sent            bool // a code was asked for just now and is on its way
	Asked           bool // a code can be typed in: sent, or live from earlier
	Errors          []fieldError
}

func (v codeView) Error(field string) string { return fieldErrorKey(v.Errors, field) }

// codeErrors are the messages of ceremony.CheckCode's field errors.
var codeErrors = map[string]string{
	ceremony.CodeCodeWrong:   "sign.code.code-wrong",
	ceremony.CodeCodeMissing: "sign.code.code-missing",
	ceremony.CodeCodeExpired: "sign.code.code-expired",
}

// sendCode asks for a one-time code to the signer's address, and shows
// the code form again saying it was sent.
func (w *Web) sendCode(rw http.ResponseWriter, r *http.Request) error {
	signerID, token := r.PathValue("signer"), r.PostForm.Get("t")
	atPage(r, linkPath(signerID, token))
	err := w.signing.Svc.RequestCode(r.Context(), signerID, token)
	if errs.KindOf(err) == errs.Unavailable {
		return explain(err, "sign.error.code-unavailable", linkPath(signerID, token), "sign.error.login-again.retry")
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, linkPath(signerID, token)+"&sent=1", http.StatusSeeOther)
	return nil
}

// checkCode checks the code the signer typed; the right one marks this
// browser's session as holding it, and the signer may log in.
func (w *Web) checkCode(rw http.ResponseWriter, r *http.Request) error {
	ctx, signerID, token := r.Context(), r.PathValue("signer"), r.PostForm.Get("t")
	atPage(r, linkPath(signerID, token))
	code := strings.Join(strings.Fields(r.PostForm.Get("code")), "")
	err := w.signing.Svc.CheckCode(ctx, signerID, token, code)
	var e *errs.Error
	if errors.As(err, &e) && e.Field == "code" {
		v := codeView{SignerID: signerID, Token: token, Asked: true, Errors: []fieldError{{"code", codeErrors[e.Code]}}}
		if j, _, err := w.signing.Svc.SignerByLink(ctx, signerID, token); err == nil {
			if v.Sender, err = w.senderOf(ctx, j); err != nil {
				return err
			}
		}
		if e.Code == ceremony.CodeCodeMissing {
			// No code to type in: the error points at the button that sends one.
			v.Asked, v.Errors[0].Field = false, "send"
		}
		w.render(rw, r, http.StatusUnprocessableEntity, "sign_code", v)
		return nil
	}
	if err != nil {
		return err
	}
	j, _, err := w.signing.Svc.SignerByLink(ctx, signerID, token)
	if err != nil {
		return err
	}
	if _, err := w.NewSession(rw, r, Session{Job: j.ID, Signer: signerID, Link: token, Coded: signerID}); err != nil {
		return err
	}
	http.Redirect(rw, r, linkPath(signerID, token), http.StatusSeeOther)
	return nil
}

type startView struct {
	SignerID, Token string
	High            bool // the job needs level high
	Status          job.SignerStatus
	Sender          senderView
	Title           string // the job's title
}

// usedLink answers the link of a signer who has signed or rejected: never
// a way to act again. Its owner, logged in in this browser, goes to their
// receipt; anyone else gets 410 and, for a signed job, a way to log in to
// see the receipt.
func (w *Web) usedLink(rw http.ResponseWriter, r *http.Request, signerID, token string) error {
	j, signer, err := w.signing.Svc.SignerLink(r.Context(), signerID, token)
	if err != nil {
		return err
	}
	if s, err := w.Session(rw, r); err == nil && s.LoggedIn() && s.Signer == signerID && s.Job == j.ID {
		http.Redirect(rw, r, signerPath(signerID, "receipt"), http.StatusSeeOther)
		return nil
	}
	sender, err := w.senderOf(r.Context(), j)
	if err != nil {
		return err
	}
	w.render(rw, r, http.StatusGone, "sign_used", startView{SignerID: signerID, Token: token, Status: signer.Status,
		Sender: sender, Title: j.Title})
	return nil
}

// linkLogin starts the login for a signer link: for signing, or for the
// receipt of a signer who has signed.
func (w *Web) linkLogin(rw http.ResponseWriter, r *http.Request) error {
	ctx, signerID, token := r.Context(), r.PathValue("signer"), r.PostForm.Get("t")
	atPage(r, linkPath(signerID, token))
	j, signer, err := w.signing.Svc.SignerByLink(ctx, signerID, token)
	receipt := codeOf(err) == ceremony.CodeLinkUsed
	if receipt {
		if j, signer, err = w.signing.Svc.SignerLink(ctx, signerID, token); err == nil && signer.Status != job.SignerSigned {
			err = LinkUsed()
		}
	}
	if err != nil {
		return err
	}
	s, _ := w.Session(rw, r)
	if ceremony.NeedsCode(signer) && s.Coded != signerID {
		http.Redirect(rw, r, linkPath(signerID, token), http.StatusSeeOther)
		return nil
	}
	err = w.startLogin(rw, r, Session{Job: j.ID, Signer: signerID, Link: token, Coded: s.Coded}, loginLevel(j))
	if errs.KindOf(err) == errs.Unavailable {
		return partnerOut(err, linkPath(signerID, token))
	}
	if err != nil && !receipt && j.Flow == job.Direct && endsAttempt(err) {
		w.log.Warn("web: login could not start", "job", j.ID, "signer", signerID, "err", err)
		return w.exit(rw, r, j, signerID, j.ExitURLs.Error)
	}
	return err
}

// loginLevel is the level of assurance to ask for a job: its own, and high
// for an advanced signature, whose remote signing service gives the signer
// their key only on that level (sole control, eIDAS).
func loginLevel(j *job.Job) eid.Assurance {
	if j.SignatureType == job.Advanced {
		return eid.High
	}
	return eid.Assurance(j.Assurance)
}

// taskID is what a signer id looks like; anything else in ?task= is
// dropped rather than carried through a login.
var taskID = regexp.MustCompile(`^[0-9a-fA-F-]{1,64}$`)

// portalLogin starts a login for the portal, bound to no job: level
// substantial unless ?level=high (a task that needs it links here), and
// ?task= to open after the login.
func (w *Web) portalLogin(rw http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	want := eid.Substantial
	if q.Get("level") == string(eid.High) {
		want = eid.High
	}
	s := Session{}
	if t := q.Get("task"); taskID.MatchString(t) {
		s.Next = t
	}
	return w.startLogin(rw, r, s, want)
}

// startLogin sends the browser to the eID provider with a new session that
// holds the pending login.
func (w *Web) startLogin(rw http.ResponseWriter, r *http.Request, s Session, want eid.Assurance) error {
	if w.signing.Login == nil {
		return loginUnavailable()
	}
	authURL, pending, err := w.signing.Login.AuthURL(r.Context(), w.callbackURL(), want, Lang(r))
	if err != nil {
		return err
	}
	s.Pending = &pending
	if _, err := w.NewSession(rw, r, s); err != nil {
		return err
	}
	rw.Header().Set("Cache-Control", "no-store")
	http.Redirect(rw, r, authURL, http.StatusSeeOther)
	return nil
}

// loginCallback is where ID-porten sends the browser back (a GET, with
// code, state and iss in the query). The pending login is spent whatever
// the outcome: a replayed or forged callback finds nothing to complete.
func (w *Web) loginCallback(rw http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	s, err := w.Session(rw, r)
	if err != nil {
		atPage(r, "/sign/")
		return err
	}
	retry := "/sign/login"
	if s.Signer != "" {
		retry = linkPath(s.Signer, s.Link)
	}
	if s.Pending == nil || s.Area != "" { // a staff login completes at its own area's callback
		atPage(r, "/sign/")
		return explain(errs.E(errs.Unauthenticated, eid.CodeNoPendingLogin, "no login in progress"),
			"sign.error.login-again", retry, "sign.error.login-again.retry")
	}
	if w.signing.Login == nil {
		return loginUnavailable()
	}
	pending := *s.Pending
	id, err := w.signing.Login.Complete(ctx, pending, w.callbackURL(), r.URL.Query())
	if err != nil {
		w.EndSession(rw, r)
		return w.loginFailed(rw, r, s, err)
	}
	if s.Signer == "" {
		next := "/sign/"
		if s.Next != "" {
			next = signerPath(s.Next, "job")
		}
		if _, err := w.NewSession(rw, r, Session{}.withIdentity(id)); err != nil {
			return err
		}
		http.Redirect(rw, r, next, http.StatusSeeOther)
		return nil
	}
	j, signer, err := w.signing.Svc.ForSigner(ctx, s.Signer, id)
	if err == nil && j.ID != s.Job {
		err = errs.E(errs.NotFound, store.CodeJobNotFound, "no such job")
	}
	if err != nil {
		w.EndSession(rw, r)
		atPage(r, retry)
		return explainSigner(err, retry)
	}
	if _, err := w.NewSession(rw, r, Session{Job: j.ID, Signer: signer.ID, Link: s.Link, Coded: s.Coded}.withIdentity(id)); err != nil {
		return err
	}
	next := signerPath(signer.ID, "job")
	if signer.Status.Final() {
		next = signerPath(signer.ID, "receipt")
	}
	http.Redirect(rw, r, next, http.StatusSeeOther)
	return nil
}

// endsAttempt reports whether err ends a direct-flow signer's attempt, so
// that they go back to the sender's error URL rather than to a page of
// segl's: a login they cancelled (or the provider refused), a job that
// closed meanwhile, a failure on segl's side. Errors with a page of their
// own (explain), an outage of storage or of a service segl depends on
// (errs.Unavailable: the TSA, OCSP, the HSM, ID-porten; the signer can try
// again in a moment, and the job waits) and mistakes the signer can put
// right stay on segl's pages.
func endsAttempt(err error) bool {
	var pe *pageError
	if errors.As(err, &pe) || errs.KindOf(err) == errs.Unavailable || errs.StorageTrouble(err) {
		return false
	}
	if errs.KindOf(err) == errs.Internal {
		return true
	}
	switch codeOf(err) {
	case job.CodeJobNotActive, job.CodeJobExpired:
		return true
	}
	return errors.Is(err, eid.ErrDenied)
}

// loginFailed explains a login that did not complete, or in the direct
// flow sends the signer back to the sender when it ends the attempt.
func (w *Web) loginFailed(rw http.ResponseWriter, r *http.Request, s Session, err error) error {
	retry := "/sign/login"
	if s.Signer != "" {
		retry = linkPath(s.Signer, s.Link)
		if endsAttempt(err) {
			if j, signer, lerr := w.signing.Svc.SignerLink(r.Context(), s.Signer, s.Link); lerr == nil && j.ID == s.Job && j.Flow == job.Direct {
				w.log.Warn("web: login ended the attempt", "job", j.ID, "signer", signer.ID, "err", err)
				return w.exit(rw, r, j, signer.ID, j.ExitURLs.Error)
			}
		}
	}
	atPage(r, retry)
	switch {
	case errs.KindOf(err) == errs.Unavailable:
		return partnerOut(err, retry)
	case errors.Is(err, eid.ErrAssuranceTooLow):
		return explain(err, "sign.error.assurance-too-low", retry, "sign.error.assurance-too-low.retry")
	case errors.Is(err, eid.ErrDenied):
		return explain(err, "sign.error.login-cancelled", retry, "sign.error.login-again.retry")
	case errors.Is(err, eid.ErrExpired):
		return explain(err, "sign.error.login-again", retry, "sign.error.login-again.retry")
	case errors.Is(err, eid.ErrStateMismatch), errors.Is(err, eid.ErrNonceMismatch), errors.Is(err, eid.ErrInvalidToken):
		return explain(err, "sign.error.login-invalid", retry, "sign.error.login-again.retry")
	}
	return err
}

// explainSigner gives the refusals of ceremony.CheckIdentity their pages.
// retry is where to log in again, if anywhere.
func explainSigner(err error, retry string) error {
	switch codeOf(err) {
	case ceremony.CodeWrongPerson:
		return explain(err, "sign.error.wrong-person", retry, "sign.error.login-again.retry")
	case ceremony.CodeAssuranceTooLow:
		return explain(err, "sign.error.assurance-too-low", retry, "sign.error.assurance-too-low.retry")
	}
	return err
}

// logout ends the session in this browser.
func (w *Web) logout(rw http.ResponseWriter, r *http.Request) error {
	w.EndSession(rw, r)
	http.Redirect(rw, r, "/sign/", http.StatusSeeOther)
	return nil
}

// --- the signer's job ---

// signerSession finds the logged-in person's signer entry, as the session
// allows: a direct session only its own job and signer, a portal session
// only portal jobs where the person is the signer by identity number.
// Everything else is "not found".
func (w *Web) signerSession(rw http.ResponseWriter, r *http.Request, signerID string) (Session, *job.Job, *job.Signer, error) {
	s, err := w.Session(rw, r)
	if err != nil {
		return s, nil, nil, err
	}
	if !s.LoggedIn() || s.Area != "" { // a staff session is worth nothing here (Session.Area)
		return s, nil, nil, errs.E(errs.Unauthenticated, codeNotLoggedIn, "log in first")
	}
	notFound := errs.E(errs.NotFound, store.CodeJobNotFound, "no such job")
	id := s.Identity()
	if s.Signer != "" {
		if s.Signer != signerID {
			return s, nil, nil, notFound
		}
		j, signer, err := w.signing.Svc.ForSigner(r.Context(), signerID, id)
		if err != nil {
			return s, nil, nil, explainSigner(err, "")
		}
		if j.ID != s.Job || ceremony.NeedsCode(signer) && s.Coded != signer.ID {
			return s, nil, nil, notFound
		}
		return s, j, signer, nil
	}
	j, signer, err := w.signing.Svc.ForSigner(r.Context(), signerID, id)
	switch {
	case codeOf(err) == ceremony.CodeWrongPerson || errs.Is(err, errs.NotFound):
		return s, nil, nil, notFound
	case err != nil:
		return s, nil, nil, explainSigner(err, "/sign/login?"+url.Values{"level": {"high"}, "task": {signerID}}.Encode())
	case j.Flow != job.Portal || signer.PID != id.PID:
		return s, nil, nil, notFound
	}
	return s, j, signer, nil
}

// jobPage shows the job to its signer: the documents to read, and the
// forms to sign or reject.
func (w *Web) jobPage(rw http.ResponseWriter, r *http.Request) error {
	s, j, signer, err := w.signerSession(rw, r, r.PathValue("signer"))
	if err != nil {
		return err
	}
	if signer.Status.Final() {
		http.Redirect(rw, r, signerPath(signer.ID, "receipt"), http.StatusSeeOther)
		return nil
	}
	return w.renderJob(rw, r, s, j, signer, http.StatusOK, nil, "")
}

// fieldError is one invalid form field: its input's id and the catalogue
// key of the message.
type fieldError struct {
	Field, Key string
}

type jobView struct {
	Job    *job.Job
	Signer *job.Signer
	Sender string
	Brand  senderView // the sender as the page's banner shows it
	Name   string     // who is logged in
	Portal bool
	// Docs are the documents the signer signs, read and downloaded;
	// Originals, of a job whose signers sign its combined document, are
	// the documents as the sender uploaded them, listed below it.
	Docs      []docView
	Originals []docView
	Position  int       // the signer's place in the order, from 1
	Total     int       // number of signers
	Wait      string    // why the signer cannot act now (catalogue key), or ""
	Opens     time.Time // when a job not yet active opens for signing (Wait says so), or zero
	Errors    []fieldError
	Reason    string // the rejection reason as typed, shown again
	// Role names the organisation the signer signs for (MISSION I7), when
	// they do not sign as a private person.
	Role *roleView
}

type roleView struct {
	Number, Name string
	Authority    ceremony.Authority // what the business register says of the signer
}

// Error returns the message key for field, if it is invalid.
func (v jobView) Error(field string) string { return fieldErrorKey(v.Errors, field) }

// fieldErrorKey is the message key of field's error, or "".
func fieldErrorKey(list []fieldError, field string) string {
	for _, e := range list {
		if e.Field == field {
			return e.Key
		}
	}
	return ""
}

type docView struct {
	ID, Title, FileName, SHA256 string
	SignedSHA256                string
	Size, SignedSize            int64
	Pages                       int
	PDF                         bool // what the read link serves
	URL, SignedURL              string
}

func (w *Web) renderJob(rw http.ResponseWriter, r *http.Request, s Session, j *job.Job, signer *job.Signer, status int, errors []fieldError, reason string) error {
	atPage(r, signerPath(signer.ID, "job"))
	v, err := w.jobView(r, s, j, signer)
	if err != nil {
		return err
	}
	v.Errors, v.Reason = errors, reason
	if err := j.Turn(signer, w.clock.Now()); err != nil {
		switch codeOf(err) {
		case job.CodeNotYourTurn:
			v.Wait = "sign.job.wait.turn"
		case job.CodeJobExpired:
			v.Wait = "sign.job.wait.expired"
		case job.CodeJobNotActive:
			v.Wait = "sign.job.wait.closed"
			if j.Status == job.StatusCreated && j.ActivatesAt.After(w.clock.Now()) {
				v.Wait, v.Opens = "sign.job.wait.opens", j.ActivatesAt
			}
		default:
			v.Wait = "sign.job.wait.closed"
		}
	}
	w.render(rw, r, status, "sign_job", v)
	return nil
}

func (w *Web) jobView(r *http.Request, s Session, j *job.Job, signer *job.Signer) (jobView, error) {
	brand, err := w.senderOf(r.Context(), j)
	if err != nil {
		return jobView{}, err
	}
	v := jobView{Job: j, Signer: signer, Sender: brand.Name, Brand: brand, Name: s.Name, Portal: s.Signer == "", Total: len(j.Signers)}
	for i := range j.Signers {
		if j.Signers[i].ID == signer.ID {
			v.Position = i + 1
		}
	}
	if signer.OnBehalfOf != "" {
		name, err := w.signing.Svc.OrgName(r.Context(), signer.OnBehalfOf)
		if err != nil {
			return jobView{}, err
		}
		v.Role = &roleView{Number: signer.OnBehalfOf, Name: name,
			Authority: w.signing.Svc.Authority(r.Context(), signer.OnBehalfOf, s.Subject)}
	}
	for _, d := range j.Documents {
		dv := docView{ID: d.ID, Title: d.Title, FileName: d.FileName, SHA256: d.SHA256, Size: d.Size,
			Pages: d.Pages, PDF: d.MediaType == ceremony.MediaPDF || d.Signed.SHA256 != "",
			SignedSHA256: d.Signed.SHA256, SignedSize: d.Signed.Size,
			URL:       signerPath(signer.ID, "documents/"+url.PathEscape(d.ID)),
			SignedURL: signerPath(signer.ID, "signed/"+url.PathEscape(d.ID))}
		if j.Signs(&d) {
			v.Docs = append(v.Docs, dv)
		} else {
			v.Originals = append(v.Originals, dv)
		}
	}
	return v, nil
}

// document serves a document for the signer to read before signing,
// inline so that a browser (also on a phone) shows it: the upload, or the
// prepared PDF once the first signer has signed.
func (w *Web) document(rw http.ResponseWriter, r *http.Request) error {
	s, _, signer, err := w.signerSession(rw, r, r.PathValue("signer"))
	if err != nil {
		return err
	}
	d, o, err := w.signing.Svc.SignerDocument(r.Context(), signer.ID, r.PathValue("doc"), s.Identity())
	if err != nil {
		return err
	}
	defer o.Close()
	mediaType, name := d.MediaType, d.FileName
	if d.Signed.SHA256 != "" {
		mediaType, name = ceremony.MediaPDF, pdfName(d.FileName)
	}
	if mediaType == ceremony.MediaText {
		mediaType += "; charset=utf-8"
	}
	serveDocument(rw, r, mediaType, "inline", name, o)
	return nil
}

// signedDocument serves the signer's own signed file, for their receipt.
func (w *Web) signedDocument(rw http.ResponseWriter, r *http.Request) error {
	s, _, signer, err := w.signerSession(rw, r, r.PathValue("signer"))
	if err != nil {
		return err
	}
	d, o, err := w.signing.Svc.SignerSignedDocument(r.Context(), signer.ID, r.PathValue("doc"), s.Identity())
	if err != nil {
		return err
	}
	defer o.Close()
	serveDocument(rw, r, ceremony.MediaPDF, "attachment", d.SignedFileName(), o)
	return nil
}

// serveDocument streams a document with range support. A PDF gets a CSP
// that only forbids framing: the browser's own PDF viewer must be able to
// run in the document, and segl refuses PDFs with JavaScript on upload.
func serveDocument(rw http.ResponseWriter, r *http.Request, mediaType, disposition, name string, o blob.Object) {
	h := rw.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	h.Set("Cache-Control", "no-store")
	if strings.HasPrefix(mediaType, ceremony.MediaPDF) {
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	}
	http.ServeContent(rw, r, "", time.Time{}, io.NewSectionReader(o, 0, o.Size()))
}

// pdfName is the name of a document once segl has made it a PDF.
func pdfName(name string) string {
	if strings.EqualFold(path.Ext(name), ".pdf") {
		return name
	}
	return strings.TrimSuffix(name, path.Ext(name)) + ".pdf"
}

// signJob is the signing act. The signer must tick that they have read the
// documents and want to sign; the signing engine gets an advanced job's
// own key itself, and the pages never see it.
func (w *Web) signJob(rw http.ResponseWriter, r *http.Request) error {
	s, j, signer, err := w.signerSession(rw, r, r.PathValue("signer"))
	if err != nil {
		return err
	}
	atPage(r, signerPath(signer.ID, "job"))
	if r.PostForm.Get("confirm") != "yes" {
		return w.renderJob(rw, r, s, j, signer, http.StatusBadRequest, []fieldError{{"confirm", "sign.job.confirm.missing"}}, "")
	}
	done, err := w.signing.Svc.SignRead(r.Context(), j, signer.ID, s.Identity())
	if err != nil {
		return w.signFailed(rw, r, s, j, signer, err)
	}
	return w.finished(rw, r, s, done, signer.ID)
}

// signFailed explains why a signing act failed. An advanced job needs
// the signer's own key from the remote signing service, which the signing
// engine asks for with the ID token of the login: the token lives minutes
// only and the service wants level high, both fixed by logging in again.
// A person without a signing key there cannot sign this job at all.
func (w *Web) signFailed(rw http.ResponseWriter, r *http.Request, s Session, j *job.Job, signer *job.Signer, err error) error {
	var e *errs.Error
	if !errors.As(err, &e) {
		return w.actFailed(rw, r, s, j, signer, err)
	}
	switch e.Code {
	case signing.CodeAdvancedUnavailable:
		return explain(err, "sign.error.advanced-unavailable", signerPath(signer.ID, "job"), "sign.error.advanced-unavailable.retry")
	case signing.CodeOwnKeyLogin:
		again := "/sign/login?" + url.Values{"level": {"high"}, "task": {signer.ID}}.Encode()
		if s.Signer != "" {
			again = linkPath(signer.ID, s.Link)
		}
		return explain(err, "sign.error.own-key-login", again, "sign.error.assurance-too-low.retry")
	case signing.CodeNoOwnKey:
		return explain(err, "sign.error.no-own-key", "", "")
	}
	return w.actFailed(rw, r, s, j, signer, err)
}

// rejectView is the page that asks the signer to confirm a rejection: it
// ends the job for every signer and cannot be undone, so one click on the
// job page is not enough. It is a page of its own (no script needed); its
// form carries the reason on, and "back" returns to the job page with the
// reason still in the field.
type rejectView struct {
	Job    *job.Job
	Signer *job.Signer
	Reason string
	Sender senderView
}

// rejectJob ends the job on the signer's word, with an optional reason,
// once they have confirmed it (confirm=yes); the reject form on the job
// page leads to the confirmation first.
func (w *Web) rejectJob(rw http.ResponseWriter, r *http.Request) error {
	s, j, signer, err := w.signerSession(rw, r, r.PathValue("signer"))
	if err != nil {
		return err
	}
	atPage(r, signerPath(signer.ID, "job"))
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if err := ceremony.CheckReason(reason); err != nil {
		key := "sign.job.reason.invalid"
		if errs.HasCode(err, job.CodeTooLong) {
			key = "sign.job.reason.too-long"
		}
		return w.renderJob(rw, r, s, j, signer, http.StatusBadRequest, []fieldError{{"reason", key}}, reason)
	}
	switch r.PostForm.Get("confirm") {
	case "yes":
	case "no":
		return w.renderJob(rw, r, s, j, signer, http.StatusOK, nil, reason)
	default:
		if j.Turn(signer, w.clock.Now()) != nil {
			return w.renderJob(rw, r, s, j, signer, http.StatusOK, nil, reason) // it says why they cannot act
		}
		sender, err := w.senderOf(r.Context(), j)
		if err != nil {
			return err
		}
		w.render(rw, r, http.StatusOK, "sign_reject", rejectView{Job: j, Signer: signer, Reason: reason, Sender: sender})
		return nil
	}
	done, err := w.signing.Svc.Reject(r.Context(), signer.ID, s.Identity(), reason)
	if err != nil {
		return w.actFailed(rw, r, s, j, signer, err)
	}
	return w.finished(rw, r, s, done, signer.ID)
}

// actFailed handles a signing act or rejection that did not happen. A
// signer who has already finished (a second click, a second tab) is shown
// where they ended up. Full storage does not end the attempt: nothing was
// stored or spent, so the signer is asked to try again later from their
// job page, in either flow, and their link still works; so does an outage
// of segl's own database or object store (errs.StorageTrouble), or of a
// service it depends on (the TSA, OCSP, the HSM): the act can be made
// again in a moment. In the direct flow an error that ends the attempt
// (the job closed meanwhile, a failure on segl's side) sends the signer to
// the sender's error URL; the sender learns the rest from the status query.
func (w *Web) actFailed(rw http.ResponseWriter, r *http.Request, s Session, j *job.Job, signer *job.Signer, err error) error {
	if codeOf(err) == job.CodeSignerDone {
		return w.finished(rw, r, s, j, signer.ID)
	}
	if errs.StorageTrouble(err) {
		return explain(err, "sign.error.storage-full", signerPath(signer.ID, "job"), "error.507.retry")
	}
	if errs.KindOf(err) == errs.Unavailable {
		// Only the code: the text of an outage met while signing may
		// quote the signer's certificate, whose subject is their name.
		w.log.Warn("web: signing act waits for a service", "job", j.ID, "signer", signer.ID, "code", codeOf(err))
		return partnerOut(err, signerPath(signer.ID, "job"))
	}
	if s.Signer == "" || j.Flow != job.Direct || !endsAttempt(err) {
		return err
	}
	if errs.KindOf(err) == errs.Internal {
		w.log.Error("web: signing act failed", "job", j.ID, "signer", signer.ID, "err", err)
	} else {
		w.log.Warn("web: signing act ended", "job", j.ID, "signer", signer.ID, "err", err)
	}
	return w.exit(rw, r, j, signer.ID, j.ExitURLs.Error)
}

// finished sends a signer who has acted where they belong: in the direct
// flow back to the sender (completion or rejection URL), in the portal to
// their receipt.
func (w *Web) finished(rw http.ResponseWriter, r *http.Request, s Session, j *job.Job, signerID string) error {
	// Only a direct job has a sender's site to go back to; a portal job's
	// signer, whether they came through the portal or their own link (an
	// e-mail or mobile address and a code), gets the receipt.
	if s.Signer == "" || j.Flow != job.Direct {
		http.Redirect(rw, r, signerPath(signerID, "receipt"), http.StatusSeeOther)
		return nil
	}
	// j is the job as the act left it; after a failed act (another tab
	// signed first) it predates the outcome, which is then read again.
	fresh, signer := j, (*job.Signer)(nil)
	if sg, ok := j.Signer(signerID); ok && sg.Status.Final() {
		signer = sg
	} else {
		var err error
		if fresh, signer, err = w.signing.Svc.ForSigner(r.Context(), signerID, s.Identity()); err != nil {
			return err
		}
	}
	switch signer.Status {
	case job.SignerSigned:
		return w.exit(rw, r, fresh, signerID, j.ExitURLs.Completion)
	case job.SignerRejected:
		return w.exit(rw, r, fresh, signerID, j.ExitURLs.Rejection)
	}
	return w.exit(rw, r, fresh, signerID, j.ExitURLs.Error)
}

// exit sends a direct-flow signer to one of the sender's exit URLs with
// the status query token appended (DESIGN section 6), which the sender
// exchanges for the job's status over the API. The URL was checked when
// the job was created.
func (w *Web) exit(rw http.ResponseWriter, r *http.Request, j *job.Job, signerID, exitURL string) error {
	u, err := url.Parse(exitURL)
	if err != nil || exitURL == "" {
		return errs.Wrap(err, errs.Internal, codeExitURL, "job %s has no usable exit url", j.ID)
	}
	q := "status_query_token=" + url.QueryEscape(w.signing.Svc.StatusToken(j.ID, signerID))
	if u.RawQuery == "" {
		u.RawQuery = q
	} else {
		u.RawQuery += "&" + q
	}
	rw.Header().Set("Cache-Control", "no-store")
	http.Redirect(rw, r, u.String(), http.StatusSeeOther)
	return nil
}

// receipt shows a signer what they did: for a signature the hashes of the
// documents and their signed files to download.
func (w *Web) receipt(rw http.ResponseWriter, r *http.Request) error {
	s, j, signer, err := w.signerSession(rw, r, r.PathValue("signer"))
	if err != nil {
		return err
	}
	if !signer.Status.Final() {
		http.Redirect(rw, r, signerPath(signer.ID, "job"), http.StatusSeeOther)
		return nil
	}
	v, err := w.jobView(r, s, j, signer)
	if err != nil {
		return err
	}
	w.Render(rw, r, "sign_receipt", v)
	return nil
}

// receiptPDF serves the signer's receipt to keep: a PDF sealed by segl
// in the page's language, saying what they signed, when and how. It is
// made in memory (a page or two with the seal's certificates) and sent
// whole, so a failure is an error page, never half a file.
func (w *Web) receiptPDF(rw http.ResponseWriter, r *http.Request) error {
	s, _, signer, err := w.signerSession(rw, r, r.PathValue("signer"))
	if err != nil {
		return err
	}
	lang := Lang(r)
	if !slices.Contains(signing.ReceiptLangs, lang) {
		lang = "nb"
	}
	var b bytes.Buffer
	if err := w.signing.Svc.SignerReceipt(r.Context(), &b, signer.ID, s.Identity(), lang); err != nil {
		return err
	}
	h := rw.Header()
	h.Set("Content-Type", ceremony.MediaPDF)
	_, name := signing.ReceiptName(lang)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	_, err = rw.Write(b.Bytes())
	if err != nil {
		w.log.Debug("web: receipt not sent", "err", err)
	}
	return nil
}

// --- the portal's start page ---

type homeView struct {
	LoggedIn bool
	Name     string
	Tasks    []taskView
}

type taskView struct {
	SignerID, Title, Sender string
	Documents               int
	ExpiresAt               time.Time
}

// signHome is the signer's start page: the tasks of a logged-in person, or
// the way to log in.
func (w *Web) signHome(rw http.ResponseWriter, r *http.Request) error {
	if w.signing == nil {
		w.Render(rw, r, "sign_home", homeView{})
		return nil
	}
	s, err := w.Session(rw, r)
	if err != nil || !s.LoggedIn() || s.Signer != "" || s.Area != "" {
		w.Render(rw, r, "sign_home", homeView{})
		return nil
	}
	id := s.Identity()
	jobs, err := w.signing.Svc.Tasks(r.Context(), id)
	if err != nil {
		return err
	}
	v := homeView{LoggedIn: true, Name: s.Name}
	now := w.clock.Now()
	for _, j := range jobs {
		sender, err := w.signing.Svc.SenderName(r.Context(), j)
		if err != nil {
			return err
		}
		docs := len(j.Documents)
		if j.Combined() != nil {
			docs-- // the sender's documents, which the combined one holds
		}
		for i := range j.Signers {
			signer := &j.Signers[i]
			if signer.PID == id.PID && j.Turn(signer, now) == nil {
				v.Tasks = append(v.Tasks, taskView{SignerID: signer.ID, Title: j.Title, Sender: sender,
					Documents: docs, ExpiresAt: j.ExpiresAt})
			}
		}
	}
	w.Render(rw, r, "sign_home", v)
	return nil
}

package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/staff"
)

// The staff pages: the sender portal under /portal (portal.go) and the
// central administration under /admin (admin.go). Both log in through
// ID-porten on level high, into a session of their own area, so a
// signer's session opens neither and a portal session does not open
// /admin. Every page rechecks the person's rights in the store: a session
// only says who they are.

// Staff is what the portal and the administration need. Given to New,
// Routes mounts /portal and /admin.
type Staff struct {
	// Svc runs the senders' use cases (jobs are created, read and
	// cancelled through it, scoped by ceremony.Caller). Required.
	Svc *ceremony.Service
	// Admin runs the staff's use cases: organisations, portal users,
	// usage and failed tasks. Required.
	Admin *staff.Service
	// Login is the eID login; nil refuses logins with a page that says so.
	Login eid.Login
	// BaseURL is segl's public https URL without a trailing slash; the
	// callbacks BaseURL+"/portal/callback" and "/admin/callback" must be
	// registered with the provider.
	BaseURL string
}

func (w *Web) staffRoutes(mux *http.ServeMux) {
	w.portalRoutes(mux)
	w.adminRoutes(mux)
}

// staffLogin starts an ID-porten login on level high for area (AreaPortal
// or AreaAdmin); its callback is /AREA/callback.
func (w *Web) staffLogin(area string) HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) error {
		if w.staff.Login == nil {
			return loginUnavailable()
		}
		authURL, pending, err := w.staff.Login.AuthURL(r.Context(), w.staff.BaseURL+"/"+area+"/callback", eid.High, Lang(r))
		if err != nil {
			return err
		}
		if _, err := w.NewSession(rw, r, Session{Area: area, Pending: &pending}); err != nil {
			return err
		}
		rw.Header().Set("Cache-Control", "no-store")
		http.Redirect(rw, r, authURL, http.StatusSeeOther)
		return nil
	}
}

// staffCallback completes the login of area and starts a fresh session
// (new ID, no fixation) carrying the identity; then done decides where
// the person goes, and may refuse them.
func (w *Web) staffCallback(area string, done func(rw http.ResponseWriter, r *http.Request, id eid.Identity) error) HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) error {
		retry := "/" + area + "/login"
		query := r.URL.Query() // before atPage replaces the URL
		atPage(r, "/"+area+"/")
		s, err := w.Session(rw, r)
		if err != nil {
			return err
		}
		if s.Pending == nil || s.Area != area || w.staff.Login == nil {
			return explain(errs.E(errs.Unauthenticated, eid.CodeNoPendingLogin, "no login in progress"),
				"sign.error.login-again", retry, "sign.error.login-again.retry")
		}
		id, err := w.staff.Login.Complete(r.Context(), *s.Pending, w.staff.BaseURL+"/"+area+"/callback", query)
		if err != nil {
			w.EndSession(rw, r)
			why := loginFailure(err)
			if why == "" {
				return err
			}
			// The failure gets a page at a URL of its own, not the spent
			// callback with its code in the address bar: reloading it
			// or going back to it then explains again instead of failing
			// with "login expired".
			http.Redirect(rw, r, "/"+area+"/login/failed?"+url.Values{"why": {why}}.Encode(), http.StatusSeeOther)
			return nil
		}
		if err := w.newStaffSession(rw, r, Session{Area: area}.withIdentity(id)); err != nil {
			return err
		}
		return done(rw, r, id)
	}
}

// loginFailure names an eID login's failure for the page that explains it
// (staffLoginFailed), or "" for a failure that is not the person's to fix.
func loginFailure(err error) string {
	switch {
	case errors.Is(err, eid.ErrAssuranceTooLow):
		return ceremony.CodeAssuranceTooLow
	case errors.Is(err, eid.ErrDenied):
		return "cancelled"
	case errors.Is(err, eid.ErrExpired):
		return "expired"
	case errors.Is(err, eid.ErrStateMismatch), errors.Is(err, eid.ErrNonceMismatch), errors.Is(err, eid.ErrInvalidToken):
		return "invalid"
	}
	return ""
}

// staffLoginFailed explains why a login to area did not complete (the
// callback redirects here) and offers to log in again. The portal and the
// administration need the high level: MinID is not enough for either, and
// the page says so in their own words, not the signer pages'.
func (w *Web) staffLoginFailed(area string) HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) error {
		retry := "/" + area + "/login"
		switch r.URL.Query().Get("why") {
		case ceremony.CodeAssuranceTooLow:
			err := errs.E(errs.Forbidden, ceremony.CodeAssuranceTooLow, "the %s needs a login on level high", area)
			if area == AreaAdmin {
				return explain(err, "admin.error.assurance-too-low", retry, "sign.error.assurance-too-low.retry")
			}
			return explain(err, "portal.error.assurance-too-low", retry, "sign.error.assurance-too-low.retry")
		case "cancelled":
			return explain(errs.E(errs.Unauthenticated, eid.CodeDenied, "the login was cancelled"),
				"sign.error.login-cancelled", retry, "sign.error.login-again.retry")
		case "invalid":
			return explain(errs.E(errs.Unauthenticated, codeEIDInvalid, "the login could not be verified"),
				"sign.error.login-invalid", retry, "sign.error.login-again.retry")
		}
		return explain(errs.E(errs.Unauthenticated, codeEIDExpired, "the login expired"),
			"sign.error.login-again", retry, "sign.error.login-again.retry")
	}
}

// staffSession returns the logged-in session of area, or an Unauthenticated
// error whose page links to the area's login.
func (w *Web) staffSession(rw http.ResponseWriter, r *http.Request, area string) (Session, error) {
	s, err := w.Session(rw, r)
	if err == nil && (!s.LoggedIn() || s.Area != area || !eid.Assurance(s.LoA).AtLeast(eid.High)) {
		err = errs.E(errs.Unauthenticated, codeNotLoggedIn, "log in first")
	}
	if err == nil {
		err = w.staffSessionLive(r, s)
	}
	if errs.Is(err, errs.Unauthenticated) {
		return s, explain(err, "staff.error.login", "/"+area+"/login", "staff.error.login.retry")
	}
	return s, err
}

// staffSessionLive refuses a staff session its person has logged out of
// since, in this browser or another, or that is older than their role
// (staff.Service.SessionEnded).
func (w *Web) staffSessionLive(r *http.Request, s Session) error {
	ended, err := w.staff.Admin.SessionEnded(r.Context(), s.Subject, s.Gen, s.Created, s.Org)
	if err != nil {
		return err
	}
	if ended {
		return errs.E(errs.Unauthenticated, codeSessionEnded, "logged out of this session, or removed since it was made")
	}
	return nil
}

// newStaffSession starts a staff session (NewSession) in its person's
// current session generation.
func (w *Web) newStaffSession(rw http.ResponseWriter, r *http.Request, s Session) error {
	gen, err := w.staff.Admin.SessionGeneration(r.Context(), s.Subject)
	if err != nil {
		return err
	}
	s.Gen = gen
	_, err = w.NewSession(rw, r, s)
	return err
}

// staffLogout ends the person's staff sessions, this one and those of
// other browsers, everywhere (staff.Service.EndSessions), and deletes the
// cookie; then area's start page.
func (w *Web) staffLogout(area string) HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) error {
		// Authentic is enough: ending the generation of an expired
		// session ends nothing that was still good.
		if s, _, err := w.openSession(r); err == nil && s.LoggedIn() && s.Area != "" {
			if err := w.staff.Admin.EndSessions(r.Context(), s.Subject, s.Gen); err != nil {
				return err
			}
		}
		w.EndSession(rw, r)
		http.Redirect(rw, r, "/"+area+"/", http.StatusSeeOther)
		return nil
	}
}

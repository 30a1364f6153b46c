package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// The sender portal (MISSION I3, I4): an organisation's employees send
// documents for signing without an integration. They log in through
// ID-porten on level high and act for one organisation they are a user
// of: a sender sees and handles only the jobs they created, an
// administrator all of the organisation's and its users too.
//
// Every request asks the store again (ceremony.Service.PortalCaller)
// whether the person is still a user of the organisation, with which role,
// and whether the organisation may still use the service: the session says
// only who they are and whom they chose to act for. The use cases scope
// every job by that caller, so another organisation's job, or a colleague's
// for a sender, is "not found" whatever its id.
//
// Pages (portal_jobs.go, portal_users.go):
//
//	GET  /portal/                    start page, or the organisation's jobs
//	GET  /portal/login, /callback    ID-porten login (staff.go)
//	GET  /portal/org, POST           choose the organisation to act for
//	GET  /portal/jobs/new, POST /portal/jobs        new job
//	GET  /portal/jobs/{id}           a job, its documents and signers
//	POST /portal/jobs/{id}/cancel, /delete
//	GET  /portal/jobs/{id}/documents/{doc}[/signed], /signers/{signer}/evidence
//	GET  /portal/users, POST /portal/users[/role|/remove]   administrators only
//	POST /portal/logout

// portalRoutes mounts the sender portal under /portal.
func (w *Web) portalRoutes(mux *http.ServeMux) {
	w.Mount(mux, "GET /portal/{$}", w.portalHome)
	w.Mount(mux, "GET /portal/login", w.staffLogin(AreaPortal))
	w.Mount(mux, "GET /portal/login/failed", w.staffLoginFailed(AreaPortal))
	w.Mount(mux, "GET /portal/callback", w.staffCallback(AreaPortal, w.portalLoggedIn))
	w.Mount(mux, "POST /portal/logout", w.staffLogout(AreaPortal))
	w.Mount(mux, "GET /portal/org", w.portalOrgs)
	w.Mount(mux, "POST /portal/org", w.portalChooseOrg)
	w.Mount(mux, "GET /portal/jobs/new", w.portalNewJob)
	w.MountUpload(mux, "POST /portal/jobs", w.portalCreateJob)
	w.Mount(mux, "GET /portal/jobs/{id}", w.portalJob)
	w.Mount(mux, "POST /portal/jobs/{id}/cancel", w.portalCancel)
	w.Mount(mux, "POST /portal/jobs/{id}/delete", w.portalDelete)
	w.Mount(mux, "GET /portal/jobs/{id}/documents/{doc}", w.portalDocument)
	w.Mount(mux, "GET /portal/jobs/{id}/documents/{doc}/signed", w.portalSignedDocument)
	w.Mount(mux, "GET /portal/jobs/{id}/signers/{signer}/evidence", w.portalEvidence)
	w.Mount(mux, "GET /portal/users", w.portalUsers)
	w.Mount(mux, "POST /portal/users", w.portalGrant)
	w.Mount(mux, "POST /portal/users/role", w.portalChangeRole)
	w.Mount(mux, "POST /portal/users/remove", w.portalRemoveUser)
}

// portalLoggedIn decides where a person goes after logging in: straight
// to the jobs of their one organisation, to a choice when they are a user
// of several, and nowhere when they are a user of none.
func (w *Web) portalLoggedIn(rw http.ResponseWriter, r *http.Request, id eid.Identity) error {
	orgs, err := w.staff.Admin.Memberships(r.Context(), id.PID)
	if err != nil {
		return err
	}
	switch len(orgs) {
	case 0:
		w.EndSession(rw, r)
		return explain(errs.E(errs.Forbidden, ceremony.CodeNotAUser, "no access to the portal"), "portal.error.no-access", "", "")
	case 1:
		if err := w.newStaffSession(rw, r, Session{Area: AreaPortal, Org: orgs[0].Number}.withIdentity(id)); err != nil {
			return err
		}
		http.Redirect(rw, r, "/portal/", http.StatusSeeOther)
	default:
		http.Redirect(rw, r, "/portal/org", http.StatusSeeOther)
	}
	return nil
}

// access is a logged-in person acting for their chosen organisation, as
// the store says now.
type access struct {
	session Session
	caller  ceremony.Caller
	user    store.User
	org     store.Org
	orgs    int // how many organisations the person may act for
}

func (a access) admin() bool { return a.user.Role == store.RoleAdmin }

// navView is what the header of every portal page shows: who is logged
// in, for whom, and what they may open.
type navView struct {
	Name, Org     string
	Admin, Switch bool
}

func (a access) nav() navView {
	return navView{Name: a.session.Name, Org: a.org.Name, Admin: a.admin(), Switch: a.orgs > 1}
}

// portalAccess finds the caller of a portal request, or the page that
// explains why there is none.
func (w *Web) portalAccess(rw http.ResponseWriter, r *http.Request) (access, error) {
	ctx := r.Context()
	s, err := w.staffSession(rw, r, AreaPortal)
	if err != nil {
		return access{}, err
	}
	if s.Org == "" {
		return access{}, explain(errs.E(errs.Forbidden, codeNoOrganisation, "no organisation chosen"),
			"portal.error.choose-org", "/portal/org", "portal.error.choose-org.retry")
	}
	c, u, err := w.staff.Svc.PortalCaller(ctx, s.Org, s.Subject)
	switch codeOf(err) {
	case ceremony.CodeNotAUser:
		return access{}, explain(err, "portal.error.no-access", "", "")
	case ceremony.CodeOrganisationInactive, ceremony.CodeOrganisationUnknown:
		return access{}, explain(err, "portal.error.org-inactive", "", "")
	}
	if err != nil {
		return access{}, err
	}
	orgs, err := w.staff.Admin.Memberships(ctx, s.Subject)
	if err != nil {
		return access{}, err
	}
	i := slices.IndexFunc(orgs, func(o store.Org) bool { return o.Number == s.Org })
	if i < 0 { // removed since PortalCaller read it
		return access{}, explain(errs.E(errs.Forbidden, ceremony.CodeNotAUser, "no access to the portal"), "portal.error.no-access", "", "")
	}
	return access{session: s, caller: c, user: u, org: orgs[i], orgs: len(orgs)}, nil
}

// portalHome is the start page with the way to log in, or, for a
// logged-in person, the jobs of the organisation they act for.
func (w *Web) portalHome(rw http.ResponseWriter, r *http.Request) error {
	s, err := w.Session(rw, r)
	if err == nil && s.LoggedIn() && s.Area == AreaPortal {
		err = w.staffSessionLive(r, s)
		if err != nil && !errs.Is(err, errs.Unauthenticated) {
			return err
		}
	}
	if err != nil || !s.LoggedIn() || s.Area != AreaPortal {
		w.Render(rw, r, "portal_start", nil)
		return nil
	}
	if s.Org == "" {
		http.Redirect(rw, r, "/portal/org", http.StatusSeeOther)
		return nil
	}
	return w.portalJobs(rw, r)
}

type orgsView struct {
	Nav     navView
	Current string
	Orgs    []store.Org
}

// portalOrgs lists the organisations the person is a user of, to choose
// the one to act for.
func (w *Web) portalOrgs(rw http.ResponseWriter, r *http.Request) error {
	s, err := w.staffSession(rw, r, AreaPortal)
	if err != nil {
		return err
	}
	orgs, err := w.staff.Admin.Memberships(r.Context(), s.Subject)
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		return explain(errs.E(errs.Forbidden, ceremony.CodeNotAUser, "no access to the portal"), "portal.error.no-access", "", "")
	}
	w.Render(rw, r, "portal_orgs", orgsView{Nav: navView{Name: s.Name}, Current: s.Org, Orgs: orgs})
	return nil
}

// portalChooseOrg starts a new session acting for the chosen organisation,
// which must be one the person is a user of. A new session starts a new
// absolute lifetime, so changing organisation later needs a login younger
// than that lifetime: switching back and forth never keeps one login
// alive for ever.
func (w *Web) portalChooseOrg(rw http.ResponseWriter, r *http.Request) error {
	s, err := w.staffSession(rw, r, AreaPortal)
	if err != nil {
		return err
	}
	atPage(r, "/portal/org")
	if s.Org != "" && !w.clock.Now().Before(s.AuthTime.Add(w.max)) {
		return explain(errs.E(errs.Unauthenticated, codeLoginTooOld, "log in again to change organisation"),
			"portal.error.login-again", "/portal/login", "portal.error.login-again.retry")
	}
	chosen := r.PostForm.Get("org")
	if !job.ValidOrgNumber(chosen) {
		return errBadForm
	}
	orgs, err := w.staff.Admin.Memberships(r.Context(), s.Subject)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(orgs, func(o store.Org) bool { return o.Number == chosen }) {
		return explain(errs.E(errs.Forbidden, ceremony.CodeNotAUser, "not a user of %s", chosen), "portal.error.no-access", "", "")
	}
	next := Session{Area: AreaPortal, Org: chosen, Gen: s.Gen}.withIdentity(s.Identity())
	if _, err := w.NewSession(rw, r, next); err != nil {
		return err
	}
	http.Redirect(rw, r, "/portal/", http.StatusSeeOther)
	return nil
}

// portalPath is the path of a page of the job id.
func portalPath(id string, rest ...string) string {
	p := "/portal/jobs/" + url.PathEscape(id)
	for _, s := range rest {
		p += "/" + url.PathEscape(s)
	}
	return p
}

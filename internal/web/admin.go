package web

import (
	"net/http"

	"github.com/segl/segl/internal/eid"
)

// The central administration under /admin (MISSION I4, P1): the service
// owner's administrators onboard organisations, change what they may do,
// deactivate them, remove their portal users, read what they used (admin_orgs.go, admin_usage.go), and
// see the background tasks that gave up (admin_tasks.go).
//
// Administrators log in through ID-porten on level high into a session of
// the admin area (staff.go). The session only says who they are: every
// page checks again that the person is a central administrator (and so
// does every use case, staff.Service), so removing someone from the
// configuration locks them out at their next click.
// Anybody else who logs in gets a 403 page that says why.

// adminRoutes mounts the central administration under /admin.
func (w *Web) adminRoutes(mux *http.ServeMux) {
	w.Mount(mux, "GET /admin/{$}", w.adminHome)
	w.Mount(mux, "GET /admin/login", w.staffLogin(AreaAdmin))
	w.Mount(mux, "GET /admin/login/failed", w.staffLoginFailed(AreaAdmin))
	w.Mount(mux, "GET /admin/callback", w.staffCallback(AreaAdmin, w.adminLoggedIn))
	w.Mount(mux, "POST /admin/logout", w.staffLogout(AreaAdmin))
	w.Mount(mux, "GET /admin/orgs", w.asAdmin(w.adminOrgList))
	w.Mount(mux, "GET /admin/orgs/new", w.asAdmin(w.adminNewOrg))
	w.Mount(mux, "POST /admin/orgs/new", w.asAdmin(w.adminCreateOrg))
	w.Mount(mux, "GET /admin/orgs/{number}", w.asAdmin(w.adminOrgPage))
	w.Mount(mux, "POST /admin/orgs/{number}", w.asAdmin(w.adminSaveOrg))
	w.MountUpload(mux, "POST /admin/orgs/{number}/logo", w.asAdmin(w.adminSetLogo))
	w.Mount(mux, "POST /admin/orgs/{number}/logo/remove", w.asAdmin(w.adminRemoveLogo))
	w.Mount(mux, "POST /admin/orgs/{number}/deactivate", w.asAdmin(w.adminSetOrgActive(false)))
	w.Mount(mux, "POST /admin/orgs/{number}/reactivate", w.asAdmin(w.adminSetOrgActive(true)))
	w.Mount(mux, "POST /admin/orgs/{number}/users/remove", w.asAdmin(w.adminRemoveUser))
	w.Mount(mux, "GET /admin/usage", w.asAdmin(w.adminUsagePage))
	w.Mount(mux, "GET /admin/usage.csv", w.asAdmin(w.adminUsageCSV))
	w.Mount(mux, "GET /admin/tasks", w.asAdmin(w.adminTasks))
}

// adminHandler is an administration page, given the checked session.
type adminHandler func(rw http.ResponseWriter, r *http.Request, s Session) error

// asAdmin lets only a logged-in central administrator through to h.
func (w *Web) asAdmin(h adminHandler) HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) error {
		s, err := w.staffSession(rw, r, AreaAdmin)
		if err != nil {
			return err
		}
		if !w.staff.Admin.IsAdmin(s.Subject) {
			return w.adminRefused(rw, r, s.Name)
		}
		return h(rw, r, s)
	}
}

// adminHome is the start page: the organisations for an administrator,
// the way to log in for anybody without an admin session.
func (w *Web) adminHome(rw http.ResponseWriter, r *http.Request) error {
	s, err := w.staffSession(rw, r, AreaAdmin)
	if err != nil {
		w.Render(rw, r, "admin_login", nil)
		return nil
	}
	if !w.staff.Admin.IsAdmin(s.Subject) {
		return w.adminRefused(rw, r, s.Name)
	}
	return w.adminOrgList(rw, r, s)
}

// adminLoggedIn ends a login: administrators go to the start page.
func (w *Web) adminLoggedIn(rw http.ResponseWriter, r *http.Request, id eid.Identity) error {
	if !w.staff.Admin.IsAdmin(id.PID) {
		w.log.Warn("web: admin login by a person who is not an administrator")
		return w.adminRefused(rw, r, id.Name)
	}
	http.Redirect(rw, r, "/admin/", http.StatusSeeOther)
	return nil
}

// adminRefused is the 403 page for a person who logged in but is no central
// administrator. It offers to log out, to log in as somebody else.
func (w *Web) adminRefused(rw http.ResponseWriter, r *http.Request, name string) error {
	atPage(r, "/admin/")
	w.render(rw, r, http.StatusForbidden, "admin_forbidden", struct{ Name string }{name})
	return nil
}

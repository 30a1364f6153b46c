package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/staff"
	"github.com/segl/segl/internal/store"
)

// The organisation's users (MISSION I4): its administrators grant
// colleagues access to the portal, as senders or administrators, change
// their role and take access away (staff.Service, which decides who may;
// these pages read the forms and render).

type usersView struct {
	Nav    navView
	Users  []userRow
	Form   grantForm
	Errors []portalError
	Done   string // catalogue key of what was just done, or ""
}

// Error is the message about the grant form's input id, or "".
func (v usersView) Error(id string) string { return firstError(v.Errors, id) }

type userRow struct {
	store.User
	Self bool
}

// grantForm is the grant form as the administrator filled it in.
type grantForm struct {
	PID, Name, Email, Role string
}

// doneKeys are the confirmations a change redirects to (?done=…).
var doneKeys = []string{"granted", "changed", "removed"}

// explainUsers gives the refusals of the users' use cases their pages.
func explainUsers(err error) error {
	switch codeOf(err) {
	case staff.CodeNotAnAdmin:
		return explain(err, "portal.error.admin-only", "/portal/", "portal.error.admin-only.retry")
	case staff.CodeSelf:
		return explain(err, "portal.error.self", "/portal/users", "portal.users.back")
	}
	return err
}

// portalUsers lists the organisation's users, with the forms to change
// them and to grant access.
func (w *Web) portalUsers(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	v := usersView{Form: grantForm{Role: string(store.RoleSender)}}
	if d := r.URL.Query().Get("done"); slices.Contains(doneKeys, d) {
		v.Done = "portal.users.done." + d
	}
	return w.renderUsers(rw, r, a, http.StatusOK, v)
}

func (w *Web) renderUsers(rw http.ResponseWriter, r *http.Request, a access, status int, v usersView) error {
	atPage(r, "/portal/users")
	users, err := w.staff.Admin.Users(r.Context(), a.caller)
	if err != nil {
		return explainUsers(err)
	}
	v.Nav = a.nav()
	for _, u := range users {
		v.Users = append(v.Users, userRow{User: u, Self: u.PID == a.session.Subject})
	}
	w.render(rw, r, status, "portal_users", v)
	return nil
}

// grantErrors are the grant form's inputs and texts for the invalid
// fields (and codes) of staff.Service.Grant.
var grantErrors = map[[2]string]portalError{
	{"pid", staff.CodeMissing}:      {"pid", "portal.users.error.pid"},
	{"pid", staff.CodeInvalid}:      {"pid", "portal.users.error.pid"},
	{"pid", staff.CodeUserExists}:   {"pid", "portal.users.error.exists"},
	{"name", staff.CodeMissing}:     {"name", "portal.users.error.name"},
	{"name", staff.CodeTooLong}:     {"name", "portal.users.error.name"},
	{"name", staff.CodeInvalid}:     {"name", "portal.users.error.name"},
	{"email", staff.CodeInvalid}:    {"email", "portal.users.error.email"},
	{"role", staff.CodeRoleUnknown}: {"role-" + string(store.RoleSender), "portal.users.error.role"},
}

// portalGrant gives a person access to the portal for the organisation.
func (w *Web) portalGrant(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	f := grantForm{PID: compact(r.PostForm.Get("pid")), Name: strings.TrimSpace(r.PostForm.Get("name")),
		Email: strings.TrimSpace(r.PostForm.Get("email")), Role: r.PostForm.Get("role")}
	_, err = w.staff.Admin.Grant(r.Context(), a.caller, staff.Person{PID: f.PID, Name: f.Name, Email: f.Email}, store.Role(f.Role))
	if bad, ok := formErrors(err, grantErrors); ok {
		problems := make([]portalError, len(bad))
		for i, p := range bad {
			problems[i] = portalError{p.Field, w.T(Lang(r), p.Text)}
		}
		return w.renderUsers(rw, r, a, http.StatusUnprocessableEntity, usersView{Form: f, Errors: problems})
	}
	if err != nil {
		return explainUsers(err)
	}
	http.Redirect(rw, r, "/portal/users?done=granted", http.StatusSeeOther)
	return nil
}

// portalChangeRole makes a user an administrator or a sender.
func (w *Web) portalChangeRole(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	atPage(r, "/portal/users")
	err = w.staff.Admin.ChangeRole(r.Context(), a.caller, r.PostForm.Get("pid"), store.Role(r.PostForm.Get("role")))
	if errs.Is(err, errs.Invalid) {
		return errBadForm
	}
	if err != nil {
		return explainUsers(err)
	}
	http.Redirect(rw, r, "/portal/users?done=changed", http.StatusSeeOther)
	return nil
}

// portalRemoveUser takes a user's access away. Their jobs stay with the
// organisation.
func (w *Web) portalRemoveUser(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	atPage(r, "/portal/users")
	if err := w.staff.Admin.RemoveUser(r.Context(), a.caller, r.PostForm.Get("pid")); err != nil {
		return explainUsers(err)
	}
	http.Redirect(rw, r, "/portal/users?done=removed", http.StatusSeeOther)
	return nil
}

package web

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// The organisation's users (MISSION I4): its administrators grant
// colleagues access to the portal, as senders or administrators, change
// their role and take access away. Nobody changes or removes themselves,
// so an organisation always keeps the administrator who is acting.

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

// portalAdmin is portalAccess for pages only an administrator may open.
func (w *Web) portalAdmin(rw http.ResponseWriter, r *http.Request) (access, error) {
	a, err := w.portalAccess(rw, r)
	if err == nil && !a.admin() {
		err = explain(errs.E(errs.Forbidden, "not-an-admin", "only administrators manage users"),
			"portal.error.admin-only", "/portal/", "portal.error.admin-only.retry")
	}
	return a, err
}

// portalUsers lists the organisation's users, with the forms to change
// them and to grant access.
func (w *Web) portalUsers(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAdmin(rw, r)
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
	users, err := w.staff.Store.ListUsers(r.Context(), a.org.Number)
	if err != nil {
		return err
	}
	v.Nav = a.nav()
	for _, u := range users {
		v.Users = append(v.Users, userRow{User: u, Self: u.PID == a.session.Subject})
	}
	w.render(rw, r, status, "portal_users", v)
	return nil
}

// portalGrant gives a person access to the portal for the organisation.
func (w *Web) portalGrant(rw http.ResponseWriter, r *http.Request) error {
	ctx, lang := r.Context(), Lang(r)
	a, err := w.portalAdmin(rw, r)
	if err != nil {
		return err
	}
	f := grantForm{PID: compact(r.PostForm.Get("pid")), Name: strings.TrimSpace(r.PostForm.Get("name")),
		Email: strings.TrimSpace(r.PostForm.Get("email")), Role: r.PostForm.Get("role")}
	var problems []portalError
	add := func(field, key string) { problems = append(problems, portalError{field, w.T(lang, key)}) }
	if !job.ValidPID(f.PID) {
		add("pid", "portal.users.error.pid")
	} else if _, err := w.staff.Store.User(ctx, a.org.Number, f.PID); err == nil {
		add("pid", "portal.users.error.exists")
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	if n := utf8.RuneCountInString(f.Name); n == 0 || n > 200 {
		add("name", "portal.users.error.name")
	}
	if f.Email != "" && !job.ValidEmail(f.Email) {
		add("email", "portal.users.error.email")
	}
	if !store.Role(f.Role).Valid() {
		add("role-"+string(store.RoleSender), "portal.users.error.role")
	}
	if len(problems) > 0 {
		return w.renderUsers(rw, r, a, http.StatusUnprocessableEntity, usersView{Form: f, Errors: problems})
	}
	err = w.staff.Store.PutUser(ctx, a.by(w), store.User{Org: a.org.Number, PID: f.PID, Name: f.Name, Email: f.Email,
		Role: store.Role(f.Role), CreatedAt: w.clock.Now().UTC(), CreatedBy: "pid:" + a.session.Subject})
	if err != nil {
		return err
	}
	http.Redirect(rw, r, "/portal/users?done=granted", http.StatusSeeOther)
	return nil
}

// otherUser is the user of the organisation a change is about: never the
// administrator making it.
func (w *Web) otherUser(r *http.Request, a access) (store.User, error) {
	pid := r.PostForm.Get("pid")
	if pid == a.session.Subject {
		return store.User{}, explain(errs.E(errs.Forbidden, "self", "administrators cannot change themselves"),
			"portal.error.self", "/portal/users", "portal.users.back")
	}
	return w.staff.Store.User(r.Context(), a.org.Number, pid)
}

// portalChangeRole makes a user an administrator or a sender.
func (w *Web) portalChangeRole(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAdmin(rw, r)
	if err != nil {
		return err
	}
	atPage(r, "/portal/users")
	u, err := w.otherUser(r, a)
	if err != nil {
		return err
	}
	role := store.Role(r.PostForm.Get("role"))
	if !role.Valid() {
		return errBadForm
	}
	u.Role = role
	if err := w.staff.Store.PutUser(r.Context(), a.by(w), u); err != nil {
		return err
	}
	http.Redirect(rw, r, "/portal/users?done=changed", http.StatusSeeOther)
	return nil
}

// portalRemoveUser takes a user's access away. Their jobs stay with the
// organisation.
func (w *Web) portalRemoveUser(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAdmin(rw, r)
	if err != nil {
		return err
	}
	atPage(r, "/portal/users")
	u, err := w.otherUser(r, a)
	if err != nil {
		return err
	}
	if err := w.staff.Store.DeleteUser(r.Context(), a.by(w), a.org.Number, u.PID); err != nil {
		return err
	}
	http.Redirect(rw, r, "/portal/users?done=removed", http.StatusSeeOther)
	return nil
}

// by names the portal administrator making a change, for the audit log.
func (a access) by(w *Web) store.By {
	return store.By{Actor: "pid:" + a.session.Subject, At: w.clock.Now().UTC()}
}

package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// Organisations: the list, onboarding with the first portal administrator,
// editing, deactivation. Every change is validated whole before anything
// is written. The use cases (ceremony) check Org.Active on every call, so
// a deactivation takes effect at the organisation's next request.

// adminSignatureTypes are the types an organisation may be allowed, in the
// order the form shows them.
var adminSignatureTypes = []job.SignatureType{job.Authenticated, job.Advanced}

// Field limits: generous for real names, small enough for a page.
const (
	adminMaxName        = 200
	adminMaxCertSubject = 1000
)

type adminOrgsView struct {
	Orgs []store.Org
}

// adminOrgList lists every organisation.
func (w *Web) adminOrgList(rw http.ResponseWriter, r *http.Request, _ Session) error {
	orgs, err := w.staff.Store.ListOrgs(r.Context())
	if err != nil {
		return err
	}
	w.Render(rw, r, "admin_orgs", adminOrgsView{Orgs: orgs})
	return nil
}

// adminOrgForm is the organisation form as typed, trimmed.
type adminOrgForm struct {
	Number, Name, ContactEmail, CertSubject string
	Types                                   []job.SignatureType
	// The first portal administrator, on onboarding only.
	AdminPID, AdminName, AdminEmail string
}

// Allows reports whether the form ticks signature type t.
func (f adminOrgForm) Allows(t string) bool { return slices.Contains(f.Types, job.SignatureType(t)) }

func adminFormOf(org store.Org) adminOrgForm {
	return adminOrgForm{Number: org.Number, Name: org.Name, ContactEmail: org.ContactEmail, CertSubject: org.CertSubject,
		Types: org.SignatureTypes}
}

func adminReadOrgForm(r *http.Request) adminOrgForm {
	v := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	f := adminOrgForm{Number: v("number"), Name: v("name"), ContactEmail: v("contact"), CertSubject: v("cert"),
		AdminPID: v("admin_pid"), AdminName: v("admin_name"), AdminEmail: v("admin_email")}
	for _, t := range r.PostForm["types"] {
		if !f.Allows(t) {
			f.Types = append(f.Types, job.SignatureType(t))
		}
	}
	return f
}

// check returns what is wrong with the organisation's own fields, in the
// order of the form.
func (f adminOrgForm) check() []fieldError {
	var bad []fieldError
	add := func(field, key string) { bad = append(bad, fieldError{field, key}) }
	switch {
	case f.Name == "":
		add("name", "admin.org.name.missing")
	case utf8.RuneCountInString(f.Name) > adminMaxName:
		add("name", "admin.org.name.too-long")
	}
	if len(f.Types) == 0 {
		add("types", "admin.org.types.missing")
	}
	for _, t := range f.Types {
		if !slices.Contains(adminSignatureTypes, t) {
			add("types", "admin.org.types.unknown")
			break
		}
	}
	switch {
	case f.ContactEmail == "":
		add("contact", "admin.org.contact.missing")
	case !job.ValidEmail(f.ContactEmail):
		add("contact", "admin.org.contact.invalid")
	}
	if utf8.RuneCountInString(f.CertSubject) > adminMaxCertSubject || strings.IndexFunc(f.CertSubject, unicode.IsControl) >= 0 {
		add("cert", "admin.org.cert.invalid")
	}
	return bad
}

// checkAdmin returns what is wrong with the first portal administrator.
func (f adminOrgForm) checkAdmin() []fieldError {
	var bad []fieldError
	add := func(field, key string) { bad = append(bad, fieldError{field, key}) }
	switch {
	case f.AdminPID == "":
		add("admin_pid", "admin.org.admin-pid.missing")
	case !job.ValidPID(f.AdminPID):
		add("admin_pid", "admin.org.admin-pid.invalid")
	}
	switch {
	case f.AdminName == "":
		add("admin_name", "admin.org.admin-name.missing")
	case utf8.RuneCountInString(f.AdminName) > adminMaxName:
		add("admin_name", "admin.org.name.too-long")
	}
	switch {
	case f.AdminEmail == "":
		add("admin_email", "admin.org.admin-email.missing")
	case !job.ValidEmail(f.AdminEmail):
		add("admin_email", "admin.org.admin-email.invalid")
	}
	return bad
}

// adminOrgView is the onboarding form (New) or an organisation's page.
type adminOrgView struct {
	New    bool
	Org    store.Org // as stored; empty when New
	Form   adminOrgForm
	Errors []fieldError
	Users  []store.User
	Done   string // catalogue key confirming what was just done, or ""
}

// Error returns the message key for field, if it is invalid.
func (v adminOrgView) Error(field string) string {
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Key
		}
	}
	return ""
}

// adminNewOrg shows the empty onboarding form, both signature types ticked.
func (w *Web) adminNewOrg(rw http.ResponseWriter, r *http.Request, _ Session) error {
	w.Render(rw, r, "admin_org", adminOrgView{New: true, Form: adminOrgForm{Types: adminSignatureTypes}})
	return nil
}

// adminCreateOrg onboards an organisation with its first portal administrator.
func (w *Web) adminCreateOrg(rw http.ResponseWriter, r *http.Request, s Session) error {
	ctx := r.Context()
	atPage(r, "/admin/orgs/new")
	f := adminReadOrgForm(r)
	var bad []fieldError
	switch {
	case f.Number == "":
		bad = append(bad, fieldError{"number", "admin.org.number.missing"})
	case !job.ValidOrgNumber(f.Number):
		bad = append(bad, fieldError{"number", "admin.org.number.invalid"})
	default:
		_, err := w.staff.Store.Org(ctx, f.Number)
		if err == nil {
			bad = append(bad, fieldError{"number", "admin.org.number.exists"})
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
	}
	bad = append(append(bad, f.check()...), f.checkAdmin()...)
	if len(bad) > 0 {
		w.render(rw, r, http.StatusUnprocessableEntity, "admin_org", adminOrgView{New: true, Form: f, Errors: bad})
		return nil
	}
	now := w.clock.Now()
	org := store.Org{Number: f.Number, Name: f.Name, Active: true, SignatureTypes: f.Types, CreatedAt: now,
		ContactEmail: f.ContactEmail, CertSubject: f.CertSubject}
	err := w.staff.Store.Onboard(ctx, adminBy(s, now), org, store.User{Org: f.Number, PID: f.AdminPID, Name: f.AdminName, Email: f.AdminEmail,
		Role: store.RoleAdmin, CreatedAt: now, CreatedBy: "admin:" + s.Subject})
	if errs.Is(err, errs.Conflict) { // onboarded by someone else since the check above
		bad = append(bad, fieldError{"number", "admin.org.number.exists"})
		w.render(rw, r, http.StatusUnprocessableEntity, "admin_org", adminOrgView{New: true, Form: f, Errors: bad})
		return nil
	}
	if err != nil {
		return err
	}
	w.log.Info("web: organisation onboarded", "org", f.Number)
	return adminRedirectDone(rw, r, f.Number, "created")
}

// adminOrgPage shows an organisation with its edit form and portal users.
func (w *Web) adminOrgPage(rw http.ResponseWriter, r *http.Request, _ Session) error {
	org, err := w.staff.Store.Org(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	v := adminOrgView{Org: org, Form: adminFormOf(org)}
	if done := r.URL.Query().Get("done"); slices.Contains(adminOrgDone, done) {
		v.Done = "admin.org.done." + done
	}
	return w.adminRenderOrg(rw, r, http.StatusOK, v)
}

// adminOrgDone are the confirmations an organisation's page may show.
var adminOrgDone = []string{"created", "saved", "deactivated", "reactivated"}

func (w *Web) adminRenderOrg(rw http.ResponseWriter, r *http.Request, status int, v adminOrgView) error {
	users, err := w.staff.Store.ListUsers(r.Context(), v.Org.Number)
	if err != nil {
		return err
	}
	v.Users = users
	w.render(rw, r, status, "admin_org", v)
	return nil
}

// adminSaveOrg changes an organisation's name, signature types, contact e-mail
// and certificate subject; its number, state and creation stay.
func (w *Web) adminSaveOrg(rw http.ResponseWriter, r *http.Request, s Session) error {
	ctx := r.Context()
	org, err := w.staff.Store.Org(ctx, r.PathValue("number"))
	if err != nil {
		return err
	}
	atPage(r, adminOrgPath(org.Number))
	f := adminReadOrgForm(r)
	f.Number = org.Number
	if bad := f.check(); len(bad) > 0 {
		return w.adminRenderOrg(rw, r, http.StatusUnprocessableEntity, adminOrgView{Org: org, Form: f, Errors: bad})
	}
	org.Name, org.SignatureTypes, org.ContactEmail, org.CertSubject = f.Name, f.Types, f.ContactEmail, f.CertSubject
	if err := w.staff.Store.PutOrg(ctx, adminBy(s, w.clock.Now()), org); err != nil {
		return err
	}
	w.log.Info("web: organisation changed", "org", org.Number)
	return adminRedirectDone(rw, r, org.Number, "saved")
}

// adminSetOrgActive deactivates or reactivates an organisation. A
// deactivated organisation's requests are refused until it is reactivated;
// its jobs and their signers are left as they are.
func (w *Web) adminSetOrgActive(active bool) adminHandler {
	return func(rw http.ResponseWriter, r *http.Request, s Session) error {
		ctx := r.Context()
		org, err := w.staff.Store.Org(ctx, r.PathValue("number"))
		if err != nil {
			return err
		}
		org.Active = active
		if err := w.staff.Store.PutOrg(ctx, adminBy(s, w.clock.Now()), org); err != nil {
			return err
		}
		done := "deactivated"
		if active {
			done = "reactivated"
		}
		w.log.Info("web: organisation "+done, "org", org.Number)
		return adminRedirectDone(rw, r, org.Number, done)
	}
}

func adminOrgPath(number string) string { return "/admin/orgs/" + url.PathEscape(number) }

// adminRedirectDone sends the browser to the organisation's page after a
// change (post/redirect/get), which confirms it.
func adminRedirectDone(rw http.ResponseWriter, r *http.Request, number, done string) error {
	http.Redirect(rw, r, adminOrgPath(number)+"?done="+done, http.StatusSeeOther)
	return nil
}

// adminBy names the central administrator making a change, for the audit log.
func adminBy(s Session, at time.Time) store.By {
	return store.By{Actor: "admin:" + s.Subject, At: at.UTC()}
}

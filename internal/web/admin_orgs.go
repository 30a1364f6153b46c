package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/staff"
	"github.com/segl/segl/internal/store"
)

// Organisations: the list, onboarding with the first portal administrator,
// editing, deactivation. The pages read and render forms; the use cases
// (staff.Service) authorise, validate and write.

type adminOrgsView struct {
	Orgs []store.Org
}

// adminOrgList lists every organisation.
func (w *Web) adminOrgList(rw http.ResponseWriter, r *http.Request, s Session) error {
	orgs, err := w.staff.Admin.Orgs(r.Context(), adminOf(s))
	if err != nil {
		return err
	}
	w.Render(rw, r, "admin_orgs", adminOrgsView{Orgs: orgs})
	return nil
}

// adminOrgForm is the organisation form as typed, trimmed.
type adminOrgForm struct {
	Number, Name, ContactEmail, CertSubject string
	Retention                               string // days; "" for the default
	Types                                   []job.SignatureType
	// Brokers are the organisation numbers of the brokers, as typed:
	// separated by commas or spaces.
	Brokers string
	// The first portal administrator, on onboarding only.
	AdminPID, AdminName, AdminEmail string
}

// Allows reports whether the form ticks signature type t.
func (f adminOrgForm) Allows(t string) bool { return slices.Contains(f.Types, job.SignatureType(t)) }

func adminFormOf(org store.Org) adminOrgForm {
	return adminOrgForm{Number: org.Number, Name: org.Name, ContactEmail: org.ContactEmail, CertSubject: org.CertSubject,
		Retention: strconv.Itoa(org.Retention()), Types: org.SignatureTypes, Brokers: strings.Join(org.Brokers, ", ")}
}

func adminReadOrgForm(r *http.Request) adminOrgForm {
	v := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	f := adminOrgForm{Number: v("number"), Name: v("name"), ContactEmail: v("contact"), CertSubject: v("cert"),
		Retention: v("retention"), Brokers: v("brokers"), AdminPID: v("admin_pid"), AdminName: v("admin_name"), AdminEmail: v("admin_email")}
	for _, t := range r.PostForm["types"] {
		if !f.Allows(t) {
			f.Types = append(f.Types, job.SignatureType(t))
		}
	}
	return f
}

// input is the organisation the form describes.
func (f adminOrgForm) input() staff.OrgInput {
	in := staff.OrgInput{Number: f.Number, Name: f.Name, SignatureTypes: f.Types, ContactEmail: f.ContactEmail,
		CertSubject: f.CertSubject}
	in.Brokers = strings.FieldsFunc(f.Brokers, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
	if f.Retention != "" {
		// Not a number is out of range too: -1 makes the use case say so.
		if in.RetentionDays, _ = strconv.Atoi(f.Retention); in.RetentionDays == 0 {
			in.RetentionDays = -1
		}
	}
	return in
}

// firstAdmin is the first portal administrator the onboarding form names.
func (f adminOrgForm) firstAdmin() staff.Person {
	return staff.Person{PID: f.AdminPID, Name: f.AdminName, Email: f.AdminEmail}
}

// adminOrgErrors are the form's fields and texts for the invalid fields
// (and codes) of staff.Service.Onboard and ChangeOrg.
var adminOrgErrors = map[[2]string]fieldError{
	{"number", staff.CodeMissing}:                {"number", "admin.org.number.missing"},
	{"number", staff.CodeInvalid}:                {"number", "admin.org.number.invalid"},
	{"number", staff.CodeOrgExists}:              {"number", "admin.org.number.exists"},
	{"name", staff.CodeMissing}:                  {"name", "admin.org.name.missing"},
	{"name", staff.CodeTooLong}:                  {"name", "admin.org.name.too-long"},
	{"name", staff.CodeInvalid}:                  {"name", "admin.org.name.invalid"},
	{"signature_types", staff.CodeMissing}:       {"types", "admin.org.types.missing"},
	{"signature_types", staff.CodeUnknownType}:   {"types", "admin.org.types.unknown"},
	{"contact_email", staff.CodeMissing}:         {"contact", "admin.org.contact.missing"},
	{"contact_email", staff.CodeInvalid}:         {"contact", "admin.org.contact.invalid"},
	{"cert_subject", staff.CodeInvalid}:          {"cert", "admin.org.cert.invalid"},
	{"retention_days", job.CodeInvalidRetention}: {"retention", "admin.org.retention.invalid"},
	{"brokers", staff.CodeInvalid}:               {"brokers", "admin.org.brokers.invalid"},
	{"brokers", staff.CodeBrokerSelf}:            {"brokers", "admin.org.brokers.self"},
	{"brokers", staff.CodeNotOnboarded}:          {"brokers", "admin.org.brokers.unknown"},
	{"brokers", staff.CodeTooMany}:               {"brokers", "admin.org.brokers.too-many"},
	{"first_admin.pid", staff.CodeMissing}:       {"admin_pid", "admin.org.admin-pid.missing"},
	{"first_admin.pid", staff.CodeInvalid}:       {"admin_pid", "admin.org.admin-pid.invalid"},
	{"first_admin.name", staff.CodeMissing}:      {"admin_name", "admin.org.admin-name.missing"},
	{"first_admin.name", staff.CodeTooLong}:      {"admin_name", "admin.org.name.too-long"},
	{"first_admin.name", staff.CodeInvalid}:      {"admin_name", "admin.org.name.invalid"},
	{"first_admin.email", staff.CodeMissing}:     {"admin_email", "admin.org.admin-email.missing"},
	{"first_admin.email", staff.CodeInvalid}:     {"admin_email", "admin.org.admin-email.invalid"},
}

// formErrors are a form's errors for an Invalid error of a use case,
// each of its fields and codes looked up in table; ok is false for any
// other error, or one the table does not know.
func formErrors[E any](err error, table map[[2]string]E) (bad []E, ok bool) {
	e, isErr := errors.AsType[*errs.Error](err)
	if !isErr || e.Kind != errs.Invalid {
		return nil, false
	}
	list := e.Details
	if len(list) == 0 {
		list = []*errs.Error{e}
	}
	for _, d := range list {
		fe, known := table[[2]string{d.Field, d.Code}]
		if !known {
			return nil, false
		}
		bad = append(bad, fe)
	}
	return bad, true
}

// adminOrgView is the onboarding form (New) or an organisation's page.
type adminOrgView struct {
	New    bool
	Org    store.Org // as stored; empty when New
	Form   adminOrgForm
	Errors []fieldError
	Users  []store.User
	Done   string // catalogue key confirming what was just done, or ""
	Logo   string // the URL of the organisation's logo; "" when it has none
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
	w.Render(rw, r, "admin_org", adminOrgView{New: true, Form: adminOrgForm{Types: staff.SignatureTypes}})
	return nil
}

// adminCreateOrg onboards an organisation with its first portal administrator.
func (w *Web) adminCreateOrg(rw http.ResponseWriter, r *http.Request, s Session) error {
	atPage(r, "/admin/orgs/new")
	f := adminReadOrgForm(r)
	_, err := w.staff.Admin.Onboard(r.Context(), adminOf(s), f.input(), f.firstAdmin())
	if bad, ok := formErrors(err, adminOrgErrors); ok {
		w.render(rw, r, http.StatusUnprocessableEntity, "admin_org", adminOrgView{New: true, Form: f, Errors: bad})
		return nil
	}
	if err != nil {
		return err
	}
	return adminRedirectDone(rw, r, f.Number, "created")
}

// adminOrgPage shows an organisation with its edit form and portal users.
func (w *Web) adminOrgPage(rw http.ResponseWriter, r *http.Request, s Session) error {
	v := adminOrgView{}
	if done := r.URL.Query().Get("done"); slices.Contains(adminOrgDone, done) {
		v.Done = "admin.org.done." + done
	}
	return w.adminRenderOrg(rw, r, s, http.StatusOK, v)
}

// adminOrgDone are the confirmations an organisation's page may show.
var adminOrgDone = []string{"created", "saved", "deactivated", "reactivated", "logo-saved", "logo-removed", "user-removed"}

// adminRenderOrg shows the organisation of the request's path with its
// users; with the form as stored unless v has one.
func (w *Web) adminRenderOrg(rw http.ResponseWriter, r *http.Request, s Session, status int, v adminOrgView) error {
	org, users, err := w.staff.Admin.Org(r.Context(), adminOf(s), r.PathValue("number"))
	if err != nil {
		return err
	}
	v.Org, v.Users = org, users
	if v.Errors == nil || v.Form.Number == "" {
		v.Form = adminFormOf(org)
	}
	v.Logo = logoURL(org.Number, org.Logo)
	w.render(rw, r, status, "admin_org", v)
	return nil
}

// adminSaveOrg changes an organisation's name, signature types, contact
// e-mail, certificate subject, retention and brokers; its number, state
// and creation stay.
func (w *Web) adminSaveOrg(rw http.ResponseWriter, r *http.Request, s Session) error {
	number := r.PathValue("number")
	atPage(r, adminOrgPath(number))
	f := adminReadOrgForm(r)
	f.Number = number
	_, err := w.staff.Admin.ChangeOrg(r.Context(), adminOf(s), number, f.input())
	if bad, ok := formErrors(err, adminOrgErrors); ok {
		return w.adminRenderOrg(rw, r, s, http.StatusUnprocessableEntity, adminOrgView{Form: f, Errors: bad})
	}
	if err != nil {
		return err
	}
	return adminRedirectDone(rw, r, number, "saved")
}

// adminSetOrgActive deactivates or reactivates an organisation
// (staff.Service.SetOrgActive).
func (w *Web) adminSetOrgActive(active bool) adminHandler {
	return func(rw http.ResponseWriter, r *http.Request, s Session) error {
		number := r.PathValue("number")
		if err := w.staff.Admin.SetOrgActive(r.Context(), adminOf(s), number, active); err != nil {
			return err
		}
		done := "deactivated"
		if active {
			done = "reactivated"
		}
		return adminRedirectDone(rw, r, number, done)
	}
}

// adminRemoveUser takes a portal user's access to the organisation away
// (staff.Service.RemoveOrgUser).
func (w *Web) adminRemoveUser(rw http.ResponseWriter, r *http.Request, s Session) error {
	number := r.PathValue("number")
	atPage(r, adminOrgPath(number))
	if err := w.staff.Admin.RemoveOrgUser(r.Context(), adminOf(s), number, r.PostForm.Get("pid")); err != nil {
		return err
	}
	return adminRedirectDone(rw, r, number, "user-removed")
}

// adminLogoErrors are the logo form's errors.
var adminLogoErrors = map[[2]string]fieldError{
	{"logo", staff.CodeLogoMissing}:  {"logo", "admin.org.logo.missing"},
	{"logo", staff.CodeLogoTooLarge}: {"logo", "admin.org.logo.too-large"},
	{"logo", staff.CodeLogoType}:     {"logo", "admin.org.logo.type"},
}

// adminSetLogo takes an organisation's new logo from the form's file
// "logo". At most one byte more than staff.MaxLogoSize is read, so a
// file too large is refused by the use case without being kept whole.
func (w *Web) adminSetLogo(rw http.ResponseWriter, r *http.Request, s Session) error {
	number := r.PathValue("number")
	atPage(r, adminOrgPath(number))
	var data []byte
	if r.MultipartForm != nil {
		if files := r.MultipartForm.File["logo"]; len(files) > 0 {
			f, err := files[0].Open()
			if err != nil {
				return err
			}
			data, err = io.ReadAll(io.LimitReader(f, staff.MaxLogoSize+1))
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	_, err := w.staff.Admin.SetOrgLogo(r.Context(), adminOf(s), number, data)
	if bad, ok := formErrors(err, adminLogoErrors); ok {
		return w.adminRenderOrg(rw, r, s, http.StatusUnprocessableEntity, adminOrgView{Errors: bad})
	}
	if err != nil {
		return err
	}
	return adminRedirectDone(rw, r, number, "logo-saved")
}

// adminRemoveLogo takes an organisation's logo away.
func (w *Web) adminRemoveLogo(rw http.ResponseWriter, r *http.Request, s Session) error {
	number := r.PathValue("number")
	if err := w.staff.Admin.RemoveOrgLogo(r.Context(), adminOf(s), number); err != nil {
		return err
	}
	return adminRedirectDone(rw, r, number, "logo-removed")
}

func adminOrgPath(number string) string { return "/admin/orgs/" + url.PathEscape(number) }

// adminRedirectDone sends the browser to the organisation's page after a
// change (post/redirect/get), which confirms it.
func adminRedirectDone(rw http.ResponseWriter, r *http.Request, number, done string) error {
	http.Redirect(rw, r, adminOrgPath(number)+"?done="+done, http.StatusSeeOther)
	return nil
}

// adminOf is the central administrator the session is of, for the use
// cases, which check it again.
func adminOf(s Session) staff.Admin { return staff.Admin{PID: s.Subject} }

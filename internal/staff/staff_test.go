package staff_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/staff"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/sqlite"
)

// Identities of the synthetic population (valid identity and
// organisation numbers).
const (
	centralPID = "07839635529" // the central administrator
	olaPID     = "21909825250" // administrator of orgA
	kariPID    = "03896127682" // sender in orgA
	larsPID    = "06927433549" // administrator of orgB
	orgA       = "317510748"
	orgB       = "310221234"
	newOrg     = "971234563"
)

type env struct {
	db    *sqlite.DB
	svc   *staff.Service
	jobs  *ceremony.Service
	admin staff.Admin
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "segl.db"), sqlite.Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := clock.NewFake(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	by := store.By{Actor: "test", At: clk.Now()}
	for _, o := range []string{orgA, orgB} {
		err := db.PutOrg(ctx, by, store.Org{Number: o, Name: "Org " + o, Active: true,
			SignatureTypes: []job.SignatureType{job.Authenticated}, CreatedAt: clk.Now()})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []store.User{
		{Org: orgA, PID: olaPID, Name: "Ola Nordmann", Role: store.RoleAdmin},
		{Org: orgA, PID: kariPID, Name: "Kari Nordmann", Role: store.RoleSender},
		{Org: orgB, PID: larsPID, Name: "Lars Hansen", Role: store.RoleAdmin},
	} {
		u.CreatedAt, u.CreatedBy = clk.Now(), "test"
		if err := db.PutUser(ctx, by, u); err != nil {
			t.Fatal(err)
		}
	}
	return &env{db: db, jobs: &ceremony.Service{Store: db, Clock: clk, Limits: job.DefaultLimits},
		svc: &staff.Service{Store: db, Clock: clk, AdminPIDs: []string{centralPID}}, admin: staff.Admin{PID: centralPID}}
}

// portal is the caller of a portal user, as the portal finds it.
func (e *env) portal(t *testing.T, org, pid string) ceremony.Caller {
	t.Helper()
	c, _, err := e.jobs.PortalCaller(context.Background(), org, pid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCode(t *testing.T, what string, err error, kind errs.Kind, code string) {
	t.Helper()
	e, ok := errors.AsType[*errs.Error](err)
	if !ok || e.Kind != kind || e.Code != code {
		t.Errorf("%s: %v, want %s %q", what, err, kind, code)
	}
}

func onboarding() (staff.OrgInput, staff.Person) {
	return staff.OrgInput{Number: newOrg, Name: "Barnevernet test", SignatureTypes: staff.SignatureTypes,
			ContactEmail: "post@barnevernet.example"},
		staff.Person{PID: kariPID, Name: "Kari Nordmann", Email: "kari@barnevernet.example"}
}

// A person who is not a central administrator is refused by every central
// use case itself, whatever page or edge let them through, and nothing
// changes.
func TestNotACentralAdministrator(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o, first := onboarding()
	for _, who := range []staff.Admin{{PID: olaPID}, {}} {
		_, err := e.svc.Orgs(ctx, who)
		wantCode(t, "Orgs", err, errs.Forbidden, staff.CodeNotAnAdmin)
		_, _, err = e.svc.Org(ctx, who, orgA)
		wantCode(t, "Org", err, errs.Forbidden, staff.CodeNotAnAdmin)
		_, err = e.svc.Onboard(ctx, who, o, first)
		wantCode(t, "Onboard", err, errs.Forbidden, staff.CodeNotAnAdmin)
		_, err = e.svc.ChangeOrg(ctx, who, orgA, staff.OrgInput{Name: "Taken over", SignatureTypes: staff.SignatureTypes,
			ContactEmail: "x@example.no"})
		wantCode(t, "ChangeOrg", err, errs.Forbidden, staff.CodeNotAnAdmin)
		err = e.svc.SetOrgActive(ctx, who, orgA, false)
		wantCode(t, "SetOrgActive", err, errs.Forbidden, staff.CodeNotAnAdmin)
		_, _, err = e.svc.Usage(ctx, who, "", "")
		wantCode(t, "Usage", err, errs.Forbidden, staff.CodeNotAnAdmin)
		_, err = e.svc.FailedTasks(ctx, who, 10)
		wantCode(t, "FailedTasks", err, errs.Forbidden, staff.CodeNotAnAdmin)
	}
	if _, err := e.db.Org(ctx, newOrg); !errs.Is(err, errs.NotFound) {
		t.Errorf("onboarded by a non-administrator: %v", err)
	}
	if org, _ := e.db.Org(ctx, orgA); !org.Active || org.Name != "Org "+orgA {
		t.Errorf("changed by a non-administrator: %+v", org)
	}
}

// Onboarding checks the whole input before storing anything, lists every
// bad field, and refuses a number onboarded already.
func TestOnboard(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o, first := onboarding()
	bad, badFirst := o, first
	bad.Number, bad.SignatureTypes, bad.ContactEmail = "123456789", nil, "post@"
	badFirst.PID, badFirst.Email = "12345678901", ""
	_, err := e.svc.Onboard(ctx, e.admin, bad, badFirst)
	var got [][2]string
	if e, ok := errors.AsType[*errs.Error](err); ok && e.Kind == errs.Invalid {
		for _, d := range e.Details {
			got = append(got, [2]string{d.Field, d.Code})
		}
	}
	want := [][2]string{{"number", staff.CodeInvalid}, {"signature_types", staff.CodeMissing},
		{"contact_email", staff.CodeInvalid}, {"first_admin.pid", staff.CodeInvalid}, {"first_admin.email", staff.CodeMissing}}
	if !slices.Equal(got, want) {
		t.Fatalf("errors: %v (%v), want %v", got, err, want)
	}
	taken := o
	taken.Number = orgA
	_, err = e.svc.Onboard(ctx, e.admin, taken, first)
	wantCode(t, "a number onboarded already", err, errs.Invalid, staff.CodeOrgExists)
	if _, err := e.db.User(ctx, orgA, kariPID); err != nil {
		t.Fatalf("a refused onboarding changed a user: %v", err)
	}
	if _, err := e.db.Org(ctx, newOrg); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a refused onboarding stored the organisation: %v", err)
	}

	if _, err := e.svc.Onboard(ctx, e.admin, o, first); err != nil {
		t.Fatal(err)
	}
	org, users, err := e.svc.Org(ctx, e.admin, newOrg)
	if err != nil || !org.Active || len(users) != 1 || users[0].Role != store.RoleAdmin || users[0].CreatedBy != "admin:"+centralPID {
		t.Fatalf("onboarded: %v %+v %+v", err, org, users)
	}
	_, _, err = e.svc.Org(ctx, e.admin, newOrg[:8]+"0")
	wantCode(t, "an unknown organisation", err, errs.NotFound, staff.CodeOrgNotFound)
}

// Only an organisation's administrators manage its users: a sender and an
// API client are refused by the use cases themselves.
func TestSenderCannotManageUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	kari := e.portal(t, orgA, kariPID)
	api, err := e.jobs.Authorize(ctx, orgA, "cert:1")
	if err != nil {
		t.Fatal(err)
	}
	newcomer := staff.Person{PID: larsPID, Name: "Lars Hansen"}
	for name, c := range map[string]ceremony.Caller{"sender": kari, "API client": api} {
		_, err := e.svc.Grant(ctx, c, newcomer, store.RoleAdmin)
		wantCode(t, name+" grants", err, errs.Forbidden, staff.CodeNotAnAdmin)
		_, err = e.svc.Users(ctx, c)
		wantCode(t, name+" lists users", err, errs.Forbidden, staff.CodeNotAnAdmin)
		err = e.svc.ChangeRole(ctx, c, olaPID, store.RoleSender)
		wantCode(t, name+" changes a role", err, errs.Forbidden, staff.CodeNotAnAdmin)
		err = e.svc.RemoveUser(ctx, c, olaPID)
		wantCode(t, name+" removes a user", err, errs.Forbidden, staff.CodeNotAnAdmin)
	}
	// A sender's caller that claims more than the store says is still a
	// sender.
	kari.OwnOnly = false
	_, err = e.svc.Grant(ctx, kari, newcomer, store.RoleAdmin)
	wantCode(t, "a sender without OwnOnly grants", err, errs.Forbidden, staff.CodeNotAnAdmin)
	if _, err := e.db.User(ctx, orgA, larsPID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a sender granted access: %v", err)
	}
	if u, _ := e.db.User(ctx, orgA, olaPID); u.Role != store.RoleAdmin {
		t.Fatalf("a sender changed the administrator: %+v", u)
	}
}

// Another organisation's administrator finds none of its users: not
// found, as everything of another organisation.
func TestOtherOrganisationsUsersNotFound(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lars := e.portal(t, orgB, larsPID)
	err := e.svc.ChangeRole(ctx, lars, kariPID, store.RoleAdmin)
	wantCode(t, "change another organisation's user", err, errs.NotFound, staff.CodeUserNotFound)
	err = e.svc.RemoveUser(ctx, lars, olaPID)
	wantCode(t, "remove another organisation's user", err, errs.NotFound, staff.CodeUserNotFound)
	users, err := e.svc.Users(ctx, lars)
	if err != nil || len(users) != 1 || users[0].PID != larsPID {
		t.Fatalf("orgB's users: %v %+v", err, users)
	}
	if u, err := e.db.User(ctx, orgA, kariPID); err != nil || u.Role != store.RoleSender {
		t.Fatalf("orgA's user after orgB's administrator: %v %+v", err, u)
	}
}

// An administrator grants, changes and removes users, never themselves.
func TestAdministratorManagesUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ola := e.portal(t, orgA, olaPID)
	_, err := e.svc.Grant(ctx, ola, staff.Person{PID: kariPID, Name: ""}, "boss")
	var got [][2]string
	if e, ok := errors.AsType[*errs.Error](err); ok {
		for _, d := range e.Details {
			got = append(got, [2]string{d.Field, d.Code})
		}
	}
	if want := [][2]string{{"pid", staff.CodeUserExists}, {"name", staff.CodeMissing}, {"role", staff.CodeRoleUnknown}}; !slices.Equal(got, want) {
		t.Fatalf("grant errors: %v (%v), want %v", got, err, want)
	}
	u, err := e.svc.Grant(ctx, ola, staff.Person{PID: larsPID, Name: "Lars Hansen", Email: "lars@example.no"}, store.RoleSender)
	if err != nil || u.CreatedBy != "pid:"+olaPID {
		t.Fatalf("grant: %v %+v", err, u)
	}
	if err := e.svc.ChangeRole(ctx, ola, larsPID, store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.db.User(ctx, orgA, larsPID); u.Role != store.RoleAdmin {
		t.Fatalf("role not changed: %+v", u)
	}
	wantCode(t, "change oneself", e.svc.ChangeRole(ctx, ola, olaPID, store.RoleSender), errs.Forbidden, staff.CodeSelf)
	wantCode(t, "remove oneself", e.svc.RemoveUser(ctx, ola, olaPID), errs.Forbidden, staff.CodeSelf)
	if err := e.svc.RemoveUser(ctx, ola, larsPID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.User(ctx, orgA, larsPID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("not removed: %v", err)
	}
}

// TestOrgRetention: the central administrator sets an organisation's
// retention within 30 to 40 days; other values are refused, and the
// organisation keeps what it had.
func TestOrgRetention(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in, first := onboarding()
	if _, err := e.svc.Onboard(ctx, e.admin, in, first); err != nil {
		t.Fatal(err)
	}
	for _, days := range []int{29, 41, -1} {
		in.RetentionDays = days
		_, err := e.svc.ChangeOrg(ctx, e.admin, newOrg, in)
		wantCode(t, fmt.Sprintf("%d days", days), err, errs.Invalid, "invalid-retention")
	}
	in.RetentionDays = 30
	if _, err := e.svc.ChangeOrg(ctx, e.admin, newOrg, in); err != nil {
		t.Fatal(err)
	}
	o, _, err := e.svc.Org(ctx, e.admin, newOrg)
	if err != nil || o.Retention() != 30 {
		t.Fatalf("retention %d days, %v; want 30", o.Retention(), err)
	}
}

// TestOrgBrokers: the central administrator names the brokers that may
// act for an organisation through Posten's signature API, each another
// onboarded organisation; a bad list is refused whole and changes
// nothing; the change is in the audit log with who made it; removing a
// broker revokes it at once (ceremony.ActFor reads the list every call).
func TestOrgBrokers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const brokerOrg = "319386416"
	err := e.db.PutOrg(ctx, store.By{Actor: "test", At: time.Now()}, store.Org{Number: brokerOrg, Name: "Megler AS",
		Active: true, SignatureTypes: []job.SignatureType{job.Authenticated}})
	if err != nil {
		t.Fatal(err)
	}
	in := staff.OrgInput{Name: "Org " + orgA, SignatureTypes: []job.SignatureType{job.Authenticated},
		ContactEmail: "post@a.example"}
	for _, tc := range []struct {
		name    string
		brokers []string
		code    string
	}{
		{"fail/not-a-number", []string{brokerOrg, "123456789"}, staff.CodeInvalid},
		{"fail/itself", []string{orgA}, staff.CodeBrokerSelf},
		{"fail/not-onboarded", []string{newOrg}, staff.CodeNotOnboarded},
		{"fail/too-many", slices.Repeat([]string{brokerOrg}, 21), staff.CodeTooMany},
	} {
		in.Brokers = tc.brokers
		_, err = e.svc.ChangeOrg(ctx, e.admin, orgA, in)
		wantCode(t, tc.name, err, errs.Invalid, tc.code)
	}
	if o, _ := e.db.Org(ctx, orgA); len(o.Brokers) != 0 || o.Name != "Org "+orgA {
		t.Fatalf("a refused change was stored: %+v", o)
	}

	in.Brokers = []string{brokerOrg}
	if _, err := e.svc.ChangeOrg(ctx, e.admin, orgA, in); err != nil {
		t.Fatal(err)
	}
	broker, err := e.jobs.Authorize(ctx, brokerOrg, "cert:99")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := e.jobs.ActFor(ctx, broker, orgA)
	if err != nil || sender.Org != orgA || sender.Broker != brokerOrg || sender.Actor != "broker:"+brokerOrg+"/cert:99" {
		t.Fatalf("ActFor = %+v, %v", sender, err)
	}
	// Not the other way round: orgA is not brokerOrg's broker.
	a, _ := e.jobs.Authorize(ctx, orgA, "cert:1")
	_, err = e.jobs.ActFor(ctx, a, brokerOrg)
	wantCode(t, "the sender acting for its broker", err, errs.Forbidden, ceremony.CodeBrokerNotAuthorized)

	var last audit.Record
	if err := e.db.AuditRecords(ctx, 0, func(r audit.Record) error { last = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if last.Action != "org.saved" || last.Org != orgA || last.Actor != "admin:"+centralPID ||
		!strings.Contains(string(last.Details), `"brokers":"`+brokerOrg+`"`) {
		t.Fatalf("audit record %+v %s", last, last.Details)
	}

	in.Brokers = nil
	if _, err := e.svc.ChangeOrg(ctx, e.admin, orgA, in); err != nil {
		t.Fatal(err)
	}
	_, err = e.jobs.ActFor(ctx, broker, orgA)
	wantCode(t, "a revoked broker", err, errs.Forbidden, ceremony.CodeBrokerNotAuthorized)
}

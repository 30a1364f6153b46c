package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

func TestAreaOf(t *testing.T) {
	for p, want := range map[string]string{
		"/sign/":            areaSign,
		"/sign/callback":    areaSign,
		"/":                 areaSign,
		"/static/segl.css":  areaSign,
		"/portal":           AreaPortal,
		"/portal/":          AreaPortal,
		"/portal/jobs/new":  AreaPortal,
		"/portalen/":        areaSign,
		"/admin/usage.csv":  AreaAdmin,
		"/admin":            AreaAdmin,
		"/administration/":  areaSign,
		"/sign/admin/":      areaSign,
		"/sign/portal/jobs": areaSign,
	} {
		if got := areaOf(p); got != want {
			t.Errorf("areaOf(%q) = %q, want %q", p, got, want)
		}
	}
}

var (
	homeRE = regexp.MustCompile(`<p class="site-name"><a href="([^"]*)">`)
	backRE = regexp.MustCompile(`<a href="([^"]*)">(?:Gå til forsiden|Go to the front page)</a>`)
)

// The service name in the header and an error page's way back lead to the
// front page of the area the page is in; a session that ended in a staff
// area is offered that area's login, a signer's none (their way back in is
// the link they were given).
func TestErrorPagesKnowTheirArea(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		err        error
		status     int
		home       string
		h1, retry  string // the retry link's text and target, "" for none
		retryHref  string
	}{
		{"ok/sign-not-found", "/sign/fail", errNotFound, 404, "/sign/", "Fant ikke siden", "", ""},
		{"ok/portal-not-found", "/portal/fail", errNotFound, 404, "/portal/", "Fant ikke siden", "", ""},
		{"ok/admin-not-found", "/admin/fail", errNotFound, 404, "/admin/", "Fant ikke siden", "", ""},
		{"ok/admin-forbidden", "/admin/fail", errs.E(errs.Forbidden, "x", "x"), 403, "/admin/", "Du har ikke tilgang", "", ""},
		{"ok/sign-session-ended", "/sign/fail", errs.E(errs.Unauthenticated, "session-expired", "x"), 401, "/sign/",
			"Økten din er avsluttet", "", ""},
		{"ok/portal-session-ended", "/portal/fail", errs.E(errs.Unauthenticated, "session-expired", "x"), 401, "/portal/",
			"Økten din er avsluttet", "Logg inn på nytt", "/portal/login"},
		{"ok/admin-session-ended", "/admin/fail", errs.E(errs.Unauthenticated, "session-expired", "x"), 401, "/admin/",
			"Økten din er avsluttet", "Logg inn på nytt", "/admin/login"},
		// A page of its own keeps its own way on.
		{"ok/portal-explained", "/portal/fail", explain(errs.E(errs.Unauthenticated, "x", "x"), "staff.error.login",
			"/portal/login", "staff.error.login.retry"), 401, "/portal/", "Du må logge inn", "Logg inn", "/portal/login"},
		{"ok/portal-explained-no-retry", "/portal/fail", explain(errs.E(errs.Forbidden, "not-a-user", "x"),
			"portal.error.no-access", "", ""), 403, "/portal/", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			e.web.Mount(e.mux, "GET "+tc.path, func(http.ResponseWriter, *http.Request) error { return tc.err })
			res, page := e.get(tc.path)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.h1 != "" && match(t, h1RE, page) != tc.h1 {
				t.Errorf("h1 %q, want %q", match(t, h1RE, page), tc.h1)
			}
			if got := match(t, homeRE, page); got != tc.home {
				t.Errorf("header links to %q, want %q", got, tc.home)
			}
			if got := match(t, backRE, page); got != tc.home {
				t.Errorf("back link to %q, want %q", got, tc.home)
			}
			retry := regexp.MustCompile(`<a class="button" href="([^"]*)">([^<]*)</a>`).FindStringSubmatch(page)
			switch {
			case tc.retry == "" && retry != nil:
				t.Errorf("unexpected retry link %q", retry[0])
			case tc.retry != "" && (retry == nil || retry[1] != tc.retryHref || retry[2] != tc.retry):
				t.Errorf("retry link %q, want %q to %s", retry, tc.retry, tc.retryHref)
			}
			if tc.status == 401 && tc.home != "/sign/" && strings.Contains(page, "lenken du fikk") {
				t.Error("a staff page tells them to open a signer's link")
			}
		})
	}
}

// A failed staff login is offered its own area's login, and its way back
// leads to the area's front page.
func TestStaffLoginErrorsStayInTheirArea(t *testing.T) {
	e := newEnv(t, Options{Staff: &Staff{}})
	for _, area := range []string{AreaPortal, AreaAdmin} {
		res, page := e.get("/" + area + "/callback")
		if res.StatusCode != 401 || !strings.Contains(page, `href="/`+area+`/login"`) {
			t.Errorf("%s callback without a login: %d\n%s", area, res.StatusCode, page)
		}
		if match(t, homeRE, page) != "/"+area+"/" || match(t, backRE, page) != "/"+area+"/" {
			t.Errorf("%s callback: header or back link outside the area\n%s", area, page)
		}
		res, page = e.get("/" + area + "/login")
		if res.StatusCode != 503 || match(t, backRE, page) != "/"+area+"/" {
			t.Errorf("%s login without eID: %d\n%s", area, res.StatusCode, page)
		}
	}
}

var (
	navRE     = regexp.MustCompile(`(?s)<nav class="(portal|admin)-nav".*?</nav>`)
	currentRE = regexp.MustCompile(`<a href="([^"]*)" aria-current="page">`)
	logoutRE  = regexp.MustCompile(`<form class="logout" method="post" action="([^"]*)">`)
)

// Every page of the staff areas links its header to the area's front
// page, and shows the area's one navigation (from its partial) with the
// right item marked as the current page, and the area's logout.
// adminNav is the administration's navigation, in order.
var adminNav = []string{"/admin/", "/admin/orgs/new", "/admin/usage", "/admin/tasks"}

func TestStaffPagesShareTheirNavigation(t *testing.T) {
	nav := navView{Name: "Kari Nordmann", Org: "Eksempel AS", Admin: true, Switch: true}
	sender := navView{Name: "Ola Nordmann", Org: "Eksempel AS"}
	for _, tc := range []struct {
		name, page string
		data       any
		nav        string // "" for no navigation
		current    string // the link marked as current, "" for none
		links      []string
	}{
		{"portal/jobs", "portal_jobs", jobsView{Nav: nav}, "portal", "/portal/",
			[]string{"/portal/", "/portal/jobs/new", "/portal/users", "/portal/org"}},
		{"portal/jobs-of-a-sender", "portal_jobs", jobsView{Nav: sender}, "portal", "/portal/",
			[]string{"/portal/", "/portal/jobs/new"}},
		{"portal/new", "portal_new", newJobView{Nav: nav}, "portal", "/portal/jobs/new",
			[]string{"/portal/", "/portal/jobs/new", "/portal/users", "/portal/org"}},
		{"portal/job", "portal_job", portalJobView{Nav: sender, Job: &job.Job{ID: "j1", Title: "Avtale", Status: job.StatusActive}},
			"portal", "", []string{"/portal/", "/portal/jobs/new"}},
		{"portal/users", "portal_users", usersView{Nav: navView{Name: "Kari", Org: "Eksempel AS", Admin: true}}, "portal",
			"/portal/users", []string{"/portal/", "/portal/jobs/new", "/portal/users"}},
		{"portal/orgs", "portal_orgs", orgsView{Nav: navView{Name: "Kari"}}, "", "", nil},
		{"admin/orgs", "admin_orgs", adminOrgsView{}, "admin", "/admin/", adminNav},
		{"admin/new-org", "admin_org", adminOrgView{New: true}, "admin", "/admin/orgs/new",
			adminNav},
		{"admin/org", "admin_org", adminOrgView{Org: store.Org{Number: "317510748", Name: "Eksempel AS", Active: true}}, "admin", "",
			adminNav},
		{"admin/usage", "admin_usage", adminUsageView{}, "admin", "/admin/usage",
			adminNav},
		{"admin/tasks", "admin_tasks", adminTasksView{Available: true, Tasks: []deadTaskView{{Kind: "callback",
			Org: "317510748", Job: "j1", Error: "503", Attempts: 10}}, Renewals: []store.DocRef{{Org: "317510748", JobID: "j2", DocID: "d1"}}},
			"admin", "/admin/tasks", adminNav},
	} {
		t.Run(tc.name, func(t *testing.T) {
			area, _, _ := strings.Cut(tc.page, "_")
			e := newEnv(t, Options{})
			e.web.Mount(e.mux, "GET /"+area+"/test", func(rw http.ResponseWriter, r *http.Request) error {
				e.web.Render(rw, r, tc.page, tc.data)
				return nil
			})
			res, page := e.get("/" + area + "/test")
			if res.StatusCode != 200 {
				t.Fatalf("status %d\n%s", res.StatusCode, page)
			}
			if got := match(t, homeRE, page); got != "/"+area+"/" {
				t.Errorf("header links to %q", got)
			}
			if got := logoutRE.FindAllStringSubmatch(page, -1); len(got) != 1 || got[0][1] != "/"+area+"/logout" {
				t.Errorf("logout forms %q", got)
			}
			navs := navRE.FindAllStringSubmatch(page, -1)
			if tc.nav == "" {
				if len(navs) != 0 {
					t.Fatalf("unexpected navigation %q", navs)
				}
				return
			}
			if len(navs) != 1 || navs[0][1] != tc.nav {
				t.Fatalf("want one %s navigation, got %q", tc.nav, navs)
			}
			var links []string
			for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(navs[0][0], -1) {
				links = append(links, m[1])
			}
			if strings.Join(links, " ") != strings.Join(tc.links, " ") {
				t.Errorf("navigation links %q, want %q", links, tc.links)
			}
			var current []string
			for _, m := range currentRE.FindAllStringSubmatch(page, -1) {
				current = append(current, m[1])
			}
			if want := []string{tc.current}; tc.current == "" && len(current) != 0 ||
				tc.current != "" && strings.Join(current, " ") != strings.Join(want, " ") {
				t.Errorf("current %q, want %q", current, tc.current)
			}
		})
	}
}

// A partial is shared by every page and is never a page of its own: no
// handler can render it, and it is not served as one.
func TestPartialsAreNotPages(t *testing.T) {
	e := newEnv(t, Options{})
	for _, lang := range Languages {
		if len(e.web.pages[lang]) < 10 {
			t.Fatalf("%s: only %d pages", lang, len(e.web.pages[lang]))
		}
		for name, set := range e.web.pages[lang] {
			if strings.HasPrefix(name, "partial_") || name == "layout" {
				t.Errorf("%s: %q is a page", lang, name)
			}
			for _, shared := range []string{"portal-nav", "portal-logout", "admin-nav", "admin-logout"} {
				if set.Lookup(shared) == nil {
					t.Errorf("%s: page %q lacks the partial %q", lang, name, shared)
				}
			}
		}
	}
	for _, name := range []string{"partial_portal", "partial_admin"} {
		e.web.Mount(e.mux, "GET /portal/"+name, func(rw http.ResponseWriter, r *http.Request) error {
			e.web.Render(rw, r, name, nil)
			return nil
		})
		res, page := e.get("/portal/" + name)
		if res.StatusCode != 500 || strings.Contains(page, "portal-nav") || strings.Contains(page, "admin-nav") {
			t.Errorf("%s rendered as a page: %d\n%s", name, res.StatusCode, page)
		}
	}
}

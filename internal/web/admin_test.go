package web

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/segl/segl/internal/usage"
)

// The administration chooses some texts in Go (field errors, confirmations,
// item names): every such key must be in both catalogues.
func TestAdminKeysExist(t *testing.T) {
	e := newEnv(t, Options{})
	var keys []string
	for _, f := range []string{"admin.go", "admin_orgs.go", "admin_usage.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`"(admin\.[a-z0-9.-]+[a-z])"`).FindAllStringSubmatch(string(src), -1) {
			keys = append(keys, m[1])
		}
	}
	for _, done := range adminOrgDone {
		keys = append(keys, "admin.org.done."+done)
	}
	for _, item := range []string{"authenticated", "advanced", "sms", "email", "mailbox"} {
		keys = append(keys, "admin.usage.item."+item)
	}
	if len(keys) < 25 {
		t.Fatalf("only %d keys found: is the pattern right?", len(keys))
	}
	for _, k := range keys {
		for _, lang := range Languages {
			if _, ok := e.web.catalogues[lang][k]; !ok {
				t.Errorf("%q is used but missing in %s", k, lang)
			}
		}
	}
}

func TestAdminFormatNOK(t *testing.T) {
	w := portalWeb(t)
	for _, tc := range []struct {
		lang string
		a    usage.Amount
		want string
	}{
		{"nb", 0, "0,00"},
		{"nb", 172, "1,72"},
		{"en", 172, "1.72"},
		{"nb", 123456789, "1\u00a0234\u00a0567,89"},
		{"en", 123456789, "1,234,567.89"},
		{"en", 99999, "999.99"},
		{"nb", -40, "-0,40"},
	} {
		if got := w.formatNOK(tc.lang, tc.a); got != tc.want {
			t.Errorf("formatNOK(%s, %d) = %q, want %q", tc.lang, tc.a, got, tc.want)
		}
	}
}

// The administration's pages are behind a login; without one, the start
// page offers it and every other page says to log in first.
func TestAdminNeedsLogin(t *testing.T) {
	e := newEnv(t, Options{Staff: &Staff{}})
	res, body := e.get("/admin/")
	if res.StatusCode != 200 || match(t, h1RE, body) != "Sentral administrasjon" || !strings.Contains(body, `href="/admin/login"`) {
		t.Fatalf("start page: %d\n%s", res.StatusCode, body)
	}
	for _, p := range []string{"/admin/orgs", "/admin/orgs/new", "/admin/orgs/317510748", "/admin/usage", "/admin/usage.csv"} {
		res, body := e.get(p)
		if res.StatusCode != 401 || !strings.Contains(body, `href="/admin/login"`) {
			t.Errorf("%s without login: %d\n%s", p, res.StatusCode, body)
		}
	}
}

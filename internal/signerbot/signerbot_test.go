package signerbot

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

// jobPage is a signer's job page as segl renders it (internal/web): a
// form to sign, one to reject and one to log out, each with its CSRF
// token.
func jobPage(t testing.TB) string {
	b, err := os.ReadFile("testdata/sign_job.html")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Submit posts the form whose action ends with the suffix, with that
// form's hidden fields (unescaped) and the given ones, to the action
// resolved against the page's URL; other forms and inputs that are not
// hidden are left out.
func TestSubmitPostsTheFormItIsAsked(t *testing.T) {
	type post struct {
		path string
		form url.Values
	}
	posts := make(chan post, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		posts <- post{r.URL.Path, r.PostForm}
	}))
	defer srv.Close()
	b, err := New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.HTTP.Transport = srv.Client().Transport
	page := jobPage(t) + `<formula>no form</formula>
<form method="post" action="/dev/idporten/authorize"><input type="hidden" name="req" value="a&amp;b">
<input type="text" name="pid" value="">
<input type="radio" name="eid" value="minid"></form>`
	u, _ := url.Parse(srv.URL + "/sign/s1/job")
	for _, tc := range []struct {
		name, suffix string
		fields       url.Values
		path         string
		want         url.Values
	}{
		{"ok/sign", "/sign", url.Values{"confirm": {"yes"}}, "/sign/s1/sign",
			url.Values{"csrf_token": {"aLX9QqJcODAJGhkWVDU55-AYiD-MbaWd8KhLZz5Xt-8"}, "confirm": {"yes"}}},
		{"ok/reject", "/reject", url.Values{"reason": {"nei"}}, "/sign/s1/reject",
			url.Values{"csrf_token": {"aLX9QqJcODAJGhkWVDU55-AYiD-MbaWd8KhLZz5Xt-8"}, "reason": {"nei"}}},
		{"ok/idporten", "/dev/idporten/authorize", url.Values{"pid": {"21909825250"}}, "/dev/idporten/authorize",
			url.Values{"req": {"a&b"}, "pid": {"21909825250"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := b.Submit(Page{Status: 200, URL: u, Body: page}, tc.suffix, tc.fields); err != nil {
				t.Fatal(err)
			}
			p := <-posts
			if p.path != tc.path || p.form.Encode() != tc.want.Encode() {
				t.Errorf("posted %s %s, want %s %s", p.path, p.form.Encode(), tc.path, tc.want.Encode())
			}
		})
	}
	if _, err := b.Submit(Page{Status: 200, URL: u, Body: page}, "/nowhere", nil); err == nil ||
		!strings.Contains(err.Error(), "no form") {
		t.Errorf("a missing form: %v", err)
	}
}

// BenchmarkFindForm is the bench client's work on a page before it posts
// a form (three times per signer).
func BenchmarkFindForm(b *testing.B) {
	page := jobPage(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := findForm(page, "/sign"); !ok {
			b.Fatal("no form")
		}
	}
}

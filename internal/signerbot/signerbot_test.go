package signerbot

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/segl/segl/internal/pki/pkitest"
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

// BenchmarkFormFields is what the bench client reads of a page before it
// posts a form: the form, and its hidden fields.
func BenchmarkFormFields(b *testing.B) {
	page := jobPage(b)
	b.ReportAllocs()
	for b.Loop() {
		_, content, ok := findForm(page, "/sign")
		if !ok || hiddenFields(content).Get("csrf_token") == "" {
			b.Fatal("no form")
		}
	}
}

// attr reads an attribute as a browser would: quoted either way or not,
// names in any case, values unescaped, and never part of another
// attribute's name or value.
func TestAttr(t *testing.T) {
	for _, tc := range []struct {
		name, tag, attr, want string
		found                 bool
	}{
		{"ok/double-quoted", ` type="hidden" name="csrf_token" value="a&amp;b"`, "value", "a&b", true},
		{"ok/single-quoted", ` name='req' value='x y'`, "value", "x y", true},
		{"ok/unquoted", ` type=hidden name=req`, "type", "hidden", true},
		{"ok/upper-case-name", ` TYPE="hidden"`, "type", "hidden", true},
		{"ok/self-closing", ` name="a" value="b"/`, "value", "b", true},
		{"ok/empty-value", ` value=""`, "value", "", true},
		{"ok/no-value", ` hidden name="n"`, "name", "n", true},
		{"fail/in-another-name", ` data-name="x"`, "name", "", false},
		{"fail/in-a-value", ` title="name=x"`, "name", "", false},
		{"fail/stray-equals", ` = name`, "value", "", false},
		{"fail/absent", ` type="text"`, "value", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, found := attr(tc.tag, tc.attr)
			if got != tc.want || found != tc.found {
				t.Errorf("attr(%q, %q) = %q, %v; want %q, %v", tc.tag, tc.attr, got, found, tc.want, tc.found)
			}
		})
	}
}

// A pinned browser talks to the server whose certificate was verified
// when it was pinned, and to no other, though the other's certificate is
// issued by the same trusted root.
func TestPinnedBrowserKnowsOnlyItsServer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.WriteString(rw, "<h1>segl</h1>")
	}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	if _, err := PinServer(context.Background(), srv.URL, x509.NewCertPool()); err == nil {
		t.Fatal("pinned a server whose certificate no root vouches for")
	}
	pin, err := PinServer(context.Background(), srv.URL, roots)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPinned(srv.URL, pin)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := b.Get("/"); err != nil || p.H1() != "segl" {
		t.Fatalf("the pinned server: %v %q", err, p.H1())
	}
	// httptest's servers share one certificate: this one has its own,
	// which the pin refuses (the chain is not looked at).
	key := pkitest.Key(t, "p256")
	tmpl := &x509.Certificate{IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	leaf := pkitest.Issue(t, tmpl, tmpl, key.Public(), key)
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	other.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Raw}, PrivateKey: key}}}
	other.StartTLS()
	defer other.Close()
	ob, err := NewPinned(other.URL, pin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Get("/"); err == nil || !strings.Contains(err.Error(), "not the pinned one") {
		t.Errorf("another server: %v", err)
	}
}

// A pinned browser sends its requests one after the other over one
// connection, redirects within segl and form posts included, and opens a
// new one only after an answer that closed it.
func TestPinnedBrowserKeepsOneConnection(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			http.Redirect(rw, r, "/page", http.StatusSeeOther)
		case "/bye":
			rw.Header().Set("Connection", "close")
			io.WriteString(rw, "<h1>bye</h1>")
		default:
			r.ParseForm()
			io.WriteString(rw, `<h1>`+r.Method+r.PostForm.Get("x")+`</h1><form method="post" action="/page"><input type="hidden" name="x" value="1"></form>`)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	pin, err := PinServer(context.Background(), srv.URL, roots)
	if err != nil {
		t.Fatal(err)
	}
	conns.Store(0) // the pinning's own
	b, err := NewPinned(srv.URL, pin)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Get("/start")
	if err != nil || p.H1() != "GET" || p.URL.Path != "/page" {
		t.Fatalf("redirect: %v %q %s", err, p.H1(), p.URL)
	}
	if p, err = b.Submit(p, "/page", nil); err != nil || p.H1() != "POST1" {
		t.Fatalf("post: %v %q", err, p.H1())
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("%d connections for three requests, want 1", got)
	}
	if p, err = b.Get("/bye"); err != nil || p.H1() != "bye" {
		t.Fatalf("bye: %v %q", err, p.H1())
	}
	if p, err = b.Get("/page"); err != nil || p.H1() != "GET" {
		t.Fatalf("after a closing answer: %v %q", err, p.H1())
	}
	if got := conns.Load(); got != 2 {
		t.Errorf("%d connections, want a second after the closing answer", got)
	}
	if _, err := b.Get("https://elsewhere.example/"); err == nil {
		t.Error("a pinned browser went to another host")
	}
}

// A pinned browser's request ends with its context, also when the server
// stalls after taking it (bench --max-time), and the connection is not
// used again.
func TestPinnedBrowserHonoursItsContext(t *testing.T) {
	received, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall" {
			close(received)
			<-release
		}
		io.WriteString(rw, "<h1>ok</h1>")
	}))
	defer srv.Close()
	defer close(release)
	u, _ := url.Parse(srv.URL)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	c := newOneConn(u, &tls.Config{RootCAs: roots})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-received; cancel() }()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stall", nil)
	if _, err := c.RoundTrip(req); err != context.Canceled {
		t.Fatalf("RoundTrip with its context cancelled while the server stalls: %v, want context.Canceled", err)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/next", nil)
	res, err := c.RoundTrip(req)
	if err != nil {
		t.Fatalf("the next request: %v", err)
	}
	res.Body.Close()
}

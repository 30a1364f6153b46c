package oidc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	devidp "github.com/segl/segl/internal/dev/idp"
	"github.com/segl/segl/internal/eid"
)

// env is the relying party against the development provider, served over
// real TLS by httptest, each with its own fake clock (set to the same time)
// so tests can skew one against the other.
type env struct {
	t        *testing.T
	opClock  *clock.Fake
	rpClock  *clock.Fake
	srv      *httptest.Server
	idp      *devidp.Provider
	issuer   string
	redirect string
	roots    *x509.CertPool
	rp       *RP
	tamper   *tamperTransport
	browser  *http.Client
	mux      *http.ServeMux

	idpConfig devidp.Config
	current   atomic.Pointer[devidp.Provider]
}

// restartProvider replaces the provider by a new one with a new signing key
// and no memory of earlier logins.
func (e *env) restartProvider() {
	e.t.Helper()
	idp, err := devidp.New(e.idpConfig)
	if err != nil {
		e.t.Fatal(err)
	}
	e.idp = idp
	e.current.Store(idp)
}

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

const (
	clientID     = "segl-test"
	secretClient = "segl-secret"
	secret       = "correct horse battery staple, segl dev"
	keyID        = "segl-key-1"
)

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, opClock: clock.NewFake(t0), rpClock: clock.NewFake(t0)}
	var handler http.Handler
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	e.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-TLS test makes handshakes fail on purpose
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	e.issuer = e.srv.URL + "/dev/idporten"
	e.redirect = e.srv.URL + "/sign/callback"
	e.roots = x509.NewCertPool()
	e.roots.AddCert(e.srv.Certificate())

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e.idpConfig = devidp.Config{
		Issuer: e.issuer,
		Clock:  e.opClock,
		Clients: []devidp.Client{
			{ID: clientID, Keys: map[string]crypto.PublicKey{keyID: key.Public()}, RedirectURIs: []string{e.redirect}},
			{ID: secretClient, Secret: secret, RedirectURIs: []string{e.redirect}},
		},
	}
	e.restartProvider()
	e.mux = http.NewServeMux()
	e.mux.Handle("/dev/idporten/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.current.Load().ServeHTTP(w, r) }))
	handler = e.mux

	cfg := Config{Issuer: e.issuer, ClientID: clientID, Key: key, KeyID: keyID, Roots: e.roots, Clock: e.rpClock}
	for _, m := range mutate {
		m(&cfg)
	}
	if cfg.HTTPClient == nil && cfg.Roots == nil {
		// A mutation asked for the tampering client.
		e.tamper = &tamperTransport{base: e.srv.Client().Transport}
		cfg.HTTPClient = &http.Client{Transport: e.tamper, Timeout: 10 * time.Second}
	}
	e.rp, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.browser = &http.Client{
		Transport:     e.srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	return e
}

// withTamper makes the relying party's HTTP go through a transport that can
// rewrite the token endpoint's answer.
func withTamper(c *Config) { c.Roots = nil }

// withSecret makes the relying party authenticate with client_secret_post.
func withSecret(c *Config) {
	c.ClientID, c.Key, c.KeyID, c.ClientSecret = secretClient, nil, "", secret
}

// tamperTransport rewrites the id_token in token responses.
type tamperTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	fn   func(idToken string) string
}

func (tt *tamperTransport) set(fn func(string) string) {
	tt.mu.Lock()
	tt.fn = fn
	tt.mu.Unlock()
}

func (tt *tamperTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tt.base.RoundTrip(req)
	tt.mu.Lock()
	fn := tt.fn
	tt.mu.Unlock()
	if err != nil || fn == nil || !strings.HasSuffix(req.URL.Path, "/token") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	m["id_token"] = fn(m["id_token"].(string))
	body, _ = json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	formReq    = regexp.MustCompile(`<input type="hidden" name="req" value="([^"]+)">`)
)

// start begins a login at the relying party and opens the provider's form
// like a browser would, returning the pending login and the form's fields.
func (e *env) start(want eid.Assurance, lang string) (eid.Pending, string, url.Values) {
	e.t.Helper()
	authURL, pending, err := e.rp.AuthURL(context.Background(), e.redirect, want, lang)
	if err != nil {
		e.t.Fatalf("AuthURL: %v", err)
	}
	status, body, _ := e.get(authURL)
	if status != http.StatusOK {
		e.t.Fatalf("GET authorize: %d\n%s", status, body)
	}
	return pending, body, e.formOf(body)
}

// formOf finds the login form's action and hidden fields.
func (e *env) formOf(body string) url.Values {
	e.t.Helper()
	action, req := formAction.FindStringSubmatch(body), formReq.FindStringSubmatch(body)
	if action == nil || req == nil || !strings.Contains(body, `name="pid"`) || !strings.Contains(body, `<button type="submit"`) {
		e.t.Fatalf("no login form with pid and a submit button in:\n%s", body)
	}
	return url.Values{"action": {action[1]}, "req": {req[1]}}
}

// submit posts the form with pid and eid; it returns the status, the body
// and the Location of a redirect.
func (e *env) submit(f url.Values, pid, method string) (int, string, *url.URL) {
	e.t.Helper()
	vals := url.Values{"req": f["req"], "pid": {pid}}
	if method != "" {
		vals.Set("eid", method)
	}
	resp, err := e.browser.PostForm(e.srv.URL+f.Get("action"), vals)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.read(resp)
}

func (e *env) get(u string) (int, string, *url.URL) {
	e.t.Helper()
	resp, err := e.browser.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.read(resp)
}

func (e *env) read(resp *http.Response) (int, string, *url.URL) {
	e.t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	loc, _ := resp.Location()
	return resp.StatusCode, string(b), loc
}

// login runs the browser part of a login and returns the pending login and
// the callback query.
func (e *env) login(pid, method string, want eid.Assurance) (eid.Pending, url.Values) {
	e.t.Helper()
	pending, _, f := e.start(want, "nb")
	status, body, loc := e.submit(f, pid, method)
	if status != http.StatusSeeOther || loc == nil {
		e.t.Fatalf("POST authorize: %d\n%s", status, body)
	}
	if !strings.HasPrefix(loc.String(), e.redirect+"?") {
		e.t.Fatalf("redirected to %s, want %s", loc, e.redirect)
	}
	return pending, loc.Query()
}

func (e *env) complete(p eid.Pending, q url.Values) (eid.Identity, error) {
	return e.rp.Complete(context.Background(), p, e.redirect, q)
}

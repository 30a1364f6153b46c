package devidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/dev/population"
	"github.com/segl/segl/internal/eid"
)

const (
	issuer   = "https://segl.test/dev/idporten"
	redirect = "https://segl.test/sign/callback"
	secret   = "s3cret-s3cret-s3cret"
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	chall    = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

type fixture struct {
	t   *testing.T
	clk *clock.Fake
	p   *Provider
	key *ecdsa.PrivateKey // the key client's private_key_jwt key
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clk: clock.NewFake(t0), key: key}
	f.p, err = New(Config{
		Issuer: issuer,
		Clock:  f.clk,
		Clients: []Client{
			{ID: "secret-client", Secret: secret, RedirectURIs: []string{redirect}},
			{ID: "key-client", Keys: map[string]crypto.PublicKey{"k1": key.Public()}, RedirectURIs: []string{redirect}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func authParams(client string) url.Values {
	return url.Values{
		"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect}, "scope": {"openid profile"},
		"state": {"st-1"}, "nonce": {"no-1"}, "code_challenge": {chall}, "code_challenge_method": {"S256"},
		"acr_values": {"idporten-loa-high"}, "ui_locales": {"nb"},
	}
}

func (f *fixture) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.p.ServeHTTP(w, r)
	return w
}

func (f *fixture) get(path string, q url.Values) *httptest.ResponseRecorder {
	u := path
	if q != nil {
		u += "?" + q.Encode()
	}
	return f.do(httptest.NewRequest(http.MethodGet, u, nil))
}

func (f *fixture) post(path string, form url.Values, mod ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, m := range mod {
		m(r)
	}
	return f.do(r)
}

var reqField = regexp.MustCompile(`name="req" value="([^"]+)"`)

// open shows the form for params and returns its interaction id.
func (f *fixture) open(params url.Values) (string, string) {
	f.t.Helper()
	w := f.get("/dev/idporten/authorize", params)
	if w.Code != http.StatusOK {
		f.t.Fatalf("authorize: %d\n%s", w.Code, w.Body)
	}
	m := reqField.FindStringSubmatch(w.Body.String())
	if m == nil {
		f.t.Fatalf("no req field:\n%s", w.Body)
	}
	return m[1], w.Body.String()
}

// code logs pid in headlessly and returns the code from the redirect.
func (f *fixture) code(client, pid, method string) string {
	f.t.Helper()
	form := authParams(client)
	form.Set("pid", pid)
	form.Set("eid", method)
	w := f.post("/dev/idporten/authorize", form)
	if w.Code != http.StatusSeeOther {
		f.t.Fatalf("headless login: %d\n%s", w.Code, w.Body)
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	q := loc.Query()
	if q.Get("state") != "st-1" || q.Get("iss") != issuer || q.Get("code") == "" {
		f.t.Fatalf("redirect %s", loc)
	}
	return q.Get("code")
}

func tokenForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
}

func withSecret(form url.Values) url.Values {
	form.Set("client_id", "secret-client")
	form.Set("client_secret", secret)
	return form
}

func (f *fixture) assertion(mod func(*jwt.Claims)) string {
	f.t.Helper()
	c := jwt.Claims{Issuer: "key-client", Subject: "key-client", Audience: jwt.Audience{issuer}, IssuedAt: jwt.NewNumericDate(f.clk.Now()),
		Expiry: jwt.NewNumericDate(f.clk.Now().Add(time.Minute)), ID: random()}
	if mod != nil {
		mod(&c)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: f.key, KeyID: "k1"}}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}

func withAssertion(form url.Values, a string) url.Values {
	form.Set("client_id", "key-client")
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", a)
	return form
}

func oauthErrorOf(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal(w.Body.Bytes(), &e)
	if w.Code != status || e.Error != code {
		t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, status, code)
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	f := newFixture(t)
	w := f.get("/dev/idporten/.well-known/openid-configuration", nil)
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 {
		t.Fatalf("%d %v", w.Code, err)
	}
	for k, v := range map[string]string{"issuer": issuer, "authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token",
		"jwks_uri": issuer + "/jwks.json", "pushed_authorization_request_endpoint": issuer + "/par"} {
		if m[k] != v {
			t.Errorf("%s = %v", k, m[k])
		}
	}
	w = f.get("/dev/idporten/jwks.json", nil)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks %s", w.Body)
	}
	if k := set.Keys[0]; !k.IsPublic() || k.Algorithm != "ES256" || k.Use != "sig" || k.KeyID != f.p.kid {
		t.Errorf("key %+v", k)
	}
}

func TestFormPage(t *testing.T) {
	pop, err := population.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ locales, lang, level string }{
		{"nb", "nb", "høyt"}, {"en", "en", "high"}, {"nn en", "nb", "høyt"}, {"de en", "en", "high"}, {"", "nb", "høyt"},
	} {
		f := newFixture(t)
		q := authParams("secret-client")
		q.Set("ui_locales", tc.locales)
		_, body := f.open(q)
		for _, want := range []string{
			`<html lang="` + tc.lang + `">`, `<form method="post" action="/dev/idporten/authorize">`,
			`<label for="pid">`, `id="pid" name="pid"`, `<button type="submit">`, `<legend>eID</legend>`,
			`name="eid" value="auto" checked`, `<strong>` + tc.level + `</strong>`, `<th scope="col">`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%q: page lacks %s", tc.locales, want)
			}
		}
		for _, p := range pop.People {
			if !strings.Contains(body, p.PID) || !strings.Contains(body, p.GivenName+" "+p.FamilyName) {
				t.Errorf("page lacks %s %s", p.PID, p.GivenName)
			}
		}
		if strings.Count(body, `type="submit"`) != 1 {
			t.Error("the form must have exactly one submit button")
		}
	}
}

func TestUnknownPIDShowsFormAgain(t *testing.T) {
	f := newFixture(t)
	req, _ := f.open(authParams("secret-client"))
	for _, tc := range []struct{ pid, method, msg string }{
		{"01010199999", "", "tilhører ingen testperson"},
		{"", "", "Skriv inn et fødselsnummer"},
		{"06927433549", "bankid", "har ikke den valgte eID-en"}, // Jon Hansen has only MinID
		{"06927433549", "smartcard", "har ikke den valgte eID-en"},
	} {
		w := f.post("/dev/idporten/authorize", url.Values{"req": {req}, "pid": {tc.pid}, "eid": {tc.method}})
		body := w.Body.String()
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.msg) || !strings.Contains(body, `role="alert"`) ||
			!strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, `value="`+req+`"`) || !strings.Contains(body, `value="`+tc.pid+`"`) {
			t.Errorf("pid %q eid %q: %d\n%s", tc.pid, tc.method, w.Code, body)
		}
	}
	// The same form still works.
	w := f.post("/dev/idporten/authorize", url.Values{"req": {req}, "pid": {"21909825250"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("after errors: %d", w.Code)
	}
	// And is used up.
	w = f.post("/dev/idporten/authorize", url.Values{"req": {req}, "pid": {"21909825250"}})
	if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
		t.Fatalf("reused form: %d", w.Code)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(url.Values)
		fatal bool   // shown to the person, never redirected
		code  string // redirected error
	}{
		{name: "fail/unknown-client", mod: func(q url.Values) { q.Set("client_id", "nobody") }, fatal: true},
		{name: "fail/unregistered-redirect", mod: func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, fatal: true},
		{name: "fail/redirect-prefix", mod: func(q url.Values) { q.Set("redirect_uri", redirect+"/x") }, fatal: true},
		{name: "fail/no-state", mod: func(q url.Values) { q.Del("state") }, code: "invalid_request"},
		{name: "fail/no-nonce", mod: func(q url.Values) { q.Del("nonce") }, code: "invalid_request"},
		{name: "fail/no-pkce", mod: func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, code: "invalid_request"},
		{name: "fail/pkce-plain", mod: func(q url.Values) { q.Set("code_challenge_method", "plain") }, code: "invalid_request"},
		{name: "fail/pkce-short", mod: func(q url.Values) { q.Set("code_challenge", "abc") }, code: "invalid_request"},
		{name: "fail/implicit", mod: func(q url.Values) { q.Set("response_type", "id_token") }, code: "unsupported_response_type"},
		{name: "fail/no-openid", mod: func(q url.Values) { q.Set("scope", "profile") }, code: "invalid_scope"},
		{name: "fail/prompt-none", mod: func(q url.Values) { q.Set("prompt", "none") }, code: "login_required"},
		{name: "fail/unknown-acr", mod: func(q url.Values) { q.Set("acr_values", "Level4") }, code: "invalid_request"},
		{name: "fail/request-object", mod: func(q url.Values) { q.Set("request", "eyJ...") }, code: "request_not_supported"},
		{name: "fail/repeated-state", mod: func(q url.Values) { q.Add("state", "other") }, code: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			q := authParams("secret-client")
			tc.mod(q)
			w := f.get("/dev/idporten/authorize", q)
			loc := w.Header().Get("Location")
			if tc.fatal {
				if w.Code != http.StatusBadRequest || loc != "" || !strings.Contains(w.Body.String(), `role="alert"`) {
					t.Fatalf("%d %q", w.Code, loc)
				}
				return
			}
			u, _ := url.Parse(loc)
			if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, redirect+"?") || u.Query().Get("error") != tc.code || u.Query().Get("iss") != issuer {
				t.Fatalf("%d %q", w.Code, loc)
			}
		})
	}
}

func TestLevelFollowsEID(t *testing.T) {
	pop, _ := population.Load()
	byPID := map[string]population.Person{}
	for _, p := range pop.People {
		byPID[p.PID] = p
	}
	for _, tc := range []struct {
		pid, choice string
		want        eid.Assurance
		method      string
		level       eid.Assurance
	}{
		{"21909825250", "", eid.High, eid.BankID, eid.High},
		{"21909825250", "minid", eid.High, eid.MinID, eid.Substantial},
		{"21909825250", "buypass", eid.Substantial, eid.Buypass, eid.High},
		{"26816721694", "auto", eid.High, eid.BankID, eid.High}, // minid listed first, high wanted
		{"26816721694", "auto", eid.Substantial, eid.MinID, eid.Substantial},
		{"06927433549", "", eid.High, eid.MinID, eid.Substantial}, // only MinID: too low, the client must refuse
		{"14918702408", "", eid.High, eid.TestID, eid.High},
		{"14918702408", "", eid.Substantial, eid.TestID, eid.Substantial},
		{"06927433549", "testid", eid.High, eid.TestID, eid.High},
	} {
		method, ok := chooseEID(byPID[tc.pid], tc.choice, tc.want)
		if !ok || method != tc.method || levelOf(method, tc.want) != tc.level {
			t.Errorf("%s %q %s: %s %v level %s", tc.pid, tc.choice, tc.want, method, ok, levelOf(method, tc.want))
		}
	}
}

func TestToken(t *testing.T) {
	f := newFixture(t)
	f.clk.Advance(time.Second)
	code := f.code("secret-client", "21909825250", "bankid")
	w := f.post("/dev/idporten/token", withSecret(tokenForm(code)))
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var resp struct {
		IDToken   string `json:"id_token"`
		TokenType string `json:"token_type"`
		Access    string `json:"access_token"`
		ExpiresIn int    `json:"expires_in"`
	}
	json.Unmarshal(w.Body.Bytes(), &resp)
	if resp.TokenType != "Bearer" || resp.Access == "" || resp.ExpiresIn != 120 {
		t.Errorf("response %s", w.Body)
	}
	tok, err := jwt.ParseSigned(resp.IDToken, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	var std jwt.Claims
	pub := f.p.signerPublic(t)
	if err := tok.Claims(pub, &c, &std); err != nil {
		t.Fatal(err)
	}
	now := float64(t0.Add(time.Second).Unix())
	for k, v := range map[string]any{
		"iss": issuer, "aud": "secret-client", "pid": "21909825250", "acr": "idporten-loa-high", "nonce": "no-1", "locale": "nb",
		"auth_time": now, "iat": now, "exp": now + 120, "name": "Ola Nordmann",
	} {
		if c[k] != v {
			t.Errorf("%s = %v, want %v", k, c[k], v)
		}
	}
	if amr, _ := c["amr"].([]any); len(amr) != 1 || amr[0] != "BankID" {
		t.Errorf("amr %v", c["amr"])
	}
	if c["sub"] == "21909825250" || c["sub"] != pairwiseSub("secret-client", "21909825250") || pairwiseSub("key-client", "21909825250") == c["sub"] {
		t.Errorf("sub %v is not pairwise", c["sub"])
	}
	if tok.Headers[0].KeyID != f.p.kid {
		t.Errorf("kid %q", tok.Headers[0].KeyID)
	}

	// The code is single use.
	oauthErrorOf(t, f.post("/dev/idporten/token", withSecret(tokenForm(code))), 400, "invalid_grant")
}

// signerPublic returns the provider's public key from its JWKS.
func (p *Provider) signerPublic(t *testing.T) any {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(p.jwks, &set); err != nil {
		t.Fatal(err)
	}
	return set.Keys[0].Key
}

func TestTokenFailures(t *testing.T) {
	tests := []struct {
		name   string
		client string
		req    func(f *fixture, code string) url.Values
		mod    func(*http.Request)
		before func(f *fixture)
		status int
		code   string
	}{
		{name: "fail/wrong-verifier", req: func(_ *fixture, c string) url.Values {
			v := withSecret(tokenForm(c))
			v.Set("code_verifier", strings.Repeat("a", 43))
			return v
		}, status: 400, code: "invalid_grant"},
		{name: "fail/short-verifier", req: func(_ *fixture, c string) url.Values {
			v := withSecret(tokenForm(c))
			v.Set("code_verifier", verifier[:42])
			return v
		}, status: 400, code: "invalid_grant"},
		{name: "fail/no-verifier", req: func(_ *fixture, c string) url.Values {
			v := withSecret(tokenForm(c))
			v.Del("code_verifier")
			return v
		}, status: 400, code: "invalid_grant"},
		{name: "fail/other-redirect", req: func(_ *fixture, c string) url.Values {
			v := withSecret(tokenForm(c))
			v.Set("redirect_uri", redirect+"?x=1")
			return v
		}, status: 400, code: "invalid_grant"},
		{name: "fail/code-expired", before: func(f *fixture) { f.clk.Advance(61 * time.Second) },
			req: func(_ *fixture, c string) url.Values { return withSecret(tokenForm(c)) }, status: 400, code: "invalid_grant"},
		{name: "fail/code-of-other-client", client: "key-client",
			req: func(_ *fixture, c string) url.Values { return withSecret(tokenForm(c)) }, status: 400, code: "invalid_grant"},
		{name: "fail/wrong-secret", req: func(_ *fixture, c string) url.Values {
			v := withSecret(tokenForm(c))
			v.Set("client_secret", "guess")
			return v
		}, status: 401, code: "invalid_client"},
		{name: "fail/no-client-auth", req: func(_ *fixture, c string) url.Values { return tokenForm(c) }, status: 401, code: "invalid_client"},
		{name: "fail/two-auth-methods", req: func(_ *fixture, c string) url.Values { return withSecret(tokenForm(c)) },
			mod: func(r *http.Request) { r.SetBasicAuth("secret-client", secret) }, status: 401, code: "invalid_client"},
		{name: "fail/json-body", req: func(_ *fixture, c string) url.Values { return withSecret(tokenForm(c)) },
			mod: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, status: 400, code: "invalid_request"},
		{name: "fail/grant-type", req: func(_ *fixture, c string) url.Values {
			v := withSecret(tokenForm(c))
			v.Set("grant_type", "password")
			return v
		}, status: 400, code: "unsupported_grant_type"},
		{name: "fail/assertion-wrong-audience", client: "key-client", req: func(f *fixture, c string) url.Values {
			return withAssertion(tokenForm(c), f.assertion(func(cl *jwt.Claims) { cl.Audience = jwt.Audience{"https://idporten.no"} }))
		}, status: 401, code: "invalid_client"},
		{name: "fail/assertion-expired", client: "key-client", req: func(f *fixture, c string) url.Values {
			return withAssertion(tokenForm(c), f.assertion(func(cl *jwt.Claims) { cl.Expiry = jwt.NewNumericDate(t0.Add(-time.Minute)) }))
		}, status: 401, code: "invalid_client"},
		{name: "fail/assertion-long-lived", client: "key-client", req: func(f *fixture, c string) url.Values {
			return withAssertion(tokenForm(c), f.assertion(func(cl *jwt.Claims) { cl.Expiry = jwt.NewNumericDate(t0.Add(time.Hour)) }))
		}, status: 401, code: "invalid_client"},
		{name: "fail/assertion-no-jti", client: "key-client", req: func(f *fixture, c string) url.Values {
			return withAssertion(tokenForm(c), f.assertion(func(cl *jwt.Claims) { cl.ID = "" }))
		}, status: 401, code: "invalid_client"},
		{name: "fail/assertion-sub-other", client: "key-client", req: func(f *fixture, c string) url.Values {
			return withAssertion(tokenForm(c), f.assertion(func(cl *jwt.Claims) { cl.Subject = "secret-client" }))
		}, status: 401, code: "invalid_client"},
		{name: "fail/assertion-other-key", client: "key-client", req: func(f *fixture, c string) url.Values {
			f.key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			return withAssertion(tokenForm(c), f.assertion(nil))
		}, status: 401, code: "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			client := tc.client
			if client == "" {
				client = "secret-client"
			}
			code := f.code(client, "21909825250", "")
			if tc.before != nil {
				tc.before(f)
			}
			var mods []func(*http.Request)
			if tc.mod != nil {
				mods = append(mods, tc.mod)
			}
			oauthErrorOf(t, f.post("/dev/idporten/token", tc.req(f, code), mods...), tc.status, tc.code)
		})
	}
}

func TestClientAuthMethods(t *testing.T) {
	f := newFixture(t)
	// client_secret_basic
	w := f.post("/dev/idporten/token", tokenForm(f.code("secret-client", "21909825250", "")), func(r *http.Request) {
		r.SetBasicAuth(url.QueryEscape("secret-client"), url.QueryEscape(secret))
	})
	if w.Code != 200 {
		t.Fatalf("basic: %d %s", w.Code, w.Body)
	}
	// private_key_jwt, and its assertion cannot be replayed.
	a := f.assertion(nil)
	if w := f.post("/dev/idporten/token", withAssertion(tokenForm(f.code("key-client", "21909825250", "")), a)); w.Code != 200 {
		t.Fatalf("private_key_jwt: %d %s", w.Code, w.Body)
	}
	oauthErrorOf(t, f.post("/dev/idporten/token", withAssertion(tokenForm(f.code("key-client", "21909825250", "")), a)), 401, "invalid_client")
	// The form's media type with a parameter and in capitals is the form's;
	// a malformed one is not.
	for _, ct := range []string{"application/x-www-form-urlencoded; charset=utf-8", "Application/X-WWW-Form-Urlencoded"} {
		if w := f.post("/dev/idporten/token", withSecret(tokenForm(f.code("secret-client", "21909825250", ""))), func(r *http.Request) {
			r.Header.Set("Content-Type", ct)
		}); w.Code != 200 {
			t.Errorf("Content-Type %q: %d %s", ct, w.Code, w.Body)
		}
	}
	oauthErrorOf(t, f.post("/dev/idporten/token", withSecret(tokenForm(f.code("secret-client", "21909825250", ""))), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset")
	}), 400, "invalid_request")
}

func TestPushedRequest(t *testing.T) {
	f := newFixture(t)
	push := func() string {
		w := f.post("/dev/idporten/par", withSecret(authParams("secret-client")))
		var out struct {
			RequestURI string `json:"request_uri"`
			ExpiresIn  int    `json:"expires_in"`
		}
		json.Unmarshal(w.Body.Bytes(), &out)
		if w.Code != http.StatusCreated || !strings.HasPrefix(out.RequestURI, "urn:idporten:") || out.ExpiresIn != 120 {
			t.Fatalf("par: %d %s", w.Code, w.Body)
		}
		return out.RequestURI
	}
	uri := push()
	byRef := url.Values{"client_id": {"secret-client"}, "request_uri": {uri}}
	f.open(byRef)
	if w := f.get("/dev/idporten/authorize", byRef); w.Code != http.StatusBadRequest {
		t.Errorf("request_uri used twice: %d", w.Code)
	}
	uri = push()
	if w := f.get("/dev/idporten/authorize", url.Values{"client_id": {"key-client"}, "request_uri": {uri}}); w.Code != http.StatusBadRequest {
		t.Errorf("request_uri of another client: %d", w.Code)
	}
	uri = push()
	f.clk.Advance(121 * time.Second)
	if w := f.get("/dev/idporten/authorize", url.Values{"client_id": {"secret-client"}, "request_uri": {uri}}); w.Code != http.StatusBadRequest {
		t.Errorf("expired request_uri: %d", w.Code)
	}
	oauthErrorOf(t, f.post("/dev/idporten/par", authParams("secret-client")), 401, "invalid_client")
	bad := withSecret(authParams("secret-client"))
	bad.Del("code_challenge")
	oauthErrorOf(t, f.post("/dev/idporten/par", bad), 400, "invalid_request")
}

func TestCancel(t *testing.T) {
	f := newFixture(t)
	req, _ := f.open(authParams("secret-client"))
	w := f.get("/dev/idporten/authorize/cancel", url.Values{"req": {req}})
	loc, _ := url.Parse(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st-1" {
		t.Fatalf("%d %s", w.Code, loc)
	}
}

func TestKeyPersisted(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Config{Issuer: issuer, KeyDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Issuer: issuer, KeyDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if a.kid != b.kid || string(a.jwks) != string(b.jwks) {
		t.Error("the key changed across restarts")
	}
	fi, err := os.Stat(filepath.Join(dir, keyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi.Mode(), err)
	}
	c, _ := New(Config{Issuer: issuer})
	if c.kid == a.kid {
		t.Error("a fresh key without KeyDir expected")
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{
		{Issuer: "https://x/dev/idporten/"},
		{Issuer: "/dev/idporten"},
		{Issuer: issuer, Clients: []Client{{ID: "c", RedirectURIs: []string{redirect}}}},
		{Issuer: issuer, Clients: []Client{{ID: "c", Secret: "s"}}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New accepted %+v", cfg)
		}
	}
}

func TestPKCEVector(t *testing.T) {
	// RFC 7636 appendix B.
	if !pkceMatches(verifier, chall) || pkceMatches(verifier+"x", chall) || pkceMatches("dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk", chall) {
		t.Fatal("S256 does not match RFC 7636 appendix B")
	}
}

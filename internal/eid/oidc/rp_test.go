package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
)

func TestLogin(t *testing.T) {
	tests := []struct {
		name     string
		mutate   []func(*Config)
		pid      string
		method   string
		want     eid.Assurance
		lang     string
		assured  eid.Assurance
		eid      string
		fullName string
	}{
		{name: "ok/bankid-high", pid: "21909825250", method: "bankid", want: eid.High, assured: eid.High, eid: eid.BankID, fullName: "Ola Nordmann"},
		{name: "ok/auto-high-picks-bankid-over-minid", pid: "26816721694", want: eid.High, assured: eid.High, eid: eid.BankID, fullName: "Ida Moe"},
		{name: "ok/minid-substantial", pid: "06927433549", want: eid.Substantial, assured: eid.Substantial, eid: eid.MinID, fullName: "Jon Hansen"},
		{name: "ok/buypass-on-substantial-job", pid: "11917902323", want: eid.Substantial, assured: eid.High, eid: eid.Buypass, fullName: "Marte Larsen"},
		{name: "ok/person-without-eid-uses-testid", pid: "14918702408", want: eid.High, assured: eid.High, eid: eid.TestID, fullName: "Nora Berg"},
		{name: "ok/client-secret-post", mutate: []func(*Config){withSecret}, pid: "03896127682", want: eid.High, assured: eid.High, eid: eid.BankID, fullName: "Kari Nordmann"},
		{name: "ok/without-par", mutate: []func(*Config){func(c *Config) { c.DisablePAR = true }}, pid: "03896127682", method: "minid", want: eid.Substantial, assured: eid.Substantial, eid: eid.MinID, fullName: "Kari Nordmann"},
		{name: "ok/english", pid: "21909825250", method: "buypass", want: eid.High, lang: "en", assured: eid.High, eid: eid.Buypass, fullName: "Ola Nordmann"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mutate...)
			lang := tc.lang
			if lang == "" {
				lang = "nb"
			}
			pending, body, f := e.start(tc.want, lang)
			if want := `<html lang="` + lang + `">`; !strings.Contains(body, want) {
				t.Errorf("page is not in %s", lang)
			}
			e.opClock.Advance(20 * time.Second) // the person reads the page
			status, body, loc := e.submit(f, tc.pid, tc.method)
			if status != http.StatusSeeOther {
				t.Fatalf("POST: %d\n%s", status, body)
			}
			e.rpClock.Advance(21 * time.Second)
			id, err := e.complete(pending, loc.Query())
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if id.PID != tc.pid || id.Assurance != tc.assured || id.Method != tc.eid || id.Name != tc.fullName || id.Issuer != e.issuer {
				t.Errorf("identity = %+v", id)
			}
			if !id.AuthTime.Equal(t0.Add(20 * time.Second)) {
				t.Errorf("auth time %v", id.AuthTime)
			}
			checkEvidence(t, e, id)
		})
	}
}

// checkEvidence verifies the kept ID token independently of the relying
// party: with the JWKS as published, as a validator of the evidence would.
func checkEvidence(t *testing.T, e *env, id eid.Identity) {
	t.Helper()
	status, body, _ := e.get(e.issuer + "/jwks.json")
	if status != http.StatusOK {
		t.Fatalf("jwks: %d", status)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(body), &set); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(id.IDToken, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", tok.Headers[0].KeyID)
	}
	var c struct {
		PID string   `json:"pid"`
		ACR string   `json:"acr"`
		AMR []string `json:"amr"`
		Sub string   `json:"sub"`
	}
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("evidence does not verify: %v", err)
	}
	if c.PID != id.PID || c.ACR != id.Assurance.ACR() || len(c.AMR) != 1 || c.Sub == "" || c.Sub == c.PID {
		t.Errorf("claims %+v", c)
	}
}

func TestLoginFailures(t *testing.T) {
	tests := []struct {
		name   string
		mutate []func(*Config)
		pid    string
		method string
		want   eid.Assurance
		// spoil changes the situation between the redirect and Complete.
		spoil func(e *env, p *eid.Pending, q url.Values)
		is    error
		msg   string
	}{
		{name: "fail/wrong-state", spoil: func(_ *env, _ *eid.Pending, q url.Values) { q.Set("state", random()) }, is: eid.ErrStateMismatch},
		{name: "fail/missing-state", spoil: func(_ *env, _ *eid.Pending, q url.Values) { q.Del("state") }, is: eid.ErrStateMismatch},
		{name: "fail/repeated-state", spoil: func(_ *env, _ *eid.Pending, q url.Values) { q.Add("state", q.Get("state")) }, is: eid.ErrStateMismatch},
		{name: "fail/wrong-pkce-verifier", spoil: func(_ *env, p *eid.Pending, _ url.Values) { p.Verifier = random() }, is: eid.ErrInvalidToken, msg: "invalid_grant"},
		{name: "fail/nonce-mismatch", spoil: func(_ *env, p *eid.Pending, _ url.Values) { p.Nonce = random() }, is: eid.ErrNonceMismatch},
		{name: "fail/minid-on-high-job", pid: "06927433549", want: eid.High, is: eid.ErrAssuranceTooLow},
		{name: "fail/chosen-minid-on-high-job", pid: "21909825250", method: "minid", want: eid.High, is: eid.ErrAssuranceTooLow},
		{name: "fail/job-wants-more-than-pending-says", pid: "06927433549", spoil: func(_ *env, p *eid.Pending, _ url.Values) { p.Want = eid.High }, is: eid.ErrAssuranceTooLow},
		{
			name: "fail/expired-id-token", mutate: []func(*Config){withSecret, func(c *Config) { c.MaxPending = 2 * time.Hour }},
			spoil: func(e *env, _ *eid.Pending, _ url.Values) { e.rpClock.Advance(time.Hour) },
			is:    eid.ErrInvalidToken, msg: "expired",
		},
		{name: "fail/pending-too-old", spoil: func(e *env, _ *eid.Pending, _ url.Values) { e.rpClock.Advance(16 * time.Minute) }, is: eid.ErrExpired},
		{name: "fail/code-expired", spoil: func(e *env, _ *eid.Pending, _ url.Values) { e.opClock.Advance(61 * time.Second) }, is: eid.ErrInvalidToken, msg: "invalid_grant"},
		{name: "fail/wrong-iss", spoil: func(_ *env, _ *eid.Pending, q url.Values) { q.Set("iss", "https://idporten.no") }, is: eid.ErrInvalidToken, msg: "RFC 9207"},
		{name: "fail/missing-iss", spoil: func(_ *env, _ *eid.Pending, q url.Values) { q.Del("iss") }, is: eid.ErrInvalidToken, msg: "RFC 9207"},
		{name: "fail/no-code", spoil: func(_ *env, _ *eid.Pending, q url.Values) { q.Del("code") }, is: eid.ErrInvalidToken},
		{name: "fail/forged-code", spoil: func(_ *env, _ *eid.Pending, q url.Values) { q.Set("code", random()) }, is: eid.ErrInvalidToken, msg: "invalid_grant"},
		{
			name: "fail/tampered-signature", mutate: []func(*Config){withTamper},
			spoil: func(e *env, _ *eid.Pending, _ url.Values) { e.tamper.set(flipSignature) },
			is:    eid.ErrInvalidToken,
		},
		{
			name: "fail/tampered-payload", mutate: []func(*Config){withTamper},
			spoil: func(e *env, _ *eid.Pending, _ url.Values) {
				e.tamper.set(func(tok string) string { return rewritePayload(tok, "pid", "03896127682") })
			},
			is: eid.ErrInvalidToken,
		},
		{
			name: "fail/alg-none", mutate: []func(*Config){withTamper},
			spoil: func(e *env, _ *eid.Pending, _ url.Values) { e.tamper.set(algNone) },
			is:    eid.ErrInvalidToken,
		},
		{
			name: "fail/alg-hs256-with-client-secret", mutate: []func(*Config){withSecret, withTamper},
			spoil: func(e *env, _ *eid.Pending, _ url.Values) {
				e.tamper.set(func(tok string) string { return resignHS256(tok, []byte(secret)) })
			},
			is: eid.ErrInvalidToken,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mutate...)
			pid, want := tc.pid, tc.want
			if pid == "" {
				pid = "21909825250"
			}
			if want == "" {
				want = eid.Substantial
			}
			pending, q := e.login(pid, tc.method, want)
			if tc.spoil != nil {
				tc.spoil(e, &pending, q)
			}
			id, err := e.complete(pending, q)
			if err == nil {
				t.Fatalf("Complete succeeded: %+v", id)
			}
			t.Log(err)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.is, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "eid: ") {
				t.Errorf("error %q lacks the eid prefix", err)
			}
			if id != (eid.Identity{}) {
				t.Errorf("identity returned with an error: %+v", id)
			}
		})
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	e := newEnv(t)
	pending, q := e.login("21909825250", "", eid.High)
	if _, err := e.complete(pending, q); err != nil {
		t.Fatal(err)
	}
	_, err := e.complete(pending, q)
	if !errors.Is(err, eid.ErrInvalidToken) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("replayed code: %v", err)
	}
}

// TestKeyRotation: a token signed with a key the cached JWKS lacks makes
// the relying party fetch the JWKS again, but not more than once a minute.
func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	pending, q := e.login("21909825250", "", eid.High)
	if _, err := e.complete(pending, q); err != nil {
		t.Fatal(err)
	}
	e.restartProvider()
	e.opClock.Advance(30 * time.Second)
	e.rpClock.Advance(30 * time.Second)
	pending, q = e.login("21909825250", "", eid.High)
	if _, err := e.complete(pending, q); !errors.Is(err, errUnknownKey) {
		t.Fatalf("refetched the JWKS within a minute: %v", err)
	}
	e.opClock.Advance(time.Minute)
	e.rpClock.Advance(time.Minute)
	pending, q = e.login("21909825250", "", eid.High)
	if _, err := e.complete(pending, q); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
}

func TestCodeBoundToClient(t *testing.T) {
	e := newEnv(t)
	pending, q := e.login("21909825250", "", eid.High)
	other, err := New(Config{Issuer: e.issuer, ClientID: secretClient, ClientSecret: secret, Roots: e.roots, Clock: e.rpClock})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Complete(context.Background(), pending, e.redirect, q)
	if !errors.Is(err, eid.ErrInvalidToken) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("code of another client: %v", err)
	}
	// The attempt used the code up, as RFC 6749 section 4.1.2 wants.
	if _, err := e.complete(pending, q); err == nil {
		t.Fatal("code survived a misuse")
	}
}

func TestRedirectURIMustMatch(t *testing.T) {
	e := newEnv(t)
	pending, q := e.login("21909825250", "", eid.High)
	_, err := e.rp.Complete(context.Background(), pending, e.srv.URL+"/elsewhere", q)
	if !errors.Is(err, eid.ErrInvalidToken) {
		t.Fatalf("other redirect_uri: %v", err)
	}
}

func TestCancelIsDenied(t *testing.T) {
	e := newEnv(t)
	pending, body, _ := e.start(eid.High, "nb")
	i := strings.Index(body, `/authorize/cancel?req=`)
	if i < 0 {
		t.Fatal("no cancel link")
	}
	href := body[strings.LastIndex(body[:i], `"`)+1 : i+strings.Index(body[i:], `"`)]
	status, _, loc := e.get(e.srv.URL + strings.ReplaceAll(href, "&amp;", "&"))
	if status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", status)
	}
	_, err := e.complete(pending, loc.Query())
	if !errors.Is(err, eid.ErrDenied) || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("cancelled login: %v", err)
	}
	if errs.KindOf(err) != errs.Unauthenticated {
		t.Errorf("kind %v", errs.KindOf(err))
	}
}

func TestAuthURL(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DisablePAR = true })
	u, p, err := e.rp.AuthURL(context.Background(), e.redirect, eid.High, "en")
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := url.Parse(u)
	q := parsed.Query()
	want := map[string]string{
		"response_type": "code", "client_id": clientID, "redirect_uri": e.redirect, "state": p.State, "nonce": p.Nonce,
		"acr_values": "idporten-loa-high", "ui_locales": "en", "code_challenge_method": "S256", "prompt": "login",
		"code_challenge": challenge(p.Verifier), "scope": "openid profile",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(p.Verifier) != 43 || p.State == p.Nonce || p.Want != eid.High || !p.Created.Equal(t0) {
		t.Errorf("pending %+v", p)
	}
	if strings.Contains(u, p.Verifier) {
		t.Error("the verifier leaked into the URL")
	}

	// With PAR the URL carries a reference only.
	e = newEnv(t)
	u, _, err = e.rp.AuthURL(context.Background(), e.redirect, eid.Substantial, "nb")
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ = url.Parse(u)
	if q := parsed.Query(); len(q) != 2 || !strings.HasPrefix(q.Get("request_uri"), "urn:idporten:") || q.Get("client_id") != clientID {
		t.Errorf("PAR URL %s", u)
	}

	for _, bad := range []struct {
		redirect string
		want     eid.Assurance
	}{{e.redirect, "low"}, {"/relative", eid.High}, {"http://example.com/cb", eid.High}, {"https://x/cb#frag", eid.High}} {
		if _, _, err := e.rp.AuthURL(context.Background(), bad.redirect, bad.want, "nb"); !errs.Is(err, errs.Invalid) {
			t.Errorf("AuthURL(%q, %q) = %v, want an invalid error", bad.redirect, bad.want, err)
		}
	}
}

func TestNew(t *testing.T) {
	for name, cfg := range map[string]Config{
		"fail/http-issuer":     {Issuer: "http://idporten.no", ClientID: "c", ClientSecret: "s"},
		"fail/trailing-slash":  {Issuer: "https://idporten.no/", ClientID: "c", ClientSecret: "s"},
		"fail/no-client":       {Issuer: "https://idporten.no", ClientSecret: "s"},
		"fail/no-auth":         {Issuer: "https://idporten.no", ClientID: "c"},
		"fail/scope-no-openid": {Issuer: "https://idporten.no", ClientID: "c", ClientSecret: "s", Scope: "profile"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func TestDiscoveryIssuerMustMatch(t *testing.T) {
	e := newEnv(t)
	// A document at /mixup that names the real issuer: a mix-up attempt.
	e.mux.Handle("GET /mixup/.well-known/openid-configuration", http.StripPrefix("/mixup", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/dev/idporten" + r.URL.Path
		e.idp.ServeHTTP(w, r)
	})))
	rp, err := New(Config{Issuer: e.srv.URL + "/mixup", ClientID: secretClient, ClientSecret: secret, Roots: e.roots})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rp.AuthURL(context.Background(), e.redirect, eid.High, "nb"); err == nil || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("mismatching issuer: %v", err)
	}
	rp, err = New(Config{Issuer: e.issuer, ClientID: secretClient, ClientSecret: secret}) // system roots: the test CA is unknown
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rp.AuthURL(context.Background(), e.redirect, eid.High, "nb"); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("untrusted TLS: %v", err)
	}
}

func flipSignature(tok string) string {
	parts := strings.Split(tok, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[len(sig)/2] ^= 0x01
	parts[2] = base64.RawURLEncoding.EncodeToString(sig)
	return strings.Join(parts, ".")
}

func payloadOf(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func rewritePayload(tok, claim string, value any) string {
	m := payloadOf(tok)
	m[claim] = value
	b, _ := json.Marshal(m)
	parts := strings.Split(tok, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func algNone(tok string) string {
	parts := strings.Split(tok, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
}

func resignHS256(tok string, key []byte) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		panic(err)
	}
	out, err := jwt.Signed(s).Claims(payloadOf(tok)).Serialize()
	if err != nil {
		panic(err)
	}
	return out
}

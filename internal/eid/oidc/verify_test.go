package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/segl/segl/internal/eid"
)

const testIssuer = "https://idporten.example"

// keyring holds the provider keys the verification tests sign with.
type keyring struct {
	ec, ec2 *ecdsa.PrivateKey
	rsa     *rsa.PrivateKey
	rsa1024 *rsa.PrivateKey
	jwks    []jose.JSONWebKey
}

var (
	ringOnce sync.Once
	ring     keyring
)

func testKeys(t testing.TB) keyring {
	ringOnce.Do(func() {
		var err error
		must := func(e error) {
			if e != nil && err == nil {
				err = e
			}
		}
		var e1, e2, e3, e4 error
		ring.ec, e1 = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ring.ec2, e2 = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ring.rsa, e3 = rsa.GenerateKey(rand.Reader, 2048)
		ring.rsa1024, e4 = rsa.GenerateKey(rand.Reader, 1024)
		must(e1)
		must(e2)
		must(e3)
		must(e4)
		if err != nil {
			panic(err)
		}
		ring.jwks = []jose.JSONWebKey{
			{Key: &ring.ec.PublicKey, KeyID: "ec", Use: "sig", Algorithm: "ES256"},
			{Key: &ring.rsa.PublicKey, KeyID: "rsa"},
			{Key: &ring.rsa1024.PublicKey, KeyID: "rsa1024"},
			{Key: &ring.ec2.PublicKey, KeyID: "enc", Use: "enc"},
			{Key: &ring.ec2.PublicKey, KeyID: "ec-as-rs", Algorithm: "RS256"},
		}
	})
	return ring
}

func baseClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss": testIssuer, "aud": "segl", "sub": "pairwise-sub", "pid": "21909825250",
		"acr": "idporten-loa-high", "amr": []string{"BankID"}, "auth_time": now.Add(-5 * time.Second).Unix(),
		"iat": now.Unix(), "exp": now.Add(120 * time.Second).Unix(), "nonce": "nonce-0", "locale": "nb",
	}
}

func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid, typ string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func params(now time.Time) verifyParams {
	return verifyParams{Issuer: testIssuer, ClientID: "segl", Now: now, Leeway: 30 * time.Second, Nonce: "nonce-0", Want: eid.High, AuthAfter: now.Add(-time.Minute)}
}

func TestVerifyIDToken(t *testing.T) {
	k := testKeys(t)
	now := t0
	es := func(mod func(map[string]any)) string {
		c := baseClaims(now)
		if mod != nil {
			mod(c)
		}
		return sign(t, jose.ES256, k.ec, "ec", "JWT", c)
	}
	tests := []struct {
		name  string
		raw   string
		keys  []jose.JSONWebKey
		mod   func(*verifyParams)
		is    error // nil: must verify
		check func(eid.Identity) bool
	}{
		{name: "ok/es256", raw: es(nil), check: func(id eid.Identity) bool {
			return id.PID == "21909825250" && id.Assurance == eid.High && id.Method == eid.BankID && id.AuthTime.Equal(now.Add(-5*time.Second))
		}},
		{name: "ok/rs256", raw: sign(t, jose.RS256, k.rsa, "rsa", "", baseClaims(now))},
		{name: "ok/no-typ", raw: sign(t, jose.ES256, k.ec, "ec", "", baseClaims(now))},
		{name: "ok/exp-within-leeway", raw: es(func(c map[string]any) { c["exp"] = now.Add(-20 * time.Second).Unix() })},
		{name: "ok/aud-list-with-azp", raw: es(func(c map[string]any) { c["aud"] = []string{"segl", "other"}; c["azp"] = "segl" })},
		{name: "ok/substantial-for-substantial", raw: es(func(c map[string]any) { c["acr"] = eid.ACRSubstantial; c["amr"] = []string{"Minid-PIN"} }),
			mod: func(p *verifyParams) { p.Want = eid.Substantial }, check: func(id eid.Identity) bool { return id.Method == eid.MinID }},
		{name: "ok/no-kid-one-key", raw: sign(t, jose.ES256, k.ec, "", "JWT", baseClaims(now)), keys: []jose.JSONWebKey{{Key: &k.ec.PublicKey}}},
		{name: "ok/sso-allowed-old-auth", raw: es(func(c map[string]any) { c["auth_time"] = now.Add(-time.Hour).Unix() }), mod: func(p *verifyParams) { p.AuthAfter = time.Time{} }},

		{name: "fail/alg-none", raw: algNone(es(nil)), is: eid.ErrInvalidToken},
		{name: "fail/hs256", raw: sign(t, jose.HS256, []byte(strings.Repeat("k", 32)), "ec", "JWT", baseClaims(now)), is: eid.ErrInvalidToken},
		{name: "fail/es384", raw: sign(t, jose.ES384, mustEC(t, elliptic.P384()), "ec", "JWT", baseClaims(now)), is: eid.ErrInvalidToken},
		{name: "fail/ps256", raw: sign(t, jose.PS256, k.rsa, "rsa", "JWT", baseClaims(now)), is: eid.ErrInvalidToken},
		{name: "fail/rs256-on-ec-key", raw: sign(t, jose.RS256, k.rsa, "ec", "JWT", baseClaims(now)), is: errUnknownKey},
		{name: "fail/key-marked-for-other-alg", raw: sign(t, jose.ES256, k.ec2, "ec-as-rs", "JWT", baseClaims(now)), is: errUnknownKey},
		{name: "fail/encryption-key", raw: sign(t, jose.ES256, k.ec2, "enc", "JWT", baseClaims(now)), is: errUnknownKey},
		{name: "fail/short-rsa-key", raw: sign(t, jose.RS256, k.rsa1024, "rsa1024", "JWT", baseClaims(now)), is: errUnknownKey},
		{name: "fail/unknown-kid", raw: sign(t, jose.ES256, k.ec, "rotated", "JWT", baseClaims(now)), is: errUnknownKey},
		{name: "fail/other-key-same-kid", raw: sign(t, jose.ES256, k.ec2, "ec", "JWT", baseClaims(now)), is: eid.ErrInvalidToken},
		{name: "fail/no-kid-several-keys", raw: sign(t, jose.ES256, k.ec, "", "JWT", baseClaims(now)), keys: []jose.JSONWebKey{{Key: &k.ec.PublicKey, KeyID: "a"}, {Key: &k.ec2.PublicKey, KeyID: "b"}}, is: eid.ErrInvalidToken},
		{name: "fail/access-token-typ", raw: sign(t, jose.ES256, k.ec, "ec", "at+jwt", baseClaims(now)), is: eid.ErrInvalidToken},
		{name: "fail/wrong-issuer", raw: es(func(c map[string]any) { c["iss"] = "https://evil.example" }), is: eid.ErrInvalidToken},
		{name: "fail/wrong-audience", raw: es(func(c map[string]any) { c["aud"] = "other" }), is: eid.ErrInvalidToken},
		{name: "fail/aud-list-without-azp", raw: es(func(c map[string]any) { c["aud"] = []string{"segl", "other"} }), is: eid.ErrInvalidToken},
		{name: "fail/azp-other", raw: es(func(c map[string]any) { c["azp"] = "other" }), is: eid.ErrInvalidToken},
		{name: "fail/expired", raw: es(func(c map[string]any) { c["exp"] = now.Add(-31 * time.Second).Unix() }), is: eid.ErrInvalidToken},
		{name: "fail/no-exp", raw: es(func(c map[string]any) { delete(c, "exp") }), is: eid.ErrInvalidToken},
		{name: "fail/no-iat", raw: es(func(c map[string]any) { delete(c, "iat") }), is: eid.ErrInvalidToken},
		{name: "fail/iat-future", raw: es(func(c map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }), is: eid.ErrInvalidToken},
		{name: "fail/nbf-future", raw: es(func(c map[string]any) { c["nbf"] = now.Add(time.Minute).Unix() }), is: eid.ErrInvalidToken},
		{name: "fail/exp-not-a-number", raw: es(func(c map[string]any) { c["exp"] = "tomorrow" }), is: eid.ErrInvalidToken},
		{name: "fail/wrong-nonce", raw: es(func(c map[string]any) { c["nonce"] = "nonce-1" }), is: eid.ErrNonceMismatch},
		{name: "fail/no-nonce", raw: es(func(c map[string]any) { delete(c, "nonce") }), is: eid.ErrNonceMismatch},
		{name: "fail/empty-expected-nonce", raw: es(func(c map[string]any) { c["nonce"] = "" }), mod: func(p *verifyParams) { p.Nonce = "" }, is: eid.ErrNonceMismatch},
		{name: "fail/substantial-for-high", raw: es(func(c map[string]any) { c["acr"] = eid.ACRSubstantial }), is: eid.ErrAssuranceTooLow},
		{name: "fail/acr-low", raw: es(func(c map[string]any) { c["acr"] = "idporten-loa-low" }), is: eid.ErrAssuranceTooLow},
		{name: "fail/acr-legacy", raw: es(func(c map[string]any) { c["acr"] = "Level4" }), is: eid.ErrInvalidToken},
		{name: "fail/no-acr", raw: es(func(c map[string]any) { delete(c, "acr") }), is: eid.ErrInvalidToken},
		{name: "fail/no-auth-time", raw: es(func(c map[string]any) { delete(c, "auth_time") }), is: eid.ErrInvalidToken},
		{name: "fail/stale-auth-time", raw: es(func(c map[string]any) { c["auth_time"] = now.Add(-time.Hour).Unix() }), is: eid.ErrInvalidToken},
		{name: "fail/auth-time-future", raw: es(func(c map[string]any) { c["auth_time"] = now.Add(time.Hour).Unix() }), is: eid.ErrInvalidToken},
		{name: "fail/no-sub", raw: es(func(c map[string]any) { delete(c, "sub") }), is: eid.ErrInvalidToken},
		{name: "fail/no-pid", raw: es(func(c map[string]any) { delete(c, "pid") }), is: eid.ErrInvalidToken},
		{name: "fail/malformed-pid", raw: es(func(c map[string]any) { c["pid"] = "2190982525x" }), is: eid.ErrInvalidToken},
		{name: "fail/tampered", raw: flipSignature(es(nil)), is: eid.ErrInvalidToken},
		{name: "fail/payload-swapped", raw: rewritePayload(es(nil), "pid", "03896127682"), is: eid.ErrInvalidToken},
		{name: "fail/garbage", raw: "not.a.token", is: eid.ErrInvalidToken},
		{name: "fail/empty", raw: "", is: eid.ErrInvalidToken},
		{name: "fail/too-large", raw: es(func(c map[string]any) { c["pad"] = strings.Repeat("x", maxIDToken) }), is: eid.ErrInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := params(now)
			if tc.mod != nil {
				tc.mod(&p)
			}
			keys := tc.keys
			if keys == nil {
				keys = k.jwks
			}
			id, err := verifyIDToken(tc.raw, keys, p)
			if tc.is == nil {
				if err != nil {
					t.Fatal(err)
				}
				if id.IDToken != tc.raw || id.Issuer != testIssuer || (tc.check != nil && !tc.check(id)) {
					t.Errorf("identity %+v", id)
				}
				return
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if id != (eid.Identity{}) {
				t.Errorf("identity with error: %+v", id)
			}
		})
	}
}

func mustEC(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FuzzVerifyIDToken feeds arbitrary strings to the ID token verifier: it
// must never panic, must refuse with one of eid's errors, and may accept
// only a token the provider key really signed.
func FuzzVerifyIDToken(f *testing.F) {
	k := testKeys(f)
	now := t0
	good := sign(f, jose.ES256, k.ec, "ec", "JWT", baseClaims(now))
	f.Add(good)
	f.Add(sign(f, jose.RS256, k.rsa, "rsa", "", baseClaims(now)))
	f.Add(algNone(good))
	f.Add(flipSignature(good))
	f.Add(sign(f, jose.HS256, []byte(strings.Repeat("k", 32)), "ec", "JWT", baseClaims(now)))
	f.Add(`eyJhbGciOiJFUzI1NiJ9.e30.`)
	f.Add(`{"payload":"e30","signatures":[{"protected":"eyJhbGciOiJFUzI1NiJ9","signature":""}]}`)
	f.Add("..")
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := verifyIDToken(raw, k.jwks, params(now))
		if err != nil {
			if !errors.Is(err, eid.ErrInvalidToken) && !errors.Is(err, eid.ErrNonceMismatch) && !errors.Is(err, eid.ErrAssuranceTooLow) {
				t.Fatalf("untyped error %v", err)
			}
			if id != (eid.Identity{}) {
				t.Fatal("identity with an error")
			}
			return
		}
		// Nothing but the seeds' signed claims can come out: the fuzzer
		// cannot sign, so any other identity is a forgery that passed.
		want := eid.Identity{PID: "21909825250", Assurance: eid.High, Method: eid.BankID, AuthTime: now.Add(-5 * time.Second), IDToken: raw, Issuer: testIssuer}
		if id != want {
			t.Fatalf("accepted %q as %+v", raw, id)
		}
	})
}

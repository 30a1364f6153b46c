package oidc

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/segl/segl/internal/pki/pkitest"
)

// A client assertion is a JWT that a JOSE library verifies with the
// client's public key, with the header and claims RFC 7523 and ID-porten
// ask for: ES256 or RS256, typ JWT, the key id or the certificate chain,
// iss and sub the client, aud the issuer, a short lifetime and a jti.
func TestClientAssertion(t *testing.T) {
	ecKey, rsaKey := pkitest.Key(t, "p256"), pkitest.Key(t, "rsa")
	cert := pkitest.SelfSigned(t, rsaKey, pkix.Name{CommonName: "segl"})
	now := time.Unix(1_790_000_000, 0)
	for _, tc := range []struct {
		name  string
		key   crypto.Signer
		kid   string
		chain []*x509.Certificate
		alg   jose.SignatureAlgorithm
	}{
		{"ok/es256-kid", ecKey, "segl-1", nil, jose.ES256},
		{"ok/rs256-x5c", rsaKey, "", []*x509.Certificate{cert}, jose.RS256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := newAssertionSigner(tc.key, tc.kid, tc.chain)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := a.sign("segl", "https://idporten.example", now)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{tc.alg})
			if err != nil {
				t.Fatal(err)
			}
			h := tok.Headers[0]
			if h.KeyID != tc.kid || h.ExtraHeaders[jose.HeaderType] != "JWT" {
				t.Errorf("header %+v", h)
			}
			if len(tc.chain) > 0 {
				roots := x509.NewCertPool()
				roots.AddCert(cert)
				chains, err := h.Certificates(x509.VerifyOptions{Roots: roots})
				if err != nil || !chains[0][0].Equal(cert) {
					t.Errorf("x5c: %v", err)
				}
			}
			var c jwt.Claims
			if err := tok.Claims(tc.key.Public(), &c); err != nil {
				t.Fatalf("does not verify: %v", err)
			}
			err = c.ValidateWithLeeway(jwt.Expected{Issuer: "segl", Subject: "segl", AnyAudience: jwt.Audience{"https://idporten.example"},
				Time: now.Add(time.Minute)}, 0)
			if err != nil || c.ID == "" || !c.IssuedAt.Time().Equal(now) || !c.Expiry.Time().Equal(now.Add(assertionLifetime)) {
				t.Errorf("claims %+v: %v", c, err)
			}
			again, _ := a.sign("segl", "https://idporten.example", now)
			if again == raw {
				t.Error("two assertions alike: the jti is not fresh")
			}
		})
	}
}

// BenchmarkClientAssertion is the client assertion of a pushed
// authorization request or a token request: two per login.
func BenchmarkClientAssertion(b *testing.B) {
	a, err := newAssertionSigner(pkitest.Key(b, "p256"), "segl-1", nil)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.sign("segl-dev", "https://127.0.0.1:8443/dev/idporten", now); err != nil {
			b.Fatal(err)
		}
	}
}

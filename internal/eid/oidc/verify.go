package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/segl/segl/internal/eid"
)

// idAlgs are the only signature algorithms accepted on an ID token.
// ID-porten signs with RS256; the development provider with ES256. "none"
// and the HMAC family are never accepted: a client secret is not a
// signature by the provider (OpenID Connect Core 1.0 section 3.1.3.7 step 8
// allows them, segl does not).
var idAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// maxIDToken bounds the size of a token before any parsing.
const maxIDToken = 64 << 10

// errUnknownKey says the token names a key id the JWKS lacks: the caller
// fetches the JWKS again once, since the provider may have rotated its key.
var errUnknownKey = fmt.Errorf("%w: unknown key id", eid.ErrInvalidToken)

// verifyParams is what an ID token is checked against.
type verifyParams struct {
	Issuer    string
	ClientID  string
	Now       time.Time
	Leeway    time.Duration
	Nonce     string        // from the pending login; never empty
	Want      eid.Assurance // the level the job requires
	AuthAfter time.Time     // when non-zero, auth_time must not be earlier (prompt=login was sent)
}

// idClaims are the ID token claims segl reads (OpenID Connect Core 1.0
// section 2, and ID-porten's "pid").
type idClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	AZP       string           `json:"azp"`
	Expiry    *jwt.NumericDate `json:"exp"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	AuthTime  *jwt.NumericDate `json:"auth_time"`
	Nonce     string           `json:"nonce"`
	ACR       string           `json:"acr"`
	AMR       []string         `json:"amr"`
	PID       string           `json:"pid"`
	Name      string           `json:"name"`
}

// verifyIDToken validates an ID token as OpenID Connect Core 1.0 section
// 3.1.3.7 requires, in its order: signature with a provider key (step 6,
// restricted to RS256/ES256), iss (step 2), aud and azp (steps 3 to 5), exp
// and iat (steps 9 and 10), nonce (step 11), acr (step 12) and auth_time
// (step 13, since prompt=login asks for a fresh authentication). It then
// requires ID-porten's pid claim. Every failure wraps one of eid's errors.
func verifyIDToken(raw string, keys []jose.JSONWebKey, p verifyParams) (eid.Identity, error) {
	if len(raw) > maxIDToken {
		return eid.Identity{}, fmt.Errorf("%w: too large", eid.ErrInvalidToken)
	}
	tok, err := jwt.ParseSigned(raw, idAlgs)
	if err != nil {
		return eid.Identity{}, fmt.Errorf("%w: %v", eid.ErrInvalidToken, err)
	}
	if len(tok.Headers) != 1 {
		return eid.Identity{}, fmt.Errorf("%w: not one signature", eid.ErrInvalidToken)
	}
	h := tok.Headers[0]
	// A typed token of another kind (an "at+jwt" access token signed by the
	// same key) must not pass as an ID token.
	if typ, ok := h.ExtraHeaders[jose.HeaderType].(string); ok && !strings.EqualFold(typ, "JWT") {
		return eid.Identity{}, fmt.Errorf("%w: typ %q", eid.ErrInvalidToken, printable(typ, 32))
	}
	key, err := pickKey(keys, h.KeyID, jose.SignatureAlgorithm(h.Algorithm))
	if err != nil {
		return eid.Identity{}, err
	}
	var c idClaims
	if err := tok.Claims(key, &c); err != nil {
		return eid.Identity{}, fmt.Errorf("%w: %v", eid.ErrInvalidToken, err)
	}

	if c.Issuer != p.Issuer {
		return eid.Identity{}, fmt.Errorf("%w: issuer %q", eid.ErrInvalidToken, printable(c.Issuer, 200))
	}
	if !c.Audience.Contains(p.ClientID) {
		return eid.Identity{}, fmt.Errorf("%w: not issued to this client", eid.ErrInvalidToken)
	}
	if (len(c.Audience) > 1 || c.AZP != "") && c.AZP != p.ClientID {
		return eid.Identity{}, fmt.Errorf("%w: azp is not this client", eid.ErrInvalidToken)
	}
	if c.Expiry == nil || c.IssuedAt == nil {
		return eid.Identity{}, fmt.Errorf("%w: no exp or iat", eid.ErrInvalidToken)
	}
	if !p.Now.Before(c.Expiry.Time().Add(p.Leeway)) {
		return eid.Identity{}, fmt.Errorf("%w: expired", eid.ErrInvalidToken)
	}
	if c.IssuedAt.Time().After(p.Now.Add(p.Leeway)) {
		return eid.Identity{}, fmt.Errorf("%w: issued in the future", eid.ErrInvalidToken)
	}
	if c.NotBefore != nil && c.NotBefore.Time().After(p.Now.Add(p.Leeway)) {
		return eid.Identity{}, fmt.Errorf("%w: not valid yet", eid.ErrInvalidToken)
	}
	if p.Nonce == "" || subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(p.Nonce)) != 1 {
		return eid.Identity{}, eid.ErrNonceMismatch
	}
	got, ok := eid.ParseACR(c.ACR)
	if !ok {
		if c.ACR == "idporten-loa-low" {
			return eid.Identity{}, fmt.Errorf("%w: %s", eid.ErrAssuranceTooLow, c.ACR)
		}
		return eid.Identity{}, fmt.Errorf("%w: unknown acr %q", eid.ErrInvalidToken, printable(c.ACR, 64))
	}
	if !got.AtLeast(p.Want) {
		return eid.Identity{}, fmt.Errorf("%w: %s, job requires %s", eid.ErrAssuranceTooLow, got, p.Want)
	}
	if c.AuthTime == nil {
		return eid.Identity{}, fmt.Errorf("%w: no auth_time", eid.ErrInvalidToken)
	}
	authTime := c.AuthTime.Time()
	if authTime.After(p.Now.Add(p.Leeway)) {
		return eid.Identity{}, fmt.Errorf("%w: auth_time in the future", eid.ErrInvalidToken)
	}
	if !p.AuthAfter.IsZero() && authTime.Before(p.AuthAfter.Add(-p.Leeway)) {
		return eid.Identity{}, fmt.Errorf("%w: authentication older than the login", eid.ErrInvalidToken)
	}
	if c.Subject == "" {
		return eid.Identity{}, fmt.Errorf("%w: no sub", eid.ErrInvalidToken)
	}
	if !eid.PIDClaim(c.PID) {
		return eid.Identity{}, fmt.Errorf("%w: no national identity number", eid.ErrInvalidToken)
	}
	return eid.Identity{
		PID:       c.PID,
		Name:      strings.TrimSpace(c.Name),
		Assurance: got,
		Method:    eid.MethodFromAMR(c.AMR),
		AuthTime:  authTime.UTC(),
		IDToken:   raw,
		Issuer:    c.Issuer,
	}, nil
}

// pickKey finds the key that may verify a token signed with alg under kid
// (RFC 7515 section 4.1.4). Keys marked for another use or algorithm, and
// keys whose type does not fit alg, are never candidates, so a key
// published for one algorithm cannot be abused with another. Without a kid
// the JWKS must hold exactly one candidate.
func pickKey(keys []jose.JSONWebKey, kid string, alg jose.SignatureAlgorithm) (any, error) {
	var found []any
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Use != "" && k.Use != "sig" || k.Algorithm != "" && k.Algorithm != string(alg) {
			continue
		}
		switch pub := k.Key.(type) {
		case *rsa.PublicKey:
			if alg == jose.RS256 && pub.N.BitLen() >= 2048 {
				found = append(found, pub)
			}
		case *ecdsa.PublicKey:
			if alg == jose.ES256 && pub.Curve == elliptic.P256() {
				found = append(found, pub)
			}
		}
	}
	switch {
	case len(found) == 0 && kid != "":
		return nil, errUnknownKey
	case len(found) == 0:
		return nil, fmt.Errorf("%w: no key for %s", eid.ErrInvalidToken, alg)
	case len(found) > 1 && kid == "":
		return nil, fmt.Errorf("%w: no kid and several keys", eid.ErrInvalidToken)
	}
	return found[0], nil
}

package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"
	"github.com/go-jose/go-jose/v4/jwt"
)

// assertionType is the client_assertion_type of RFC 7523 section 2.2.
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is short: the assertion is made for one request.
const assertionLifetime = 2 * time.Minute

// assertionSigner makes private_key_jwt client assertions.
//
// Security: the key behind it signs only assertions built here, whose
// claims are fixed (iss = sub = client id, aud = issuer, fresh jti); it
// must never be exposed as a general signer, or it becomes a signing oracle
// for the client's identity at the provider.
type assertionSigner struct {
	signer jose.Signer
}

func newAssertionSigner(key crypto.Signer, kid string, chain []*x509.Certificate) (*assertionSigner, error) {
	var alg jose.SignatureAlgorithm
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return nil, errors.New("eid: client key: rsa key shorter than 2048 bits")
		}
		alg = jose.RS256
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, errors.New("eid: client key: only P-256 ecdsa keys are supported")
		}
		alg = jose.ES256
	default:
		return nil, errors.New("eid: client key: need an rsa or P-256 ecdsa key")
	}
	if kid == "" && len(chain) == 0 {
		return nil, errors.New("eid: client key: set KeyID or Chain so the provider can find the key")
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if len(chain) > 0 {
		x5c := make([]string, len(chain))
		for i, c := range chain {
			x5c[i] = base64.StdEncoding.EncodeToString(c.Raw)
		}
		opts = opts.WithHeader("x5c", x5c)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: cryptosigner.Opaque(key), KeyID: kid}}, opts)
	if err != nil {
		return nil, errors.New("eid: client key: " + err.Error())
	}
	return &assertionSigner{signer: s}, nil
}

// sign makes a client assertion as RFC 7523 section 3 and ID-porten want
// it: iss and sub the client id, aud the issuer, a short exp, iat and a
// random jti so the provider can refuse a replay.
func (a *assertionSigner) sign(clientID, issuer string, now time.Time) (string, error) {
	claims := jwt.Claims{
		Issuer:   clientID,
		Subject:  clientID,
		Audience: jwt.Audience{issuer},
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(now.Add(assertionLifetime)),
		ID:       random(),
	}
	s, err := jwt.Signed(a.signer).Claims(claims).Serialize()
	if err != nil {
		return "", errors.New("eid: client assertion: " + err.Error())
	}
	return s, nil
}

package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/segl/segl/internal/pki"
)

// assertionType is the client_assertion_type of RFC 7523 section 2.2.
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is short: the assertion is made for one request.
const assertionLifetime = 2 * time.Minute

// assertionSigner makes private_key_jwt client assertions: compact JWS
// (RFC 7515 section 7.1) whose header is fixed for the key, so it is
// encoded once, and whose claims are always the same six.
//
// Security: the key behind it signs only assertions built here, whose
// claims are fixed (iss = sub = client id, aud = issuer, fresh jti); it
// must never be exposed as a general signer, or it becomes a signing oracle
// for the client's identity at the provider.
type assertionSigner struct {
	key    crypto.Signer
	es256  bool   // else RS256
	header string // the encoded protected header and its "."
}

func newAssertionSigner(key crypto.Signer, kid string, chain []*x509.Certificate) (*assertionSigner, error) {
	a := &assertionSigner{key: key}
	var alg string
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return nil, errors.New("eid: client key: rsa key shorter than 2048 bits")
		}
		alg = "RS256"
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, errors.New("eid: client key: only P-256 ecdsa keys are supported")
		}
		alg, a.es256 = "ES256", true
	default:
		return nil, errors.New("eid: client key: need an rsa or P-256 ecdsa key")
	}
	if kid == "" && len(chain) == 0 {
		return nil, errors.New("eid: client key: set KeyID or Chain so the provider can find the key")
	}
	// RFC 7515 section 4.1: x5c holds standard base64 DER, leaf first.
	var x5c []string
	for _, c := range chain {
		x5c = append(x5c, base64.StdEncoding.EncodeToString(c.Raw))
	}
	h, err := json.Marshal(struct {
		Alg string   `json:"alg"`
		KID string   `json:"kid,omitempty"`
		Typ string   `json:"typ"`
		X5C []string `json:"x5c,omitempty"`
	}{alg, kid, "JWT", x5c})
	if err != nil {
		return nil, errors.New("eid: client key: " + err.Error())
	}
	a.header = base64.RawURLEncoding.EncodeToString(h) + "."
	return a, nil
}

// sign makes a client assertion as RFC 7523 section 3 and ID-porten want
// it: iss and sub the client id, aud the issuer, a short exp, iat and a
// random jti so the provider can refuse a replay.
func (a *assertionSigner) sign(clientID, issuer string, now time.Time) (string, error) {
	claims, err := json.Marshal(struct {
		Issuer   string `json:"iss"`
		Subject  string `json:"sub"`
		Audience string `json:"aud"`
		IssuedAt int64  `json:"iat"`
		Expiry   int64  `json:"exp"`
		ID       string `json:"jti"`
	}{clientID, clientID, issuer, now.Unix(), now.Add(assertionLifetime).Unix(), random()})
	if err != nil {
		return "", errors.New("eid: client assertion: " + err.Error())
	}
	input := a.header + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	sig, err := a.key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return "", errors.New("eid: client assertion: " + err.Error())
	}
	if a.es256 {
		if sig, err = pki.RawECDSA(sig, 32); err != nil { // ES256: RFC 7518 section 3.4
			return "", errors.New("eid: client assertion: " + err.Error())
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

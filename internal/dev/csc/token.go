package devcsc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/eid"
)

// maxToken bounds a bearer token before any parsing.
const maxToken = 16 << 10

// bearer is the person a verified ID token names.
type bearer struct {
	PID       string
	Assurance eid.Assurance // "" when the acr is not one ID-porten issues
	Token     [32]byte      // SHA-256 of the raw token
	Expired   bool          // only with allowExpired
}

// idClaims are the ID token claims the service reads (OpenID Connect Core
// 1.0 section 2, and ID-porten's "pid").
type idClaims struct {
	Issuer    string           `json:"iss"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	ACR       string           `json:"acr"`
	PID       string           `json:"pid"`
}

// authenticate verifies the bearer token of a request (RFC 6750 section
// 2.1): an ID token signed ES256 by a key in the provider's JWKS, with the
// configured issuer, one of the configured audiences, unexpired, and
// carrying an eleven-digit pid. Any failure is a 401 invalid_token.
//
// allowExpired lets an expired token through, marked Expired, for
// signatures/signHash: there the SAD is the authorization, and the caller
// accepts an expired token only if it is the very token that obtained the
// SAD, so signing may take as long as the SAD lives, not just what is left
// of the ID token's two minutes.
func (s *Service) authenticate(r *http.Request, allowExpired bool) (bearer, *cscError) {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return bearer{}, unauthorized("a bearer token (the ID-porten ID token) is required")
	}
	if len(raw) > maxToken {
		return bearer{}, unauthorized("the token is too large")
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(tok.Headers) != 1 {
		return bearer{}, unauthorized("the token is not a signed JWT")
	}
	h := tok.Headers[0]
	if typ, ok := h.ExtraHeaders[jose.HeaderType].(string); ok && !strings.EqualFold(typ, "JWT") {
		return bearer{}, unauthorized("the token is not an ID token")
	}
	key, err := s.keys.key(r.Context(), h.KeyID)
	if err != nil {
		return bearer{}, unauthorized(err.Error())
	}
	var c idClaims
	if err := tok.Claims(key, &c); err != nil {
		return bearer{}, unauthorized("bad token signature")
	}
	now := s.clock.Now()
	expired := c.Expiry == nil || !now.Before(c.Expiry.Time().Add(leeway))
	switch {
	case c.Issuer != s.issuer:
		return bearer{}, unauthorized("the token is from another issuer")
	case !slices.ContainsFunc(s.audiences, c.Audience.Contains):
		return bearer{}, unauthorized("the token is issued to another client")
	case c.Expiry == nil || expired && !allowExpired:
		return bearer{}, unauthorized("the token has expired")
	case c.IssuedAt == nil || c.IssuedAt.Time().After(now.Add(leeway)):
		return bearer{}, unauthorized("the token is issued in the future")
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(leeway)):
		return bearer{}, unauthorized("the token is not valid yet")
	case !eid.PIDClaim(c.PID):
		return bearer{}, unauthorized("the token carries no pid")
	}
	a, _ := eid.ParseACR(c.ACR)
	return bearer{PID: c.PID, Assurance: a, Token: sha256.Sum256([]byte(raw)), Expired: expired}, nil
}

func unauthorized(desc string) *cscError {
	return &cscError{http.StatusUnauthorized, dev.CodeInvalidToken, desc}
}

// keySource finds the provider's ID token signing keys through its
// discovery document (OpenID Connect Discovery 1.0 section 4) and JWKS,
// cached for an hour and fetched again, at most once a minute, when a token
// names an unknown key id (the provider rotated its key).
type keySource struct {
	issuer string
	client *http.Client
	clock  clock.Clock

	mu   sync.Mutex
	keys []jose.JSONWebKey
	at   time.Time
}

const (
	keysTTL        = time.Hour
	keysMinRefresh = time.Minute
)

func (k *keySource) key(ctx context.Context, kid string) (any, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.clock.Now()
	stale := k.keys == nil || now.Sub(k.at) >= keysTTL || now.Before(k.at)
	if !stale {
		if key, ok := find(k.keys, kid); ok {
			return key, nil
		}
		if now.Sub(k.at) < keysMinRefresh {
			return nil, errors.New("unknown key id")
		}
	}
	keys, err := k.fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot read the provider's keys: %v", err)
	}
	k.keys, k.at = keys, now
	if key, ok := find(keys, kid); ok {
		return key, nil
	}
	return nil, errors.New("unknown key id")
}

func find(keys []jose.JSONWebKey, kid string) (any, bool) {
	for _, key := range keys {
		if key.KeyID == kid && (key.Use == "" || key.Use == "sig") && (key.Algorithm == "" || key.Algorithm == string(jose.ES256)) {
			return key.Key, true
		}
	}
	return nil, false
}

// fetch reads the discovery document, checks that it is the issuer's
// (section 4.3), and reads the JWKS it points to.
func (k *keySource) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := k.getJSON(ctx, k.issuer+"/.well-known/openid-configuration", &meta); err != nil {
		return nil, err
	}
	if meta.Issuer != k.issuer {
		return nil, errors.New("the discovery document names another issuer")
	}
	if u, err := url.Parse(meta.JWKSURI); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, errors.New("the discovery document has no usable jwks_uri")
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := k.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return nil, err
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(raw); err != nil || !key.Valid() {
			continue // a key of a type we do not know hides no other
		}
		keys = append(keys, key.Public())
	}
	return keys, nil
}

func (k *keySource) getJSON(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

// handlerTransport answers HTTP requests with an in-process handler, so
// the service can read the provider's keys when both live in one server
// without a round trip through its own listener.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	w := &bufferedResponse{header: http.Header{}}
	t.h.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)), StatusCode: w.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: io.NopCloser(bytes.NewReader(w.body.Bytes())), ContentLength: int64(w.body.Len()),
		Request: req,
	}, nil
}

type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedResponse) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

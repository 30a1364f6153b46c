// Package oidc is segl's OpenID Connect relying party for ID-porten: the
// production implementation of eid.Login.
//
// It implements the authorization code flow of OpenID Connect Core 1.0
// section 3.1 as ID-porten profiles it: PKCE with S256 (RFC 7636), state and
// nonce always, acr_values for the level of assurance, ui_locales, pushed
// authorization requests (RFC 9126) when the provider offers them, the iss
// callback parameter (RFC 9207), and client authentication by
// private_key_jwt (RFC 7523, OpenID Connect Core 1.0 section 9) or
// client_secret_post. ID tokens are verified against the provider's JWKS
// (RS256 or ES256 only) following OpenID Connect Core 1.0 section 3.1.3.7.
//
// The relying party keeps no state between AuthURL and Complete: everything
// a login needs is in eid.Pending, which the caller keeps in its session. Any
// number of nodes can therefore share one client registration.
package oidc

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
)

// Config configures the relying party. The zero value of every optional
// field is the safe choice.
type Config struct {
	// Issuer is the provider's issuer identifier, exactly as its discovery
	// document states it (for ID-porten "https://idporten.no" or
	// "https://test.idporten.no", no trailing slash). Required, https.
	Issuer string
	// ClientID is the client's registration at the provider. Required.
	ClientID string

	// Key, when set, authenticates the client with private_key_jwt
	// (RFC 7523 section 2.2): a client assertion signed with RS256 (RSA
	// key) or ES256 (P-256 key). ID-porten requires this for most clients.
	// The key is used for nothing else.
	Key crypto.Signer
	// KeyID is the "kid" of Key as registered with the provider.
	KeyID string
	// Chain, when set, is sent as "x5c" with the assertion: ID-porten
	// accepts an enterprise certificate (virksomhetssertifikat) instead of
	// a registered kid. Leaf first.
	Chain []*x509.Certificate
	// ClientSecret authenticates the client with client_secret_post
	// (OpenID Connect Core 1.0 section 9) when Key is nil.
	ClientSecret string

	// HTTPClient makes every call to the provider. Nil means a client that
	// trusts Roots, times out after Timeout and follows no redirects.
	HTTPClient *http.Client
	// Roots are the trust anchors for the provider's TLS certificate when
	// HTTPClient is nil. Nil means the system roots; the development
	// provider is served with the development root of `segl serve --dev`.
	Roots *x509.CertPool
	// Timeout bounds each call to the provider. Zero means 10 s.
	Timeout time.Duration
	// Instrument, when set, wraps the transport of the client built when
	// HTTPClient is nil, so the calls to the provider can be measured.
	Instrument func(http.RoundTripper) http.RoundTripper

	// Clock tells the time for token lifetimes. Nil means the system clock.
	Clock clock.Clock
	// Leeway is the clock skew tolerated on exp, iat, nbf and auth_time.
	// Zero means 30 s.
	Leeway time.Duration
	// MaxPending is how long a started login may take. Zero means 15 min.
	MaxPending time.Duration
	// DiscoveryTTL is how long the discovery document and JWKS are cached.
	// Zero means 24 h, as ID-porten recommends. An unknown key id triggers an
	// early JWKS refresh (at most once a minute), so key rotation works.
	DiscoveryTTL time.Duration

	// Scope is requested at the authorization endpoint. Empty means
	// "openid profile". It must contain "openid".
	Scope string
	// AllowSSO lets a person with a live single sign-on session at the
	// provider through without authenticating again. The zero value sends
	// prompt=login (OpenID Connect Core 1.0 section 3.1.2.1) and requires a
	// fresh auth_time: a signature needs an authentication made for it.
	AllowSSO bool
	// DisablePAR sends the authorization request in the URL even when the
	// provider offers pushed authorization requests (RFC 9126).
	DisablePAR bool
}

// RP is the relying party. It is safe for concurrent use.
type RP struct {
	cfg    Config
	http   *http.Client
	clock  clock.Clock
	authFn func(form url.Values) error

	fetchMu sync.Mutex // serialises fetches; never held while only reading
	mu      sync.Mutex
	meta    *metadata
	metaAt  time.Time
	keys    []jose.JSONWebKey
	keysAt  time.Time
}

var _ eid.Login = (*RP)(nil)

// New checks cfg and returns a relying party. It makes no network calls: the
// provider's metadata is fetched on first use.
func New(cfg Config) (*RP, error) {
	if err := checkHTTPS(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("eid: issuer: %w", err)
	}
	if strings.HasSuffix(cfg.Issuer, "/") {
		return nil, errors.New("eid: issuer must not end with a slash")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("eid: no client id")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = 30 * time.Second
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 15 * time.Minute
	}
	if cfg.DiscoveryTTL <= 0 {
		cfg.DiscoveryTTL = 24 * time.Hour
	}
	if cfg.Scope == "" {
		cfg.Scope = "openid profile"
	}
	if !hasToken(cfg.Scope, "openid") {
		return nil, errors.New(`eid: scope must contain "openid"`)
	}
	rp := &RP{cfg: cfg, clock: cfg.Clock, http: cfg.HTTPClient}
	if rp.clock == nil {
		rp.clock = clock.System{}
	}
	if rp.http == nil {
		// One transport for the life of the RP, so that every login's
		// pushed authorization request, token request and key fetch reuse
		// open connections instead of paying a TLS handshake (with the
		// provider's certificate path to verify) each. HTTP/2 is asked for
		// explicitly because a custom TLSClientConfig otherwise turns it
		// off; it carries concurrent logins over one connection, and the
		// idle pool keeps HTTP/1.1 connections for a provider without it.
		rp.http = &http.Client{
			Timeout: cfg.Timeout,
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				TLSClientConfig:     &tls.Config{RootCAs: cfg.Roots, MinVersion: tls.VersionTLS12},
				TLSHandshakeTimeout: cfg.Timeout,
				ForceAttemptHTTP2:   true,
				MaxIdleConnsPerHost: 32,
				IdleConnTimeout:     90 * time.Second,
			},
			// A provider endpoint that redirects is misconfigured or
			// hijacked; a token request must never be replayed elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		if cfg.Instrument != nil {
			rp.http.Transport = cfg.Instrument(rp.http.Transport)
		}
	}
	switch {
	case cfg.Key != nil:
		a, err := newAssertionSigner(cfg.Key, cfg.KeyID, cfg.Chain)
		if err != nil {
			return nil, err
		}
		rp.authFn = func(form url.Values) error {
			jwt, err := a.sign(cfg.ClientID, cfg.Issuer, rp.clock.Now())
			if err != nil {
				return err
			}
			form.Set("client_assertion_type", assertionType)
			form.Set("client_assertion", jwt)
			return nil
		}
	case cfg.ClientSecret != "":
		rp.authFn = func(form url.Values) error {
			form.Set("client_secret", cfg.ClientSecret)
			return nil
		}
	default:
		return nil, errors.New("eid: no client authentication: set Key (private_key_jwt) or ClientSecret")
	}
	return rp, nil
}

// authMethod is the token_endpoint_auth_method the configuration implies.
func (rp *RP) authMethod() string {
	if rp.cfg.Key != nil {
		return "private_key_jwt"
	}
	return "client_secret_post"
}

// AuthURL starts a login (OpenID Connect Core 1.0 section 3.1.2.1). It makes
// fresh state, nonce and PKCE verifier (RFC 7636 section 4.1: 32 random
// bytes, 43 characters) and asks for want as acr_values. When the provider
// offers pushed authorization requests the parameters are pushed first
// (RFC 9126 section 2) and the returned URL carries only client_id and
// request_uri.
func (rp *RP) AuthURL(ctx context.Context, redirectURI string, want eid.Assurance, lang string) (string, eid.Pending, error) {
	if !want.Valid() {
		return "", eid.Pending{}, errs.E(errs.Invalid, codeInvalidAssurance, "eid: unknown level of assurance %q", want)
	}
	if err := checkRedirectURI(redirectURI); err != nil {
		return "", eid.Pending{}, err
	}
	meta, err := rp.metadata(ctx)
	if err != nil {
		return "", eid.Pending{}, err
	}
	p := eid.Pending{State: random(), Nonce: random(), Verifier: random(), Want: want, Created: rp.clock.Now()}
	params := url.Values{
		"response_type":         {"code"},
		"client_id":             {rp.cfg.ClientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {rp.cfg.Scope},
		"state":                 {p.State},
		"nonce":                 {p.Nonce},
		"acr_values":            {want.ACR()},
		"ui_locales":            {uiLocale(lang)},
		"code_challenge":        {challenge(p.Verifier)},
		"code_challenge_method": {"S256"},
	}
	if !rp.cfg.AllowSSO {
		params.Set("prompt", "login")
	}
	usePAR := meta.PAREndpoint != "" && !rp.cfg.DisablePAR
	if meta.RequirePAR && !usePAR {
		return "", eid.Pending{}, errors.New("eid: the provider requires pushed authorization requests")
	}
	if usePAR {
		requestURI, err := rp.push(ctx, meta, params)
		if err != nil {
			return "", eid.Pending{}, err
		}
		params = url.Values{"client_id": {rp.cfg.ClientID}, "request_uri": {requestURI}}
	}
	u, err := url.Parse(meta.AuthorizationEndpoint)
	if err != nil {
		return "", eid.Pending{}, fmt.Errorf("eid: authorization endpoint: %w", err)
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String(), p, nil
}

// push sends the authorization request to the PAR endpoint, authenticated
// like a token request (RFC 9126 section 2.1), and returns the request_uri.
func (rp *RP) push(ctx context.Context, meta *metadata, params url.Values) (string, error) {
	form := url.Values{}
	for k, v := range params {
		form[k] = v
	}
	if err := rp.authFn(form); err != nil {
		return "", err
	}
	var out struct {
		RequestURI string `json:"request_uri"`
		ExpiresIn  int    `json:"expires_in"`
	}
	if err := rp.postForm(ctx, "pushed authorization request", meta.PAREndpoint, form, http.StatusCreated, &out); err != nil {
		return "", err
	}
	if out.RequestURI == "" || out.ExpiresIn <= 0 {
		return "", errs.E(errs.Unavailable, eid.CodeUnavailable, "eid: pushed authorization request: no request_uri")
	}
	return out.RequestURI, nil
}

// Complete finishes a login (OpenID Connect Core 1.0 sections 3.1.2.5 to
// 3.1.3.7): it checks that the callback belongs to pending (state) and
// comes from this provider (iss, RFC 9207 section 2.4), exchanges the code
// with the PKCE verifier (RFC 7636 section 4.5), and verifies the ID token.
func (rp *RP) Complete(ctx context.Context, pending eid.Pending, redirectURI string, query url.Values) (eid.Identity, error) {
	if pending.State == "" || pending.Nonce == "" || pending.Verifier == "" || !pending.Want.Valid() {
		return eid.Identity{}, errs.E(errs.Invalid, eid.CodeNoPendingLogin, "eid: no pending login")
	}
	now := rp.clock.Now()
	if now.Sub(pending.Created) > rp.cfg.MaxPending || pending.Created.Sub(now) > rp.cfg.Leeway {
		return eid.Identity{}, eid.ErrExpired
	}
	// RFC 6749 section 10.12: the state binds the callback to the browser
	// session that started the login. It is checked before anything else,
	// error responses included.
	state, ok := single(query, "state")
	if !ok || subtle.ConstantTimeCompare([]byte(state), []byte(pending.State)) != 1 {
		return eid.Identity{}, eid.ErrStateMismatch
	}
	meta, err := rp.metadata(ctx)
	if err != nil {
		return eid.Identity{}, err
	}
	if _, present := query["iss"]; present || meta.IssParameterSupported {
		iss, ok := single(query, "iss")
		if !ok || iss != rp.cfg.Issuer {
			return eid.Identity{}, fmt.Errorf("%w: callback from another issuer (RFC 9207)", eid.ErrInvalidToken)
		}
	}
	if _, present := query["error"]; present {
		code, _ := single(query, "error")
		return eid.Identity{}, fmt.Errorf("%w: %s", eid.ErrDenied, printable(code, 64))
	}
	code, ok := single(query, "code")
	if !ok || code == "" || len(code) > 4096 {
		return eid.Identity{}, fmt.Errorf("%w: no authorization code", eid.ErrInvalidToken)
	}
	raw, err := rp.exchange(ctx, meta, code, redirectURI, pending.Verifier)
	if err != nil {
		return eid.Identity{}, err
	}
	return rp.verify(ctx, raw, pending)
}

// exchange is the token request (OpenID Connect Core 1.0 section 3.1.3.1)
// and returns the raw ID token of a successful response (section 3.1.3.3).
func (rp *RP) exchange(ctx context.Context, meta *metadata, code, redirectURI, verifier string) (string, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
		"client_id":     {rp.cfg.ClientID},
	}
	if err := rp.authFn(form); err != nil {
		return "", err
	}
	var out struct {
		IDToken   string `json:"id_token"`
		TokenType string `json:"token_type"`
	}
	if err := rp.postForm(ctx, "token request", meta.TokenEndpoint, form, http.StatusOK, &out); err != nil {
		return "", err
	}
	if !strings.EqualFold(out.TokenType, "Bearer") {
		return "", fmt.Errorf("%w: token_type %q", eid.ErrInvalidToken, printable(out.TokenType, 32))
	}
	if out.IDToken == "" {
		return "", fmt.Errorf("%w: no id_token in the token response", eid.ErrInvalidToken)
	}
	return out.IDToken, nil
}

// verify checks the ID token with the provider's current keys, fetching
// them again once if the token names a key id they lack (rotation).
func (rp *RP) verify(ctx context.Context, raw string, pending eid.Pending) (eid.Identity, error) {
	keys, err := rp.jwks(ctx, false)
	if err != nil {
		return eid.Identity{}, err
	}
	p := verifyParams{
		Issuer:   rp.cfg.Issuer,
		ClientID: rp.cfg.ClientID,
		Now:      rp.clock.Now(),
		Leeway:   rp.cfg.Leeway,
		Nonce:    pending.Nonce,
		Want:     pending.Want,
	}
	if !rp.cfg.AllowSSO {
		p.AuthAfter = pending.Created
	}
	id, err := verifyIDToken(raw, keys, p)
	if errors.Is(err, errUnknownKey) {
		if keys, err = rp.jwks(ctx, true); err != nil {
			return eid.Identity{}, err
		}
		id, err = verifyIDToken(raw, keys, p)
	}
	return id, err
}

// postForm posts an authenticated form and decodes the JSON answer. An OAuth
// error answer (RFC 6749 section 5.2) becomes ErrInvalidToken; a provider
// that cannot answer is Unavailable.
func (rp *RP) postForm(ctx context.Context, what, endpoint string, form url.Values, wantStatus int, out any) error {
	ctx, cancel := context.WithTimeout(ctx, rp.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := rp.http.Do(req)
	if err != nil {
		return unavailable(fmt.Errorf("%s: %w", what, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return unavailable(fmt.Errorf("%s: %w", what, err))
	}
	if len(body) > maxBody {
		return unavailable(fmt.Errorf("%s: answer too large", what))
	}
	if resp.StatusCode != wantStatus {
		var oauthErr struct {
			Error string `json:"error"`
		}
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && json.Unmarshal(body, &oauthErr) == nil && oauthErr.Error != "" {
			return fmt.Errorf("%w: %s refused: %s", eid.ErrInvalidToken, what, printable(oauthErr.Error, 64))
		}
		return unavailable(fmt.Errorf("%s: status %d", what, resp.StatusCode))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return unavailable(fmt.Errorf("%s: %w", what, err))
	}
	return nil
}

// maxBody bounds every answer from the provider.
const maxBody = 1 << 20

func unavailable(err error) error {
	return errs.Wrap(err, errs.Unavailable, eid.CodeUnavailable, "eid: provider unavailable")
}

// random returns 32 bytes from crypto/rand, base64url without padding: 256
// bits for state and nonce, and a PKCE verifier of 43 characters from the
// unreserved set (RFC 7636 section 4.1).
func random() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// challenge is the S256 code_challenge of verifier (RFC 7636 section 4.2).
func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// uiLocale maps segl's page language to ID-porten's ui_locales.
func uiLocale(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return "en"
	}
	return "nb"
}

// single returns the one value of key in q; a repeated parameter is as good
// as a forged one.
func single(q url.Values, key string) (string, bool) {
	v := q[key]
	if len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// printable shortens s and drops everything but printable ASCII, so that a
// provider's error code can go into an error message and a log safely.
func printable(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			break
		}
		if r >= 0x20 && r < 0x7f {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if f == tok {
			return true
		}
	}
	return false
}

func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" || u.RawQuery != "" {
		return fmt.Errorf("%q is not an https URL", raw)
	}
	return nil
}

// checkRedirectURI accepts an absolute https URL, or plain http to a loopback
// host (ID-porten allows localhost in its test environment), without a
// fragment (RFC 6749 section 3.1.2).
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && u.Host != "" && u.Fragment == "" && u.User == nil {
		if u.Scheme == "https" {
			return nil
		}
		host := u.Hostname()
		if ip := net.ParseIP(host); u.Scheme == "http" && (host == "localhost" || ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return errs.E(errs.Invalid, codeInvalidRedirectURI, "eid: invalid redirect uri")
}

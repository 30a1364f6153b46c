// Package devidp is the development OpenID provider that stands in for
// ID-porten in `segl serve --dev` and in tests. It speaks ID-porten's wire
// protocol, so that segl's production relying party (eid/oidc) is what talks
// to it:
//
//   - discovery (OpenID Connect Discovery 1.0) and a JWKS with one ES256 key;
//   - the authorization endpoint (OpenID Connect Core 1.0 section 3.1.2),
//     by GET or POST, with mandatory state, nonce and PKCE S256 (RFC 7636),
//     acr_values, ui_locales (nb, en), prompt, and pushed authorization
//     requests (RFC 9126); it answers with an HTML login form where a test
//     person from the synthetic population and one of that person's eIDs
//     are chosen, and redirects back with code, state and iss (RFC 9207);
//   - the token endpoint (section 3.1.3) with client_secret_post,
//     client_secret_basic or private_key_jwt (RFC 7523), single-use
//     short-lived codes bound to client, redirect_uri and code_challenge,
//     answering with an ID token shaped like ID-porten's (pid, acr, amr,
//     auth_time, pairwise sub, locale).
//
// The level of assurance follows the eID as in ID-porten: BankID, Buypass and
// Commfides give idporten-loa-high, MinID gives idporten-loa-substantial, and
// TestID (ID-porten's test eID, offered to everybody and the default for a
// person without eIDs) gives the level that was asked for. Unlike ID-porten,
// the form lets a MinID login answer a request for high, so that relying
// parties can be tested for refusing it.
//
// All state (pending logins, pushed requests, codes, assertion ids) lives in
// memory with an expiry: the stand-in is for one node only and forgets
// everything on restart. It must never be mounted outside --dev.
//
// Wiring for `segl serve --dev`, where base is the server's https URL and
// the relying party is eid/oidc pointed at the provider through the same
// listener (a fresh client key each start is fine: both sides are in one
// process):
//
//	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
//	idp, err := devidp.New(devidp.Config{
//		Issuer: base + "/dev/idporten",
//		KeyDir: filepath.Join(dataDir, "dev"),
//		Clock:  clk,
//		Clients: []devidp.Client{{
//			ID:           "segl-dev",
//			Keys:         map[string]crypto.PublicKey{"segl-dev-1": clientKey.Public()},
//			RedirectURIs: []string{base + "/sign/callback"},
//		}},
//	})
//	mux.Handle("/dev/idporten/", idp)
//	login, err := oidc.New(oidc.Config{
//		Issuer: base + "/dev/idporten", ClientID: "segl-dev",
//		Key: clientKey, KeyID: "segl-dev-1", Roots: dev.Roots(), Clock: clk,
//	})
package devidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/dev/population"
)

// Config configures the provider.
type Config struct {
	// Issuer is the URL at which the handler is reachable, without a
	// trailing slash, e.g. "https://127.0.0.1:8443/dev/idporten". Its path is
	// the prefix the handler serves under (it is not stripped). Required.
	Issuer string
	// Clients are the registered relying parties.
	Clients []Client
	// People are the persons who can log in. Nil means the synthetic
	// population (population.Load).
	People []population.Person
	// KeyDir, when set, keeps the ID token signing key in
	// KeyDir/idporten-signing-key.pem, so tokens stay verifiable across
	// restarts. Empty means a fresh key for every New.
	KeyDir string
	// Clock tells the time. Nil means the system clock.
	Clock clock.Clock
	// CodeTTL is how long an authorization code can be redeemed. Zero means
	// 60 s.
	CodeTTL time.Duration
	// TokenTTL is the lifetime of ID and access tokens. Zero means 120 s, as
	// ID-porten issues them.
	TokenTTL time.Duration
}

// Client is a registered relying party.
type Client struct {
	ID string
	// Secret enables client_secret_post and client_secret_basic.
	Secret string
	// Keys enable private_key_jwt: the assertion's kid selects the key.
	Keys map[string]crypto.PublicKey
	// RedirectURIs are compared exactly (RFC 6749 section 3.1.2.2).
	RedirectURIs []string
}

// Provider is the development OpenID provider, an http.Handler.
type Provider struct {
	issuer string
	prefix string
	clock  clock.Clock
	code   time.Duration
	token  time.Duration

	clients map[string]Client
	people  []population.Person
	// peoplePage is the list of people as the login form shows it, per
	// language (renderPeople).
	peoplePage map[string]peopleHTML
	// firstForms is the login form as every login first shows it, per
	// language and level (renderFirstForms).
	firstForms map[firstFormKey][][]byte
	byPID      map[string]population.Person

	key *ecdsa.PrivateKey // signs ID tokens
	// idTokenHeader is the ID tokens' protected header, encoded, and its
	// ".": the same for every token, so encoded once (setKey).
	idTokenHeader string
	jwks          []byte
	kid           string

	mux *http.ServeMux

	mu     sync.Mutex
	logins *expiring[*authRequest] // interaction id → request shown in the form
	pushed *expiring[*authRequest] // request_uri → pushed request
	codes  *expiring[*grant]
	jtis   *expiring[struct{}] // client assertion ids seen
}

// Lifetimes of the in-memory state.
const (
	loginTTL  = 30 * time.Minute // how long a person may take on the form
	pushedTTL = 120 * time.Second
	leeway    = 30 * time.Second
	// maxState bounds each map: a dev stand-in must not be an easy memory
	// sink (at most some tens of MB), yet hold what a sustained load test
	// leaves live: two client assertions per login, each remembered for
	// pushedTTL+leeway, are 60,000 at 200 logins/s (100 two-signer jobs/s).
	maxState = 100_000
)

// New makes a provider. It loads or creates the signing key.
func New(cfg Config) (*Provider, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(cfg.Issuer, "/") {
		return nil, fmt.Errorf("eid: devidp: issuer %q must be an absolute URL without a trailing slash", cfg.Issuer)
	}
	p := &Provider{
		issuer:  cfg.Issuer,
		prefix:  u.Path,
		clock:   cfg.Clock,
		code:    cfg.CodeTTL,
		token:   cfg.TokenTTL,
		clients: map[string]Client{},
		people:  cfg.People,
		byPID:   map[string]population.Person{},
		logins:  newExpiring[*authRequest](),
		pushed:  newExpiring[*authRequest](),
		codes:   newExpiring[*grant](),
		jtis:    newExpiring[struct{}](),
	}
	if p.clock == nil {
		p.clock = clock.System{}
	}
	if p.code <= 0 {
		p.code = 60 * time.Second
	}
	if p.token <= 0 {
		p.token = 120 * time.Second
	}
	for _, c := range cfg.Clients {
		if c.ID == "" || len(c.RedirectURIs) == 0 || c.Secret == "" && len(c.Keys) == 0 {
			return nil, fmt.Errorf("eid: devidp: client %q needs an id, redirect uris and a secret or keys", c.ID)
		}
		p.clients[c.ID] = c
	}
	if p.people == nil {
		pop, err := population.Load()
		if err != nil {
			return nil, fmt.Errorf("eid: devidp: %w", err)
		}
		p.people = pop.People
	}
	for _, person := range p.people {
		p.byPID[person.PID] = person
	}
	if p.peoplePage, err = renderPeople(p.people); err != nil {
		return nil, fmt.Errorf("eid: devidp: %w", err)
	}
	if p.firstForms, err = p.renderFirstForms(); err != nil {
		return nil, fmt.Errorf("eid: devidp: %w", err)
	}
	key, err := loadOrCreateKey(cfg.KeyDir)
	if err != nil {
		return nil, err
	}
	if err := p.setKey(key); err != nil {
		return nil, err
	}
	p.routes()
	return p, nil
}

// Issuer is the provider's issuer identifier.
func (p *Provider) Issuer() string { return p.issuer }

// ServeHTTP serves the provider's endpoints under the issuer's path.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

func (p *Provider) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p.prefix+"/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET "+p.prefix+"/jwks.json", p.serveJWKS)
	mux.HandleFunc("GET "+p.prefix+"/authorize", p.authorize)
	mux.HandleFunc("POST "+p.prefix+"/authorize", p.authorizePost)
	mux.HandleFunc("GET "+p.prefix+"/authorize/cancel", p.cancel)
	mux.HandleFunc("POST "+p.prefix+"/par", p.par)
	mux.HandleFunc("POST "+p.prefix+"/token", p.tokenEndpoint)
	p.mux = mux
}

// discovery serves the provider metadata (OpenID Connect Discovery 1.0
// section 3, RFC 8414, RFC 9126 section 5, RFC 9207 section 3), shaped like
// ID-porten's.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                           p.issuer,
		"authorization_endpoint":                           p.issuer + "/authorize",
		"pushed_authorization_request_endpoint":            p.issuer + "/par",
		"token_endpoint":                                   p.issuer + "/token",
		"jwks_uri":                                         p.issuer + "/jwks.json",
		"response_types_supported":                         []string{"code"},
		"response_modes_supported":                         []string{"query"},
		"grant_types_supported":                            []string{"authorization_code"},
		"subject_types_supported":                          []string{"pairwise"},
		"id_token_signing_alg_values_supported":            []string{"ES256"},
		"scopes_supported":                                 []string{"openid", "profile"},
		"claims_supported":                                 []string{"iss", "aud", "sub", "pid", "acr", "amr", "auth_time", "nonce", "iat", "exp", "locale", "name", "given_name", "family_name"},
		"token_endpoint_auth_methods_supported":            []string{"client_secret_post", "client_secret_basic", "private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS256", "ES256"},
		"code_challenge_methods_supported":                 []string{"S256"},
		"acr_values_supported":                             []string{"idporten-loa-substantial", "idporten-loa-high"},
		"ui_locales_supported":                             []string{"nb", "nn", "en", "se"},
		"prompt_values_supported":                          []string{"login", "none"},
		"authorization_response_iss_parameter_supported":   true,
		"require_pushed_authorization_requests":            false,
		"request_parameter_supported":                      false,
		"request_uri_parameter_supported":                  false,
	})
}

func (p *Provider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(p.jwks)
}

// setKey prepares the ID tokens' header and the JWKS for key. The key id is
// the key's RFC 7638 thumbprint, so a persisted key keeps its kid.
func (p *Provider) setKey(key *ecdsa.PrivateKey) error {
	pub := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.ES256), Use: "sig"}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return fmt.Errorf("eid: devidp: %w", err)
	}
	pub.KeyID = base64url(tp)
	p.kid = pub.KeyID
	p.jwks, err = json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	if err != nil {
		return fmt.Errorf("eid: devidp: %w", err)
	}
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		KID string `json:"kid"`
		Typ string `json:"typ"`
	}{string(jose.ES256), pub.KeyID, "JWT"})
	if err != nil {
		return fmt.Errorf("eid: devidp: %w", err)
	}
	p.key, p.idTokenHeader = key, base64url(header)+"."
	return nil
}

const keyFile = "idporten-signing-key.pem"

// loadOrCreateKey reads the P-256 key from dir, creating it on first use
// (PKCS #8 PEM, mode 0600). Without dir the key lives only in memory.
func loadOrCreateKey(dir string) (*ecdsa.PrivateKey, error) {
	if dir == "" {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	path := filepath.Join(dir, keyFile)
	for range 2 {
		b, err := os.ReadFile(path)
		if err == nil {
			return parseKey(path, b)
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("eid: devidp: %w", err)
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("eid: devidp: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("eid: devidp: %w", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("eid: devidp: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue // another process made it first: read theirs
		}
		if err != nil {
			return nil, fmt.Errorf("eid: devidp: %w", err)
		}
		werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, fmt.Errorf("eid: devidp: %w", werr)
		}
		return key, nil
	}
	return nil, fmt.Errorf("eid: devidp: cannot create %s", path)
}

func parseKey(path string, b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("eid: devidp: %s: no PKCS #8 private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("eid: devidp: %s: %w", path, err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("eid: devidp: %s: not a P-256 key", path)
	}
	return ec, nil
}

// expiring is a map whose entries vanish after their deadline. The caller
// holds Provider.mu.
type expiring[V any] struct {
	m     map[string]entry[V]
	swept time.Time // the last sweep of a full map
}

type entry[V any] struct {
	v   V
	exp time.Time
}

func newExpiring[V any]() *expiring[V] { return &expiring[V]{m: map[string]entry[V]{}} }

// put stores v until exp; it fails when the map is full of live entries.
// A full map is swept of expired entries at most once a second: a sweep
// walks all of them under the provider's lock.
func (e *expiring[V]) put(now time.Time, k string, v V, exp time.Time) bool {
	if len(e.m) >= maxState {
		if now.Sub(e.swept) < time.Second {
			return false
		}
		e.swept = now
		for key, en := range e.m {
			if !now.Before(en.exp) {
				delete(e.m, key)
			}
		}
		if len(e.m) >= maxState {
			return false
		}
	}
	e.m[k] = entry[V]{v, exp}
	return true
}

func (e *expiring[V]) get(now time.Time, k string) (V, bool) {
	en, ok := e.m[k]
	if !ok || !now.Before(en.exp) {
		delete(e.m, k)
		var zero V
		return zero, false
	}
	return en.v, true
}

// take returns and removes the entry: single use.
func (e *expiring[V]) take(now time.Time, k string) (V, bool) {
	v, ok := e.get(now, k)
	delete(e.m, k)
	return v, ok
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (c Client) allowsRedirect(uri string) bool { return slices.Contains(c.RedirectURIs, uri) }

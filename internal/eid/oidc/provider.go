package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// metadata is the part of the provider's discovery document (OpenID Connect
// Discovery 1.0 section 3, RFC 8414 section 2) the relying party uses.
type metadata struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	PAREndpoint           string   `json:"pushed_authorization_request_endpoint"`
	RequirePAR            bool     `json:"require_pushed_authorization_requests"`
	IssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenAlgs           []string `json:"id_token_signing_alg_values_supported"`
}

// jwksMinRefresh limits how often an unknown key id may make the relying
// party fetch the JWKS again, so forged tokens cannot make it hammer the
// provider.
const jwksMinRefresh = time.Minute

// metadata returns the cached discovery document, fetching it when it is
// older than DiscoveryTTL. When a refresh fails a stale copy is used for up
// to another DiscoveryTTL: a provider hiccup should not stop logins.
func (rp *RP) metadata(ctx context.Context) (*metadata, error) {
	now := rp.clock.Now()
	rp.mu.Lock()
	m, at := rp.meta, rp.metaAt
	rp.mu.Unlock()
	if m != nil && now.Sub(at) < rp.cfg.DiscoveryTTL && now.After(at.Add(-rp.cfg.Leeway)) {
		return m, nil
	}
	rp.fetchMu.Lock()
	defer rp.fetchMu.Unlock()
	rp.mu.Lock()
	if rp.meta != nil && rp.metaAt != at { // another caller refreshed it meanwhile
		m = rp.meta
		rp.mu.Unlock()
		return m, nil
	}
	rp.mu.Unlock()
	fresh, err := rp.discover(ctx)
	if err != nil {
		if m != nil && now.Sub(at) < 2*rp.cfg.DiscoveryTTL {
			return m, nil
		}
		return nil, err
	}
	rp.mu.Lock()
	rp.meta, rp.metaAt = fresh, now
	rp.mu.Unlock()
	return fresh, nil
}

// discover fetches and checks {issuer}/.well-known/openid-configuration.
func (rp *RP) discover(ctx context.Context) (*metadata, error) {
	var m metadata
	if err := rp.getJSON(ctx, "discovery", rp.cfg.Issuer+"/.well-known/openid-configuration", &m); err != nil {
		return nil, err
	}
	// OpenID Connect Discovery 1.0 section 4.3: the issuer in the document
	// must be identical to the one it was fetched for.
	if m.Issuer != rp.cfg.Issuer {
		return nil, fmt.Errorf("eid: discovery: issuer %q is not %q", printable(m.Issuer, 200), rp.cfg.Issuer)
	}
	for name, u := range map[string]string{"authorization_endpoint": m.AuthorizationEndpoint, "token_endpoint": m.TokenEndpoint, "jwks_uri": m.JWKSURI} {
		if err := checkHTTPS(u); err != nil {
			return nil, fmt.Errorf("eid: discovery: %s: %w", name, err)
		}
	}
	if m.PAREndpoint != "" {
		if err := checkHTTPS(m.PAREndpoint); err != nil {
			return nil, fmt.Errorf("eid: discovery: pushed_authorization_request_endpoint: %w", err)
		}
	}
	// RFC 8414 section 2: an absent list means the provider did not say;
	// a list without S256 or without our method is a misconfiguration we
	// would only discover at the first login.
	if len(m.CodeChallengeMethods) > 0 && !slices.Contains(m.CodeChallengeMethods, "S256") {
		return nil, errors.New("eid: discovery: the provider does not support PKCE S256")
	}
	if len(m.TokenAuthMethods) > 0 && !slices.Contains(m.TokenAuthMethods, rp.authMethod()) {
		return nil, fmt.Errorf("eid: discovery: the provider does not support %s", rp.authMethod())
	}
	if len(m.IDTokenAlgs) > 0 && !slices.Contains(m.IDTokenAlgs, "RS256") && !slices.Contains(m.IDTokenAlgs, "ES256") {
		return nil, errors.New("eid: discovery: the provider signs ID tokens with neither RS256 nor ES256")
	}
	return &m, nil
}

// jwks returns the provider's signing keys, cached like the metadata. With
// force it fetches them again unless that was done under a minute ago.
func (rp *RP) jwks(ctx context.Context, force bool) ([]jose.JSONWebKey, error) {
	now := rp.clock.Now()
	rp.mu.Lock()
	keys, at := rp.keys, rp.keysAt
	rp.mu.Unlock()
	fresh := keys != nil && now.Sub(at) < rp.cfg.DiscoveryTTL && now.After(at.Add(-rp.cfg.Leeway))
	if fresh && (!force || now.Sub(at) < jwksMinRefresh) {
		return keys, nil
	}
	meta, err := rp.metadata(ctx)
	if err != nil {
		return nil, err
	}
	rp.fetchMu.Lock()
	defer rp.fetchMu.Unlock()
	rp.mu.Lock()
	if rp.keys != nil && rp.keysAt != at {
		keys = rp.keys
		rp.mu.Unlock()
		return keys, nil
	}
	rp.mu.Unlock()
	// Keys are decoded one by one so that a key of a type this library
	// does not know (a provider's next algorithm) does not hide the others.
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := rp.getJSON(ctx, "jwks", meta.JWKSURI, &set); err != nil {
		if keys != nil && now.Sub(at) < 2*rp.cfg.DiscoveryTTL {
			return keys, nil
		}
		return nil, err
	}
	got := make([]jose.JSONWebKey, 0, len(set.Keys))
	for _, rawKey := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(rawKey); err != nil || !k.Valid() {
			continue
		}
		got = append(got, k.Public()) // a private key published by mistake is still only used to verify
	}
	rp.mu.Lock()
	rp.keys, rp.keysAt = got, now
	rp.mu.Unlock()
	return got, nil
}

func (rp *RP) getJSON(ctx context.Context, what, u string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, rp.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := rp.http.Do(req)
	if err != nil {
		return unavailable(fmt.Errorf("%s: %w", what, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return unavailable(fmt.Errorf("%s: status %d", what, resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return unavailable(fmt.Errorf("%s: %w", what, err))
	}
	if len(body) > maxBody {
		return unavailable(fmt.Errorf("%s: answer too large", what))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return unavailable(fmt.Errorf("%s: %w", what, err))
	}
	return nil
}

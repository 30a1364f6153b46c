package devidp

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/pki"
)

// oauthError is an error answer of the token and PAR endpoints (RFC 6749
// section 5.2).
type oauthError struct {
	Status int
	Code   string
	Desc   string
}

func (e *oauthError) write(w http.ResponseWriter) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="devidp"`)
	}
	writeJSON(w, e.Status, map[string]string{"error": e.Code, "error_description": e.Desc})
}

func badRequest(code, desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, code, desc}
}

func badClient(desc string) *oauthError {
	return &oauthError{http.StatusUnauthorized, dev.CodeInvalidClient, desc}
}

// tokenEndpoint redeems an authorization code (OpenID Connect Core 1.0
// section 3.1.3). The code is consumed on the first attempt, good or bad
// (RFC 6749 section 4.1.2: a code must not be used twice); then client,
// redirect_uri (section 4.1.3) and the PKCE verifier (RFC 7636 section 4.6)
// must all match what the code was issued for.
func (p *Provider) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	form, client, oerr := p.authenticate(w, r)
	if oerr != nil {
		oerr.write(w)
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		badRequest(dev.CodeUnsupportedGrantType, "only authorization_code").write(w)
		return
	}
	now := p.clock.Now()
	p.mu.Lock()
	g, ok := p.codes.take(now, form.Get("code"))
	p.mu.Unlock()
	switch {
	case !ok:
		badRequest(dev.CodeInvalidGrant, "the code is unknown, used or expired").write(w)
		return
	case g.req.ClientID != client.ID:
		badRequest(dev.CodeInvalidGrant, "the code was issued to another client").write(w)
		return
	case form.Get("redirect_uri") != g.req.RedirectURI:
		badRequest(dev.CodeInvalidGrant, "redirect_uri does not match the authorization request").write(w)
		return
	case !pkceMatches(form.Get("code_verifier"), g.req.Challenge):
		badRequest(dev.CodeInvalidGrant, "code_verifier does not match code_challenge").write(w)
		return
	}
	idToken, err := p.idToken(g, now)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": dev.CodeServerError})
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: random(),
		ExpiresIn:   int(p.token / time.Second),
		IDToken:     idToken,
		Scope:       g.req.Scope,
		TokenType:   "Bearer",
	})
}

// tokenResponse is the token endpoint's answer (RFC 6749 section 5.1,
// OpenID Connect Core 1.0 section 3.1.3.3): a struct rather than a map, so
// encoding/json writes it without sorting keys; the members are in the
// order a map's would be.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IDToken     string `json:"id_token"`
	Scope       string `json:"scope"`
	TokenType   string `json:"token_type"`
}

// parResponse is the pushed authorization request endpoint's answer (RFC
// 9126 section 2.2).
type parResponse struct {
	ExpiresIn  int    `json:"expires_in"`
	RequestURI string `json:"request_uri"`
}

// idToken signs the ID token (OpenID Connect Core 1.0 section 2) with the
// claims ID-porten sends, plus the person's name, which ID-porten does not
// give but the development service finds handy: a compact JWS (RFC 7515
// section 7.1) signed ES256, whose r‖s signature is RFC 7518 section 3.4's.
func (p *Provider) idToken(g *grant, now time.Time) (string, error) {
	claims, err := json.Marshal(idTokenClaims{
		Issuer:     p.issuer,
		Audience:   g.req.ClientID,
		Subject:    pairwiseSub(g.req.ClientID, g.person.PID),
		PID:        g.person.PID,
		ACR:        g.acr,
		AMR:        g.amr,
		AuthTime:   g.authTime.Unix(),
		IssuedAt:   now.Unix(),
		Expiry:     now.Add(p.token).Unix(),
		Nonce:      g.req.Nonce,
		Locale:     g.req.Lang,
		ID:         random()[:22],
		Name:       strings.TrimSpace(g.person.Name()),
		GivenName:  g.person.GivenName,
		FamilyName: g.person.FamilyName,
	})
	if err != nil {
		return "", err
	}
	input := p.idTokenHeader + base64url(claims)
	digest := sha256.Sum256([]byte(input))
	sig, err := ecdsa.SignASN1(rand.Reader, p.key, digest[:])
	if err != nil {
		return "", err
	}
	if sig, err = pki.RawECDSA(sig, 32); err != nil {
		return "", err
	}
	return input + "." + base64url(sig), nil
}

// idTokenClaims are the claims of an ID token.
type idTokenClaims struct {
	Issuer     string   `json:"iss"`
	Audience   string   `json:"aud"`
	Subject    string   `json:"sub"`
	PID        string   `json:"pid"`
	ACR        string   `json:"acr"`
	AMR        []string `json:"amr"`
	AuthTime   int64    `json:"auth_time"`
	IssuedAt   int64    `json:"iat"`
	Expiry     int64    `json:"exp"`
	Nonce      string   `json:"nonce"`
	Locale     string   `json:"locale"`
	ID         string   `json:"jti"`
	Name       string   `json:"name"`
	GivenName  string   `json:"given_name"`
	FamilyName string   `json:"family_name"`
}

// pairwiseSub is a pairwise subject identifier (OpenID Connect Core 1.0
// section 8.1): the same person gets a different sub at every client.
func pairwiseSub(clientID, pid string) string {
	sum := sha256.Sum256([]byte("devidp-sub\x00" + clientID + "\x00" + pid))
	return base64url(sum[:])
}

// par accepts a pushed authorization request (RFC 9126 section 2): the
// client authenticates as at the token endpoint, the parameters are
// validated as at the authorization endpoint, and a one-time request_uri
// valid for 120 s is returned.
func (p *Provider) par(w http.ResponseWriter, r *http.Request) {
	form, client, oerr := p.authenticate(w, r)
	if oerr != nil {
		oerr.write(w)
		return
	}
	if form.Has("request_uri") {
		badRequest(dev.CodeInvalidRequest, "request_uri is not allowed in a pushed request").write(w)
		return
	}
	if form.Get("client_id") != client.ID {
		badRequest(dev.CodeInvalidRequest, "client_id does not match the authenticated client").write(w)
		return
	}
	ar, aerr := p.parseRequest(form)
	if aerr != nil {
		badRequest(aerr.Code, aerr.Desc).write(w)
		return
	}
	now := p.clock.Now()
	uri := "urn:idporten:" + random()
	p.mu.Lock()
	ok := p.pushed.put(now, uri, ar, now.Add(pushedTTL))
	p.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": dev.CodeTemporarilyUnavailable})
		return
	}
	writeJSON(w, http.StatusCreated, parResponse{ExpiresIn: int(pushedTTL / time.Second), RequestURI: uri})
}

const formType = "application/x-www-form-urlencoded"

// authenticate reads the form of a token or PAR request and authenticates
// the client by exactly one method (RFC 6749 section 2.3): client_secret_basic,
// client_secret_post, or private_key_jwt (RFC 7523 section 2.2 and 3).
func (p *Provider) authenticate(w http.ResponseWriter, r *http.Request) (url.Values, Client, *oauthError) {
	// The media type as clients send it needs no parsing (and no map of
	// its parameters); anything else is parsed.
	if ct := r.Header.Get("Content-Type"); ct != formType {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != formType {
			return nil, Client{}, badRequest(dev.CodeInvalidRequest, "the body must be application/x-www-form-urlencoded")
		}
	}
	if r.URL.RawQuery != "" {
		return nil, Client{}, badRequest(dev.CodeInvalidRequest, "parameters belong in the body")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, Client{}, badRequest(dev.CodeInvalidRequest, "malformed form")
	}
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 {
			return nil, Client{}, badRequest(dev.CodeInvalidRequest, k+" repeated")
		}
	}
	user, pass, basic := r.BasicAuth()
	methods := 0
	for _, used := range []bool{basic, form.Has("client_secret"), form.Has("client_assertion") || form.Has("client_assertion_type")} {
		if used {
			methods++
		}
	}
	if methods != 1 {
		return nil, Client{}, badClient("authenticate with exactly one method")
	}
	var (
		client Client
		oerr   *oauthError
	)
	switch {
	case basic:
		// RFC 6749 section 2.3.1: both parts are form-urlencoded first.
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return nil, Client{}, badClient("malformed basic credentials")
		}
		client, oerr = p.checkSecret(id, secret)
	case form.Has("client_secret"):
		client, oerr = p.checkSecret(form.Get("client_id"), form.Get("client_secret"))
	default:
		if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return nil, Client{}, badClient("unsupported client_assertion_type")
		}
		client, oerr = p.checkAssertion(form.Get("client_assertion"))
	}
	if oerr != nil {
		return nil, Client{}, oerr
	}
	if id := form.Get("client_id"); id != "" && id != client.ID {
		return nil, Client{}, badClient("client_id does not match the credentials")
	}
	return form, client, nil
}

func (p *Provider) checkSecret(id, secret string) (Client, *oauthError) {
	c, ok := p.clients[id]
	if !ok || c.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return Client{}, badClient("unknown client or wrong secret")
	}
	return c, nil
}

// maxAssertionLife bounds how far in the future a client assertion may
// expire, so remembered jti values can be forgotten.
const maxAssertionLife = 10 * time.Minute

// checkAssertion verifies a private_key_jwt client assertion (RFC 7523
// section 3): signed with the key the client registered under the kid, iss
// and sub the client id, aud this provider (issuer, or the endpoint's URL),
// unexpired, and its jti never seen before.
func (p *Provider) checkAssertion(raw string) (Client, *oauthError) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil || len(tok.Headers) != 1 {
		return Client{}, badClient("malformed client assertion")
	}
	// The claims are read before the signature is checked, to find the
	// client's key, and used only once it is: the signed payload is the
	// one they were read from, so they are not decoded a second time.
	var claims jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		return Client{}, badClient("malformed client assertion")
	}
	c, ok := p.clients[claims.Issuer]
	if !ok {
		return Client{}, badClient("unknown client")
	}
	key, ok := c.Keys[tok.Headers[0].KeyID]
	if !ok {
		return Client{}, badClient("unknown key id")
	}
	if err := tok.Claims(key); err != nil {
		return Client{}, badClient("bad client assertion signature")
	}
	now := p.clock.Now()
	switch {
	case claims.Issuer != c.ID || claims.Subject != c.ID:
		return Client{}, badClient("iss and sub must be the client id")
	case !slices.ContainsFunc([]string{p.issuer, p.issuer + "/token", p.issuer + "/par"}, claims.Audience.Contains):
		return Client{}, badClient("the assertion is for another audience")
	case claims.Expiry == nil || !now.Before(claims.Expiry.Time().Add(leeway)):
		return Client{}, badClient("the assertion has expired")
	case claims.Expiry.Time().After(now.Add(maxAssertionLife)):
		return Client{}, badClient("the assertion lives too long")
	case claims.IssuedAt != nil && claims.IssuedAt.Time().After(now.Add(leeway)):
		return Client{}, badClient("the assertion is issued in the future")
	case claims.ID == "":
		return Client{}, badClient("the assertion has no jti")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	jti := c.ID + "\x00" + claims.ID
	if _, seen := p.jtis.get(now, jti); seen {
		return Client{}, badClient("the assertion was used before")
	}
	if !p.jtis.put(now, jti, struct{}{}, claims.Expiry.Time().Add(leeway)) {
		return Client{}, &oauthError{http.StatusServiceUnavailable, dev.CodeTemporarilyUnavailable, "too many assertions"}
	}
	return c, nil
}

// pkceMatches checks a code_verifier (43 to 128 unreserved characters,
// RFC 7636 section 4.1) against an S256 challenge (section 4.6).
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for i := 0; i < len(verifier); i++ {
		c := verifier[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64url(sum[:])), []byte(challenge)) == 1
}

package devidp

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/dev/population"
	"github.com/segl/segl/internal/eid"
)

// authRequest is a validated authorization request (OpenID Connect Core 1.0
// section 3.1.2.2).
type authRequest struct {
	ClientID    string
	RedirectURI string
	State       string
	Nonce       string
	Challenge   string // PKCE code_challenge, method S256
	Scope       string
	Want        eid.Assurance
	Lang        string // "nb" or "en": the page language and the locale claim
}

// grant is what a redeemed code turns into.
type grant struct {
	req      *authRequest
	person   population.Person
	acr      string
	amr      []string
	authTime time.Time
}

// authError is a refused authorization request. A fatal one is shown to the
// person, because the redirect_uri cannot be trusted (RFC 6749 section
// 4.1.2.1); any other goes back to the client as error and
// error_description.
type authError struct {
	Code  string
	Desc  string
	Fatal bool
}

// parseRequest validates authorization request parameters, from the query,
// a POST body or a pushed request. The returned request is non-nil whenever
// the error is not fatal, so the error can be redirected with its state.
func (p *Provider) parseRequest(v url.Values) (*authRequest, *authError) {
	ar := &authRequest{Lang: pickLang(v.Get("ui_locales"))}
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(v[k]) > 1 {
			return nil, &authError{dev.CodeInvalidRequest, k + " repeated", true}
		}
	}
	ar.ClientID, ar.RedirectURI = v.Get("client_id"), v.Get("redirect_uri")
	client, ok := p.clients[ar.ClientID]
	if !ok {
		return nil, &authError{dev.CodeInvalidClient, "unknown client_id", true}
	}
	if !client.allowsRedirect(ar.RedirectURI) {
		return nil, &authError{dev.CodeInvalidRequest, "redirect_uri is not registered for this client", true}
	}
	for _, k := range []string{"response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "acr_values", "ui_locales", "prompt"} {
		if len(v[k]) > 1 {
			return ar, &authError{Code: dev.CodeInvalidRequest, Desc: k + " repeated"}
		}
	}
	ar.State = v.Get("state")
	switch {
	case v.Get("response_type") != "code":
		return ar, &authError{Code: dev.CodeUnsupportedResponseType, Desc: "only response_type=code"}
	case v.Has("request") || v.Has("request_uri"):
		return ar, &authError{Code: dev.CodeRequestNotSupported, Desc: "request objects are not supported; use the PAR endpoint"}
	case !slices.Contains(strings.Fields(v.Get("scope")), "openid"):
		return ar, &authError{Code: dev.CodeInvalidScope, Desc: "scope must contain openid"}
	case ar.State == "":
		return ar, &authError{Code: dev.CodeInvalidRequest, Desc: "state is required"}
	case v.Get("nonce") == "":
		return ar, &authError{Code: dev.CodeInvalidRequest, Desc: "nonce is required"}
	case v.Get("code_challenge_method") != "S256":
		return ar, &authError{Code: dev.CodeInvalidRequest, Desc: "PKCE with code_challenge_method=S256 is required"}
	case !validChallenge(v.Get("code_challenge")):
		return ar, &authError{Code: dev.CodeInvalidRequest, Desc: "code_challenge must be 43 base64url characters"}
	case slices.Contains(strings.Fields(v.Get("prompt")), "none"):
		return ar, &authError{Code: dev.CodeLoginRequired, Desc: "no single sign-on session"}
	}
	ar.Nonce, ar.Challenge, ar.Scope = v.Get("nonce"), v.Get("code_challenge"), v.Get("scope")
	ar.Want = eid.Substantial
	if acr := v.Get("acr_values"); acr != "" {
		ar.Want = ""
		// OpenID Connect Core 1.0 section 3.1.2.1: acr_values in order of
		// preference; the first one this provider knows wins.
		for _, a := range strings.Fields(acr) {
			if a == "idporten-loa-low" {
				a = eid.ACRSubstantial // no eID is issued at low
			}
			if lvl, ok := eid.ParseACR(a); ok {
				ar.Want = lvl
				break
			}
		}
		if ar.Want == "" {
			return ar, &authError{Code: dev.CodeInvalidRequest, Desc: "unknown acr_values"}
		}
	}
	return ar, nil
}

// authorize is GET on the authorization endpoint: a request by value in the
// query, or by reference to a pushed one (RFC 9126 section 4).
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := p.clock.Now()
	var ar *authRequest
	if q.Has("request_uri") {
		p.mu.Lock()
		pushed, ok := p.pushed.take(now, q.Get("request_uri"))
		p.mu.Unlock()
		if !ok || pushed.ClientID != q.Get("client_id") {
			p.fatal(w, pickLang(q.Get("ui_locales")), "request_uri is unknown, used or expired")
			return
		}
		ar = pushed
	} else {
		var aerr *authError
		ar, aerr = p.parseRequest(q)
		if aerr != nil {
			p.refuse(w, r, ar, aerr)
			return
		}
	}
	id, ok := p.remember(now, ar)
	if !ok {
		p.fatal(w, ar.Lang, "too many logins in progress")
		return
	}
	p.renderForm(w, http.StatusOK, form{Req: id, Want: ar.Want, Lang: ar.Lang})
}

// authorizePost is POST on the authorization endpoint. With "req" it is the
// login form being submitted; without, it is an authorization request sent
// by POST (OpenID Connect Core 1.0 section 3.1.2.1), which logs the person
// in at once when it also carries "pid" (and optionally "eid"): the way for
// tests and scripts to log in without parsing HTML.
func (p *Provider) authorizePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.fatal(w, "nb", "malformed form")
		return
	}
	f := r.PostForm
	now := p.clock.Now()
	id := f.Get("req")
	var ar *authRequest
	if id != "" {
		p.mu.Lock()
		got, ok := p.logins.get(now, id)
		p.mu.Unlock()
		if !ok {
			p.fatal(w, pickLang(f.Get("ui_locales")), "this login has expired or is unknown; go back to the service and start again")
			return
		}
		ar = got
	} else {
		var aerr *authError
		if ar, aerr = p.parseRequest(f); aerr != nil {
			p.refuse(w, r, ar, aerr)
			return
		}
		var ok bool
		if id, ok = p.remember(now, ar); !ok {
			p.fatal(w, ar.Lang, "too many logins in progress")
			return
		}
		if !f.Has("pid") {
			p.renderForm(w, http.StatusOK, form{Req: id, Want: ar.Want, Lang: ar.Lang})
			return
		}
	}
	pid := strings.TrimSpace(f.Get("pid"))
	choice := strings.TrimSpace(f.Get("eid"))
	again := form{Req: id, Want: ar.Want, Lang: ar.Lang, PID: pid, EID: choice}
	if pid == "" {
		again.Error = msgNoPID
		p.renderForm(w, http.StatusUnprocessableEntity, again)
		return
	}
	person, ok := p.byPID[pid]
	if !ok {
		again.Error = msgUnknownPID
		p.renderForm(w, http.StatusUnprocessableEntity, again)
		return
	}
	method, ok := chooseEID(person, choice, ar.Want)
	if !ok {
		again.Error = msgNoSuchEID
		p.renderForm(w, http.StatusUnprocessableEntity, again)
		return
	}
	g := &grant{req: ar, person: person, acr: levelOf(method, ar.Want).ACR(), amr: []string{amrOf[method]}, authTime: now}
	code := random()
	p.mu.Lock()
	stored := p.codes.put(now, code, g, now.Add(p.code))
	if stored {
		p.logins.take(now, id)
	}
	p.mu.Unlock()
	if !stored {
		p.fatal(w, ar.Lang, "too many logins in progress")
		return
	}
	p.redirect(w, r, ar, url.Values{"code": {code}})
}

// cancel is the person giving up: the client hears access_denied, as from
// ID-porten's "Avbryt".
func (p *Provider) cancel(w http.ResponseWriter, r *http.Request) {
	now := p.clock.Now()
	p.mu.Lock()
	ar, ok := p.logins.take(now, r.URL.Query().Get("req"))
	p.mu.Unlock()
	if !ok {
		p.fatal(w, "nb", "this login has expired or is unknown; go back to the service and start again")
		return
	}
	p.redirect(w, r, ar, url.Values{"error": {dev.CodeAccessDenied}, "error_description": {"the user cancelled the login"}})
}

// remember keeps ar for the form under a fresh interaction id.
func (p *Provider) remember(now time.Time, ar *authRequest) (string, bool) {
	id := random()
	p.mu.Lock()
	defer p.mu.Unlock()
	return id, p.logins.put(now, id, ar, now.Add(loginTTL))
}

// refuse shows a fatal error, or sends the error back to the client.
func (p *Provider) refuse(w http.ResponseWriter, r *http.Request, ar *authRequest, e *authError) {
	if e.Fatal || ar == nil {
		lang := "nb"
		if ar != nil {
			lang = ar.Lang
		}
		p.fatal(w, lang, e.Desc)
		return
	}
	p.redirect(w, r, ar, url.Values{"error": {e.Code}, "error_description": {e.Desc}})
}

// redirect sends the browser back to the client's registered redirect_uri
// with the response parameters, state and iss (RFC 6749 section 4.1.2,
// RFC 9207 section 2).
func (p *Provider) redirect(w http.ResponseWriter, r *http.Request, ar *authRequest, params url.Values) {
	u, err := url.Parse(ar.RedirectURI)
	if err != nil {
		p.fatal(w, ar.Lang, "the registered redirect_uri is malformed")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	q.Set("iss", p.issuer)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// chooseEID picks the eID the person logs in with. An explicit choice must
// be one of the person's eIDs, or TestID, which everybody has in ID-porten's
// test environment. "auto" (or nothing) picks the person's first eID that
// reaches the wanted level, else their first eID, else TestID.
func chooseEID(person population.Person, choice string, want eid.Assurance) (string, bool) {
	choice = strings.ToLower(choice)
	switch choice {
	case eid.TestID:
		return eid.TestID, true
	case eid.BankID, eid.MinID, eid.Buypass, eid.Commfides:
		return choice, hasEID(person, choice)
	case "", "auto":
	default:
		return "", false
	}
	for _, e := range person.EIDs {
		e = strings.ToLower(e)
		if _, known := amrOf[e]; known && levelOf(e, want).AtLeast(want) {
			return e, true
		}
	}
	for _, e := range person.EIDs {
		e = strings.ToLower(e)
		if _, known := amrOf[e]; known {
			return e, true
		}
	}
	return eid.TestID, true
}

func hasEID(person population.Person, method string) bool {
	return slices.ContainsFunc(person.EIDs, func(e string) bool { return strings.EqualFold(e, method) })
}

// levelOf is the level of assurance an eID gives, as ID-porten assigns
// them: MinID is substantial, the bank and PKI eIDs high, TestID whatever
// was asked for.
func levelOf(method string, want eid.Assurance) eid.Assurance {
	switch method {
	case eid.MinID:
		return eid.Substantial
	case eid.TestID:
		return want
	}
	return eid.High
}

// amrOf is the amr value ID-porten sends for each eID.
var amrOf = map[string]string{
	eid.BankID:    "BankID",
	eid.MinID:     "Minid-OTC",
	eid.Buypass:   "Buypass",
	eid.Commfides: "Commfides",
	eid.TestID:    "TestID",
}

// pickLang maps ui_locales (OpenID Connect Core 1.0 section 3.1.2.1, in
// order of preference) to the page language: English or bokmål, which also
// serves nynorsk and sami readers better than English would.
func pickLang(uiLocales string) string {
	for _, l := range strings.Fields(uiLocales) {
		switch strings.ToLower(l) {
		case "en", "en-gb", "en-us":
			return "en"
		case "nb", "nn", "no", "se", "nb-no", "nn-no":
			return "nb"
		}
	}
	return "nb"
}

// validChallenge: an S256 challenge is a base64url SHA-256, 43 characters
// (RFC 7636 section 4.2).
func validChallenge(s string) bool {
	if len(s) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64url(b)
}

func base64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

package csc_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	devcsc "github.com/segl/segl/internal/dev/csc"
	devidp "github.com/segl/segl/internal/dev/idp"
	"github.com/segl/segl/internal/eid/csc"
	"github.com/segl/segl/internal/pki"
)

const (
	olaPID  = "21909825250" // Ola Nordmann: BankID, MinID, Buypass
	kariPID = "03896127682" // Kari Nordmann: BankID, MinID
	client  = "segl-dev"
	secret  = "s3cret-s3cret-s3cret"
	sadTTL  = 5 * time.Minute
)

// env is segl's development stand-ins on one HTTPS listener, as `segl serve
// --dev` mounts them: the development ID-porten, the remote signing
// service, all with the development PKI's TLS certificate
// and one fake clock.
type env struct {
	t      *testing.T
	base   string
	dir    string
	clk    *clock.Fake
	dev    *pki.Dev
	idp    *devidp.Provider
	signer *devcsc.Service
	http   *http.Client // trusts the development root, follows no redirects
	cfg    csc.Config
}

func newEnv(t *testing.T, mutate ...func(*devcsc.Config)) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, base: "https://" + ln.Addr().String(), dir: t.TempDir(), clk: clock.NewFake(time.Now().UTC().Truncate(time.Second))}
	if e.dev, err = pki.LoadOrCreateDev(e.dir, pki.Options{BaseURL: e.base, Now: e.clk.Now()}); err != nil {
		t.Fatal(err)
	}
	e.idp, err = devidp.New(devidp.Config{
		Issuer:   e.base + "/dev/idporten",
		Clock:    e.clk,
		TokenTTL: 30 * time.Minute, // so an expired SAD, not the token, is what a test sees
		Clients:  []devidp.Client{{ID: client, Secret: secret, RedirectURIs: []string{e.base + "/sign/callback"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := devcsc.Config{
		Issuer:    e.idp.Issuer(),
		Audiences: []string{client},
		IDP:       e.idp,
		Dev:       e.dev,
		Dir:       filepath.Join(e.dir, "dev", "csc"),
		Clock:     e.clk,
		SADTTL:    sadTTL,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	if e.signer, err = devcsc.New(cfg); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/dev/idporten/", e.idp)
	mux.Handle("/dev/csc/", e.signer)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{e.dev.Server.TLSCertificate()}}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	e.http = &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.dev.Roots()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	e.cfg = csc.Config{BaseURL: e.base + "/dev/csc/v2", Roots: e.dev.Roots(), Clock: e.clk}
	return e
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B

// login logs pid in with method through the development ID-porten without
// HTML (an authorization request by POST that carries pid and eid) and
// redeems the code: the ID token the relying party would hold.
func (e *env) login(pid, method string) string {
	e.t.Helper()
	sum := sha256.Sum256([]byte(verifier))
	form := url.Values{
		"response_type": {"code"}, "client_id": {client}, "redirect_uri": {e.base + "/sign/callback"},
		"scope": {"openid profile"}, "state": {"st-1"}, "nonce": {"no-1"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"acr_values": {"idporten-loa-high"}, "pid": {pid}, "eid": {method},
	}
	resp, err := e.http.PostForm(e.base+"/dev/idporten/authorize", form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Query().Get("code") == "" {
		e.t.Fatalf("login %s with %s: %s, Location %q", pid, method, resp.Status, resp.Header.Get("Location"))
	}
	resp, err = e.http.PostForm(e.base+"/dev/idporten/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {e.base + "/sign/callback"},
		"code_verifier": {verifier}, "client_id": {client}, "client_secret": {secret},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.IDToken == "" {
		e.t.Fatalf("token: %s %v", resp.Status, err)
	}
	return tok.IDToken
}

// client is a CSC client of the stand-in.
func (e *env) client() *csc.Client {
	e.t.Helper()
	c, err := csc.New(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// post calls a CSC method by hand and returns the status and the CSC error
// code, for requests the client would never make.
func (e *env) post(method, token, body string) (int, string) {
	status, out := e.postJSON(method, token, body)
	code, _ := out["error"].(string)
	return status, code
}

// postJSON is post returning the decoded answer.
func (e *env) postJSON(method, token, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, e.base+"/dev/csc/v2/"+method, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

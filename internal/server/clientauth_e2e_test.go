package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/pki"
)

// newSplitEnv starts segl with the API on a host of its own: the pages on
// https://127.0.0.1:PORT (a browser sends no server name for an address)
// and the API on https://localhost:PORT, both names of the development
// server certificate.
func newSplitEnv(t testing.TB, mutate ...func(*config.Config)) *env {
	t.Helper()
	return newEnvB(t, append([]func(*config.Config){func(c *config.Config) {
		_, port, _ := net.SplitHostPort(c.Addr)
		c.BaseURL, c.APIURL = "https://"+c.Addr, "https://localhost:"+port
	}}, mutate...)...)
}

// handshake completes a TLS handshake with segl sending serverName (none
// for an address) and reports whether segl asked for a client
// certificate, and how many CAs it named. The client has seen any
// CertificateRequest once its handshake is complete.
func (e *env) handshake(t *testing.T, serverName string, maxVersion uint16) (asked bool, cas int) {
	t.Helper()
	cfg := &tls.Config{RootCAs: e.srv.Dev.Roots(), ServerName: serverName, MaxVersion: maxVersion, NextProtos: []string{"h2", "http/1.1"},
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked, cas = true, len(cri.AcceptableCAs)
			return &tls.Certificate{}, nil
		}}
	if serverName != "localhost" && net.ParseIP(serverName) == nil {
		// A name the development certificate does not hold: only the
		// CertificateRequest matters here.
		cfg.InsecureSkipVerify = true
	}
	conn, err := tls.Dial("tcp", e.cfg.Addr, cfg)
	if err != nil {
		t.Fatalf("handshake with %q: %v", serverName, err)
	}
	defer conn.Close()
	// Either configuration offers HTTP/2 as http.Server's own does.
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Errorf("server name %q: negotiated %q, want h2", serverName, p)
	}
	return asked, cas
}

// TestClientCertificateAskedOnAPIHostOnly: with api-url on a host of its
// own, only connections naming that host get a CertificateRequest; a
// browser on the public host walks a signing link without one, and the
// links segl hands out lead integrators to the API host and signers to
// the public one.
func TestClientCertificateAskedOnAPIHostOnly(t *testing.T) {
	t.Parallel()
	e := newSplitEnv(t)
	_, port, _ := net.SplitHostPort(e.cfg.Addr)
	apiURL := "https://localhost:" + port
	if e.srv.APIURL != apiURL || e.srv.URL != "https://"+e.cfg.Addr {
		t.Fatalf("serving %s, API %s", e.srv.URL, e.srv.APIURL)
	}
	for _, v := range []struct {
		name string
		max  uint16
	}{{"tls1.3", tls.VersionTLS13}, {"tls1.2", tls.VersionTLS12}} {
		t.Run(v.name, func(t *testing.T) {
			for _, sni := range []string{"127.0.0.1", "segl.test"} {
				if asked, _ := e.handshake(t, sni, v.max); asked {
					t.Errorf("server name %q: asked for a client certificate", sni)
				}
			}
			if asked, cas := e.handshake(t, "localhost", v.max); !asked || cas == 0 {
				t.Errorf("API host: asked %v naming %d CAs, want asked naming the enterprise CAs", asked, cas)
			}
			if asked, _ := e.handshake(t, "LOCALHOST", v.max); !asked {
				t.Error("API host in capitals: not asked")
			}
		})
	}

	// An integrator on the API host: asked, and the signing links it gets
	// are on the public host.
	dir := filepath.Join(e.data, "pki")
	c, err := client.New(apiURL, filepath.Join(dir, "clients", orgA+".pem"), filepath.Join(dir, "clients", orgA+".key"),
		filepath.Join(dir, "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	var apiAsked atomic.Bool
	tc := c.HTTP.Transport.(*http.Transport).TLSClientConfig
	cert := tc.Certificates[0]
	tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { apiAsked.Store(true); return &cert, nil }
	t.Cleanup(c.HTTP.CloseIdleConnections)
	req := directRequest()
	req.Signers = req.Signers[:1]
	j := e.mustCreate(c, req)
	if !apiAsked.Load() {
		t.Error("the API client was not asked for its certificate")
	}
	if link := j.Signers[0].SigningURL; !strings.HasPrefix(link, e.srv.URL+"/") {
		t.Fatalf("signing URL %q, want one on %s", link, e.srv.URL)
	}

	// A browser on the public host: never asked, and it signs.
	ola := e.browser(t)
	var browserAsked atomic.Bool
	ola.bot.HTTP.Transport.(*http.Transport).TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		browserAsked.Store(true)
		return &tls.Certificate{}, nil
	}
	view := ola.login(j.Signers[0].SigningURL, olaPID, "bankid")
	view.want(t, 200, "Arbeidsavtale")
	ola.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	if browserAsked.Load() {
		t.Error("the signer's browser was asked for a client certificate")
	}
	e.completed(c, j.ID)

	// An API call on the public host comes without a certificate: the
	// answer says where to call.
	pub, err := client.New(e.srv.URL, filepath.Join(dir, "clients", orgA+".pem"), filepath.Join(dir, "clients", orgA+".key"),
		filepath.Join(dir, "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.HTTP.CloseIdleConnections)
	_, err = pub.Job(context.Background(), j.ID)
	problemOf(t, err, http.StatusUnauthorized, "client-certificate-required")
	if p := err.(*client.Problem); !strings.Contains(p.Detail, apiURL) {
		t.Errorf("detail %q does not name %s", p.Detail, apiURL)
	}

	// A client reusing its connection to the public host for the API
	// host (HTTP/2 coalescing: the certificate covers both) was not
	// asked for a certificate there: 421 sends it to a connection of its
	// own.
	coalescing := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true,
		DialTLSContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			d := tls.Dialer{Config: &tls.Config{RootCAs: e.srv.Dev.Roots(), ServerName: "127.0.0.1", NextProtos: []string{"h2"}}}
			return d.DialContext(ctx, network, e.cfg.Addr)
		}}}
	t.Cleanup(coalescing.CloseIdleConnections)
	resp, err := coalescing.Get(apiURL + "/api/v1/jobs/" + j.ID)
	if err != nil {
		t.Fatal(err)
	}
	var misdirected client.Problem
	err = json.NewDecoder(resp.Body).Decode(&misdirected)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest || err != nil || misdirected.Code != "misdirected-request" {
		t.Fatalf("API host on the public host's connection: %d %+v %v, want 421 misdirected-request", resp.StatusCode, misdirected, err)
	}
	// The same connection still serves the public host's pages.
	if resp, err := coalescing.Get(e.srv.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("public host on its own connection: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if _, err := c.Job(context.Background(), j.ID); err != nil {
		t.Fatalf("API host on its own connection: %v", err)
	}

	// The OpenAPI document, read wherever, names the API host.
	resp, err = ola.bot.HTTP.Get(e.srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Servers []struct{ URL string } `json:"servers"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || len(doc.Servers) != 1 || doc.Servers[0].URL != apiURL {
		t.Fatalf("OpenAPI servers %+v, %v; want %s", doc.Servers, err, apiURL)
	}

	// Posten's API: hypermedia links on the API host, signers' redirect
	// URLs on the public host; without a certificate, NOT_AUTHORIZED
	// naming the API host.
	p := e.posten(t, orgA, javaStyle)
	p.root = apiURL + "/api"
	var created directJobResponse
	p.create("direct", directJobXML, p.bundle(directManifestXML(orgA), postenDocs())).want(t, http.StatusOK).decode(t, &created)
	if !strings.HasPrefix(created.StatusURL, apiURL+"/api/"+orgA+"/direct/signature-jobs/") ||
		!strings.HasPrefix(created.Signers[0].Href, apiURL+"/api/") ||
		!strings.HasPrefix(created.Signers[0].RedirectURL, e.srv.URL+"/") {
		t.Fatalf("created %+v", created)
	}
	p.root = e.srv.URL + "/api"
	p.do("GET", "/"+orgA, "", nil).wantError(t, http.StatusUnauthorized, "NOT_AUTHORIZED")
}

// TestClientCertificateAskedEverywhereOnOneHost: without an API host of
// its own, every connection is asked, as it always was.
func TestClientCertificateAskedEverywhereOnOneHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if e.srv.APIURL != "" {
		t.Fatalf("API URL %q", e.srv.APIURL)
	}
	for _, sni := range []string{"127.0.0.1", "localhost", "segl.test"} {
		if asked, cas := e.handshake(t, sni, 0); !asked || cas == 0 {
			t.Errorf("server name %q: asked %v naming %d CAs", sni, asked, cas)
		}
	}
}

// TestClientCertificateRequestOpenSSL checks the split as an operator
// would, with openssl s_client: a CertificateRequest names CAs for the API
// host only.
func TestClientCertificateRequestOpenSSL(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	e := newSplitEnv(t)
	for _, tt := range []struct {
		args  []string
		asked bool
	}{
		{[]string{"-servername", "localhost"}, true},
		{[]string{"-servername", "segl.test"}, false},
		{[]string{"-noservername"}, false},
	} {
		args := append([]string{"s_client", "-connect", e.cfg.Addr, "-CAfile", filepath.Join(e.data, "pki", "root-ca.pem")}, tt.args...)
		cmd := exec.Command("openssl", args...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
		asked := strings.Contains(string(out), "Acceptable client certificate CA names")
		if asked != tt.asked || (!asked && !strings.Contains(string(out), "No client certificate CA names sent")) {
			t.Errorf("openssl %v: asked %v, want %v\n%s", tt.args, asked, tt.asked, out)
		}
	}
}

// TestAPIHostOwnCertificate: outside --dev, api-tls-cert is served to the
// API host and tls-cert to every other name, each chosen with the
// configuration the ClientHello picks.
func TestAPIHostOwnCertificate(t *testing.T) {
	t.Parallel()
	dev := newEnv(t) // its development PKI's files, as an operator's
	dir := filepath.Join(dev.data, "pki")
	other, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{Hosts: []string{"localhost"}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	prod := newSplitEnv(t, func(c *config.Config) {
		c.Dev = false
		c.TLSCert, c.TLSKey, c.ClientCAs = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key"), filepath.Join(dir, "root-ca.pem")
		c.APITLSCert, c.APITLSKey = filepath.Join(other.Dir, "server.pem"), filepath.Join(other.Dir, "server.key")
	})
	for _, tt := range []struct {
		serverName string
		roots      *x509.CertPool
		asked      bool
	}{{"127.0.0.1", dev.srv.Dev.Roots(), false}, {"localhost", other.Roots(), true}} {
		asked := false
		conn, err := tls.Dial("tcp", prod.cfg.Addr, &tls.Config{RootCAs: tt.roots, ServerName: tt.serverName,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				asked = true
				return &tls.Certificate{}, nil
			}})
		if err != nil {
			t.Fatalf("%s: %v", tt.serverName, err)
		}
		conn.Close()
		if asked != tt.asked {
			t.Errorf("%s: asked %v, want %v", tt.serverName, asked, tt.asked)
		}
	}
}

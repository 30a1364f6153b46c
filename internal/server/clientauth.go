package server

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
)

// askCertificateOnAPIHostOnly makes the listener ask for a client
// certificate only on connections to the API's own host, when it has one
// (api-url on another host than base-url). A CertificateRequest names the
// enterprise CAs, and a citizen's browser on a corporate machine holding a
// certificate from one of them shows a certificate picker in the middle of
// signing, or sends the certificate unasked: a confusing prompt and an
// identity leak to pages that have no use for it. TLS 1.3 has no
// renegotiation and Go no post-handshake authentication, so the choice is
// made from the ClientHello's server name (RFC 6066 section 3): the API's
// host gets tlsConfig's VerifyClientCertIfGiven, every other name, and a
// hello without one (an IP address), gets no CertificateRequest.
//
// Both configurations are built here once; the callback only compares the
// name and returns one of them, so a handshake costs what it did. They
// share tlsConfig's session ticket keys (crypto/tls uses the original
// configuration's when the returned one sets none); crypto/tls does not
// resume a session that holds a client certificate under the
// configuration that asks for none, so the certificate never reaches the
// pages that way either. With one host, tlsConfig is left as it is
// (apiHost empty; config.CheckAPIURL refused an api-tls-cert then).
func askCertificateOnAPIHostOnly(cfg config.Config, tlsConfig *tls.Config, apiHost string) error {
	if apiHost == "" {
		return nil
	}
	api, public := tlsConfig.Clone(), tlsConfig.Clone()
	if cfg.APITLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.APITLSCert, cfg.APITLSKey)
		if err != nil {
			return fmt.Errorf("server: api tls certificate: %w", err)
		}
		api.Certificates = []tls.Certificate{cert}
	}
	public.ClientAuth, public.ClientCAs = tls.NoClientCert, nil
	// A configuration from GetConfigForClient is used as it is:
	// http.Server adds HTTP/2 to its own TLSConfig only.
	for _, c := range []*tls.Config{api, public} {
		if len(c.NextProtos) == 0 {
			c.NextProtos = []string{"h2", "http/1.1"}
		}
	}
	tlsConfig.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if strings.EqualFold(hello.ServerName, apiHost) {
			return api, nil
		}
		return public, nil
	}
	return nil
}

// hostOf is the host of the API's own URL as a client names it in its
// ClientHello and its requests: no port, no trailing dot.
func hostOf(apiURL string) (string, error) {
	u, err := url.Parse(apiURL)
	if err != nil {
		return "", fmt.Errorf("server: api-url: %w", err)
	}
	return strings.TrimSuffix(u.Hostname(), "."), nil
}

// misdirected answers 421 Misdirected Request (RFC 9110 section 15.5.20)
// to a request for the API's own host that came on a connection made for
// another name. A browser or an HTTP/2 client reuses a connection for
// every host its certificate covers (RFC 9113 section 9.1.1), so a client
// that reached the pages first can send an API call where no certificate
// was asked for; answered 401, it would be told to call the very host it
// called. 421 makes it retry on a connection of its own to the API host,
// which asks. Requests naming any other host pass.
type misdirected struct {
	next    http.Handler
	apiHost string
}

func (m misdirected) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.TLS != nil && !strings.EqualFold(strings.TrimSuffix(r.TLS.ServerName, "."), m.apiHost) && strings.EqualFold(requestHost(r), m.apiHost) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusMisdirectedRequest)
		json.NewEncoder(w).Encode(client.Problem{Type: client.ProblemTypePrefix + codeMisdirected,
			Title: http.StatusText(http.StatusMisdirectedRequest), Status: http.StatusMisdirectedRequest, Code: codeMisdirected,
			Detail: "this connection was made for another host; open a new one to " + m.apiHost})
		return
	}
	m.next.ServeHTTP(w, r)
}

// requestHost is the host a request names, without port or trailing dot.
func requestHost(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(host, ".")
}

package server

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"strings"

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
// (apiURL empty).
func askCertificateOnAPIHostOnly(cfg config.Config, tlsConfig *tls.Config, apiURL string) error {
	if apiURL == "" {
		if cfg.APITLSCert != "" {
			return fmt.Errorf("server: api-tls-cert needs an api-url on a host of its own")
		}
		return nil
	}
	u, err := url.Parse(apiURL)
	if err != nil {
		return fmt.Errorf("server: api-url: %w", err)
	}
	apiHost := strings.TrimSuffix(u.Hostname(), ".")
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

package server

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/eid/csc"
	"github.com/segl/segl/internal/eid/oidc"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/tsp"
)

// useConfigured wires the production adapters that the configuration names:
// the TTP seal with a remote TSA and OCSP from the certificates' responders,
// the ID-porten relying party, and the remote signing service. Outside
// --dev only: development mode refuses every one of these settings
// (config.CheckDev), so a development server never reaches a real service.
func (s *Server) useConfigured(cfg config.Config, opts Options) error {
	var roots *x509.CertPool // nil: the system's
	var anchors []*x509.Certificate
	if cfg.PKITrust != "" {
		var err error
		if roots, err = pki.LoadPool(cfg.PKITrust); err != nil {
			return err
		}
		// The anchors close the seal's and the TSA's paths, so that
		// long-term validation data covers every CA below them.
		if anchors, err = pki.LoadCertificates(cfg.PKITrust); err != nil {
			return err
		}
	}
	httpClient := pki.TrustingClient(roots)
	// A remote TSA when one is named, else the in-process one: on the
	// configured time-stamping key, or in --dev the development TSA. It
	// stamps the seal and anchors the audit log.
	if cfg.TSAURL != "" {
		var policy asn1.ObjectIdentifier // empty: the TSA's default
		if cfg.TSAPolicy != "" {
			var err error
			if policy, err = config.ParseOID(cfg.TSAPolicy); err != nil {
				return err
			}
		}
		s.peers.tsa = health.NewPeer(signing.CodeTSAUnavailable, opts.Clock)
		s.stamper = watchedStamper{&tsp.Client{URL: cfg.TSAURL, Roots: roots, Policy: policy, HTTP: s.metrics.Client("tsa", httpClient)}, s.peers.tsa}
	} else if s.TSA != nil {
		s.stamper = s.TSA
	}
	if s.revocation == nil { // outside --dev: the certificates' own responders
		s.peers.ocsp = health.NewPeer(signing.CodeRevocationUnavailable, opts.Clock)
		s.revocation = &pki.RevocationCache{Now: opts.Clock.Now,
			Source: watchedRevocation{pki.HTTPOCSP{Client: s.metrics.Client("ocsp", httpClient), Responder: cfg.OCSPURL, CRLURL: cfg.CRLURL,
				Now: opts.Clock.Now}, s.peers.ocsp}}
	}
	if s.clientRevocation == nil {
		s.clientRevocation = pki.HTTPOCSP{Client: s.metrics.Client("ocsp", httpClient), Now: opts.Clock.Now, Presigned: true}
	}
	if seal := s.roles.seal; seal != nil {
		s.seal = &signing.Config{Seal: *seal, Anchors: anchors, TSA: s.stamper, OCSP: s.revocation}
	}
	if cfg.IDPortenIssuer != "" {
		key, err := pki.LoadSigner(cfg.IDPortenKey)
		if err != nil {
			return err
		}
		login, err := oidc.New(oidc.Config{Issuer: cfg.IDPortenIssuer, ClientID: cfg.IDPortenClientID, Key: key,
			KeyID: cfg.IDPortenKeyID, Roots: roots, Clock: opts.Clock, Instrument: s.metrics.Wrap("idporten")})
		if err != nil {
			return fmt.Errorf("server: id-porten: %w", err)
		}
		s.login = login
	}
	if cfg.CSCURL != "" {
		cscConfig := csc.Config{BaseURL: cfg.CSCURL, Roots: roots, Clock: opts.Clock}
		s.keys = func(ctx context.Context, idToken string, n int) (*pki.KeyPair, error) {
			return csc.Open(ctx, cscConfig, idToken, n)
		}
	}
	return nil
}

// oslo is the time zone of the times on signature pages.
func oslo() *time.Location { return clock.Norway }

package signing

import (
	"context"
	"crypto"
	"crypto/x509"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pki"
)

// The TSA and the revocation sources are services segl depends on: when
// one refuses, hangs, or answers with something its checks refuse (a
// token over the wrong imprint, a stale OCSP response), nothing is signed
// or completed, and that is an outage, not a bug of the act. Their errors
// carry errs.Unavailable, so a signer is told to try again in a few
// minutes (503) rather than shown an internal error, and a completion is
// retried. An error that already has a kind keeps it, and a cancelled or
// timed-out request (the caller's context) stays what it is.

// partnerFailed marks err, from one of those services, as an outage.
func partnerFailed(ctx context.Context, err error, code, service string) error {
	if err == nil || ctx.Err() != nil || errs.From(err) != nil {
		return err
	}
	return errs.Wrap(err, errs.Unavailable, code, "%s failed", service)
}

// tsaOutages is the engine's TSA with its failures marked.
type tsaOutages struct{ tsa cms.Stamper }

func (s tsaOutages) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	tok, err := s.tsa.Stamp(ctx, h, digest)
	if err != nil {
		return nil, partnerFailed(ctx, err, CodeTSAUnavailable, "the time-stamping authority")
	}
	return tok, nil
}

// certifiedTSAOutages keeps a CertifiedStamper one.
type certifiedTSAOutages struct {
	tsaOutages
	certified CertifiedStamper
}

func (s certifiedTSAOutages) Certificates() []*x509.Certificate { return s.certified.Certificates() }

func watchTSA(tsa cms.Stamper) cms.Stamper {
	if c, ok := tsa.(CertifiedStamper); ok {
		return certifiedTSAOutages{tsaOutages{tsa}, c}
	}
	return tsaOutages{tsa}
}

// revocationOutages is the engine's revocation source with its failures
// marked.
type revocationOutages struct{ src pki.RevocationSource }

func (s revocationOutages) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	der, err := s.src.OCSP(ctx, cert, issuer)
	if err != nil {
		return nil, partnerFailed(ctx, err, CodeRevocationUnavailable, "the OCSP responder")
	}
	return der, nil
}

func (s revocationOutages) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	der, err := s.src.CRL(ctx, cert, issuer)
	if err != nil {
		return nil, partnerFailed(ctx, err, CodeRevocationUnavailable, "the CRL distribution point")
	}
	return der, nil
}

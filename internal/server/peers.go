package server

import (
	"context"
	"crypto"
	"crypto/x509"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/pki"
)

// peerChecks are the degrading checks of the remote services segl signs
// with: the TSA at tsa-url and the OCSP responders and CRL distribution
// points of the seal's, the TSA's and signers' CAs. Nil where segl does
// not call one (in --dev both are in-process; the in-process TSA on an
// HSM key is covered by the HSM's check).
type peerChecks struct {
	tsa, ocsp *health.Peer
}

// add registers the checks with ready, named as the peers of
// segl_peer_call_duration_seconds.
func (p peerChecks) add(ready *health.Readiness) {
	if p.tsa != nil {
		ready.AddDegrading("tsa", p.tsa.Check)
	}
	if p.ocsp != nil {
		ready.AddDegrading("ocsp", p.ocsp.Check)
	}
}

// watchedStamper notes each time-stamp's outcome in peer.
type watchedStamper struct {
	tsa  cms.Stamper
	peer *health.Peer
}

func (s watchedStamper) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	tok, err := s.tsa.Stamp(ctx, h, digest)
	s.peer.Note(ctx, err)
	return tok, err
}

// watchedRevocation notes each OCSP and CRL fetch's outcome in peer.
type watchedRevocation struct {
	src  pki.RevocationSource
	peer *health.Peer
}

func (s watchedRevocation) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	der, err := s.src.OCSP(ctx, cert, issuer)
	s.peer.Note(ctx, err)
	return der, err
}

func (s watchedRevocation) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	der, err := s.src.CRL(ctx, cert, issuer)
	s.peer.Note(ctx, err)
	return der, err
}

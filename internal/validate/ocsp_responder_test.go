package validate

import (
	"context"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/segl/segl/internal/pki"
)

// TestOCSPFromAnotherSubscriberIgnored: an OCSP response that says
// "good" for a revoked certificate, signed by another certificate of the
// same CA without the OCSPSigning purpose (here the time-stamping unit's;
// a signer's own certificate would do as well), proves nothing (RFC 6960
// §4.2.2.2): the path is judged on the responder's real answer, revoked.
func TestOCSPFromAnotherSubscriberIgnored(t *testing.T) {
	dev, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := pki.OpenRevocations(dev.Dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := rev.Revoke(new(big.Int).Set(dev.Seal.Cert.SerialNumber), ocsp.KeyCompromise, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	real, err := pki.DevOCSP{Dev: dev, Revoked: rev, Now: time.Now}.OCSP(context.Background(), dev.Seal.Cert, dev.Issuing.Cert)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := ocsp.CreateResponse(dev.Issuing.Cert, dev.TSA.Cert, ocsp.Response{Status: ocsp.Good,
		SerialNumber: dev.Seal.Cert.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(time.Hour),
		Certificate: dev.TSA.Cert}, dev.TSA.Key)
	if err != nil {
		t.Fatal(err)
	}
	chain := []*x509.Certificate{dev.Issuing.Cert}
	for name, tc := range map[string]struct {
		ocsps [][]byte
		want  Indication
		sub   SubIndication
	}{
		"fail/forged-alone":       {[][]byte{forged}, Indeterminate, TryLater},
		"fail/forged-before-real": {[][]byte{forged, real}, TotalFailed, Revoked},
	} {
		t.Run(name, func(t *testing.T) {
			_, res, _ := validatePath(pathCheck{leaf: dev.Seal.Cert, roots: dev.Roots(), at: now, requireRevocation: true,
				evidence: Evidence{Certs: chain, OCSPs: tc.ocsps}})
			if res.Indication != tc.want || res.SubIndication != tc.sub {
				t.Fatalf("got %+v, want %s %s", res, tc.want, tc.sub)
			}
		})
	}
}

package ceremony

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/pki/pkitest"
)

// rootCRLSource answers as production's HTTPOCSP does for the development
// PKI: the leaf's OCSP from its responder; the issuing CA names no
// responder, so only the root's CRL, which lists the CA certificates in
// revoked (signed with the root key here: the development root revokes
// none), with the extensions in exts (an issuing distribution point's
// scope).
type rootCRLSource struct {
	dev     *pki.Dev
	now     func() time.Time
	exts    []pkix.Extension
	revoked atomic.Pointer[x509.Certificate]
	down    atomic.Bool
}

func (s *rootCRLSource) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	if !bytes.Equal(issuer.Raw, s.dev.Issuing.Cert.Raw) {
		return nil, fmt.Errorf("%w: %s names no OCSP responder", pki.ErrNowhereToAsk, cert.Subject.CommonName)
	}
	return pki.DevOCSP{Dev: s.dev, Revoked: &revokedSerials{}, Now: s.now}.OCSP(ctx, cert, issuer)
}

func (s *rootCRLSource) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	if s.down.Load() {
		return nil, errors.New("the root's CRL is not reachable")
	}
	key, err := pki.LoadSigner(filepath.Join(s.dev.Dir, "root-ca.key"))
	if err != nil {
		return nil, err
	}
	now := s.now()
	var entries []x509.RevocationListEntry
	if c := s.revoked.Load(); c != nil {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: now.Add(-time.Hour)})
	}
	return x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(now.UnixNano()), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour),
		RevokedCertificateEntries: entries, ExtraExtensions: s.exts,
	}, s.dev.Root, key)
}

// TestClientCertIssuingCARevoked: a client certificate whose issuing CA
// the root has revoked is refused like a revoked certificate, since the
// whole path is what vouches for it; the CA's status unknown is refused
// 503 as the leaf's is.
func TestClientCertIssuingCARevoked(t *testing.T) {
	f := newRevocationFixture(t)
	d := f.dev
	src := &rootCRLSource{dev: d, now: f.clk.Now}
	svc := &Service{Clock: f.clk, ClientCerts: &CertRevocation{Source: src}}
	leaf := pkitest.Signer(t, d, "p256", pkix.Name{CommonName: "api client"}).Cert
	chain := []*x509.Certificate{leaf, d.Issuing.Cert, d.Root}
	ctx := context.Background()

	if err := svc.checkNotRevoked(ctx, chain); err != nil {
		t.Fatalf("a good path: %v", err)
	}

	src.revoked.Store(d.Issuing.Cert)
	svc.ClientCerts = &CertRevocation{Source: src} // nothing kept
	err := svc.checkNotRevoked(ctx, chain)
	if !errs.HasCode(err, CodeCertificateRevoked) || errs.KindOf(err) != errs.Forbidden ||
		!strings.Contains(err.Error(), d.Issuing.Cert.Subject.CommonName) {
		t.Fatalf("issuing CA revoked: %v, want 403 certificate-revoked naming the CA", err)
	}

	src.revoked.Store(nil)
	src.down.Store(true)
	svc.ClientCerts = &CertRevocation{Source: src}
	if err := svc.checkNotRevoked(ctx, chain); !errs.HasCode(err, CodeRevocationUnavailable) || errs.KindOf(err) != errs.Unavailable {
		t.Fatalf("the root's CRL unreachable: %v, want 503 revocation-unavailable", err)
	}
}

// TestClientCertIssuingCAOnARL: a root that publishes its revocation list
// of CA certificates only (an ARL, scoped by its issuing distribution
// point, RFC 5280 §5.2.5) answers for the issuing CA: a good path passes
// and a CA it lists is refused. A list of end entities only says nothing
// about a CA: 503, as when the root cannot be asked.
func TestClientCertIssuingCAOnARL(t *testing.T) {
	f := newRevocationFixture(t)
	d := f.dev
	src := &rootCRLSource{dev: d, now: f.clk.Now, exts: []pkix.Extension{pkitest.IDP{OnlyCA: true}.Extension(t)}}
	svc := &Service{Clock: f.clk, ClientCerts: &CertRevocation{Source: src}}
	leaf := pkitest.Signer(t, d, "p256", pkix.Name{CommonName: "api client"}).Cert
	chain := []*x509.Certificate{leaf, d.Issuing.Cert, d.Root}
	ctx := context.Background()

	if err := svc.checkNotRevoked(ctx, chain); err != nil {
		t.Fatalf("a good path under the root's ARL: %v", err)
	}

	src.revoked.Store(d.Issuing.Cert)
	svc.ClientCerts = &CertRevocation{Source: src}
	if err := svc.checkNotRevoked(ctx, chain); !errs.HasCode(err, CodeCertificateRevoked) || errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("issuing CA on the root's ARL: %v, want 403 certificate-revoked", err)
	}

	src.revoked.Store(nil)
	src.exts = []pkix.Extension{pkitest.IDP{OnlyUser: true}.Extension(t)}
	svc.ClientCerts = &CertRevocation{Source: src}
	if err := svc.checkNotRevoked(ctx, chain); !errs.HasCode(err, CodeRevocationUnavailable) || errs.KindOf(err) != errs.Unavailable {
		t.Fatalf("the root's list of end entities only: %v, want 503 revocation-unavailable", err)
	}
}

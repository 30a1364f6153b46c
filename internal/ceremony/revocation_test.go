package ceremony

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/pki/pkitest"
)

// revokedSerials is a development revocation list in memory.
type revokedSerials struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (r *revokedSerials) Revoked(serial *big.Int) (time.Time, int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.at[serial.Text(16)]
	return at, 1, ok // keyCompromise
}

func (r *revokedSerials) revoke(serial *big.Int, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at == nil {
		r.at = map[string]time.Time{}
	}
	r.at[serial.Text(16)] = at
}

// countingSource is the development responder, counting its questions;
// fail, when set, is its answer instead, and gate, when set, holds every
// question until it is closed.
type countingSource struct {
	dev  pki.DevOCSP
	asks atomic.Int64
	fail atomic.Pointer[error]
	gate chan struct{}
	crl  error // the error CRL answers; nil: a plain failure
}

func (c *countingSource) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	c.asks.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	if err := c.fail.Load(); err != nil {
		return nil, *err
	}
	return c.dev.OCSP(ctx, cert, issuer)
}

func (c *countingSource) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	if c.crl != nil {
		return nil, c.crl
	}
	return nil, errors.New("no CRL here")
}

func (c *countingSource) failWith(err error) { c.fail.Store(&err) }

type revocationFixture struct {
	svc    *Service
	src    *countingSource
	clk    *clock.Fake
	rev    *revokedSerials
	issuer *x509.Certificate
	dev    *pki.Dev
}

func newRevocationFixture(t testing.TB) *revocationFixture {
	d := pkitest.Dev(t)
	clk := clock.NewFake(time.Now())
	rev := &revokedSerials{}
	src := &countingSource{dev: pki.DevOCSP{Dev: d, Revoked: rev, Now: clk.Now}}
	return &revocationFixture{svc: &Service{Clock: clk, ClientCerts: &CertRevocation{Source: src}},
		src: src, clk: clk, rev: rev, issuer: d.Issuing.Cert, dev: d}
}

func (f *revocationFixture) chain(t testing.TB) []*x509.Certificate {
	leaf := pkitest.Signer(t, f.dev, "p256", pkix.Name{CommonName: "api client"}).Cert
	return []*x509.Certificate{leaf, f.issuer}
}

// TestClientCertRevoked: a certificate its CA says is revoked is refused
// 403 certificate-revoked; a good one passes, and is asked about once per
// recheck interval, not once per call.
func TestClientCertRevoked(t *testing.T) {
	f := newRevocationFixture(t)
	good, revoked := f.chain(t), f.chain(t)
	f.rev.revoke(revoked[0].SerialNumber, f.clk.Now().Add(-time.Minute))
	ctx := context.Background()
	for range 3 {
		if err := f.svc.checkNotRevoked(ctx, good); err != nil {
			t.Fatalf("good certificate: %v", err)
		}
		err := f.svc.checkNotRevoked(ctx, revoked)
		if errs.KindOf(err) != errs.Forbidden || !errs.HasCode(err, CodeCertificateRevoked) {
			t.Fatalf("revoked certificate: %v, want 403 %s", err, CodeCertificateRevoked)
		}
	}
	if n := f.src.asks.Load(); n != 2 {
		t.Fatalf("the CA was asked %d times about two certificates in three rounds, want 2", n)
	}
	// Revoked at the CA later: refused once the kept answer is rechecked.
	f.rev.revoke(good[0].SerialNumber, f.clk.Now())
	f.clk.Advance(recheckCertAfter)
	err := f.svc.checkNotRevoked(ctx, good)
	if !errs.HasCode(err, CodeCertificateRevoked) {
		t.Fatalf("certificate revoked since the last answer, after the recheck interval: %v, want %s", err, CodeCertificateRevoked)
	}
	// The same serial under another issuer is another certificate.
	otherKey := pkitest.Key(t, "p256")
	other := pkitest.SelfSigned(t, otherKey, pkix.Name{CommonName: "another CA"})
	if err := f.svc.checkNotRevoked(ctx, []*x509.Certificate{revoked[0], other}); errs.HasCode(err, CodeCertificateRevoked) || err == nil {
		t.Fatalf("a revoked serial asked about with another issuer: %v, want the development responder's refusal (unavailable)", err)
	}
}

// TestClientCertRevocationUnavailable: with the CA unreachable the call
// is refused 503 revocation-unavailable, except while a good answer it
// gave is not yet due; a certificate that names nowhere to ask passes.
func TestClientCertRevocationUnavailable(t *testing.T) {
	f := newRevocationFixture(t)
	ctx := context.Background()
	down := fmt.Errorf("pki: ocsp: %w", errors.New("connection refused"))

	never := f.chain(t)
	f.src.failWith(down)
	err := f.svc.checkNotRevoked(ctx, never)
	if errs.KindOf(err) != errs.Unavailable || !errs.HasCode(err, CodeRevocationUnavailable) {
		t.Fatalf("CA down, nothing kept: %v, want 503 %s", err, CodeRevocationUnavailable)
	}

	f.src.fail.Store(nil)
	kept := f.chain(t)
	if err := f.svc.checkNotRevoked(ctx, kept); err != nil {
		t.Fatal(err)
	}
	f.src.failWith(down)
	f.clk.Advance(recheckCertAfter + time.Minute) // due again, the answer's nextUpdate still ahead
	if err := f.svc.checkNotRevoked(ctx, kept); err != nil {
		t.Fatalf("CA down, good answer not yet due: %v, want it in force", err)
	}
	f.clk.Advance(25 * time.Hour) // past the development answer's nextUpdate
	err = f.svc.checkNotRevoked(ctx, kept)
	if !errs.HasCode(err, CodeRevocationUnavailable) {
		t.Fatalf("CA down, good answer past its nextUpdate: %v, want %s", err, CodeRevocationUnavailable)
	}

	f.src.failWith(fmt.Errorf("%w: no responder", pki.ErrNowhereToAsk))
	f.src.crl = fmt.Errorf("%w: no CRL", pki.ErrNowhereToAsk)
	if err := f.svc.checkNotRevoked(ctx, f.chain(t)); err != nil {
		t.Fatalf("certificate naming nowhere to ask: %v, want it accepted", err)
	}
}

// TestClientCertRevocationAsksOnce: concurrent calls with one certificate
// make one question, and a call waiting for it may give up.
func TestClientCertRevocationAsksOnce(t *testing.T) {
	f := newRevocationFixture(t)
	f.src.gate = make(chan struct{})
	chain := f.chain(t)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- f.svc.checkNotRevoked(context.Background(), chain)
		}()
	}
	gaveUp, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.svc.checkNotRevoked(gaveUp, chain); !errors.Is(err, context.Canceled) {
		t.Fatalf("a call that gave up while the CA was asked: %v", err)
	}
	close(f.src.gate)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.src.asks.Load(); n != 1 {
		t.Fatalf("the CA was asked %d times, want once", n)
	}
}

// TestClientCertRevocationHTTP runs the production source (pki.HTTPOCSP)
// against the development responder over HTTP, one that fails, and none.
func TestClientCertRevocationHTTP(t *testing.T) {
	f := newRevocationFixture(t)
	ctx := context.Background()
	responder := httptest.NewServer(f.dev.OCSPHandler(f.rev, nil))
	defer responder.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	defer failing.Close()
	service := func(src pki.HTTPOCSP) *Service {
		return &Service{Clock: clock.System{}, ClientCerts: &CertRevocation{Source: src}}
	}
	good, revoked := f.chain(t), f.chain(t)
	f.rev.revoke(revoked[0].SerialNumber, time.Now().Add(-time.Minute))

	up := service(pki.HTTPOCSP{Responder: responder.URL})
	if err := up.checkNotRevoked(ctx, good); err != nil {
		t.Fatalf("good certificate: %v", err)
	}
	if err := up.checkNotRevoked(ctx, revoked); !errs.HasCode(err, CodeCertificateRevoked) {
		t.Fatalf("revoked certificate: %v, want %s", err, CodeCertificateRevoked)
	}
	down := service(pki.HTTPOCSP{Responder: failing.URL, CRLURL: failing.URL})
	if err := down.checkNotRevoked(ctx, good); errs.KindOf(err) != errs.Unavailable || !errs.HasCode(err, CodeRevocationUnavailable) {
		t.Fatalf("responder and CRL failing: %v, want 503 %s", err, CodeRevocationUnavailable)
	}
	// The development certificates name no responder and no CRL.
	if err := service(pki.HTTPOCSP{}).checkNotRevoked(ctx, revoked); err != nil {
		t.Fatalf("a certificate naming nowhere to ask: %v, want it accepted", err)
	}
}

// BenchmarkClientCertRevocationKept is the cost an API call pays when the
// answer about its certificate is kept (docs/benchmarks.md).
func BenchmarkClientCertRevocationKept(b *testing.B) {
	f := newRevocationFixture(b)
	chain := f.chain(b)
	ctx := context.Background()
	if err := f.svc.checkNotRevoked(ctx, chain); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := f.svc.checkNotRevoked(ctx, chain); err != nil {
			b.Fatal(err)
		}
	}
}

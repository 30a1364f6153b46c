package ceremony

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pki"
)

// Asking the enterprise CA about an API client's certificate at every
// request would put its responder's latency and availability in front of
// every call; asking never lets a stolen key work until the certificate
// expires. An answer is therefore kept per certificate (by its issuer and
// serial, as OCSP's CertID names it) and asked again after
// recheckCertAfter, or at its nextUpdate when that is sooner: a
// certificate revoked at the CA is refused within that time.
const recheckCertAfter = 5 * time.Minute

// certAskTimeout bounds one question to the CA; the requests waiting for
// it are refused 503 when it passes.
const certAskTimeout = 10 * time.Second

// certAskBackoff is how long a failed question is not asked again: during
// an outage of the CA's responder the API answers 503 at once instead of
// making every call wait for the timeout. Wall-clock time: it is about
// sparing the responder, not about what the answer says.
const certAskBackoff = 2 * time.Second

// maxCertStatuses bounds the answers kept: a few per onboarded
// organisation.
const maxCertStatuses = 10000

// CertRevocation asks Source whether API clients' certificates are
// revoked and keeps the answers. Its zero value with a Source is ready; it
// is safe for concurrent use, and no lock is held while the CA is asked
// (one question per certificate at a time, which every request about that
// certificate waits for).
type CertRevocation struct {
	Source pki.RevocationSource

	mu       sync.Mutex
	verdicts map[string]certVerdict // by the leaf's DER
	asking   singleflight.Group     // by the leaf's DER
}

// A verdict is kept by the leaf's DER, which holds its issuer's name and
// its serial, and names the issuer's key it was asked with: together what
// an OCSP CertID names, never the serial alone.
type certVerdict struct {
	issuerKey string    // the issuer's SubjectPublicKeyInfo
	err       error     // the question failed, and no good answer is in force
	unchecked bool      // the certificate names nowhere to ask
	revokedAt time.Time // zero: not revoked
	recheck   time.Time // ask again from this time on (the service's clock)
	due       time.Time // a good answer's nextUpdate: kept in force until then when asking again fails
	failedAt  time.Time // the wall clock when the last question failed; zero when it did not
}

// current reports whether v is to be used at now without asking.
func (v certVerdict) current(now time.Time) bool {
	if v.err == nil && now.Before(v.recheck) {
		return true
	}
	if v.failedAt.IsZero() || time.Since(v.failedAt) >= certAskBackoff {
		return false
	}
	// Within the backoff after a failed question: the failure, a
	// revocation, or a good answer still vouched for.
	return v.err != nil || !v.revokedAt.IsZero() || now.Before(v.due)
}

// good reports whether v is a CA's answer that the certificate is not revoked.
func (v certVerdict) good() bool { return v.err == nil && !v.unchecked && v.revokedAt.IsZero() }

// checkNotRevoked refuses an API client certificate that its CA says is
// revoked, or whose issuing CA the CA above says is (403
// certificate-revoked): every certificate of the path but the trust
// anchor, as path validation asks (RFC 5280 §6.1.3 (a)(3)). chain is the
// verified chain, leaf first, each certificate's issuer after it. When a
// CA cannot be asked and no current good answer is kept, the call is
// refused 503 revocation-unavailable (fail closed); a certificate that
// names no responder and no CRL is accepted, logged once (see
// docs/operations.md).
func (s *Service) checkNotRevoked(ctx context.Context, chain []*x509.Certificate) error {
	if s.ClientCerts == nil {
		return nil // no source (unit tests)
	}
	now := s.Clock.Now()
	for i := 0; i+1 < len(chain); i++ {
		what := "the client certificate"
		if i > 0 {
			what = fmt.Sprintf("the client certificate's issuing CA %q", chain[i].Subject.CommonName)
		}
		if err := s.checkCertNotRevoked(ctx, chain[i], chain[i+1], now, what); err != nil {
			return err
		}
	}
	return nil
}

// checkCertNotRevoked is checkNotRevoked for one certificate of the path
// and its issuer; what names the certificate in the error.
func (s *Service) checkCertNotRevoked(ctx context.Context, cert, issuer *x509.Certificate, now time.Time, what string) error {
	v, ok := s.ClientCerts.kept(cert, issuer, now)
	var err error
	if !ok {
		v, err = s.ClientCerts.ask(ctx, cert, issuer, func(ctx context.Context, kept *certVerdict) certVerdict {
			return s.askRevocation(ctx, cert, issuer, now, kept)
		}, now)
	}
	switch {
	case err != nil:
		return err
	case v.err != nil:
		return errs.Wrap(v.err, errs.Unavailable, CodeRevocationUnavailable,
			"the revocation status of %s cannot be obtained from its CA; retry later", what)
	case !v.revokedAt.IsZero() && !v.revokedAt.After(now):
		return errs.E(errs.Forbidden, CodeCertificateRevoked, "%s was revoked at %s",
			what, v.revokedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// askRevocation asks s.ClientCerts.Source about leaf: OCSP first, its CRL when
// OCSP fails. Only an answer that pki.OCSPStatus or pki.CRLStatus accepts
// counts. kept is the verdict kept before, if any.
func (s *Service) askRevocation(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time, kept *certVerdict) certVerdict {
	st, ocspErr := s.ocspStatus(ctx, leaf, issuer, now)
	if ocspErr != nil {
		var crlErr error
		if st, crlErr = s.crlStatus(ctx, leaf, issuer, now); crlErr != nil {
			if errors.Is(ocspErr, pki.ErrNowhereToAsk) && errors.Is(crlErr, pki.ErrNowhereToAsk) {
				if kept == nil || !kept.unchecked {
					s.log().Warn("api client certificate names no OCSP responder and no CRL: accepted unchecked",
						"subject", leaf.Subject.String(), "serial", leaf.SerialNumber.Text(16), "issuer", issuer.Subject.String())
				}
				return certVerdict{unchecked: true, recheck: now.Add(recheckCertAfter)}
			}
			err := errors.Join(ocspErr, crlErr)
			failed := time.Now()
			if kept != nil && !kept.revokedAt.IsZero() && !kept.revokedAt.After(now) {
				v := *kept // a revocation is final
				v.failedAt = failed
				return v
			}
			if kept != nil && kept.good() && now.Before(kept.due) {
				s.log().Warn("api client certificate: revocation status unavailable; the CA's last good answer stays in force until it is due",
					"subject", leaf.Subject.String(), "serial", leaf.SerialNumber.Text(16), "due", kept.due, "err", err)
				v := *kept
				v.failedAt = failed
				return v
			}
			s.log().Warn("api client certificate: revocation status unavailable; its calls are refused",
				"subject", leaf.Subject.String(), "serial", leaf.SerialNumber.Text(16), "err", err)
			return certVerdict{err: err, failedAt: failed}
		}
	}
	v := certVerdict{revokedAt: st.RevokedAt, recheck: now.Add(recheckCertAfter), due: st.NextUpdate}
	if !st.NextUpdate.IsZero() && st.NextUpdate.Before(v.recheck) {
		v.recheck = st.NextUpdate
	}
	if !st.RevokedAt.IsZero() && st.RevokedAt.After(now) && st.RevokedAt.Before(v.recheck) {
		v.recheck = st.RevokedAt // revoked from a time still to come: decide again then
	}
	return v
}

func (s *Service) ocspStatus(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time) (pki.CertStatus, error) {
	der, err := s.ClientCerts.Source.OCSP(ctx, leaf, issuer)
	if err != nil {
		return pki.CertStatus{}, err
	}
	return pki.OCSPStatus(der, leaf, issuer, now)
}

func (s *Service) crlStatus(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time) (pki.CertStatus, error) {
	der, err := s.ClientCerts.Source.CRL(ctx, leaf, issuer)
	if err != nil {
		return pki.CertStatus{}, err
	}
	return pki.CRLStatus(der, leaf, issuer, now)
}

// kept returns the verdict about leaf to use at now, if one is kept.
func (c *CertRevocation) kept(leaf, issuer *x509.Certificate, now time.Time) (certVerdict, bool) {
	c.mu.Lock()
	v, ok := c.verdicts[string(leaf.Raw)]
	c.mu.Unlock()
	return v, ok && v.issuerKey == string(issuer.RawSubjectPublicKeyInfo) && v.current(now)
}

// ask asks about leaf, once for all callers at a time, and keeps the
// answer. The question runs in a goroutine of its own (DoChan), so that
// the request that started it may leave without stopping it for the
// others.
func (c *CertRevocation) ask(ctx context.Context, leaf, issuer *x509.Certificate, ask func(ctx context.Context, kept *certVerdict) certVerdict, now time.Time) (certVerdict, error) {
	k := string(leaf.Raw)
	issuerKey := string(issuer.RawSubjectPublicKeyInfo)
	asked := c.asking.DoChan(k, func() (any, error) {
		c.mu.Lock()
		v, ok := c.verdicts[k]
		c.mu.Unlock()
		ok = ok && v.issuerKey == issuerKey
		if ok && v.current(now) {
			return v, nil // answered since kept looked
		}
		var before *certVerdict
		if ok {
			before = &v
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), certAskTimeout)
		defer cancel()
		v = ask(ctx, before)
		v.issuerKey = issuerKey
		c.mu.Lock()
		c.keep(k, v, now)
		c.mu.Unlock()
		return v, nil
	})
	select {
	case r := <-asked:
		return r.Val.(certVerdict), nil
	case <-ctx.Done():
		return certVerdict{}, ctx.Err()
	}
}

// keep stores v under k; when the store is full it first drops the
// verdicts that are no longer current, then any. The caller holds c.mu.
func (c *CertRevocation) keep(k string, v certVerdict, now time.Time) {
	if c.verdicts == nil {
		c.verdicts = map[string]certVerdict{}
	}
	if _, ok := c.verdicts[k]; !ok && len(c.verdicts) >= maxCertStatuses {
		for old, have := range c.verdicts {
			if !have.current(now) {
				delete(c.verdicts, old)
			}
		}
		for old := range c.verdicts {
			if len(c.verdicts) < maxCertStatuses {
				break
			}
			delete(c.verdicts, old)
		}
	}
	c.verdicts[k] = v
}

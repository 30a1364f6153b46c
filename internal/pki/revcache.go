package pki

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// RevocationCache is a RevocationSource that answers a repeated question
// from what its Source answered within the same second, and asks the
// Source otherwise. Every signing act gathers the revocation data of the
// seal and the time-stamping unit (pki.Gatherer), as does every completion
// and every sealed receipt: at tens of acts a second, that is the same few
// OCSP responses and CRLs signed (or fetched) over and over.
//
// Why reuse is bounded by the second, not by the data's nextUpdate:
// long-term validation data speaks only for times before it was produced
// (EN 319 102-1 §5.6.2.1; internal/validate refuses revocation data
// produced more than a few minutes before the proof of existence of the
// signature it covers, and the ETSI-level tests want it produced no
// earlier than the signature's second). A response produced an hour ago
// is valid until its nextUpdate for a relying party asking now, but
// embedded beside a signature made now it would say nothing about that
// signature. OCSP's producedAt and thisUpdate and a CRL's thisUpdate have
// one-second precision (RFC 6960 §4.2.1, RFC 5280 §5.1.2.4), and a
// responder that signs on demand (the development one) gives the same
// times to every answer within a second; so an answer reused within the
// second it was fetched carries the same times as a fresh one would, and
// every signature and evidence stays exactly as valid as without the cache.
//
// Why it is safe against revocation: an answer is reused only within the
// second it was fetched, both by Now and by the wall clock (so a frozen
// test clock does not keep it longer), and never past its own nextUpdate;
// a certificate revoked during second S is reported from second S+1 at
// the latest (from S itself when no answer of S was kept yet), the
// precision of the responder's own times. Errors are not kept: the next call asks
// again. The cache holds at most maxRevocationEntries answers and, when
// full, drops those of earlier seconds (which it would not use again)
// first, so it cannot grow with the number of certificates seen.
//
// It is safe for concurrent use.
type RevocationCache struct {
	Source RevocationSource
	// Now is the clock whose second an answer is reused within: the one
	// the signatures are made with. Nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	entries map[revocationKey]revocationEntry
	wall    func() time.Time // the wall clock; tests replace it
}

// maxRevocationEntries bounds the cache. A second's signing acts and
// completions ask about a handful of certificates (the seal, the
// time-stamping unit, the issuing CA, signers' own certificates for
// advanced signatures); beyond the bound an answer is simply not kept.
const maxRevocationEntries = 1024

type revocationKey struct {
	crl          bool
	cert, issuer string // DER
}

type revocationEntry struct {
	der     []byte
	second  int64     // of Now when fetched
	fetched time.Time // wall clock, with its monotonic reading
	until   time.Time // the answer's nextUpdate
}

var _ RevocationSource = (*RevocationCache)(nil)

// OCSP implements OCSPSource.
func (c *RevocationCache) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	return c.get(ctx, revocationKey{cert: string(cert.Raw), issuer: string(issuer.Raw)}, func() ([]byte, time.Time, error) {
		der, err := c.Source.OCSP(ctx, cert, issuer)
		if err != nil {
			return nil, time.Time{}, err
		}
		resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("pki: ocsp response: %w", err)
		}
		return der, resp.NextUpdate, nil
	})
}

// CRL implements CRLSource.
func (c *RevocationCache) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	return c.get(ctx, revocationKey{crl: true, cert: string(cert.Raw), issuer: string(issuer.Raw)}, func() ([]byte, time.Time, error) {
		der, err := c.Source.CRL(ctx, cert, issuer)
		if err != nil {
			return nil, time.Time{}, err
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("pki: crl: %w", err)
		}
		return der, crl.NextUpdate, nil
	})
}

// get returns the answer kept for k in the current second, or fetches and
// keeps one. An answer without a nextUpdate (RFC 6960 §4.2.2.1: newer
// information is always available) is not kept.
func (c *RevocationCache) get(ctx context.Context, k revocationKey, fetch func() ([]byte, time.Time, error)) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now, wall := c.now(), c.wallNow()
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if ok && e.second == now.Unix() && wall.Sub(e.fetched) < time.Second && now.Before(e.until) {
		return e.der, nil
	}
	der, until, err := fetch()
	if err != nil {
		return nil, err
	}
	if !until.IsZero() && now.Before(until) {
		c.keep(k, revocationEntry{der: der, second: now.Unix(), fetched: wall, until: until})
	}
	return der, nil
}

// keep stores e under k, first dropping every answer of an earlier second
// when the cache is full.
func (c *RevocationCache) keep(k revocationKey, e revocationEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[revocationKey]revocationEntry{}
	}
	if _, ok := c.entries[k]; !ok && len(c.entries) >= maxRevocationEntries {
		for old, have := range c.entries {
			if have.second != e.second {
				delete(c.entries, old)
			}
		}
		if len(c.entries) >= maxRevocationEntries {
			return
		}
	}
	c.entries[k] = e
}

func (c *RevocationCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *RevocationCache) wallNow() time.Time {
	if c.wall != nil {
		return c.wall()
	}
	return time.Now()
}

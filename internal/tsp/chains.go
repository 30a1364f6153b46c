package tsp

import (
	"crypto/sha256"
	"crypto/x509"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxChains bounds the chains remembered: one per TSA certificate and
// trust store in use, so a handful; past the bound they are forgotten all
// at once and verified again.
const maxChains = 64

// knownChains remembers the TSA certificate chains Verify has verified.
//
// A TSA answers with the same certificate for months, and verifying its
// chain for every token (x509.Certificate.Verify: a signature check per
// link, 0.07 ms with P-256 CAs and 0.8 ms with P-384) was half of what
// checking a token cost, paid for each of the seven or so tokens of a
// signing ceremony.
//
// Remembering is sound because Verify's verdict on a path depends on the
// time only through its certificates' validity periods: the signatures,
// names, name constraints and key usages it checks are fixed by the
// certificates, and revocation is not part of it. So a path found valid
// at one time is valid at every time within all of its certificates'
// validity periods (window), and only there is it used again; outside, the
// chain is verified afresh. The key is the leaf and every certificate the
// token carries, by SHA-256, and the trust anchors by identity: an
// x509.CertPool can only gain certificates, and a path valid with fewer
// anchors stays valid with more (segl's pools are built with AddCert; a
// constraint added with AddCertWithConstraint that looked at the clock
// would not hold to this). Only verification without extra
// intermediates (VerifyOptions.Intermediates nil: the TSA client, the audit
// anchor) is remembered; a validator that brings its own pool per document
// verifies each time. Failures are never remembered.
var knownChains struct {
	mu sync.Mutex
	by map[chainKey]verifiedChain
}

// chainsVerified counts the chains verified with x509, for the tests.
var chainsVerified atomic.Int64

type chainKey struct {
	roots *x509.CertPool
	certs [sha256.Size]byte // SHA-256 over the leaf's and the carried certificates' SHA-256s
}

type verifiedChain struct {
	chain               []*x509.Certificate
	notBefore, notAfter time.Time // when every certificate of chain is valid
}

func newChainKey(roots *x509.CertPool, leaf *x509.Certificate, carried []*x509.Certificate) chainKey {
	h := sha256.New()
	for _, c := range append([]*x509.Certificate{leaf}, carried...) {
		sum := sha256.Sum256(c.Raw)
		h.Write(sum[:])
	}
	k := chainKey{roots: roots}
	h.Sum(k.certs[:0])
	return k
}

// rememberedChain returns a copy of the chain verified under k, if one is
// valid at at.
func rememberedChain(k chainKey, at time.Time) []*x509.Certificate {
	knownChains.mu.Lock()
	v, ok := knownChains.by[k]
	knownChains.mu.Unlock()
	if !ok || at.Before(v.notBefore) || at.After(v.notAfter) {
		return nil
	}
	return slices.Clone(v.chain)
}

// rememberChain keeps chain, verified under k.
func rememberChain(k chainKey, chain []*x509.Certificate) {
	v := verifiedChain{chain: slices.Clone(chain)}
	for i, c := range chain {
		if i == 0 || c.NotBefore.After(v.notBefore) {
			v.notBefore = c.NotBefore
		}
		if i == 0 || c.NotAfter.Before(v.notAfter) {
			v.notAfter = c.NotAfter
		}
	}
	knownChains.mu.Lock()
	defer knownChains.mu.Unlock()
	if knownChains.by == nil || len(knownChains.by) >= maxChains {
		knownChains.by = map[chainKey]verifiedChain{}
	}
	knownChains.by[k] = v
}

package health

import (
	"context"
	"sync/atomic"

	"github.com/segl/segl/internal/errs"
)

// Peer is the degrading check of a service segl calls to sign (the
// time-stamping authority, the OCSP responders and CRL distribution
// points): it fails while the last call to the service failed and passes
// again once one succeeds. Such an outage stops what needs the service
// (signing acts answer 503, completions are retried), not the pages and
// API calls that need none, and every node meets it at once; so, like
// the HSM, it degrades the node instead of taking it out of the load
// balancer. The zero value is unusable: make one with NewPeer.
type Peer struct {
	code   string
	failed atomic.Pointer[error] // the last call's error; nil after a success
}

// NewPeer is a Peer whose check fails with code (the service's outage
// code, such as tsa-unavailable).
func NewPeer(code string) *Peer { return &Peer{code: code} }

// Note records the outcome of one call made under ctx. A call whose
// caller gave up (ctx ended: a signer who left, a shutdown) says nothing
// about the service and is not counted.
func (p *Peer) Note(ctx context.Context, err error) {
	switch {
	case err == nil:
		p.failed.Store(nil)
	case ctx.Err() == nil:
		p.failed.Store(&err)
	}
}

// Check is nil unless the last counted call failed.
func (p *Peer) Check(context.Context) error {
	if err := p.failed.Load(); err != nil {
		return errs.Wrap(*err, errs.Unavailable, p.code, "health: the last call failed")
	}
	return nil
}

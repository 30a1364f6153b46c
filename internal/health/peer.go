package health

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
)

// PeerFailureLasts is how long a Peer's failed call counts when no later
// call renews or clears it. The service is called only when something is
// signed, so at night one failure would otherwise keep the check failing
// (and its alert paging) until the next signing act; a lasting outage
// renews it with each call that fails. Shorter than the documented
// alert's 5 minutes, so that one failure alone never pages.
const PeerFailureLasts = 2 * time.Minute

// Peer is the degrading check of a service segl calls to sign (the
// time-stamping authority, the OCSP responders and CRL distribution
// points): it fails while the last call to the service failed, for
// PeerFailureLasts after that call, and passes again once one succeeds.
// Such an outage stops what needs the service (signing acts answer 503,
// completions are retried), not the pages and API calls that need none,
// and every node meets it at once; so, like the HSM, it degrades the node
// instead of taking it out of the load balancer. The zero value is
// unusable: make one with NewPeer.
type Peer struct {
	code   string
	clock  clock.Clock
	failed atomic.Pointer[peerFailure] // the last call's; nil after a success
}

type peerFailure struct {
	err error
	at  time.Time
}

// NewPeer is a Peer whose check fails with code (the service's outage
// code, such as tsa-unavailable), telling time by c (nil: the system
// clock).
func NewPeer(code string, c clock.Clock) *Peer {
	if c == nil {
		c = clock.System{}
	}
	return &Peer{code: code, clock: c}
}

// Note records the outcome of one call made under ctx. A call whose
// caller gave up (ctx ended: a signer who left, a shutdown) says nothing
// about the service and is not counted.
func (p *Peer) Note(ctx context.Context, err error) {
	switch {
	case err == nil:
		p.failed.Store(nil)
	case ctx.Err() == nil:
		p.failed.Store(&peerFailure{err, p.clock.Now()})
	}
}

// Check is nil unless the last counted call failed less than
// PeerFailureLasts ago.
func (p *Peer) Check(context.Context) error {
	if f := p.failed.Load(); f != nil && p.clock.Now().Sub(f.at) < PeerFailureLasts {
		return errs.Wrap(f.err, errs.Unavailable, p.code, "health: the last call failed")
	}
	return nil
}

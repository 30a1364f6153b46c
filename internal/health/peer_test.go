package health_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/health"
)

// TestPeer: a service's check fails while its last call failed and passes
// once one succeeds; a call its caller gave up on changes nothing, and
// the node stays ready (degraded) throughout.
func TestPeer(t *testing.T) {
	t.Parallel()
	p := health.NewPeer("tsa-unavailable", nil)
	var r health.Readiness
	r.AddDegrading("tsa", p.Check)
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
		err  error
		want string
	}{
		{"ok/no-call-yet", nil, nil, health.StatusReady},
		{"degraded/call-failed", ctx, errors.New("connection refused"), health.StatusDegraded},
		{"degraded/caller-gave-up-after-failure", gone, context.Canceled, health.StatusDegraded},
		{"ok/call-succeeded", ctx, nil, health.StatusReady},
		{"ok/caller-gave-up", gone, context.Canceled, health.StatusReady},
		{"degraded/failed-again", ctx, errors.New("503"), health.StatusDegraded},
	} {
		if c.ctx != nil {
			p.Note(c.ctx, c.err)
		}
		rep := r.Run(ctx)
		if rep.Status != c.want || rep.Failed != nil {
			t.Fatalf("%s: %+v, want %s", c.name, rep, c.want)
		}
		if c.want == health.StatusDegraded && rep.Degraded["tsa"] != "tsa-unavailable" {
			t.Fatalf("%s: %+v, want tsa: tsa-unavailable", c.name, rep)
		}
	}
}

// TestPeerFailureExpires: a failure nothing renews stops counting after
// PeerFailureLasts (one failed call at night must not keep the node
// degraded, and its alert paging, until the next signing act); another
// failure counts from its own time; a success clears it at once.
func TestPeerFailureExpires(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC))
	p := health.NewPeer("revocation-unavailable", clk)
	ctx := context.Background()
	check := func(name string, want bool) {
		t.Helper()
		if err := p.Check(ctx); (err != nil) != want {
			t.Fatalf("%s: check %v, want failing %v", name, err, want)
		}
	}
	p.Note(ctx, errors.New("connection refused"))
	check("just failed", true)
	clk.Advance(health.PeerFailureLasts - time.Second)
	check("within PeerFailureLasts", true)
	p.Note(ctx, errors.New("503")) // renewed
	clk.Advance(health.PeerFailureLasts - time.Second)
	check("within PeerFailureLasts of the renewal", true)
	clk.Advance(time.Second)
	check("PeerFailureLasts after the last failure", false)
	clk.Advance(time.Hour)
	check("an hour later, no call", false)
	p.Note(ctx, errors.New("503"))
	check("failed again", true)
	p.Note(ctx, nil)
	check("succeeded", false)
}

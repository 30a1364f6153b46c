package health_test

import (
	"context"
	"errors"
	"testing"

	"github.com/segl/segl/internal/health"
)

// TestPeer: a service's check fails while its last call failed and passes
// once one succeeds; a call its caller gave up on changes nothing, and
// the node stays ready (degraded) throughout.
func TestPeer(t *testing.T) {
	t.Parallel()
	p := health.NewPeer("tsa-unavailable")
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

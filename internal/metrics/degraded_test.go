package metrics

import (
	"context"
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/health"
)

// TestDegraded: segl_degraded follows the degrading checks at each scrape
// (readiness checks are not in it).
func TestDegraded(t *testing.T) {
	var down error
	var r health.Readiness
	r.Add("database", func(context.Context) error { return nil })
	r.AddDegrading("hsm", func(context.Context) error { return down })
	m := New()
	if err := m.Degraded(&r); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		down error
		want string
	}{
		{nil, `segl_degraded{check="hsm"} 0`},
		{errs.E(errs.Unavailable, "hsm-unavailable", "gone"), `segl_degraded{check="hsm"} 1`},
		{nil, `segl_degraded{check="hsm"} 0`},
	} {
		down = c.down
		out := exposition(t, m)
		if !strings.Contains(out, c.want) || strings.Contains(out, `check="database"`) {
			t.Fatalf("want %s in\n%s", c.want, out)
		}
	}
	var nothing *Metrics
	if err := nothing.Degraded(&r); err != nil {
		t.Fatal(err)
	}
}

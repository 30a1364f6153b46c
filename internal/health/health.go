// Package health says whether this node should get traffic. Liveness
// (/healthz) only says that the process answers; readiness (/readyz) runs
// named checks, each a question a load balancer should not send requests
// to a node that fails (is storage full? can the database be reached?).
// Checks are added at start-up by whatever owns the resource, so the list
// grows without this package knowing them. A degrading check (AddDegrading)
// names a part whose failure some requests feel but every node shares (the
// HSM): /readyz still answers 200 and says "degraded", because taking the
// node out of the load balancer would take them all out, and with them the
// pages and API calls that need no such part.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/segl/segl/internal/errs"
)

// Check answers nil when its resource can serve, else an error whose
// errs code (for example errs.CodeStorageFull) names what is wrong.
type Check func(ctx context.Context) error

// Readiness is the set of checks behind /readyz. The zero value has no
// checks and is ready.
type Readiness struct {
	mu     sync.Mutex
	checks []named
}

type named struct {
	name      string
	check     Check
	degrading bool
}

// Add registers a check under a short name ("storage", "database").
func (r *Readiness) Add(name string, check Check) { r.add(named{name: name, check: check}) }

// AddDegrading registers a check whose failure leaves the node ready but
// degraded ("hsm").
func (r *Readiness) AddDegrading(name string, check Check) {
	r.add(named{name: name, check: check, degrading: true})
}

func (r *Readiness) add(c named) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, c)
}

// CheckTimeout bounds one readiness request, so that a check stuck on a
// resource answers "not ready" instead of holding the prober.
const CheckTimeout = 5 * time.Second

// The values of Report.Status.
const (
	StatusReady    = "ready"
	StatusDegraded = "degraded"  // every readiness check passes, a degrading one fails
	StatusNotReady = "not-ready" // a readiness check fails
)

// Report is the body of /readyz: its Status, and the code of every failing
// check by its name, the readiness checks under Failed and the degrading
// ones under Degraded. It says nothing more, because /readyz needs no
// authentication.
type Report struct {
	Status   string            `json:"status"`
	Failed   map[string]string `json:"failed,omitempty"`
	Degraded map[string]string `json:"degraded,omitempty"`
}

// Run runs every check and reports the failures.
func (r *Readiness) Run(ctx context.Context) Report {
	rep := Report{Status: StatusReady}
	for _, c := range r.snapshot() {
		code := failure(c.check(ctx))
		switch {
		case code == "":
		case c.degrading:
			if rep.Degraded == nil {
				rep.Degraded = map[string]string{}
			}
			rep.Degraded[c.name] = code
		default:
			if rep.Failed == nil {
				rep.Failed = map[string]string{}
			}
			rep.Failed[c.name] = code
		}
	}
	switch {
	case rep.Failed != nil:
		rep.Status = StatusNotReady
	case rep.Degraded != nil:
		rep.Status = StatusDegraded
	}
	return rep
}

// Degrading runs the degrading checks only and returns, by name, each
// one's code, "" where it passes.
func (r *Readiness) Degrading(ctx context.Context) map[string]string {
	codes := map[string]string{}
	for _, c := range r.snapshot() {
		if c.degrading {
			codes[c.name] = failure(c.check(ctx))
		}
	}
	return codes
}

func (r *Readiness) snapshot() []named {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]named(nil), r.checks...)
}

// failure is a check's outcome as a wire code: "" for nil, the error's
// own code, or codeFailed for an error without one.
func failure(err error) string {
	if err == nil {
		return ""
	}
	if e := errs.From(err); e != nil && e.Code != "" {
		return e.Code
	}
	return codeFailed
}

// ServeHTTP answers 503 when a readiness check fails and 200 otherwise
// (also when degraded), with the Report as JSON, never cached.
func (r *Readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ctx, cancel := context.WithTimeout(req.Context(), CheckTimeout)
	defer cancel()
	rep := r.Run(ctx)
	status := http.StatusOK
	if rep.Status == StatusNotReady {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(rep)
}

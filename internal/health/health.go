// Package health says whether this node should get traffic. Liveness
// (/healthz) only says that the process answers; readiness (/readyz) runs
// named checks, each a question a load balancer should not send requests
// to a node that fails (is storage full? can the database be reached?).
// Checks are added at start-up by whatever owns the resource, so the list
// grows without this package knowing them.
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
	name  string
	check Check
}

// Add registers a check under a short name ("storage", "database").
func (r *Readiness) Add(name string, check Check) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, named{name, check})
}

// CheckTimeout bounds one readiness request, so that a check stuck on a
// resource answers "not ready" instead of holding the prober.
const CheckTimeout = 5 * time.Second

// Report is the body of /readyz: "ready" or "not-ready", and the code of
// every failing check by its name. It says nothing more, because /readyz
// needs no authentication.
type Report struct {
	Status string            `json:"status"`
	Failed map[string]string `json:"failed,omitempty"`
}

// Run runs every check and reports the failures.
func (r *Readiness) Run(ctx context.Context) Report {
	r.mu.Lock()
	checks := append([]named(nil), r.checks...)
	r.mu.Unlock()
	rep := Report{Status: "ready"}
	for _, c := range checks {
		err := c.check(ctx)
		if err == nil {
			continue
		}
		if rep.Failed == nil {
			rep.Failed = map[string]string{}
		}
		code := codeFailed
		if e := errs.From(err); e != nil {
			code = e.Code
		}
		rep.Status, rep.Failed[c.name] = "not-ready", code
	}
	return rep
}

// ServeHTTP answers 200 when every check passes and 503 otherwise, with
// the Report as JSON, never cached.
func (r *Readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ctx, cancel := context.WithTimeout(req.Context(), CheckTimeout)
	defer cancel()
	rep := r.Run(ctx)
	status := http.StatusOK
	if rep.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(rep)
}

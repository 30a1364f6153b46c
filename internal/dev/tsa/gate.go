// Package tsa puts a gate in front of the development time-stamping
// authority, so that a test can hold a `segl serve --dev` process in the
// middle of completing a job (the document time-stamp is the first thing
// a completion asks for) and kill it there, as a crash would: see
// internal/server's TestCompletionSurvivesSIGKILL, or put the TSA out
// altogether, as an outage would (TestDirectSignerDuringPartnerOutage). The
// gate is open unless a caller closes it through its HTTP handler, mounted
// at /dev/tsa/hold.
package tsa

import (
	"cmp"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/signing"
)

// Gate passes time-stamp requests to TSA while it is open; while it is
// held, each request waits until the gate opens or the request's context
// ends, and is counted as waiting meanwhile.
type Gate struct {
	TSA cms.Stamper

	mu      sync.Mutex
	open    chan struct{} // closed when the gate opens; nil while it is open
	pass    int           // requests still let through while held
	passed  int           // requests let through since the start
	waiting int
	out     bool // every request fails at once, as from a TSA that is down
}

// errOut is what a request gets while the TSA is out: the signing engine
// takes it, like any failure of its TSA, for an outage.
var errOut = errors.New("dev tsa: out of service (/dev/tsa/hold?out=1)")

var _ signing.CertifiedStamper = (*Gate)(nil)

// Stamp time-stamps digest once the gate is open.
func (g *Gate) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	g.mu.Lock()
	if g.out {
		g.mu.Unlock()
		return nil, errOut
	}
	open := g.open
	if open != nil && g.pass > 0 {
		g.pass--
		open = nil
	}
	if open != nil {
		g.waiting++
	}
	g.mu.Unlock()
	if open != nil {
		defer func() {
			g.mu.Lock()
			g.waiting--
			g.mu.Unlock()
		}()
		select {
		case <-open:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	g.mu.Lock()
	g.passed++
	g.mu.Unlock()
	return g.TSA.Stamp(ctx, h, digest)
}

// Certificates passes on the TSA's certificates when it has them
// (signing.CertifiedStamper), so the signing engine sees through the gate.
func (g *Gate) Certificates() []*x509.Certificate {
	if c, ok := g.TSA.(signing.CertifiedStamper); ok {
		return c.Certificates()
	}
	return nil
}

// Hold closes the gate once after more requests have passed: a test that
// knows how many time-stamps a signing act asks for lets the act through
// and stops what follows it, the completion.
func (g *Gate) Hold(after int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open == nil {
		g.open = make(chan struct{})
	}
	g.pass = after
}

// Out makes every request fail at once until Release.
func (g *Gate) Out() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.out = true
}

// Release opens the gate, lets every waiting request through and brings
// the TSA back.
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open != nil {
		close(g.open)
		g.open = nil
	}
	g.pass, g.out = 0, false
}

// State is what /dev/tsa/hold answers.
type State struct {
	Held    bool `json:"held"`
	Out     bool `json:"out"`     // every request fails
	Passed  int  `json:"passed"`  // time-stamp requests let through since the start
	Waiting int  `json:"waiting"` // time-stamp requests waiting at the gate
}

// ServeHTTP holds the gate on POST (after the number of requests in the
// query's "after", default none), or with "out=1" puts the TSA out,
// releases it on DELETE, and answers every method with the gate's State as
// JSON.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		if r.URL.Query().Get("out") == "1" {
			g.Out()
			break
		}
		after, err := strconv.Atoi(cmp.Or(r.URL.Query().Get("after"), "0"))
		if err != nil || after < 0 {
			http.Error(w, "after: want a count", http.StatusBadRequest)
			return
		}
		g.Hold(after)
	case http.MethodDelete:
		g.Release()
	case http.MethodGet:
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	g.mu.Lock()
	st := State{Held: g.open != nil, Out: g.out, Passed: g.passed, Waiting: g.waiting}
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

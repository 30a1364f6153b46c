package health

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/segl/segl/internal/errs"
)

// TestDegrading: a failing degrading check leaves /readyz at 200 with
// status "degraded" and its code under "degraded"; a failing readiness
// check still makes it 503 "not-ready", with the degraded one still named;
// an error without a code is reported as "failed", nothing more.
func TestDegrading(t *testing.T) {
	var hsmDown, dbDown error
	var r Readiness
	r.Add("database", func(context.Context) error { return dbDown })
	r.AddDegrading("hsm", func(context.Context) error { return hsmDown })
	r.AddDegrading("tsa", func(context.Context) error { return nil })

	if code, rep := readyz(t, &r); code != http.StatusOK || rep.Status != StatusReady || rep.Failed != nil || rep.Degraded != nil {
		t.Fatalf("all well: %d %+v", code, rep)
	}
	hsmDown = errs.E(errs.Unavailable, "hsm-unavailable", "hsm: key %q is no longer in token %q", "seal", "segl")
	code, rep := readyz(t, &r)
	if code != http.StatusOK || rep.Status != StatusDegraded || rep.Failed != nil ||
		!reflect.DeepEqual(rep.Degraded, map[string]string{"hsm": "hsm-unavailable"}) {
		t.Fatalf("HSM down: %d %+v", code, rep)
	}
	dbDown = errors.New("connection refused") // no code of its own
	code, rep = readyz(t, &r)
	if code != http.StatusServiceUnavailable || rep.Status != StatusNotReady ||
		!reflect.DeepEqual(rep.Failed, map[string]string{"database": codeFailed}) ||
		!reflect.DeepEqual(rep.Degraded, map[string]string{"hsm": "hsm-unavailable"}) {
		t.Fatalf("database and HSM down: %d %+v", code, rep)
	}
	if got := r.Degrading(context.Background()); !reflect.DeepEqual(got, map[string]string{"hsm": "hsm-unavailable", "tsa": ""}) {
		t.Fatalf("Degrading: %v", got)
	}
	dbDown, hsmDown = nil, nil
	if code, rep := readyz(t, &r); code != http.StatusOK || rep.Status != StatusReady || rep.Degraded != nil {
		t.Fatalf("recovered: %d %+v", code, rep)
	}
}

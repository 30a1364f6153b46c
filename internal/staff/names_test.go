package staff_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/staff"
)

// TestOnboardRefusesNamesThatAreNotText: an organisation's or its first
// administrator's name with bytes that are not UTF-8, NUL, a terminal
// escape or a bidirectional override is invalid, and nothing is stored;
// names in any script are names.
func TestOnboardRefusesNamesThatAreNotText(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, name := range []string{"Evil\xff AS", "Evil\x00 AS", "Evil\x1b[31m AS", "Evil \u202eSA"} {
		o, first := onboarding()
		o.Name, first.Name = name, name
		_, err := e.svc.Onboard(ctx, e.admin, o, first)
		var got [][2]string
		if e, ok := errors.AsType[*errs.Error](err); ok && e.Kind == errs.Invalid {
			for _, d := range e.Details {
				got = append(got, [2]string{d.Field, d.Code})
			}
		}
		if want := [][2]string{{"name", staff.CodeInvalid}, {"first_admin.name", staff.CodeInvalid}}; !slices.Equal(got, want) {
			t.Fatalf("%q: errors %v (%v), want %v", name, got, err, want)
		}
		if _, err := e.db.Org(ctx, newOrg); !errs.Is(err, errs.NotFound) {
			t.Fatalf("%q: a refused onboarding stored the organisation: %v", name, err)
		}
	}
	o, first := onboarding()
	o.Name, first.Name = "Sámediggi – Sametinget", "Ánde Ántte"
	if _, err := e.svc.Onboard(ctx, e.admin, o, first); err != nil {
		t.Fatal(err)
	}
}

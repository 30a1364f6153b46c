package devidp

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkLoginForm renders the login form, as every login of a
// ceremony's signers shows it once.
func BenchmarkLoginForm(b *testing.B) {
	f := newFixture(&testing.T{})
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		f.p.renderForm(w, http.StatusOK, form{Req: "r1", Lang: "nb"})
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// The login form lists the same test persons on every login: that list is
// rendered once, when the provider is made, not per form. Bounded by
// allocations, which count the template's work without a clock: 902 per
// form with the list rendered each time, 304 without.
func TestLoginFormListsPeopleRenderedOnce(t *testing.T) {
	f := newFixture(t)
	allocs := testing.AllocsPerRun(20, func() {
		w := httptest.NewRecorder()
		f.p.renderForm(w, http.StatusOK, form{Req: "r1", Lang: "nb"})
	})
	if allocs > 400 {
		t.Errorf("rendering the login form allocates %.0f times, want at most 400", allocs)
	}
}

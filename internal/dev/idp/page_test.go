package devidp

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/segl/segl/internal/eid"
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

// TestFirstFormsAreTheTemplates compares the first forms rendered ahead
// with the template's page for the same form, byte for byte, in every
// language and level; an id the template would escape, and a form shown
// again after an error, take the template.
func TestFirstFormsAreTheTemplates(t *testing.T) {
	f := newFixture(t)
	if len(f.p.firstForms) != 2*len(lang) {
		t.Fatalf("%d first forms; want one per language and level", len(f.p.firstForms))
	}
	for l := range lang {
		for _, want := range []eid.Assurance{eid.Substantial, eid.High} {
			for _, fm := range []form{
				{Req: random(), Want: want, Lang: l},
				{Req: `a"b&c<d e`, Want: want, Lang: l},
				{Req: random(), Want: want, Lang: l, PID: "01010199999", Error: msgUnknownPID},
				{Req: random(), Want: want, Lang: l, EID: eid.MinID},
			} {
				got := httptest.NewRecorder()
				f.p.renderForm(got, http.StatusOK, fm)
				templ := httptest.NewRecorder()
				render(templ, http.StatusOK, f.p.formData(fm))
				if got.Code != templ.Code || !maps.EqualFunc(got.Header(), templ.Header(), slices.Equal) || got.Body.String() != templ.Body.String() {
					t.Errorf("%s, %s, %+v: the form differs from the template's:\n%s\nwant\n%s", l, want, fm, got.Body, templ.Body)
				}
			}
		}
	}
}

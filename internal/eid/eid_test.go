package eid

import (
	"errors"
	"fmt"
	"testing"

	"github.com/segl/segl/internal/errs"
)

func TestAssurance(t *testing.T) {
	for _, tc := range []struct {
		got, want Assurance
		ok        bool
	}{
		{High, High, true}, {High, Substantial, true}, {Substantial, Substantial, true},
		{Substantial, High, false}, {"low", Substantial, false}, {"", Substantial, false},
		{High, "", false}, {High, "low", false},
	} {
		if tc.got.AtLeast(tc.want) != tc.ok {
			t.Errorf("%q.AtLeast(%q) != %v", tc.got, tc.want, tc.ok)
		}
	}
	for _, a := range []Assurance{Substantial, High} {
		if back, ok := ParseACR(a.ACR()); !ok || back != a {
			t.Errorf("%s does not round-trip through %q", a, a.ACR())
		}
	}
	for _, acr := range []string{"idporten-loa-low", "Level4", "Level3", "", "IDPORTEN-LOA-HIGH", "idporten-loa-high "} {
		if _, ok := ParseACR(acr); ok {
			t.Errorf("ParseACR(%q) accepted", acr)
		}
	}
}

func TestMethodFromAMR(t *testing.T) {
	for amr, want := range map[string]string{
		"BankID": BankID, "BankID Mobil": BankID, "Minid-OTC": MinID, "Minid-PIN": MinID, "Minid-APP": MinID,
		"Buypass": Buypass, "Commfides": Commfides, "TestID": TestID, "eIDAS": EIDAS, "Something": "something",
	} {
		if got := MethodFromAMR([]string{amr}); got != want {
			t.Errorf("%q → %q, want %q", amr, got, want)
		}
	}
	if MethodFromAMR(nil) != "" || MethodFromAMR([]string{"", "BankID"}) != BankID {
		t.Error("empty amr values are skipped")
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{ErrStateMismatch, ErrNonceMismatch, ErrAssuranceTooLow, ErrDenied, ErrExpired, ErrInvalidToken}
	for i, a := range all {
		wrapped := fmt.Errorf("%w: detail", a)
		for j, b := range all {
			if errors.Is(wrapped, b) != (i == j) {
				t.Errorf("errors.Is(%v, %v) = %v", wrapped, b, i != j)
			}
		}
		if errs.KindOf(wrapped) == errs.Internal {
			t.Errorf("%v has no kind", a)
		}
	}
	if errs.KindOf(fmt.Errorf("%w", ErrAssuranceTooLow)) != errs.Forbidden {
		t.Error("too low an assurance is forbidden, not unauthenticated")
	}
}

// The pid claim's form: eleven digits, whatever the check digits.
func TestPIDClaim(t *testing.T) {
	for s, want := range map[string]bool{"21909825250": true, "12345678901": true, "2190982525": false,
		"219098252500": false, "2190982525x": false, "": false, "２１９０９８２５２５０": false} {
		if got := PIDClaim(s); got != want {
			t.Errorf("PIDClaim(%q) = %v, want %v", s, got, want)
		}
	}
}

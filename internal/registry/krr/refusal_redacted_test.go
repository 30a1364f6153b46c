package krr_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/registry/krr"
)

// TestRefusalNamesNobody: a refusal of the register that quotes the
// identity numbers asked about (a 400 naming the bad entry) keeps them out
// of the error, whose text reaches the log and a failed task's record; the
// kind stays, so the task still fails as it did.
func TestRefusalNamesNobody(t *testing.T) {
	const pid, other = "21909825250", "03896127682"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"invalid_request","error_description":"personidentifikator `+pid+` og `+other+` er ugyldig"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	c := &krr.Client{BaseURL: srv.URL, HTTP: srv.Client(),
		Token: func(context.Context) (string, error) { return "token", nil }}
	_, err := c.Lookup(t.Context(), []string{pid, other})
	if err == nil {
		t.Fatal("a 400 was taken for an answer")
	}
	if msg := err.Error(); strings.Contains(msg, pid) || strings.Contains(msg, other) {
		t.Fatalf("the error names an identity number: %s", msg)
	}
	if !strings.Contains(err.Error(), "http 400") || !errs.Is(err, errs.Internal) || !errs.HasCode(err, "krr-refused") {
		t.Fatalf("err = %v (kind %v), want the refusal kept apart from the numbers", err, errs.KindOf(err))
	}
}

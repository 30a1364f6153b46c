package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
)

// TestOutageLogNamesNobody: a signing act that waits for an outside
// service logs the problem code, not the error's text, which may quote
// the signer's certificate (an advanced signature's subject is the
// person's name).
func TestOutageLogNamesNobody(t *testing.T) {
	e := newEnv(t, Options{})
	outage := errs.Wrap(fmt.Errorf(`pki: revocation data for "Marte Larsen": timeout`), errs.Unavailable, "ocsp-unavailable", "the OCSP responder cannot be reached")
	r := httptest.NewRequest("POST", "https://segl.test/sign/s1/act", nil)
	err := e.web.actFailed(httptest.NewRecorder(), r, Session{}, &job.Job{ID: "j1"}, &job.Signer{ID: "s1"}, outage)
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("actFailed = %v, want the outage answered as one", err)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "waits for a service") || !strings.Contains(logs, "ocsp-unavailable") {
		t.Fatalf("no outage with its code in the log:\n%s", logs)
	}
	if strings.Contains(logs, "Marte Larsen") {
		t.Fatalf("the log names the signer:\n%s", logs)
	}
}

package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSignerBeforeTheJobOpens: a signer who opens the link of a job that
// opens for signing later (activates_at) reads the documents and is told
// when it opens, not only that it is closed, and has nothing to press.
func TestSignerBeforeTheJobOpens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(orgA)
	opens := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	req := directRequest()
	req.ActivatesAt = &opens
	j := e.mustCreate(c, req)

	view := e.browser(t).login(j.Signers[0].SigningURL, olaPID, "bankid")
	view.want(t, http.StatusOK, "Arbeidsavtale")
	if !strings.Contains(view.body, "Oppdraget åpner for signering ") || !strings.Contains(view.body, opens.Format("2006")) {
		t.Errorf("the job page does not say when the job opens:\n%s", view.body)
	}
	if strings.Contains(view.body, `action="/sign/`+j.Signers[0].ID+`/sign"`) {
		t.Errorf("a sign form on a job not yet open:\n%s", view.body)
	}
}

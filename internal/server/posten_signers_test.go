package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/job"
)

// postenJob is the job the sender's last Posten request created, as
// /api/v1 shows it.
func (e *env) lastJob(t *testing.T, org string) client.Job {
	t.Helper()
	list, err := e.client(org).ListJobs(t.Context(), client.ListOptions{})
	if err != nil || len(list.Jobs) == 0 {
		t.Fatalf("jobs of %s: %+v, %v", org, list, err)
	}
	j, err := e.client(org).Job(t.Context(), list.Jobs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return *j
}

// Signature types as Posten decides them: per signer in the schema, per
// job in segl. The specification's own example mixes an advanced signer
// with authenticated ones, which makes an advanced job (no signer gives
// less than asked); a job whose signers state none is authenticated for an
// organisation that may use that (Posten's public senders), advanced for
// one onboarded for advanced signatures only (Posten's private senders,
// whose clients never state it).
func TestPostenSignatureTypes(t *testing.T) {
	e := newEnv(t)
	p := e.posten(t, orgA, dotnetStyle)
	mixed := strings.Replace(portalManifestXML(orgA, "Blandet"),
		"<notifications><email address=\"ola@example.test\"/>",
		"<signature-type>ADVANCED_ELECTRONIC_SIGNATURE</signature-type><notifications><email address=\"ola@example.test\"/>", 1)
	mixed = strings.Replace(mixed, "<notifications><email address=\"kari@example.test\"/>",
		"<signature-type>AUTHENTICATED_ELECTRONIC_SIGNATURE</signature-type><notifications><email address=\"kari@example.test\"/>", 1)
	p.create("portal", portalJobXML(""), p.bundle(mixed, postenDocs())).want(t, http.StatusOK)
	if j := e.lastJob(t, orgA); j.SignatureType != string(job.Advanced) {
		t.Fatalf("a job with an advanced signer is %q", j.SignatureType)
	}

	p.create("portal", portalJobXML(""), p.bundle(portalManifestXML(orgA, "Offentlig"), postenDocs())).want(t, http.StatusOK)
	if j := e.lastJob(t, orgA); j.SignatureType != string(job.Authenticated) {
		t.Fatalf("an unstated type for an organisation allowed both is %q", j.SignatureType)
	}

	o, err := e.srv.Store.Org(t.Context(), orgA)
	if err != nil {
		t.Fatal(err)
	}
	o.SignatureTypes = []job.SignatureType{job.Advanced}
	if err := e.srv.Store.PutOrg(t.Context(), testBy, o); err != nil {
		t.Fatal(err)
	}
	p.create("portal", portalJobXML(""), p.bundle(portalManifestXML(orgA, "Privat"), postenDocs())).want(t, http.StatusOK)
	if j := e.lastJob(t, orgA); j.SignatureType != string(job.Advanced) || j.Title != "Privat" {
		t.Fatalf("an unstated type for an organisation allowed advanced only: %q %q", j.Title, j.SignatureType)
	}
}

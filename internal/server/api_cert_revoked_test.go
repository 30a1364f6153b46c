package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/store"
)

// TestAPICertificateRevoked: an organisation's enterprise certificate
// that its CA (here the development PKI's OCSP responder, reading the
// revocation list `segl keys revoke` writes) says is revoked is refused
// on both APIs, and as the signer of a broker's document bundle; the
// organisation's good certificate still passes.
func TestAPICertificateRevoked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	org, err := e.srv.Store.Org(ctx, orgA)
	if err != nil {
		t.Fatal(err)
	}
	org.Brokers = []string{orgB}
	if err := e.srv.Store.PutOrg(ctx, store.By{Actor: "test", At: time.Now()}, org); err != nil {
		t.Fatal(err)
	}
	// orgA's first certificate stays good; a second one, issued now, is
	// revoked before its first call.
	goodPosten := e.posten(t, orgA, javaStyle)
	certPEM, keyPEM := e.srv.Dev.ClientCertPaths(orgA)
	dir := t.TempDir()
	for _, f := range []string{certPEM, keyPEM} { // the client rereads its files
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	goodJSON, err := client.New(e.srv.URL, filepath.Join(dir, filepath.Base(certPEM)), filepath.Join(dir, filepath.Base(keyPEM)),
		filepath.Join(e.data, "pki", "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	stolen, err := e.srv.Dev.IssueClient(pki.Org{Number: orgA, Name: e.orgName(orgA)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	revocations, err := pki.OpenRevocations(e.srv.Dev.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := revocations.Revoke(stolen.Cert.SerialNumber, 1, time.Now().Add(-time.Minute)); err != nil { // keyCompromise
		t.Fatal(err)
	}
	revokedJSON, revokedPosten := e.client(orgA), e.posten(t, orgA, javaStyle)

	_, err = revokedJSON.ListJobs(ctx, client.ListOptions{})
	problemOf(t, err, http.StatusForbidden, "certificate-revoked")
	_, err = revokedJSON.CreateJob(ctx, directRequest(), []client.Upload{pdfUpload("doc1")})
	problemOf(t, err, http.StatusForbidden, "certificate-revoked")
	r := revokedPosten.do("GET", "/"+orgA, "", nil)
	r.wantError(t, http.StatusForbidden, "NOT_AUTHORIZED")
	if !strings.Contains(string(r.body), "revoked") {
		t.Fatalf("Posten API refusal does not say why: %s", r.body)
	}
	revokedPosten.create("portal", portalJobXML("stjålet"), revokedPosten.bundle(portalManifestXML(orgA, "Stjålet"), postenDocs())).
		wantError(t, http.StatusForbidden, "NOT_AUTHORIZED")

	// A broker's bundle signed with the sender's revoked certificate.
	broker := e.posten(t, orgB, javaStyle)
	broker.org = orgA
	create := func(signer *postenClient) postenResponse {
		return broker.create("portal", portalJobXML("megler"), signer.bundle(portalManifestXML(orgA, "Meglet avtale"), postenDocs()))
	}
	create(revokedPosten).wantError(t, http.StatusBadRequest, "INVALID_DOCUMENT_BUNDLE_SIGNATURE")
	create(goodPosten).want(t, http.StatusOK)
	create(broker).want(t, http.StatusOK)

	goodPosten.do("GET", "/"+orgA, "", nil).want(t, http.StatusOK)
	list, err := goodJSON.ListJobs(ctx, client.ListOptions{})
	if err != nil || len(list.Jobs) != 2 {
		t.Fatalf("orgA's good certificate lists %+v, %v; want the broker's 2 jobs", list, err)
	}
}

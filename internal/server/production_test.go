package server_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// TestProductionSeal starts segl without --dev, configured as an operator
// would: TLS and client trust from files, the seal key and chain from files,
// a remote TSA and OCSP responder (a development segl's /dev/tsa and
// /dev/ocsp here). A job signed there validates.
func TestProductionSeal(t *testing.T) {
	t.Parallel()
	dev := newEnv(t)
	pki := filepath.Join(dev.data, "pki")
	prod := newEnvB(t, asProduction(dev))
	ctx := context.Background()
	c := prod.onboardedClient(t, pki)
	// Outside --dev a callback URL that is certain to reach no public
	// address is refused when the job is created, not when it is called.
	for _, cb := range []string{"http://localhost:8080/cb", "http://127.0.0.1/cb", "https://[::1]/cb",
		"https://api.localhost/cb", "https://100.100.100.200/latest/meta-data", "https://[64:ff9b::7f00:1]/cb"} {
		req := directRequest()
		req.CallbackURL = cb
		_, err := c.CreateJob(ctx, req, []client.Upload{pdfUpload("doc1")})
		problemOf(t, err, 400, "callback-not-public")
	}
	req := directRequest()
	req.Signers = req.Signers[:1]
	req.CallbackURL = "https://callback.example.test/segl" // a name: checked when dialled
	j, err := c.CreateJob(ctx, req, []client.Upload{pdfUpload("doc1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prod.srv.Svc.Sign(ctx, j.Signers[0].ID, ola); err != nil {
		t.Fatal(err)
	}
	prod.completed(c, j.ID)
	signedPasses(t, c, j.ID, j.Documents[0].ID, dev.srv.Dev.Roots(), 0)
}

// asProduction configures a server as an operator would outside --dev,
// with the files of dev's PKI and dev's TSA, OCSP responder and root CRL
// as the remote services.
// onboardedClient onboards orgA for authenticated signatures on e (the
// administrator's job outside --dev) and returns its API client, with the
// certificate and trust anchor of the development PKI in pkiDir.
func (e *env) onboardedClient(t *testing.T, pkiDir string) *client.Client {
	t.Helper()
	if err := e.srv.Store.PutOrg(context.Background(), testBy, store.Org{Number: orgA, Name: "Lånekassen test", Active: true,
		SignatureTypes: []job.SignatureType{job.Authenticated}}); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(e.srv.URL, filepath.Join(pkiDir, "clients", orgA+".pem"), filepath.Join(pkiDir, "clients", orgA+".key"),
		filepath.Join(pkiDir, "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func asProduction(dev *env) func(*config.Config) {
	pki := filepath.Join(dev.data, "pki")
	return func(c *config.Config) {
		c.Dev = false
		c.TLSCert, c.TLSKey, c.ClientCAs = filepath.Join(pki, "server.pem"), filepath.Join(pki, "server.key"), filepath.Join(pki, "root-ca.pem")
		c.SealKey, c.SealCert = filepath.Join(pki, "seal.key"), filepath.Join(pki, "seal.pem")
		c.TSAURL, c.OCSPURL, c.PKITrust = dev.srv.URL+"/dev/tsa", dev.srv.URL+"/dev/ocsp", filepath.Join(pki, "root-ca.pem")
		c.CRLURL = dev.srv.URL + "/dev/root-crl"
	}
}

package csc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/blob/fs"
	devcsc "github.com/segl/segl/internal/dev/csc"
	"github.com/segl/segl/internal/eid/csc"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/tsp"
	"github.com/segl/segl/internal/validate"
	"github.com/segl/segl/internal/xades"
)

// An advanced signature end to end: Ola logs in with BankID, the signing
// engine signs a job of two documents with the KeyPair Open returns (the
// engine asks for one signature per document and one for the evidence,
// three authorized), the
// documents are completed to B-LTA, and the validator, trusting only the
// development root, passes every signature, whose CMS signer is Ola's
// certificate; the service signed exactly the three hashes.
func TestAdvancedSignatureWithSigningEngine(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.dev
	rev, err := pki.OpenRevocations(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := tsp.NewAuthority(d.TSA.Key, d.TSA.Cert, d.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := fs.Open(t.TempDir(), fs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	// The engine decides how many signatures to ask the service for.
	var kp *pki.KeyPair
	asked := 0
	keys := func(ctx context.Context, idToken string, n int) (*pki.KeyPair, error) {
		asked = n
		var err error
		kp, err = csc.Open(ctx, e.cfg, idToken, n)
		return kp, err
	}
	engine, err := signing.New(signing.Config{Seal: d.Seal, Anchors: []*x509.Certificate{d.Root},
		TSA: tsa, OCSP: pki.DevOCSP{Dev: d, Revoked: rev, Now: e.clk.Now}, Keys: keys, Blobs: blobs,
		Clock: e.clk, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	j := signing.Job{ID: "job-csc-1", Title: "Kjøpekontrakt", SenderOrg: "312345679", Identifier: job.ShowName, Signers: 1}
	var docs []signing.Document
	for i, text := range []string{"Kjøpekontrakt", "Vedlegg"} {
		upload := testdocs.PDF(text, 4000)
		ref, err := blobs.Put(ctx, bytes.NewReader(upload), int64(len(upload)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(upload)
		docs = append(docs, signing.Document{ID: fmt.Sprintf("doc-%d", i+1), Title: text, FileName: text + ".pdf",
			MediaType: "application/pdf", SHA256: sum[:], Size: int64(len(upload)), Upload: ref.Key})
	}

	tok := e.login(olaPID, "bankid")
	act := signing.Act{
		Job: j, Documents: docs, Slot: 0, SignedAt: e.clk.Now(), Advanced: true,
		Signer: xades.SignerFacts{Name: "Ola Nordmann", PID: olaPID, EIDMethod: "BankID", LevelOfAssurance: "high", AuthTime: e.clk.Now(), IDToken: tok},
	}
	signed, err := engine.Sign(ctx, act)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if asked != len(docs)+1 {
		t.Errorf("the engine asked for %d signatures, want %d", asked, len(docs)+1)
	}
	finals, err := engine.Complete(ctx, signed.Revisions)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	read := func(spans ...blob.Span) []byte {
		o, err := blob.OpenSpans(ctx, blobs, spans)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		b, err := io.ReadAll(o)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The evidence is embedded deflated; OpenEvidence reads it as XML.
	eo, err := blob.OpenSpans(ctx, blobs, []blob.Span{signed.Evidence})
	if err == nil {
		eo, err = signing.OpenEvidence(eo)
	}
	if err != nil {
		t.Fatal(err)
	}
	evidence, err := io.ReadAll(eo)
	eo.Close()
	if err != nil {
		t.Fatal(err)
	}

	roots := d.Roots()
	serial := fmt.Sprintf("%x", kp.Cert.SerialNumber)
	for i := range docs {
		final := read(finals[i].Spans()...)
		rep, err := validate.PDF(bytes.NewReader(final), int64(len(final)), validate.Options{Roots: roots})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Passed() || len(rep.Signatures) != 2 {
			t.Errorf("%s: %s with %d signatures", docs[i].ID, rep.Indication, len(rep.Signatures))
		}
		for _, s := range rep.Signatures {
			if !s.Result.Passed() {
				t.Errorf("%s: %s (%s): %+v; warnings %v", docs[i].ID, s.Field, s.Kind, s.Result, s.Warnings)
			}
		}
		if s := rep.Signatures[0]; s.Signer == nil || !strings.Contains(s.Signer.Subject, "Ola Nordmann") || s.Signer.Serial != serial {
			t.Errorf("%s: CMS signer %+v, want Ola's certificate %s", docs[i].ID, s.Signer, serial)
		}
	}

	v, err := xades.Verify(evidence)
	if err != nil {
		t.Fatalf("xades.Verify: %v", err)
	}
	if !v.Certificate.Equal(kp.Cert) {
		t.Errorf("evidence signed by %s, want Ola's certificate", v.Certificate.Subject)
	}
	if rep := validate.XAdES(evidence, validate.Options{Roots: roots}); !rep.Passed() {
		t.Errorf("validate.XAdES: %+v", rep.Signatures[0].Result)
	}

	// Consent scope: the service signed three hashes, all with Ola's
	// credential, and the key refuses a fourth.
	log := e.signer.Signed()
	if len(log) != 3 {
		t.Fatalf("the service signed %d hashes, want 3", len(log))
	}
	for _, s := range log {
		if s.PID != olaPID || s.CredentialID != devcsc.CredentialID(olaPID) {
			t.Errorf("signed %+v", s)
		}
	}
	if _, err := kp.Key.Sign(nil, log[0].Digest, log[0].Hash); err == nil {
		t.Error("a fourth signature of three authorized")
	}
}

package validate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/segl/segl/internal/xades"
)

func TestXAdESEvidence(t *testing.T) {
	e := newSealEnv(t)
	now := time.Now().UTC().Truncate(time.Second)
	sum := sha256.Sum256([]byte("Kontrakt"))
	facts := xades.Facts{JobID: "job-1", JobTitle: "Arbeidsavtale", SenderOrg: "317510748", SignedAt: now, Action: "signed",
		Documents: []xades.Document{{ID: "d1", Title: "Kontrakt", FileName: "k.pdf", MediaType: "application/pdf", Size: 8, SHA256: sum[:]}},
		Signer: xades.SignerFacts{Name: "Ola Nordmann", PID: "21909825250", EIDMethod: "BankID", LevelOfAssurance: "high",
			AuthTime: now.Add(-time.Minute), IDToken: "eyJhbGciOiJFUzI1NiJ9.e30.sig"}}
	ocsp, err := e.s.OCSP.OCSP(context.Background(), e.dev.Seal.Cert, e.dev.Issuing.Cert)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(validation *xades.ValidationData) []byte {
		xml, err := xades.Sign(context.Background(), facts, xades.SignOptions{Signer: e.dev.Seal.Key, Certificate: e.dev.Seal.Cert,
			Chain: e.dev.Seal.Chain, Stamper: e.s.TSA, Validation: validation})
		if err != nil {
			t.Fatal(err)
		}
		return xml
	}
	blt := sign(&xades.ValidationData{Certs: [][]byte{e.dev.Issuing.Cert.Raw, e.dev.Root.Raw}, OCSPs: [][]byte{ocsp}})
	for _, at := range []time.Time{{}, now.AddDate(10, 0, 0)} {
		if rep := XAdES(blt, Options{Roots: e.dev.Roots(), At: at}); !rep.Passed() {
			t.Fatalf("B-LT evidence at %v: %+v", at, rep.Signatures[0].Result)
		}
	}
	bb := sign(nil)
	if rep := XAdES(bb, Options{Roots: e.dev.Roots()}); rep.Indication != Indeterminate {
		t.Fatalf("evidence without revocation data: %+v", rep.Signatures[0].Result)
	}
	tampered := bytes.Replace(blt, []byte("Ola Nordmann"), []byte("Ole Nordmann"), 1)
	if rep := XAdES(tampered, Options{Roots: e.dev.Roots()}); rep.Indication != TotalFailed {
		t.Fatalf("tampered evidence: %+v", rep.Signatures[0].Result)
	}
}

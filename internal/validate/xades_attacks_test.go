package validate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"testing"
	"time"

	"github.com/segl/segl/internal/pki/pkitest"
	"github.com/segl/segl/internal/xades"
)

// TestXAdESKeyInfoSubstituted swaps the certificate in the evidence's
// unsigned KeyInfo for another certificate of the same key: the signature
// value still verifies, but SigningCertificateV2 names the original, so
// the signing certificate cannot be identified (EN 319 102-1 §5.2.3).
func TestXAdESKeyInfoSubstituted(t *testing.T) {
	t.Parallel()
	e := newSealEnv(t)
	sum := sha256.Sum256([]byte("Kontrakt"))
	now := time.Now().UTC().Truncate(time.Second)
	facts := xades.Facts{JobID: "job-1", JobTitle: "Arbeidsavtale", SenderOrg: "317510748", SignedAt: now, Action: "signed",
		Documents: []xades.Document{{ID: "d1", Title: "Kontrakt", FileName: "k.pdf", MediaType: "application/pdf", Size: 8, SHA256: sum[:]}},
		Signer: xades.SignerFacts{Name: "Ola Nordmann", PID: "21909825250", EIDMethod: "BankID", LevelOfAssurance: "high",
			AuthTime: now.Add(-time.Minute), IDToken: "eyJhbGciOiJFUzI1NiJ9.e30.sig"}}
	seal := e.dev.Seal
	xml, err := xades.Sign(context.Background(), facts, xades.SignOptions{Signer: seal.Key, Certificate: seal.Cert, Chain: seal.Chain})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := *seal.Cert
	tmpl.SerialNumber = big.NewInt(4711)
	other := pkitest.Issue(t, &tmpl, e.dev.Issuing.Cert, seal.Key.Public(), e.dev.Issuing.Key)
	old := []byte(base64.StdEncoding.EncodeToString(seal.Cert.Raw))
	if !bytes.Contains(xml, old) {
		t.Fatal("the seal certificate is not in the evidence's KeyInfo")
	}
	swapped := bytes.Replace(xml, old, []byte(base64.StdEncoding.EncodeToString(other.Raw)), 1)
	got := XAdES(swapped, Options{Roots: e.dev.Roots()}).Signatures[0].Result
	if got.Indication != Indeterminate || got.SubIndication != NoSigningCertificateFound {
		t.Fatalf("%s %s (%s), want INDETERMINATE NO_SIGNING_CERTIFICATE_FOUND", got.Indication, got.SubIndication, got.Detail)
	}
}

package pades

import (
	"bytes"
	"context"
	"crypto/x509"
	"reflect"
	"testing"
	"time"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/tsp"
)

// TestMadeSignersGatherAsParsed checks that the validation data Seal
// gathers for the signature it has just made (madeSigners: its key's
// certificates and the time-stamp token it got) is what gathering from the
// signature parsed back (tokenSigners) gives: the same certificates in
// the same order, the same revocation data, the same VRI entry.
func TestMadeSignersGatherAsParsed(t *testing.T) {
	dev, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := pki.OpenRevocations(dev.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := tsp.NewAuthority(dev.TSA.Key, dev.TSA.Cert, dev.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	// One second's revocation data, so that both gatherings get the same.
	at := time.Now()
	clock := func() time.Time { return at }
	s := &Sealer{Key: dev.Seal.Key, Cert: dev.Seal.Cert, Chain: dev.Seal.Chain, Anchors: []*x509.Certificate{dev.Root}, TSA: tsa,
		OCSP: &pki.RevocationCache{Source: pki.DevOCSP{Dev: dev, Revoked: rev, Now: clock}, Now: clock}, Now: clock}
	doc := testdocs.PDF("Kvittering", 2_000)
	var out bytes.Buffer
	if err := s.Seal(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), Options{Level: BT, Name: "segl"}); err != nil {
		t.Fatal(err)
	}
	r, err := pdf.Open(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := r.Signatures()
	if err != nil || len(infos) != 1 {
		t.Fatalf("%d signatures, %v", len(infos), err)
	}
	sd, err := cms.Parse(infos[0].DER)
	if err != nil || len(sd.Signers) != 1 || sd.Signers[0].TimeStampToken == nil {
		t.Fatalf("the seal's CMS: %v", err)
	}
	parsed, err := s.validationData(context.Background(), []signature{{info: infos[0]}})
	if err != nil {
		t.Fatal(err)
	}
	made, err := s.validationData(context.Background(), []signature{{info: infos[0],
		signers: madeSigners(s.Cert, s.Chain, sd.Signers[0].TimeStampToken)}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(made, parsed) {
		t.Errorf("validation data of the signature as made:\n%+v\nparsed back:\n%+v", made, parsed)
	}
	if vri := parsed.VRI[VRIKey(infos[0])]; len(vri.Certs) == 0 || len(vri.OCSPs) != 2 {
		t.Errorf("VRI entry %+v: want the seal's and the TSA's certificates and OCSP responses", vri)
	}
}

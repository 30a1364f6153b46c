package cms_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/asn1"
	"testing"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
)

// A signature time-stamp added after signing (B-B first, B-T later) is the
// same as one added by SignDetached: the signed bytes do not change, and
// openssl still verifies.
func TestAddUnsignedAttribute(t *testing.T) {
	testtool.Need(t, "openssl", "openssl")
	p := newPKI(t)
	kp := p.dev.Seal
	content := []byte("sign now, time-stamp later")
	sig, err := cms.SignDetached(context.Background(), sum256(content), cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Chain: kp.Chain})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(sig)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := p.authority(t).Stamp(context.Background(), crypto.SHA256, sum256(sd.Signers[0].Signature))
	if err != nil {
		t.Fatal(err)
	}
	// Padded input, as read from a PDF, gives unpadded output.
	padded := append(bytes.Clone(sig), make([]byte, 100)...)
	stamped, err := cms.AddUnsignedAttribute(padded, 0, cms.OIDAttributeSignatureTimeStampToken, tok)
	if err != nil {
		t.Fatal(err)
	}
	other := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 1}
	twice, err := cms.AddUnsignedAttribute(stamped, 0, other, []byte{0x0c, 0x02, 'o', 'k'})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cms.Parse(twice)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Raw, twice) {
		t.Error("output is padded")
	}
	si := got.Signers[0]
	if !bytes.Equal(si.TimeStampToken, tok) || len(si.UnsignedAttrs) != 2 {
		t.Fatalf("unsigned attributes %+v", si.UnsignedAttrs)
	}
	if !bytes.Equal(si.SignedAttrsRaw, sd.Signers[0].SignedAttrsRaw) || !bytes.Equal(si.Signature, sd.Signers[0].Signature) {
		t.Error("signed part changed")
	}
	if err := got.VerifySignature(0, sum256(content)); err != nil {
		t.Fatal(err)
	}
	if _, err := tsp.Verify(si.TimeStampToken, crypto.SHA256, sum256(si.Signature), tsp.VerifyOptions{Roots: p.roots()}); err != nil {
		t.Fatal(err)
	}
	if ok, out := p.opensslVerify(t, t.TempDir(), twice, content); !ok {
		t.Fatalf("openssl cms -verify:\n%s", out)
	}

	for name, tc := range map[string]struct {
		der   []byte
		i     int
		oid   asn1.ObjectIdentifier
		value []byte
	}{
		"fail/no-such-signer":  {sig, 1, other, []byte{0x05, 0x00}},
		"fail/negative-signer": {sig, -1, other, []byte{0x05, 0x00}},
		"fail/value-not-der":   {sig, 0, other, []byte{0x04, 0x05, 0x00}},
		"fail/two-values":      {sig, 0, other, []byte{0x05, 0x00, 0x05, 0x00}},
		"fail/empty-value":     {sig, 0, other, nil},
		"fail/invalid-oid":     {sig, 0, asn1.ObjectIdentifier{1}, []byte{0x05, 0x00}},
		"fail/not-signed-data": {[]byte("garbage"), 0, other, []byte{0x05, 0x00}},
	} {
		t.Run(name, func(t *testing.T) {
			if out, err := cms.AddUnsignedAttribute(tc.der, tc.i, tc.oid, tc.value); err == nil || out != nil {
				t.Fatalf("got %d bytes, %v", len(out), err)
			}
		})
	}
}

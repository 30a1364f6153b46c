package cms_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/asn1"
	"os/exec"
	"testing"
	"time"

	"github.com/segl/segl/internal/cms"
)

// seedSignatures are real signatures: ours (P-256 with a signature
// time-stamp and a signing time, RSA, encapsulated) and, when openssl is
// installed, openssl's (attached, detached, CAdES, RSASSA-PSS, and BER from
// -stream: indefinite lengths and content in OCTET STRING segments).
func seedSignatures(t testing.TB) [][]byte {
	p := newPKI(t)
	seal, rsaKP := p.dev.Seal, p.signer(t, "rsa")
	digest := sum256([]byte("seed"))
	var out [][]byte
	for _, opts := range []cms.SignOptions{
		{Signer: seal.Key, Certificate: seal.Cert, Chain: seal.Chain, Stamper: p.authority(t), SigningTime: time.Now()},
		{Signer: rsaKP.Key, Certificate: rsaKP.Cert, Chain: rsaKP.Chain},
	} {
		sig, err := cms.SignDetached(context.Background(), digest, opts)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sig)
	}
	tok, err := cms.Sign(context.Background(), []byte("seed"), cms.SignOptions{Signer: seal.Key, Certificate: seal.Cert, ContentType: cms.OIDTSTInfo, NoCertificates: true})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, tok)
	if _, err := exec.LookPath("openssl"); err == nil {
		for _, args := range [][]string{nil, {"-nodetach"}, {"-cades", "-keyid"}, {"-cades", "-keyopt", "rsa_padding_mode:pss"}, {"-cades", "-stream", "-nodetach"}} {
			kp := seal
			if len(args) > 1 && args[1] == "-keyopt" {
				kp = rsaKP
			}
			out = append(out, p.opensslSign(t, t.TempDir(), kp, []byte("seed"), args...))
		}
	}
	return out
}

// FuzzParse: Parse never panics, what it accepts re-parses from Raw, and
// VerifySignature and AddUnsignedAttribute never panic on it; whatever
// AddUnsignedAttribute returns parses again with the signed parts unchanged.
// ParseSigners never panics either, and names the same certificates and
// signers as Parse where Parse accepts.
func FuzzParse(f *testing.F) {
	for _, sig := range seedSignatures(f) {
		f.Add(sig)
		f.Add(append(bytes.Clone(sig), 0, 0, 0))
		f.Add(sig[:len(sig)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	// Hand-made BER: nested indefinite lengths, and segments of an OCTET STRING.
	f.Add([]byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80, 0x30, 0x80, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x24, 0x80, 0x04, 0x01, 'x', 0x24, 0x80, 0x04, 0x01, 'y', 0, 0, 0, 0})
	digest := sum256([]byte("seed"))
	f.Fuzz(func(t *testing.T, b []byte) {
		light, lightErr := cms.ParseSigners(b)
		sd, err := cms.Parse(b)
		if err != nil {
			return
		}
		if lightErr != nil || len(light.Signers) != len(sd.Signers) || len(light.Certificates) != len(sd.Certificates) {
			t.Fatalf("ParseSigners: %v, %d signers and %d certificates; Parse: %d and %d", lightErr, len(light.Signers), len(light.Certificates), len(sd.Signers), len(sd.Certificates))
		}
		for i, si := range sd.Signers {
			if got := light.Signers[i].Certificate; (got == nil) != (si.Certificate == nil) || got != nil && !bytes.Equal(got.Raw, si.Certificate.Raw) {
				t.Fatalf("ParseSigners names signer %d's certificate %v, Parse %v", i, got, si.Certificate)
			}
		}
		again, err := cms.Parse(sd.Raw)
		if err != nil || len(again.Signers) != len(sd.Signers) {
			t.Fatalf("raw does not re-parse: %v", err)
		}
		for i, si := range sd.Signers {
			h := si.DigestAlgorithm
			d := digest
			if h.Available() && h != crypto.SHA256 {
				hh := h.New()
				hh.Write([]byte("seed"))
				d = hh.Sum(nil)
			}
			_ = sd.VerifySignature(i, d)
			out, err := cms.AddUnsignedAttribute(b, i, asn1.ObjectIdentifier{1, 2, 3}, []byte{0x05, 0x00})
			if err != nil {
				continue
			}
			added, err := cms.Parse(out)
			if err != nil {
				t.Fatalf("added attribute does not parse: %v", err)
			}
			if len(sd.Signers) == 1 && (!bytes.Equal(added.Signers[0].SignedAttrsRaw, si.SignedAttrsRaw) || !bytes.Equal(added.Signers[0].Signature, si.Signature)) {
				t.Fatal("adding an unsigned attribute changed the signed part")
			}
		}
	})
}

func BenchmarkSignDetached(b *testing.B) {
	p := newPKI(b)
	kp := p.dev.Seal
	digest := sum256([]byte("benchmark"))
	opts := cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Chain: kp.Chain}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cms.SignDetached(ctx, digest, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseVerify(b *testing.B) {
	p := newPKI(b)
	kp := p.dev.Seal
	digest := sum256([]byte("benchmark"))
	sig, err := cms.SignDetached(context.Background(), digest, cms.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Chain: kp.Chain})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sd, err := cms.Parse(sig)
		if err != nil {
			b.Fatal(err)
		}
		if err := sd.VerifySignature(0, digest); err != nil {
			b.Fatal(err)
		}
	}
}

package validate

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/pki/pkitest"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
)

// Signatures made by tools we did not write validate like our own: poppler's
// pdfsig signing with NSS, which writes BER (indefinite lengths, RFC 5652
// §5.1 allows it), and `openssl cms -sign` in DER and, with -stream, in BER.
// Each is a B-B signature by an RSA key under the development issuing CA
// (pdfsig 22.12 reserves room for the signature from a trial one, so an
// ECDSA signature a byte longer than its trial fails); the test adds a DSS
// with an OCSP response for it (B-LT, as segl's own Extend does), so that
// it can pass, and checks that a copy changed inside the signed bytes fails.
func TestPDFSignedElsewhere(t *testing.T) {
	e := newSealEnv(t)
	kp := e.rsaSigner(t)
	src := testdocs.PDF("Signed elsewhere", 0) // unpadded: pdfsig 22.12 cannot sign testdocs' padding stream
	for _, tc := range []struct {
		name string
		sign func(t *testing.T, kp pki.KeyPair, src []byte) []byte
		ber  bool
	}{
		{"ok/pdfsig-nss-ber", pdfsigSign, true},
		{"ok/openssl-der", func(t *testing.T, kp pki.KeyPair, src []byte) []byte { return opensslSign(t, kp, src) }, false},
		// openssl -stream always encapsulates the content (here the byte
		// range); the validator then requires it to be the byte range.
		{"ok/openssl-stream-ber", func(t *testing.T, kp pki.KeyPair, src []byte) []byte {
			return opensslSign(t, kp, src, "-stream", "-nodetach")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signed := tc.sign(t, kp, src)
			if der := signatureDER(t, signed); (der[1] == 0x80) != tc.ber {
				t.Fatalf("the tool wrote % x…, ber %v expected", der[:4], tc.ber)
			}
			var lt bytes.Buffer
			if err := e.s.Extend(context.Background(), &lt, bytes.NewReader(signed), int64(len(signed)), false); err != nil {
				t.Fatal(err)
			}
			rep := validatePDF(t, lt.Bytes(), e.dev.Roots(), time.Time{})
			if rep.Indication != TotalPassed || len(rep.Signatures) != 1 {
				t.Fatalf("indication %s: %+v", rep.Indication, rep.Signatures)
			}

			// Change the page text, which the signature covers.
			i := bytes.Index(lt.Bytes(), []byte("(Signed elsewhere)"))
			tampered := bytes.Clone(lt.Bytes())
			tampered[i+1] = 's'
			rep = validatePDF(t, tampered, e.dev.Roots(), time.Time{})
			if got := rep.Signatures[0].Result; got.Indication != TotalFailed || got.SubIndication != HashFailure {
				t.Fatalf("tampered copy: %+v", got)
			}
		})
	}
}

// writeKeyPair writes kp's key and certificates as PEM files for the tools.
func writeKeyPair(t *testing.T, dir string, kp pki.KeyPair) (cert, key string) {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	key = filepath.Join(dir, "signer.key")
	cert = filepath.Join(dir, "signer.pem")
	var certs []byte
	for _, c := range append([]*x509.Certificate{kp.Cert}, kp.Chain...) {
		certs = append(certs, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cert, certs, 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// pdfsigSign signs src with `pdfsig -add-signature` and the seal key in a
// fresh NSS database (Debian packages poppler-utils, libnss3-tools, openssl).
func pdfsigSign(t *testing.T, kp pki.KeyPair, src []byte) []byte {
	t.Helper()
	for _, tool := range []string{"pdfsig", "certutil", "pk12util", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			testtool.Missing(t, "%s not installed (Debian packages poppler-utils, libnss3-tools, openssl)", tool)
		}
	}
	dir := t.TempDir()
	cert, key := writeKeyPair(t, dir, kp)
	db := "sql:" + filepath.Join(dir, "nss")
	if err := os.Mkdir(filepath.Join(dir, "nss"), 0o700); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "openssl", "pkcs12", "-export", "-inkey", key, "-in", cert, "-name", "signer", "-passout", "pass:x", "-out", "signer.p12")
	run(t, dir, "certutil", "-N", "-d", db, "--empty-password")
	run(t, dir, "pk12util", "-i", "signer.p12", "-d", db, "-W", "x")
	if err := os.WriteFile(filepath.Join(dir, "in.pdf"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "pdfsig", "-add-signature", "-nssdir", db, "-nick", "signer", "-reason", "test", "in.pdf", "out.pdf")
	out, err := os.ReadFile(filepath.Join(dir, "out.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// opensslSign adds a signature field with segl's writer and fills it with
// `openssl cms -sign -cades` over the byte range.
func opensslSign(t *testing.T, kp pki.KeyPair, src []byte, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		testtool.Missing(t, "openssl not installed (Debian package openssl)")
	}
	dir := t.TempDir()
	cert, key := writeKeyPair(t, dir, kp)
	p, err := pdf.PrepareSignature(bytes.NewReader(src), int64(len(src)), pdf.SignatureSpec{SubFilter: pdf.SubFilterCAdES, ContentsSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var content bytes.Buffer
	if _, err := content.ReadFrom(p.Content()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "content.bin"), content.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "openssl", append([]string{"cms", "-sign", "-binary", "-cades", "-in", "content.bin", "-signer", cert, "-inkey", key,
		"-outform", "DER", "-out", "sig.der"}, args...)...)
	der, err := os.ReadFile(filepath.Join(dir, "sig.der"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := p.WriteTo(&out, der); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func signatureDER(t *testing.T, file []byte) []byte {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := r.Signatures()
	if err != nil || len(infos) != 1 {
		t.Fatalf("%d signatures, %v", len(infos), err)
	}
	return infos[0].DER
}

func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// rsaSigner issues an RSA signing certificate under the development
// issuing CA, which the seal environment's OCSP responder answers for.
func (e *sealEnv) rsaSigner(t *testing.T) pki.KeyPair {
	t.Helper()
	return pkitest.Signer(t, e.dev, "rsa", pkix.Name{CommonName: "signed elsewhere", Organization: []string{"segl test"}})
}

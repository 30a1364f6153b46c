package xades

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/internal/pki/pkitest"
	"github.com/segl/segl/internal/testtool"
)

// Our signatures checked by tools we did not write. Each test is skipped
// where its tool is missing; the Debian packages are xmlsec1,
// xml-security-c-utils (xsec-checksig, Apache Santuario C++), libxml2-utils
// (xmllint) and openssl.

type signedCase struct {
	name string
	opts SignOptions
}

func signedCases(t *testing.T) []signedCase {
	seal, rsa := sealOptions(t), rsaOptions(t)
	sealLT := seal
	sealLT.Stamper = testAuthority(t)
	sealLT.Validation = validationData(t)
	rsaT := rsa
	rsaT.Stamper = testAuthority(t)
	return []signedCase{
		{"seal-p256-bb", seal},
		{"seal-p256-blt", sealLT},
		{"rsa-2048-bb", rsa},
		{"rsa-2048-bt", rsaT},
	}
}

// The tampered twin of a signed document: one fact changed.
func tampered(t *testing.T, doc []byte) []byte {
	return replaceOnce(t, doc, "<segl:SenderOrganisation>317510748<", "<segl:SenderOrganisation>317510749<")
}

// xmlsec1 (libxmlsec1 over OpenSSL) checks the XML-DSig core — both
// references, the ECDSA r‖s or RSA SignatureValue — and the KeyInfo chain
// to the development root. It does not know the XAdES semantics, so the Ids
// are declared on the command line.
func TestXmlsec1Verifies(t *testing.T) {
	root := filepath.Join(testPKI(t).Dir, "root-ca.pem")
	xmlsec := func(t *testing.T, dir, file string) (string, error) {
		return tool(t, dir, "xmlsec1", "xmlsec1", "--verify", "--trusted-pem", root,
			"--id-attr:Id", "urn:segl:evidence:1:Evidence",
			"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
			file)
	}
	for _, tc := range signedCases(t) {
		t.Run("ok/"+tc.name, func(t *testing.T) {
			dir := t.TempDir()
			doc := mustSign(t, testFacts(), tc.opts)
			out, err := xmlsec(t, dir, pkitest.WriteFile(t, dir, "evidence.xml", doc))
			if err != nil || !strings.Contains(out, "OK") {
				t.Fatalf("xmlsec1 rejected our signature: %v\n%s", err, out)
			}
		})
		t.Run("fail/"+tc.name+"-changed-fact", func(t *testing.T) {
			dir := t.TempDir()
			doc := tampered(t, mustSign(t, testFacts(), tc.opts))
			out, err := xmlsec(t, dir, pkitest.WriteFile(t, dir, "evidence.xml", doc))
			if err == nil || !strings.Contains(out, "FAIL") {
				t.Fatalf("xmlsec1 accepted a changed fact: %v\n%s", err, out)
			}
			if _, err := Verify(doc); err == nil {
				t.Fatal("Verify accepted a changed fact")
			}
		})
	}
}

// Apache Santuario (C++) is a second, unrelated XML-DSig implementation.
func TestSantuarioVerifies(t *testing.T) {
	for _, tc := range signedCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			doc := mustSign(t, testFacts(), tc.opts)
			out, err := tool(t, dir, "xsec-checksig", "xml-security-c-utils", "--id", "Id", pkitest.WriteFile(t, dir, "ok.xml", doc))
			if err != nil || !strings.Contains(out, "Signature verified OK") {
				t.Fatalf("xsec-checksig rejected our signature: %v\n%s", err, out)
			}
			out, err = tool(t, dir, "xsec-checksig", "xml-security-c-utils", "--id", "Id", pkitest.WriteFile(t, dir, "bad.xml", tampered(t, doc)))
			if err == nil && strings.Contains(out, "Signature verified OK") {
				t.Fatalf("xsec-checksig accepted a changed fact:\n%s", out)
			}
		})
	}
}

func TestXmllintWellFormed(t *testing.T) {
	for _, tc := range signedCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f := pkitest.WriteFile(t, dir, "evidence.xml", mustSign(t, testFacts(), tc.opts))
			if out, err := tool(t, dir, "xmllint", "libxml2-utils", "--noout", "--nonet", f); err != nil {
				t.Fatalf("xmllint: %v\n%s", err, out)
			}
		})
	}
}

// openssl checks the SignatureTimeStamp token against data we give it: the
// exclusive canonicalisation of ds:SignatureValue (EN 319 132-1 §5.3), and
// the TSA chain to the development root.
func TestOpenSSLVerifiesSignatureTimeStamp(t *testing.T) {
	d := testPKI(t)
	opts := sealOptions(t)
	opts.Stamper = testAuthority(t)
	doc := mustSign(t, testFacts(), opts)
	other := mustSign(t, testFacts(), opts) // ECDSA: another SignatureValue
	v, err := Verify(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tok := pkitest.WriteFile(t, dir, "token.der", v.TimeStampToken)
	verify := func(data []byte) (string, error) {
		return tool(t, dir, "openssl", "openssl", "ts", "-verify", "-data", pkitest.WriteFile(t, dir, "data.bin", data),
			"-in", tok, "-token_in", "-CAfile", filepath.Join(d.Dir, "root-ca.pem"), "-untrusted", filepath.Join(d.Dir, "tsa.pem"))
	}
	out, err := verify(canonicalSignatureValue(t, doc))
	if err != nil || !strings.Contains(out, "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v\n%s", err, out)
	}
	if out, err := verify(canonicalSignatureValue(t, other)); err == nil {
		t.Fatalf("openssl accepted the token for another signature value:\n%s", out)
	}
}

func canonicalSignatureValue(t *testing.T, doc []byte) []byte {
	t.Helper()
	d, err := parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := canonicalize(d.Root().SelectElement("ds:SignatureValue"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(c, []byte(`<ds:SignatureValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="signature-value">`)) {
		t.Fatalf("unexpected canonical form %s", c)
	}
	return c
}

// xadesjs (npm, PeculiarVentures) checks the XML-DSig core with its own
// canonicaliser and WebCrypto, and tools/xadesjs/verify.js adds what xadesjs
// parses but does not check itself: the SigningCertificateV2 digest against
// the KeyInfo certificate and the SignatureTimeStamp imprint against
// xmldsigjs's canonical ds:SignatureValue.
//
// Run `npm ci --prefix tools/xadesjs` (or point SEGL_XADESJS_DIR at such an
// install outside the repository); the test is skipped otherwise.
func TestXadesjsVerifies(t *testing.T) {
	dir := os.Getenv("SEGL_XADESJS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "tools", "xadesjs")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		testtool.Missing(t, "node not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "xadesjs")); err != nil {
		testtool.Missing(t, "xadesjs not installed in %s (npm ci --prefix tools/xadesjs)", dir)
	}
	script := filepath.Join(dir, "verify.js")
	if _, err := os.Stat(script); err != nil {
		script, _ = filepath.Abs(filepath.Join("..", "..", "tools", "xadesjs", "verify.js"))
	}
	node := func(t *testing.T, doc []byte) (string, error) {
		tmp := t.TempDir()
		cmd := exec.Command("node", script, pkitest.WriteFile(t, tmp, "evidence.xml", doc))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, tc := range signedCases(t) {
		t.Run("ok/"+tc.name, func(t *testing.T) {
			out, err := node(t, mustSign(t, testFacts(), tc.opts))
			if err != nil || !strings.Contains(out, `"valid":true`) || !strings.Contains(out, `"signingCertificateV2":true`) ||
				strings.Contains(out, `"timeStampImprint":false`) {
				t.Fatalf("xadesjs: %v\n%s", err, out)
			}
		})
		t.Run("fail/"+tc.name+"-changed-fact", func(t *testing.T) {
			out, err := node(t, tampered(t, mustSign(t, testFacts(), tc.opts)))
			if err == nil || !strings.Contains(out, `"valid":false`) {
				t.Fatalf("xadesjs did not find the changed fact: %v\n%s", err, out)
			}
		})
	}
}

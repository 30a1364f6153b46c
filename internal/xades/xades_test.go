package xades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pki/pkitest"
)

func TestSignVerify(t *testing.T) {
	minimal := testFacts()
	minimal.JobTitle = ""
	minimal.Signer.PID, minimal.Signer.BirthDate, minimal.Signer.OnBehalfOf = "", "", ""
	minimal.Documents = minimal.Documents[:1]
	minimal.Documents[0].Title = ""

	for _, tc := range []struct {
		name    string
		facts   Facts
		opts    func(testing.TB) SignOptions
		stamp   bool
		lt      bool
		wantAlg string
	}{
		{"ok/seal-p256-bb", testFacts(), sealOptions, false, false, algECDSASHA256},
		{"ok/seal-p256-bt", testFacts(), sealOptions, true, false, algECDSASHA256},
		{"ok/seal-p256-blt", testFacts(), sealOptions, true, true, algECDSASHA256},
		{"ok/rsa-2048-bt", testFacts(), rsaOptions, true, false, algRSASHA256},
		{"ok/minimal-facts", minimal, sealOptions, false, false, algECDSASHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts(t)
			if tc.stamp {
				opts.Stamper = testAuthority(t)
			}
			var vd *ValidationData
			if tc.lt {
				vd = validationData(t)
				opts.Validation = vd
			}
			out := mustSign(t, tc.facts, opts)
			if !bytes.Contains(out, []byte(`Algorithm="`+tc.wantAlg+`"`)) {
				t.Errorf("signature method is not %s", tc.wantAlg)
			}
			v, err := Verify(out)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			sameFacts(t, v.Facts, tc.facts)
			if !v.Certificate.Equal(opts.Certificate) {
				t.Errorf("certificate %v, want %v", v.Certificate.Subject, opts.Certificate.Subject)
			}
			if len(v.Chain) != len(opts.Chain) || !v.Chain[0].Equal(opts.Chain[0]) {
				t.Errorf("chain of %d, want %d", len(v.Chain), len(opts.Chain))
			}
			if !v.SigningTime.Equal(tc.facts.SignedAt) {
				t.Errorf("signing time %v, want %v", v.SigningTime, tc.facts.SignedAt)
			}
			if (v.TimeStampToken != nil) != tc.stamp {
				t.Errorf("time-stamp token present: %v, want %v", v.TimeStampToken != nil, tc.stamp)
			}
			var want ValidationData
			if vd != nil {
				want = *vd
			}
			if !reflect.DeepEqual(v.Validation, want) {
				t.Errorf("validation data differs: got %d/%d/%d", len(v.Validation.Certs), len(v.Validation.OCSPs), len(v.Validation.CRLs))
			}
		})
	}
}

func sameFacts(t *testing.T, got, want Facts) {
	t.Helper()
	if !got.SignedAt.Equal(want.SignedAt) || !got.Signer.AuthTime.Equal(want.Signer.AuthTime) {
		t.Errorf("times differ: got %v/%v, want %v/%v", got.SignedAt, got.Signer.AuthTime, want.SignedAt, want.Signer.AuthTime)
	}
	got.SignedAt, got.Signer.AuthTime = want.SignedAt, want.Signer.AuthTime
	if !reflect.DeepEqual(got, want) {
		t.Errorf("facts differ\n got: %+v\nwant: %+v", got, want)
	}
}

// Texts that need escaping, a carriage return and characters outside the
// BMP survive the round trip.
func TestSignVerifyAwkwardText(t *testing.T) {
	f := testFacts()
	f.JobTitle = "a\r\nb & <c> \"d\" 'e' ]]> \U0001F58B\t"
	f.Signer.Name = "  Ærlige Øyvind  "
	v, err := Verify(mustSign(t, f, sealOptions(t)))
	if err != nil {
		t.Fatal(err)
	}
	sameFacts(t, v.Facts, f)
}

func TestSignRejects(t *testing.T) {
	d := testPKI(t)
	seal := sealOptions(t)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	facts := func(mod func(*Facts)) Facts {
		f := testFacts()
		mod(&f)
		return f
	}
	failing := stamperFunc(func(context.Context, crypto.Hash, []byte) ([]byte, error) {
		return nil, errors.New("tsa down")
	})
	otherToken := stamperFunc(func(ctx context.Context, h crypto.Hash, _ []byte) ([]byte, error) {
		return testAuthority(t).Stamp(ctx, h, sum("something else"))
	})
	for _, tc := range []struct {
		name  string
		facts Facts
		opts  SignOptions
		want  error
	}{
		{"fail/empty-job-id", facts(func(f *Facts) { f.JobID = " " }), seal, ErrInvalidFacts},
		{"fail/no-documents", facts(func(f *Facts) { f.Documents = nil }), seal, ErrInvalidFacts},
		{"fail/short-document-digest", facts(func(f *Facts) { f.Documents[1].SHA256 = f.Documents[1].SHA256[:20] }), seal, ErrInvalidFacts},
		{"fail/negative-size", facts(func(f *Facts) { f.Documents[0].Size = -1 }), seal, ErrInvalidFacts},
		{"fail/low-level-of-assurance", facts(func(f *Facts) { f.Signer.LevelOfAssurance = "low" }), seal, ErrInvalidFacts},
		{"fail/control-character", facts(func(f *Facts) { f.Signer.Name = "Kari\x00" }), seal, ErrInvalidFacts},
		{"fail/invalid-utf8", facts(func(f *Facts) { f.JobTitle = "\xff" }), seal, ErrInvalidFacts},
		{"fail/birth-date-format", facts(func(f *Facts) { f.Signer.BirthDate = "12.05.1979" }), seal, ErrInvalidFacts},
		{"fail/zero-auth-time", facts(func(f *Facts) { f.Signer.AuthTime = time.Time{} }), seal, ErrInvalidFacts},
		{"fail/no-id-token", facts(func(f *Facts) { f.Signer.IDToken = "" }), seal, ErrInvalidFacts},
		{"fail/no-signer", testFacts(), SignOptions{Certificate: d.Seal.Cert}, nil},
		{"fail/key-not-the-certificates", testFacts(), SignOptions{Signer: p256, Certificate: d.Seal.Cert}, nil},
		{"fail/chain-not-the-issuer", testFacts(), SignOptions{Signer: d.Seal.Key, Certificate: d.Seal.Cert, Chain: []*x509.Certificate{d.TSA.Cert}}, nil},
		{"fail/rsa-1024", testFacts(), SignOptions{Signer: rsa1024, Certificate: pkitest.SelfSigned(t, rsa1024, pkix.Name{})}, ErrAlgorithm},
		{"fail/ed25519", testFacts(), SignOptions{Signer: edKey, Certificate: pkitest.SelfSigned(t, edKey, pkix.Name{})}, ErrAlgorithm},
		{"fail/validation-without-time-stamp", testFacts(), withValidation(seal, &ValidationData{}), nil},
		{"fail/stamper-error", testFacts(), withStamper(seal, failing), nil},
		{"fail/token-over-other-data", testFacts(), withStamper(seal, otherToken), ErrTimeStamp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Sign(context.Background(), tc.facts, tc.opts)
			if err == nil {
				t.Fatalf("Sign succeeded:\n%s", out)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "xades: ") {
				t.Errorf("error %q lacks the xades: prefix", err)
			}
		})
	}
}

func withStamper(o SignOptions, s cms.Stamper) SignOptions { o.Stamper = s; return o }

func withValidation(o SignOptions, v *ValidationData) SignOptions {
	o.Validation = v
	return o
}

// resign recomputes the digest of every reference that resolves and the
// SignatureValue, with the signer of opts, over a document a test has
// tampered with: what an attacker holding the key, or a buggy signer,
// could produce. It lets the tests show that Verify's semantic checks hold
// on their own, not just because a digest broke.
func resign(t testing.TB, doc []byte, opts SignOptions) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	root := d.Root()
	ids := map[string]*etree.Element{}
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if id := e.SelectAttrValue("Id", ""); id != "" {
			ids[id] = e
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	si := root.SelectElement("ds:SignedInfo")
	for _, r := range si.SelectElements("ds:Reference") {
		target := ids[strings.TrimPrefix(r.SelectAttrValue("URI", ""), "#")]
		h, ok := digestAlgorithms[r.SelectElement("ds:DigestMethod").SelectAttrValue("Algorithm", "")]
		if target == nil || !ok {
			continue
		}
		dg, err := digestElement(target, h)
		if err != nil {
			t.Fatal(err)
		}
		r.SelectElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(dg))
	}
	c, err := canonicalize(si)
	if err != nil {
		t.Fatal(err)
	}
	alg := si.SelectElement("ds:SignatureMethod").SelectAttrValue("Algorithm", "")
	if _, ok := signatureAlgorithms[alg]; !ok {
		alg = algECDSASHA256
	}
	sig, err := signBytes(opts.Signer, opts.Certificate.PublicKey, alg, c)
	if err != nil {
		t.Fatal(err)
	}
	root.SelectElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(sig))
	out, err := canonicalize(root)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// secondSealCertificate certifies the seal's key a second time, with
// another serial number: the substitution SigningCertificateV2 exists to
// stop (EN 319 132-1 §5.2.2).
func secondSealCertificate(t testing.TB) *x509.Certificate {
	t.Helper()
	d := testPKI(t)
	tmpl := *d.Seal.Cert
	tmpl.SerialNumber = new(big.Int).Add(d.Seal.Cert.SerialNumber, big.NewInt(1))
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, d.Issuing.Cert, d.Seal.Key.Public(), d.Issuing.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// The hardening of Verify, each defence on its own.
func TestVerifyRejects(t *testing.T) {
	d := testPKI(t)
	seal := sealOptions(t)
	bb := mustSign(t, testFacts(), seal)
	ltOpts := seal
	ltOpts.Stamper = testAuthority(t)
	ltOpts.Validation = validationData(t)
	blt := mustSign(t, testFacts(), ltOpts)
	other := testFacts()
	other.JobID = "job-other"
	bltOther := mustSign(t, other, ltOpts)
	evidenceStart := `<segl:Evidence xmlns:segl="urn:segl:evidence:1" Id="evidence">`
	sealB64 := b64(d.Seal.Cert.Raw)
	second := secondSealCertificate(t)

	between := func(doc []byte, start, end string) string {
		s := string(doc)
		i := strings.Index(s, start)
		j := strings.Index(s[i:], end)
		if i < 0 || j < 0 {
			t.Fatalf("%q…%q not found", start, end)
		}
		return s[i : i+j+len(end)]
	}
	evidence := between(bb, evidenceStart, "</segl:Evidence>")
	forged := strings.Replace(evidence, "job-7f3c", "job-forged", 1)
	tsHead := between(blt, "<xades:SignatureTimeStamp", "<xades:EncapsulatedTimeStamp>")

	for _, tc := range []struct {
		name string
		doc  []byte
		want error
	}{
		// Tampering.
		{"fail/changed-fact", replaceOnce(t, bb, "Kari Nordmann Åsheim", "Ola Nordmann"), ErrDigest},
		{"fail/changed-document-digest", replaceOnce(t, bb, b64(sum("vedlegg")), b64(sum("vedlegg2"))), ErrDigest},
		{"fail/changed-signing-time", replaceOnce(t, bb, "<xades:SigningTime>2026-03-04T10:12:00Z", "<xades:SigningTime>2026-03-04T10:13:00Z"), ErrDigest},
		{"fail/changed-signature-value", flipSignatureBit(t, bb), ErrSignature},
		{"fail/signature-value-too-long", replaceOnce(t, bb, `<ds:SignatureValue Id="signature-value">`, `<ds:SignatureValue Id="signature-value">AAAA`), ErrSignature},
		{"fail/signature-in-der", derSignature(t, bb), ErrSignature},

		// Parser hardening.
		{"fail/doctype-with-entity", append([]byte(`<!DOCTYPE x [<!ENTITY e "Ola">]>`), bb[len(xmlDeclaration):]...), ErrMalformed},
		{"fail/external-entity", append([]byte(`<!DOCTYPE x SYSTEM "file:///etc/passwd">`), bb[len(xmlDeclaration):]...), ErrMalformed},
		{"fail/undeclared-entity", replaceOnce(t, bb, "Kari Nordmann Åsheim", "&name;"), ErrMalformed},
		{"fail/comment-splitting-a-fact", replaceOnce(t, bb, "Kari Nordmann Åsheim", "Kari<!-- -->Nordmann Åsheim"), ErrMalformed},
		{"fail/processing-instruction", replaceOnce(t, bb, "<segl:JobID>", "<?x y?><segl:JobID>"), ErrMalformed},
		{"fail/duplicate-attribute", replaceOnce(t, bb, `<ds:Object>`+"\n    "+evidenceStart, `<ds:Object>`+"\n    "+strings.Replace(evidenceStart, `Id="evidence"`, `Id="evidence" Id="evidence"`, 1)), ErrMalformed},
		{"fail/latin1-declared", replaceOnce(t, bb, `encoding="UTF-8"`, `encoding="ISO-8859-1"`), ErrMalformed},
		{"fail/not-xml", []byte("%PDF-1.7"), ErrMalformed},
		{"fail/empty", nil, ErrMalformed},
		{"fail/trailing-element", append(bytes.Clone(bb), "<x/>"...), ErrMalformed},
		{"fail/too-deep", []byte(strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)), ErrMalformed},
		{"fail/too-many-elements", []byte("<r>" + strings.Repeat("<a/>", maxElements) + "</r>"), ErrTooLarge},
		{"fail/too-large", append(bytes.Clone(bb), bytes.Repeat([]byte(" "), MaxSize)...), ErrTooLarge},
		{"fail/newline-in-attribute", replaceOnce(t, bb, `URI="#evidence"`, "URI=\"#evi\ndence\""), ErrMalformed},

		// Wrapping: a second facts element with the same Id, or the signature
		// moved under forged facts.
		{"fail/second-evidence-same-id", replaceOnce(t, bb, "</ds:Signature>", "<ds:Object>"+forged+"</ds:Object></ds:Signature>"), ErrReference},
		{"fail/forged-evidence-before-original", replaceOnce(t, bb, evidence, forged+evidence), ErrReference},
		{"fail/forged-evidence-in-key-info", replaceOnce(t, bb, "</ds:X509Data>", "</ds:X509Data>"+forged), ErrReference},
		{"fail/signature-moved-under-forged-facts", []byte(strings.Replace(forged, "</segl:Evidence>", string(bb[len(xmlDeclaration):])+"</segl:Evidence>", 1)), ErrReference},
		{"fail/signature-moved-under-other-root", []byte(`<x:Wrapper xmlns:x="urn:x">` + string(bb[len(xmlDeclaration):]) + `</x:Wrapper>`), ErrMalformed},
		{"fail/original-renamed-forged-in-place", resign(t, []byte(strings.Replace(string(bb), evidence, strings.Replace(forged, `Id="evidence"`, `Id="forged"`, 1), 1)), seal), ErrReference},
		{"fail/second-signature", replaceOnce(t, bb, "</ds:X509Data>", "</ds:X509Data><ds:Signature/>"), ErrMalformed},
		{"fail/three-objects", replaceOnce(t, bb, "</ds:Signature>", "<ds:Object/></ds:Signature>"), ErrMalformed},
		{"fail/references-swapped", resign(t, swapURIs(t, bb), seal), ErrReference},
		{"fail/reference-to-signature-value", resign(t, replaceOnce(t, bb, `URI="#evidence"`, `URI="#signature-value"`), seal), ErrReference},
		{"fail/reference-whole-document", replaceOnce(t, bb, `URI="#evidence"`, `URI=""`), ErrReference},
		{"fail/reference-xpointer", replaceOnce(t, bb, `URI="#evidence"`, `URI="#xpointer(id('evidence'))"`), ErrReference},
		{"fail/reference-unresolved", replaceOnce(t, bb, `URI="#evidence"`, `URI="#nowhere"`), ErrReference},
		{"fail/third-reference", thirdReference(t, bb), ErrReference},
		{"fail/properties-target-another-signature", replaceOnce(t, bb, `Target="#signature"`, `Target="#other"`), ErrReference},
		{"fail/data-object-format-names-nothing", resign(t, replaceOnce(t, bb, `ObjectReference="#reference-evidence"`, `ObjectReference="#x"`), seal), ErrReference},

		// Algorithms.
		{"fail/rsa-sha1", replaceOnce(t, bb, algECDSASHA256, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"), ErrAlgorithm},
		{"fail/sha1-digest", resign(t, []byte(strings.Replace(string(bb), algSHA256+`"></ds:DigestMethod>`+"\n      <ds:DigestValue>", "http://www.w3.org/2000/09/xmldsig#sha1\"></ds:DigestMethod>\n      <ds:DigestValue>", 1)), seal), ErrAlgorithm},
		{"fail/inclusive-c14n", replaceOnce(t, bb, `<ds:CanonicalizationMethod Algorithm="`+algExcC14N, `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315`), ErrAlgorithm},
		{"fail/c14n-with-comments", replaceOnce(t, bb, `<ds:CanonicalizationMethod Algorithm="`+algExcC14N, `<ds:CanonicalizationMethod Algorithm="`+algExcC14N+"WithComments"), ErrAlgorithm},
		{"fail/extra-transform", replaceOnce(t, bb, "</ds:Transform>\n      </ds:Transforms>\n      <ds:DigestMethod Algorithm=\""+algSHA256+"\"></ds:DigestMethod>\n      <ds:DigestValue>"+digestOf(t, bb, 0), "</ds:Transform><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\n      </ds:Transforms>\n      <ds:DigestMethod Algorithm=\""+algSHA256+"\"></ds:DigestMethod>\n      <ds:DigestValue>"+digestOf(t, bb, 0)), ErrAlgorithm},
		{"fail/inclusive-namespaces-prefix-list", replaceOnce(t, bb, "<ds:Transform Algorithm=\""+algExcC14N+"\"></ds:Transform>\n      </ds:Transforms>\n      <ds:DigestMethod Algorithm=\""+algSHA256+"\"></ds:DigestMethod>\n      <ds:DigestValue>"+digestOf(t, bb, 0), "<ds:Transform Algorithm=\""+algExcC14N+"\"><ec:InclusiveNamespaces xmlns:ec=\""+algExcC14N+"\" PrefixList=\"ds\"/></ds:Transform>\n      </ds:Transforms>\n      <ds:DigestMethod Algorithm=\""+algSHA256+"\"></ds:DigestMethod>\n      <ds:DigestValue>"+digestOf(t, bb, 0)), ErrMalformed},
		{"fail/signature-method-parameters", replaceOnce(t, bb, `<ds:SignatureMethod Algorithm="`+algECDSASHA256+`">`, `<ds:SignatureMethod Algorithm="`+algECDSASHA256+`"><ds:HMACOutputLength>8</ds:HMACOutputLength>`), ErrMalformed},
		{"fail/ecdsa-method-with-rsa-name", replaceOnce(t, bb, algECDSASHA256, algRSASHA256), ErrAlgorithm},

		// Signing certificate.
		{"fail/certificate-substituted", resign(t, replaceOnce(t, bb, sealB64, b64(second.Raw)), seal), ErrSigningCertificate},
		{"fail/issuer-serial-of-another-certificate", resign(t, replaceOnce(t, bb, b64(mustIssuerSerial(t, d.Seal.Cert)), b64(mustIssuerSerial(t, second))), seal), ErrSigningCertificate},
		{"fail/signing-certificate-removed", replaceOnce(t, bb, "<ds:X509Certificate>"+sealB64+"</ds:X509Certificate>", ""), ErrSignature},
		{"fail/unknown-signed-property", resign(t, replaceOnce(t, bb, "</xades:SignedSignatureProperties>", "<xades:SignerRoleV2/></xades:SignedSignatureProperties>"), seal), ErrMalformed},

		// Facts, signed but not as Sign writes them.
		{"fail/unknown-fact", resign(t, replaceOnce(t, bb, "<segl:Action>", "<segl:Note>x</segl:Note><segl:Action>"), seal), ErrMalformed},
		{"fail/attribute-on-fact", resign(t, replaceOnce(t, bb, "<segl:Action>", `<segl:Action xml:lang="en">`), seal), ErrMalformed},
		{"fail/low-assurance-signed", resign(t, replaceOnce(t, bb, "<segl:LevelOfAssurance>high", "<segl:LevelOfAssurance>low"), seal), ErrInvalidFacts},
		{"fail/size-not-canonical", resign(t, replaceOnce(t, bb, "<segl:Size>912", "<segl:Size>+912"), seal), ErrMalformed},

		// Unsigned properties.
		{"fail/time-stamp-of-another-signature", replaceOnce(t, blt, between(blt, "<xades:EncapsulatedTimeStamp>", "</xades:EncapsulatedTimeStamp>"), between(bltOther, "<xades:EncapsulatedTimeStamp>", "</xades:EncapsulatedTimeStamp>")), ErrTimeStamp},
		{"fail/time-stamp-garbage", replaceOnce(t, blt, between(blt, "<xades:EncapsulatedTimeStamp>", "</xades:EncapsulatedTimeStamp>"), "<xades:EncapsulatedTimeStamp>MAA=</xades:EncapsulatedTimeStamp>"), ErrTimeStamp},
		{"fail/time-stamp-inclusive-c14n", replaceOnce(t, blt, tsHead, strings.Replace(tsHead, algExcC14N, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", 1)), ErrAlgorithm},
		{"fail/two-time-stamps", replaceOnce(t, blt, "<xades:CertificateValues>", strings.Replace(between(blt, "<xades:SignatureTimeStamp", "</xades:SignatureTimeStamp>"), idTimeStamp, "second", 1)+"<xades:CertificateValues>"), ErrMalformed},
		{"fail/certificate-value-not-a-certificate", replaceOnce(t, blt, "<xades:CertificateValues>", "<xades:CertificateValues><xades:EncapsulatedX509Certificate>MAA=</xades:EncapsulatedX509Certificate>"), ErrMalformed},
		{"fail/crl-value-not-a-crl", replaceOnce(t, blt, "<xades:EncapsulatedCRLValue>", "<xades:EncapsulatedCRLValue>MAA=</xades:EncapsulatedCRLValue><xades:EncapsulatedCRLValue>"), ErrMalformed},
		{"fail/value-not-der-encoded", replaceOnce(t, blt, "<xades:EncapsulatedOCSPValue>", `<xades:EncapsulatedOCSPValue Encoding="http://uri.etsi.org/01903/v1.2.2#BER">`), ErrMalformed},
		{"fail/unknown-unsigned-property", replaceOnce(t, blt, "</xades:UnsignedSignatureProperties>", "<xades:CompleteRevocationRefs/></xades:UnsignedSignatureProperties>"), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Verify(tc.doc)
			if err == nil {
				t.Fatalf("Verify accepted it: %+v", v.Facts)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "xades: ") {
				t.Errorf("error %q lacks the xades: prefix", err)
			}
		})
	}
}

// What an XML tool may do to the file without changing what is signed.
func TestVerifyAccepts(t *testing.T) {
	opts := sealOptions(t)
	opts.Stamper = testAuthority(t)
	opts.Validation = validationData(t)
	doc := mustSign(t, testFacts(), opts)
	wrapped := wrapBase64(t, doc, "EncapsulatedCRLValue")
	for _, tc := range []struct {
		name string
		doc  []byte
	}{
		{"ok/as-signed", doc},
		{"ok/crlf-line-ends", bytes.ReplaceAll(doc, []byte("\n"), []byte("\r\n"))},
		{"ok/no-xml-declaration", doc[len(xmlDeclaration):]},
		{"ok/base64-wrapped-in-unsigned-values", wrapped},
		{"ok/self-closed-empty-elements", bytes.ReplaceAll(doc, []byte(`"></ds:Transform>`), []byte(`"/>`))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Verify(tc.doc); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// wrapBase64 wraps the base64 content of the first element named
// local at 76 characters, as MIME-minded tools write it.
func wrapBase64(t *testing.T, doc []byte, local string) []byte {
	t.Helper()
	s := string(doc)
	open, end := "<xades:"+local+">", "</xades:"+local+">"
	i := strings.Index(s, open) + len(open)
	j := i + strings.Index(s[i:], end)
	var b strings.Builder
	for k := i; k < j; k += 76 {
		b.WriteString("\n")
		b.WriteString(s[k:min(k+76, j)])
	}
	b.WriteString("\n")
	return []byte(s[:i] + b.String() + s[j:])
}

func mustIssuerSerial(t testing.TB, c *x509.Certificate) []byte {
	t.Helper()
	b, err := issuerSerial(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// derSignature re-signs the document but leaves the ECDSA SignatureValue in
// ASN.1 DER, as goxmldsig does (go-ecosystem.md §3.4): RFC 4051 wants r‖s.
func derSignature(t *testing.T, doc []byte) []byte {
	t.Helper()
	d, err := parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	si := d.Root().SelectElement("ds:SignedInfo")
	c, err := canonicalize(si)
	if err != nil {
		t.Fatal(err)
	}
	h := crypto.SHA256.New()
	h.Write(c)
	der, err := testPKI(t).Seal.Key.Sign(rand.Reader, h.Sum(nil), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	d.Root().SelectElement("ds:SignatureValue").SetText(b64(der))
	out, err := canonicalize(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flipSignatureBit changes one bit of r in the SignatureValue.
func flipSignatureBit(t *testing.T, doc []byte) []byte {
	t.Helper()
	d, err := parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	sv := d.Root().SelectElement("ds:SignatureValue")
	sig, err := base64.StdEncoding.DecodeString(sv.Text())
	if err != nil {
		t.Fatal(err)
	}
	sig[5] ^= 0x10
	sv.SetText(b64(sig))
	out, err := canonicalize(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func digestOf(t *testing.T, doc []byte, i int) string {
	t.Helper()
	d, err := parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return d.Root().SelectElement("ds:SignedInfo").SelectElements("ds:Reference")[i].SelectElement("ds:DigestValue").Text()
}

// swapURIs points the facts reference at the signed properties and the
// SignedProperties-typed reference at the facts.
func swapURIs(t *testing.T, doc []byte) []byte {
	t.Helper()
	doc = replaceOnce(t, doc, `URI="#evidence"`, `URI="#tmp"`)
	doc = replaceOnce(t, doc, `URI="#signed-properties"`, `URI="#evidence"`)
	return replaceOnce(t, doc, `URI="#tmp"`, `URI="#signed-properties"`)
}

func thirdReference(t *testing.T, doc []byte) []byte {
	t.Helper()
	d, err := parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	si := d.Root().SelectElement("ds:SignedInfo")
	r := si.SelectElements("ds:Reference")[0].Copy()
	r.RemoveAttr("Id")
	si.AddChild(r)
	out, err := canonicalize(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func BenchmarkSign(b *testing.B) {
	opts := sealOptions(b)
	f := testFacts()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(ctx, f, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	doc := mustSign(b, testFacts(), sealOptions(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// Gather is asked for the validation data after the signature time-stamp
// is made (so that revocation data gathered then is no older than it), and
// what it gives is embedded and verifies, also with facts whose text the
// second indentation must leave as signed.
func TestSignGathersAfterTheStamp(t *testing.T) {
	a := testAuthority(t)
	var stamped, gathered bool
	opts := sealOptions(t)
	opts.Stamper = stamperFunc(func(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
		stamped = true
		return a.Stamp(ctx, h, digest)
	})
	vd := validationData(t)
	opts.Gather = func(context.Context) (*ValidationData, error) {
		if !stamped {
			t.Error("validation data gathered before the time-stamp")
		}
		gathered = true
		return vd, nil
	}
	f := testFacts()
	f.JobTitle = "a\r\nb & <c> \"d\" 'e' ]]> \U0001F58B\t"
	f.Signer.Name = "  Ærlige Øyvind  "
	out := mustSign(t, f, opts)
	if !gathered {
		t.Fatal("Gather was not asked")
	}
	v, err := Verify(out)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	sameFacts(t, v.Facts, f)
	if !reflect.DeepEqual(v.Validation, *vd) {
		t.Errorf("validation data differs: got %d/%d/%d", len(v.Validation.Certs), len(v.Validation.OCSPs), len(v.Validation.CRLs))
	}

	both := opts
	both.Validation = vd
	if _, err := Sign(context.Background(), testFacts(), both); err == nil {
		t.Error("Validation and Gather together: no error")
	}
	empty := opts
	empty.Gather = func(context.Context) (*ValidationData, error) { return nil, nil }
	if _, err := Sign(context.Background(), testFacts(), empty); err == nil {
		t.Error("Gather giving nothing: no error")
	}
	failing := opts
	failing.Gather = func(context.Context) (*ValidationData, error) { return nil, errors.New("ocsp down") }
	if _, err := Sign(context.Background(), testFacts(), failing); err == nil || !strings.Contains(err.Error(), "ocsp down") {
		t.Errorf("a failing Gather: got %v", err)
	}
}

// indentUnsigned indents the unsigned properties after addValidation as
// indenting the whole document again would, byte for byte, whatever
// validation data there is.
func TestIndentUnsignedIsDocumentIndent(t *testing.T) {
	full := validationData(t)
	for name, v := range map[string]*ValidationData{
		"full":         full,
		"certificates": {Certs: full.Certs},
		"revocation":   {OCSPs: full.OCSPs, CRLs: full.CRLs},
		"empty":        {},
	} {
		t.Run(name, func(t *testing.T) {
			f := testFacts()
			f.JobTitle = "  a\r\n\t b  "
			opts := sealOptions(t)
			opts.Stamper = testAuthority(t)
			alg, err := checkSigner(opts)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := buildTree(&f, opts, alg)
			if err != nil {
				t.Fatal(err)
			}
			tr.doc.Indent(2)
			tr.timeStamp.SetText("AAAA")
			want := tr.doc.Copy()
			addValidation(tr.unsigned, v)
			indentUnsigned(tr.unsigned)
			addValidation(want.FindElement("//xades:UnsignedSignatureProperties"), v)
			want.Indent(2)
			got, err := tr.doc.WriteToString()
			if err != nil {
				t.Fatal(err)
			}
			wantText, err := want.WriteToString()
			if err != nil {
				t.Fatal(err)
			}
			if got != wantText {
				t.Errorf("indented:\n%s\nwant:\n%s", got, wantText)
			}
		})
	}
}

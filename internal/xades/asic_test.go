package xades

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/segl/segl/internal/pki/pkitest"
)

func asicFiles() []ASiCFile {
	return []ASiCFile{
		{Name: "0000_kontrakt 1.pdf", MediaType: "application/pdf", Content: []byte("%PDF-1.7 kontrakt")},
		{Name: "manifest.xml", MediaType: "application/xml", Content: []byte("<manifest/>")},
	}
}

func opener(files []ASiCFile) func(string) (io.ReadCloser, error) {
	return func(name string) (io.ReadCloser, error) {
		for _, f := range files {
			if f.Name == name {
				return io.NopCloser(bytes.NewReader(f.Content)), nil
			}
		}
		return nil, fs.ErrNotExist
	}
}

func TestASiCRoundTrip(t *testing.T) {
	files := asicFiles()
	for _, tc := range []struct {
		name string
		opts SignOptions
	}{{"rsa", rsaOptions(t)}, {"ecdsa", sealOptions(t)}} {
		t.Run("ok/"+tc.name, func(t *testing.T) {
			at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
			sig, err := SignASiC(files, tc.opts, at)
			if err != nil {
				t.Fatal(err)
			}
			v, err := VerifyASiC(sig, opener(files))
			if err != nil {
				t.Fatalf("%v\n%s", err, sig)
			}
			if !v.Certificate.Equal(tc.opts.Certificate) || !v.SigningTime.Equal(at) ||
				strings.Join(v.Files, "|") != "0000_kontrakt 1.pdf|manifest.xml" {
				t.Fatalf("verified %+v", v)
			}
		})
	}

	sig, err := SignASiC(files, rsaOptions(t), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The .NET client writes the container namespace with a prefix and
	// leaves a stray default namespace on the document element; Canonical
	// XML 1.0 then puts that namespace into SignedInfo, so the sender signs
	// it and a verifier must render it the same way.
	t.Run("ok/dotnet-prefixes", func(t *testing.T) {
		opts := rsaOptions(t)
		dotnet := strings.Replace(string(sig), `<XAdESSignatures xmlns="http://uri.etsi.org/2918/v1.2.1#">`,
			`<xades:XAdESSignatures xmlns:xades="http://uri.etsi.org/2918/v1.2.1#" xmlns="http://uri.etsi.org/01903/v1.3.2#">`, 1)
		dotnet = strings.Replace(dotnet, "</XAdESSignatures>", "</xades:XAdESSignatures>", 1)
		if _, err := VerifyASiC([]byte(dotnet), opener(files)); !errors.Is(err, ErrSignature) {
			t.Fatalf("a namespace added to SignedInfo's scope after signing: %v", err)
		}
		resigned := resignWithRoot(t, files, opts)
		if _, err := VerifyASiC(resigned, opener(files)); err != nil {
			t.Fatalf("%v\n%s", err, resigned)
		}
	})

	changed := asicFiles()
	changed[0].Content = []byte("%PDF-1.7 kontrakt, endret")
	missing := asicFiles()[1:]
	for _, tc := range []struct {
		name string
		sig  []byte
		open func(string) (io.ReadCloser, error)
		want error
	}{
		{"fail/changed-document", sig, opener(changed), ErrDigest},
		{"fail/missing-document", sig, opener(missing), ErrFile},
		{"fail/changed-signing-time", bytes.Replace(sig, []byte("<SigningTime>2"), []byte("<SigningTime>1"), 1), opener(files), ErrDigest},
		{"fail/reference-into-meta-inf", bytes.Replace(sig, []byte(`URI="manifest.xml"`), []byte(`URI="META-INF%2Fmanifest.xml"`), 1), opener(files), ErrReference},
		{"fail/parent-path", bytes.Replace(sig, []byte(`URI="manifest.xml"`), []byte(`URI="..%2Fmanifest.xml"`), 1), opener(files), ErrReference},
		{"fail/comment", bytes.Replace(sig, []byte("<SignedInfo>"), []byte("<SignedInfo><!-- x -->"), 1), opener(files), ErrMalformed},
		{"fail/doctype", append([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>`), sig...), opener(files), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := VerifyASiC(tc.sig, tc.open); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// resignWithRoot signs the files inside the .NET client's document element,
// so that SignedInfo is canonicalised in that namespace scope.
func resignWithRoot(t *testing.T, files []ASiCFile, opts SignOptions) []byte {
	t.Helper()
	return resignASiC(t, files, opts, func(root *etree.Element) {
		root.Space = "xades"
		root.RemoveAttr("xmlns")
		root.CreateAttr("xmlns:xades", nsASiC)
		root.CreateAttr("xmlns", nsXAdES)
	})
}

// resignASiC signs the files, lets change alter the signature document, and
// signs the signed properties and SignedInfo again, so that only what
// change did can fail a verification.
func resignASiC(t *testing.T, files []ASiCFile, opts SignOptions, change func(root *etree.Element)) []byte {
	t.Helper()
	sig, err := SignASiC(files, opts, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parse(sig)
	if err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	change(root)
	s, err := asicStructure(root.ChildElements()[0])
	if err != nil {
		t.Fatal(err)
	}
	spSum, err := digestCanonical(s.signedProperties, digestAlgorithms[algSHA256], true)
	if err != nil {
		t.Fatal(err)
	}
	spRef := s.signedInfo.FindElement("Reference[@URI='#SignedProperties']")
	spRef.FindElement("DigestValue").SetText(base64.StdEncoding.EncodeToString(spSum))
	canonical, err := canonicalizeInclusive(s.signedInfo)
	if err != nil {
		t.Fatal(err)
	}
	alg := s.signedInfo.FindElement("SignatureMethod").SelectAttrValue("Algorithm", "")
	value, err := signBytes(opts.Signer, opts.Certificate.PublicKey, alg, canonical)
	if err != nil {
		t.Fatal(err)
	}
	s.signatureValue.SetText(base64.StdEncoding.EncodeToString(value))
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// xmlsec1 checks the signature core: SignedInfo under Canonical XML 1.0,
// the file references resolved next to signatures.xml, and the
// SignedProperties reference.
func TestASiCXmlsec1(t *testing.T) {
	files := asicFiles()
	files[0].Name = "0000_kontrakt.pdf" // xmlsec1 reads "+" literally, as RFC 3986 does
	java, err := SignASiC(files, rsaOptions(t), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The .NET client's shape: a prefixed document element with a stray
	// default namespace, which Canonical XML 1.0 carries into SignedInfo
	// and SignedProperties; xmlsec1 canonicalises independently of us.
	dotnet := resignWithRoot(t, files, rsaOptions(t))
	root := filepath.Join(testPKI(t).Dir, "root-ca.pem")
	for name, sig := range map[string][]byte{"java": java, "dotnet": dotnet} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range files {
				pkitest.WriteFile(t, dir, f.Name, f.Content)
			}
			path := pkitest.WriteFile(t, dir, "signatures.xml", sig)
			xmlsec := func() (string, error) {
				return tool(t, dir, "xmlsec1", "xmlsec1", "--verify", "--trusted-pem", root,
					"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", path)
			}
			if out, err := xmlsec(); err != nil || !strings.Contains(out, "OK") {
				t.Fatalf("xmlsec1: %v\n%s", err, out)
			}
			pkitest.WriteFile(t, dir, files[0].Name, []byte("%PDF-1.7 endret"))
			if out, err := xmlsec(); err == nil {
				t.Fatalf("xmlsec1 accepted a changed document:\n%s", out)
			}
		})
	}
}

// TestASiCSigningCertificateStrict: the XAdES 1.3.2 SigningCertificate of
// Posten's clients is read as strictly as SigningCertificateV2: its
// DigestMethod carries nothing, so one with content is malformed even in
// a signature that is otherwise valid.
func TestASiCSigningCertificateStrict(t *testing.T) {
	files := asicFiles()
	sig := resignASiC(t, files, rsaOptions(t), func(root *etree.Element) {
		dm := root.FindElement(".//SigningCertificate//DigestMethod")
		if dm == nil {
			t.Fatal("no SigningCertificate DigestMethod")
		}
		dm.CreateElement(dm.Space + ":HMACOutputLength").SetText("160")
	})
	if _, err := VerifyASiC(sig, opener(files)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a SigningCertificate DigestMethod with content: %v", err)
	}
}

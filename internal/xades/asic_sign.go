package xades

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// ASiCFile is one container entry a sender signs.
type ASiCFile struct {
	Name      string // entry name in the ZIP
	MediaType string // for the DataObjectFormat
	Content   []byte
}

// SignASiC makes META-INF/signatures.xml for an ASiC-E container the way
// Posten's Java client does (ETSI TS 102 918 annex A; Posten's
// "dokumentpakke" rules): one ds:Signature with Id "Signature", one
// Reference per file (SHA-256, no transforms, the URI URL-encoded), a
// Reference to the SignedProperties with the Canonical XML 1.0 transform,
// SignedInfo canonicalised with Canonical XML 1.0, a SigningCertificate
// with a SHA-1 digest and IssuerSerial, and a DataObjectFormat per file.
// KeyInfo carries the certificate and chain.
//
// segl itself accepts what this makes (VerifyASiC); it exists so that a Go
// sender, and segl's tests, can speak Posten's API as the official clients
// do.
func SignASiC(files []ASiCFile, opts SignOptions, at time.Time) ([]byte, error) {
	alg, err := checkSigner(opts)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8" standalone="no"`)
	root := doc.CreateElement("XAdESSignatures")
	root.CreateAttr("xmlns", nsASiC)
	sig := root.CreateElement("Signature")
	sig.CreateAttr("xmlns", nsDS)
	sig.CreateAttr("Id", "Signature")
	si := sig.CreateElement("SignedInfo")
	si.CreateElement("CanonicalizationMethod").CreateAttr("Algorithm", algC14N)
	si.CreateElement("SignatureMethod").CreateAttr("Algorithm", alg)
	for i, f := range files {
		ref := si.CreateElement("Reference")
		ref.CreateAttr("Id", fmt.Sprintf("ID_%d", i))
		ref.CreateAttr("URI", url.QueryEscape(f.Name))
		sum := sha256.Sum256(f.Content)
		digest(ref, sum[:])
	}
	spRef := si.CreateElement("Reference")
	spRef.CreateAttr("Type", typeSignedProperties)
	spRef.CreateAttr("URI", "#SignedProperties")
	spRef.CreateElement("Transforms").CreateElement("Transform").CreateAttr("Algorithm", algC14N)
	sigValue := sig.CreateElement("SignatureValue")
	x509Data := sig.CreateElement("KeyInfo").CreateElement("X509Data")
	for _, c := range append([]*x509.Certificate{opts.Certificate}, opts.Chain...) {
		x509Data.CreateElement("X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.Raw))
	}

	qp := sig.CreateElement("Object").CreateElement("QualifyingProperties")
	qp.CreateAttr("xmlns", nsXAdES)
	qp.CreateAttr("xmlns:ns2", nsDS)
	qp.CreateAttr("Target", "#Signature")
	sp := qp.CreateElement("SignedProperties")
	sp.CreateAttr("Id", "SignedProperties")
	ssp := sp.CreateElement("SignedSignatureProperties")
	ssp.CreateElement("SigningTime").SetText(at.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	cert := ssp.CreateElement("SigningCertificate").CreateElement("Cert")
	cd := cert.CreateElement("CertDigest")
	// SHA-1 because Posten's clients write it so: this copies their format
	// for senders; VerifyASiC accepts SHA-1 in this one element (certV1).
	cd.CreateElement("ns2:DigestMethod").CreateAttr("Algorithm", algSHA1)
	certSum := sha1.Sum(opts.Certificate.Raw)
	cd.CreateElement("ns2:DigestValue").SetText(base64.StdEncoding.EncodeToString(certSum[:]))
	is := cert.CreateElement("IssuerSerial")
	is.CreateElement("ns2:X509IssuerName").SetText(opts.Certificate.Issuer.String())
	is.CreateElement("ns2:X509SerialNumber").SetText(opts.Certificate.SerialNumber.String())
	sdop := sp.CreateElement("SignedDataObjectProperties")
	for i, f := range files {
		dof := sdop.CreateElement("DataObjectFormat")
		dof.CreateAttr("ObjectReference", fmt.Sprintf("#ID_%d", i))
		dof.CreateElement("MimeType").SetText(f.MediaType)
	}

	spSum, err := digestCanonical(sp, digestAlgorithms[algSHA256], true)
	if err != nil {
		return nil, err
	}
	digest(spRef, spSum)
	canonical, err := canonicalizeInclusive(si)
	if err != nil {
		return nil, err
	}
	value, err := signBytes(opts.Signer, opts.Certificate.PublicKey, alg, canonical)
	if err != nil {
		return nil, err
	}
	sigValue.SetText(base64.StdEncoding.EncodeToString(value))
	out, err := doc.WriteToString()
	if err != nil {
		return nil, err
	}
	return []byte(strings.TrimSpace(out) + "\n"), nil
}

// digest adds SHA-256 DigestMethod and DigestValue to a Reference.
func digest(ref *etree.Element, sum []byte) {
	ref.CreateElement("DigestMethod").CreateAttr("Algorithm", algSHA256)
	ref.CreateElement("DigestValue").SetText(base64.StdEncoding.EncodeToString(sum))
}

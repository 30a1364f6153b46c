package xades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/beevik/etree"
	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pki"
)

const (
	prefixDS    = "ds"
	prefixXAdES = "xades"
)

// Sign makes the evidence of one signing act: f, in a ds:Object of an
// enveloping XAdES signature by opts.Signer, at level B-B, B-T when
// opts.Stamper is set, and B-LT when opts.Validation or opts.Gather is set too (EN 319
// 132-1 clause 6). See the package documentation for the layout. f.SignedAt
// is also the xades:SigningTime. Sign writes the facts it is given and
// nothing else: leaving out what a job does not allow to be shown (PID,
// birth date) is the caller's decision.
func Sign(ctx context.Context, f Facts, opts SignOptions) ([]byte, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	alg, err := checkSigner(opts)
	if err != nil {
		return nil, err
	}
	if (opts.Validation != nil || opts.Gather != nil) && opts.Stamper == nil {
		return nil, errors.New("xades: validation data needs a signature time-stamp (B-LT builds on B-T, EN 319 132-1 clause 6)")
	}
	if opts.Validation != nil && opts.Gather != nil {
		return nil, errors.New("xades: validation data is given or gathered, not both")
	}

	t, err := buildTree(&f, opts, alg)
	if err != nil {
		return nil, err
	}
	t.doc.Indent(2)

	// XMLDSig §3.1.1 Reference generation, then §3.1.2 signature generation.
	for _, r := range []struct {
		target, digest *etree.Element
	}{
		{t.evidence, t.evidenceDigest},
		{t.signedProperties, t.propertiesDigest},
	} {
		d, err := digestElement(r.target, crypto.SHA256)
		if err != nil {
			return nil, err
		}
		r.digest.SetText(base64.StdEncoding.EncodeToString(d))
	}
	var sig []byte
	err = withCanonical(t.signedInfo, func(si []byte) (err error) {
		sig, err = signBytes(opts.Signer, opts.Certificate.PublicKey, alg, si)
		return err
	})
	if err != nil {
		return nil, err
	}
	t.signatureValue.SetText(base64.StdEncoding.EncodeToString(sig))

	if opts.Stamper != nil {
		tok, err := stamp(ctx, opts.Stamper, t.signatureValue)
		if err != nil {
			return nil, err
		}
		t.timeStamp.SetText(base64.StdEncoding.EncodeToString(tok))
		v := opts.Validation
		if opts.Gather != nil {
			if v, err = opts.Gather(ctx); err != nil {
				return nil, fmt.Errorf("xades: validation data: %w", err)
			}
			if v == nil {
				return nil, errors.New("xades: Gather gave no validation data")
			}
		}
		if v != nil {
			addValidation(t.unsigned, v)
			indentUnsigned(t.unsigned)
		}
	}

	var out []byte
	err = withCanonical(t.doc.Root(), func(body []byte) error {
		out = make([]byte, 0, len(xmlDeclaration)+len(body)+1)
		out = append(append(append(out, xmlDeclaration...), body...), '\n')
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// canonicalScratch holds the buffers of canonical forms that are only
// hashed, signed or copied once (withCanonical): an evidence is tens of
// kilobytes, which a buffer grown from nothing allocates about twice over,
// and is then copied to its exact size.
var canonicalScratch = sync.Pool{New: func() any { return new([]byte) }}

// maxCanonicalScratch is the largest buffer canonicalScratch keeps.
const maxCanonicalScratch = 1 << 20

// withCanonical calls use with the exclusive canonical form of e
// (canonicalize) in a reused buffer, which use must not keep.
func withCanonical(e *etree.Element, use func(c []byte) error) error {
	bp := canonicalScratch.Get().(*[]byte)
	c, err := appendCanonical((*bp)[:0], e, false)
	if err == nil {
		err = use(c)
	}
	if cap(c) <= maxCanonicalScratch {
		*bp = c[:0]
		canonicalScratch.Put(bp)
	}
	return err
}

const xmlDeclaration = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// checkSigner checks that the key and certificate belong together and that
// the chain names the certificate's issuers in order, and picks the signature
// method: ECDSA with the hash that matches the curve's strength, or RSA
// with SHA-256.
func checkSigner(opts SignOptions) (string, error) {
	if opts.Signer == nil || opts.Certificate == nil || len(opts.Certificate.Raw) == 0 {
		return "", errors.New("xades: a signer and its parsed certificate are required")
	}
	pub, ok := opts.Signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(opts.Certificate.PublicKey) {
		return "", errors.New("xades: the key does not match the certificate")
	}
	// The chain is checked by names and key identifiers only: that catches
	// a misconfigured chain without an ECDSA P-384 verification per
	// signature (80% of Sign's time). The validator verifies the path.
	child := opts.Certificate
	for _, c := range opts.Chain {
		if !bytes.Equal(child.RawIssuer, c.RawSubject) ||
			len(child.AuthorityKeyId) > 0 && len(c.SubjectKeyId) > 0 && !bytes.Equal(child.AuthorityKeyId, c.SubjectKeyId) {
			return "", fmt.Errorf("xades: chain: %v is not issued by %v", child.Subject, c.Subject)
		}
		child = c
	}
	return signatureMethod(opts.Certificate.PublicKey)
}

func signatureMethod(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return algECDSASHA256, nil
		case elliptic.P384():
			return algECDSASHA384, nil
		case elliptic.P521():
			return algECDSASHA512, nil
		}
		return "", fmt.Errorf("%w: ecdsa curve %s", ErrAlgorithm, k.Curve.Params().Name)
	case *rsa.PublicKey:
		if k.Size()*8 < 2048 {
			return "", fmt.Errorf("%w: rsa key of %d bits", ErrAlgorithm, k.Size()*8)
		}
		return algRSASHA256, nil
	}
	return "", fmt.Errorf("%w: key type %T", ErrAlgorithm, pub)
}

// signBytes signs the canonical SignedInfo. An ECDSA signature is turned
// from the ASN.1 DER a crypto.Signer returns into r‖s, each left-padded to
// the size of the curve order, as RFC 4051 §2.3.6 (and XMLDSig 1.1 §6.4.3)
// requires.
func signBytes(signer crypto.Signer, pub crypto.PublicKey, alg string, data []byte) ([]byte, error) {
	sa := signatureAlgorithms[alg]
	h := sa.hash.New()
	h.Write(data)
	sig, err := signer.Sign(rand.Reader, h.Sum(nil), sa.hash)
	if err != nil {
		return nil, fmt.Errorf("xades: sign: %w", err)
	}
	if !sa.ecdsa {
		return sig, nil
	}
	n := (pub.(*ecdsa.PublicKey).Curve.Params().N.BitLen() + 7) / 8
	raw, err := pki.RawECDSA(sig, n) // RFC 4051 section 3.3
	if err != nil {
		return nil, fmt.Errorf("xades: sign: the signer returned a malformed ecdsa signature: %w", err)
	}
	return raw, nil
}

// stamp gets the signature time-stamp of EN 319 132-1 §5.3: a token over
// the digest of the canonical ds:SignatureValue element, with the method
// the SignatureTimeStamp names (exclusive c14n). A token over anything
// else is refused here rather than found out by a validator later.
func stamp(ctx context.Context, s cms.Stamper, sigValue *etree.Element) ([]byte, error) {
	d, err := digestElement(sigValue, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	tok, err := s.Stamp(ctx, crypto.SHA256, d)
	if err != nil {
		return nil, fmt.Errorf("xades: signature time-stamp: %w", err)
	}
	if err := cms.CheckTimeStamp(tok, crypto.SHA256, d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTimeStamp, err)
	}
	return tok, nil
}

func digestElement(e *etree.Element, h crypto.Hash) ([]byte, error) {
	w := h.New()
	if err := withCanonical(e, func(c []byte) error {
		w.Write(c)
		return nil
	}); err != nil {
		return nil, err
	}
	return w.Sum(nil), nil
}

// tree is the signature under construction, with the elements whose
// content is filled in once the digests and signatures are known.
type tree struct {
	doc              *etree.Document
	signedInfo       *etree.Element
	evidence         *etree.Element
	evidenceDigest   *etree.Element
	signedProperties *etree.Element
	propertiesDigest *etree.Element
	signatureValue   *etree.Element
	timeStamp        *etree.Element // nil for B-B
	unsigned         *etree.Element // UnsignedSignatureProperties; nil for B-B
}

// xa adds an element of the XAdES namespace named name to parent.
func xa(parent *etree.Element, name string) *etree.Element {
	return parent.CreateElement(prefixXAdES + ":" + name)
}

// addValidation adds v to the unsigned signature properties after the
// SignatureTimeStamp, as CertificateValues and RevocationValues (B-LT, EN
// 319 132-1 §5.4).
func addValidation(usp *etree.Element, v *ValidationData) {
	values := func(parent *etree.Element, list, item string, ders [][]byte) {
		if len(ders) == 0 {
			return
		}
		l := xa(parent, list)
		for _, der := range ders {
			xa(l, item).SetText(base64.StdEncoding.EncodeToString(der))
		}
	}
	values(usp, "CertificateValues", "EncapsulatedX509Certificate", v.Certs)
	if len(v.CRLs)+len(v.OCSPs) > 0 {
		rv := xa(usp, "RevocationValues")
		values(rv, "CRLValues", "EncapsulatedCRLValue", v.CRLs)
		values(rv, "OCSPValues", "EncapsulatedOCSPValue", v.OCSPs)
	}
}

// indentUnsigned indents usp, the unsigned signature properties after
// addValidation, as Document.Indent(2) indents it in the whole document,
// without indenting the rest again (which the signature covers as it
// was). Element.IndentWithSettings indents as if usp were the root's
// child; every line it begins is then deeper by usp's depth below that.
func indentUnsigned(usp *etree.Element) {
	s := etree.NewIndentSettings()
	s.Spaces = 2
	usp.IndentWithSettings(s)
	depth := 0 // usp's ancestors, the document itself not counted
	for p := usp.Parent(); p != nil && p.Parent() != nil; p = p.Parent() {
		depth++
	}
	pad := strings.Repeat(" ", 2*depth)
	var deepen func(e *etree.Element)
	deepen = func(e *etree.Element) {
		for _, c := range e.Child {
			switch c := c.(type) {
			case *etree.CharData:
				if c.IsWhitespace() {
					c.Data = "\n" + pad + strings.TrimPrefix(c.Data, "\n")
				}
			case *etree.Element:
				deepen(c)
			}
		}
	}
	deepen(usp)
}

func buildTree(f *Facts, opts SignOptions, alg string) (*tree, error) {
	var t tree
	ds := func(parent *etree.Element, name string) *etree.Element {
		return parent.CreateElement(prefixDS + ":" + name)
	}
	algorithm := func(parent *etree.Element, name, alg string) {
		ds(parent, name).CreateAttr("Algorithm", alg)
	}
	b64 := func(e *etree.Element, b []byte) {
		e.SetText(base64.StdEncoding.EncodeToString(b))
	}

	t.doc = etree.NewDocument()
	sig := t.doc.CreateElement(prefixDS + ":Signature")
	sig.CreateAttr("xmlns:"+prefixDS, nsDS)
	sig.CreateAttr("Id", idSignature)

	// XMLDSig §4.4 SignedInfo.
	t.signedInfo = ds(sig, "SignedInfo")
	algorithm(t.signedInfo, "CanonicalizationMethod", algExcC14N)
	algorithm(t.signedInfo, "SignatureMethod", alg)
	reference := func(id, uri, typ string) *etree.Element {
		r := ds(t.signedInfo, "Reference")
		r.CreateAttr("Id", id)
		if typ != "" {
			r.CreateAttr("Type", typ)
		}
		r.CreateAttr("URI", "#"+uri)
		algorithm(ds(r, "Transforms"), "Transform", algExcC14N)
		algorithm(r, "DigestMethod", algSHA256)
		return ds(r, "DigestValue")
	}
	t.evidenceDigest = reference(idRefEvidence, idEvidence, "")
	t.propertiesDigest = reference(idRefProperties, idSignedProperties, typeSignedProperties)

	t.signatureValue = ds(sig, "SignatureValue")
	t.signatureValue.CreateAttr("Id", idSignatureValue)

	// XMLDSig §4.5 KeyInfo: the signing certificate first, then its chain.
	x509Data := ds(ds(sig, "KeyInfo"), "X509Data")
	for _, c := range append([]*x509.Certificate{opts.Certificate}, opts.Chain...) {
		b64(ds(x509Data, "X509Certificate"), c.Raw)
	}

	t.evidence = evidenceElement(f)
	ds(sig, "Object").AddChild(t.evidence)

	// EN 319 132-1 clause 4: QualifyingProperties.
	qp := etree.NewElement(prefixXAdES + ":QualifyingProperties")
	qp.CreateAttr("xmlns:"+prefixXAdES, nsXAdES)
	qp.CreateAttr("Target", "#"+idSignature)
	ds(sig, "Object").AddChild(qp)
	t.signedProperties = xa(qp, "SignedProperties")
	t.signedProperties.CreateAttr("Id", idSignedProperties)
	ssp := xa(t.signedProperties, "SignedSignatureProperties")
	xa(ssp, "SigningTime").SetText(formatTime(f.SignedAt)) // §5.2.1
	// §5.2.2 SigningCertificateV2: the digest of the signing certificate
	// and, as IssuerSerialV2, the DER of an RFC 5035 IssuerSerial.
	cert := xa(xa(ssp, "SigningCertificateV2"), "Cert")
	cd := xa(cert, "CertDigest")
	algorithm(cd, "DigestMethod", algSHA256)
	d := crypto.SHA256.New()
	d.Write(opts.Certificate.Raw)
	b64(ds(cd, "DigestValue"), d.Sum(nil))
	is, err := issuerSerial(opts.Certificate)
	if err != nil {
		return nil, err
	}
	b64(xa(cert, "IssuerSerialV2"), is)
	// §5.2 DataObjectFormat, mandatory for each signed data object in the
	// baselines (clause 6).
	dof := xa(xa(t.signedProperties, "SignedDataObjectProperties"), "DataObjectFormat")
	dof.CreateAttr("ObjectReference", "#"+idRefEvidence)
	xa(dof, "Description").SetText("segl evidence of a signing act")
	xa(dof, "MimeType").SetText("application/xml")

	if opts.Stamper == nil {
		return &t, nil
	}
	usp := xa(xa(qp, "UnsignedProperties"), "UnsignedSignatureProperties")
	// §5.3 SignatureTimeStamp: the CanonicalizationMethod says how
	// ds:SignatureValue was canonicalised for the time-stamp imprint.
	ts := xa(usp, "SignatureTimeStamp")
	ts.CreateAttr("Id", idTimeStamp)
	algorithm(ts, "CanonicalizationMethod", algExcC14N)
	t.timeStamp = xa(ts, "EncapsulatedTimeStamp")
	t.unsigned = usp
	return &t, nil
}

// issuerSerial is the DER of IssuerSerial (RFC 5035 ESSCertIDv2, from RFC 5755):
// the issuer as GeneralNames holding one directoryName, and the serial
// number.
func issuerSerial(c *x509.Certificate) ([]byte, error) {
	b, err := asn1.Marshal(struct {
		Issuer []asn1.RawValue
		Serial *big.Int
	}{
		Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: c.RawIssuer}},
		Serial: c.SerialNumber,
	})
	if err != nil {
		return nil, fmt.Errorf("xades: issuer serial: %w", err)
	}
	return b, nil
}

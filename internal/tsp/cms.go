package tsp

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// The CMS subset a TimeStampToken needs (RFC 5652 §5, RFC 3161 §2.4.2).
var (
	oidSignedData           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidData                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidAttrContentType      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningCert      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidAttrSigningCertV2    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidRSAEncryption        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECPublicKey          = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA256      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidEd25519              = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidExtKeyUsage          = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidKPTimeStamping       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	errUnsupportedSignature = errors.New("unsupported signature algorithm")
)

// Content is the [0] EXPLICIT wrapper itself, in both directions:
// encoding/asn1 ignores "explicit" when marshalling a RawValue.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     []byte `asn1:"explicit,optional,tag:0"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue // IssuerAndSerialNumber or [0] SubjectKeyIdentifier
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue // SET OF AttributeValue
}

// RFC 2634 §5.4 and RFC 5035 §3 (RFC 5816 §2.2.1 allows either in a TST).
type signingCertificate struct {
	Certs    []essCertID
	Policies asn1.RawValue `asn1:"optional"`
}

type essCertID struct {
	CertHash     []byte        // SHA-1
	IssuerSerial asn1.RawValue `asn1:"optional"`
}

type signingCertificateV2 struct {
	Certs    []essCertIDv2
	Policies asn1.RawValue `asn1:"optional"`
}

type essCertIDv2 struct {
	HashAlgorithm pkix.AlgorithmIdentifier `asn1:"optional"` // DEFAULT id-sha256
	CertHash      []byte
	IssuerSerial  asn1.RawValue `asn1:"optional"`
}

type issuerSerial struct {
	Issuer []asn1.RawValue // GeneralNames
	Serial *big.Int
}

// signParams is what goes into a token besides the key. The fields other than
// tst exist so the tests can build deliberately wrong tokens with the same code.
type signParams struct {
	tst         []byte                // DER TSTInfo
	contentType asn1.ObjectIdentifier // nil → id-ct-TSTInfo
	essCert     *x509.Certificate     // certificate named by ESSCertIDv2; nil → the signer's
	certs       []*x509.Certificate   // the certificates field; empty → absent (certReq false)
}

// signatureScheme picks the signature and digest algorithms for a key: the
// hash matches the curve strength for ECDSA, SHA-256 for RSA (PKCS #1 v1.5,
// RFC 5754 §3.2), SHA-512 for Ed25519 (RFC 8419 §3).
func signatureScheme(pub crypto.PublicKey) (crypto.Hash, pkix.AlgorithmIdentifier, error) {
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		switch bits := pub.Curve.Params().BitSize; {
		case bits <= 256:
			return crypto.SHA256, pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256}, nil
		case bits <= 384:
			return crypto.SHA384, pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA384}, nil
		default:
			return crypto.SHA512, pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA512}, nil
		}
	case *rsa.PublicKey:
		return crypto.SHA256, pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA, Parameters: asn1.NullRawValue}, nil
	case ed25519.PublicKey:
		return crypto.SHA512, pkix.AlgorithmIdentifier{Algorithm: oidEd25519}, nil
	}
	return 0, pkix.AlgorithmIdentifier{}, fmt.Errorf("tsp: %w for key %T", errUnsupportedSignature, pub)
}

// signToken wraps a TSTInfo in SignedData signed by key, with the signed
// attributes RFC 3161 §2.4.2 and RFC 5816 §2.2.1 require: content-type,
// message-digest and signing-certificate-v2 (ESSCertIDv2 with SHA-256, so the
// hash algorithm is omitted as the DEFAULT, and the issuer and serial).
func signToken(key crypto.Signer, cert *x509.Certificate, p signParams) ([]byte, error) {
	h, sigAlg, err := signatureScheme(key.Public())
	if err != nil {
		return nil, err
	}
	hOID, err := hashOID(h)
	if err != nil {
		return nil, err
	}
	ct := p.contentType
	if ct == nil {
		ct = oidTSTInfo
	}
	essCert := p.essCert
	if essCert == nil {
		essCert = cert
	}
	certHash := crypto.SHA256.New()
	certHash.Write(essCert.Raw)
	scv2, err := asn1.Marshal(signingCertificateV2{Certs: []essCertIDv2{{
		CertHash:     certHash.Sum(nil),
		IssuerSerial: mustRaw(issuerSerial{Issuer: []asn1.RawValue{directoryName(essCert.RawIssuer)}, Serial: essCert.SerialNumber}),
	}}})
	if err != nil {
		return nil, fmt.Errorf("tsp: encode signing certificate: %w", err)
	}
	md := h.New()
	md.Write(p.tst)
	ctDER, err := asn1.Marshal(ct)
	if err != nil {
		return nil, fmt.Errorf("tsp: encode content type: %w", err)
	}
	mdDER, err := asn1.Marshal(md.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("tsp: encode message digest: %w", err)
	}
	attrs, err := encodeAttributes([]attribute{
		{Type: oidAttrContentType, Values: setOf(ctDER)},
		{Type: oidAttrMessageDigest, Values: setOf(mdDER)},
		{Type: oidAttrSigningCertV2, Values: setOf(scv2)},
	})
	if err != nil {
		return nil, err
	}
	// The signature is over the DER of the attributes with the SET tag
	// (RFC 5652 §5.4), not the [0] IMPLICIT tag they carry in SignerInfo.
	toSign := slices.Concat([]byte{0x31}, attrs.FullBytes[1:])
	var sig []byte
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		sig, err = key.Sign(rand.Reader, toSign, crypto.Hash(0))
	} else {
		d := h.New()
		d.Write(toSign)
		sig, err = key.Sign(rand.Reader, d.Sum(nil), h)
	}
	if err != nil {
		return nil, fmt.Errorf("tsp: sign: %w", err)
	}
	sid, err := asn1.Marshal(issuerAndSerial{Issuer: asn1.RawValue{FullBytes: cert.RawIssuer}, Serial: cert.SerialNumber})
	if err != nil {
		return nil, fmt.Errorf("tsp: encode signer identifier: %w", err)
	}
	digestAlg := pkix.AlgorithmIdentifier{Algorithm: hOID, Parameters: asn1.NullRawValue}
	sd := signedData{
		Version:          3, // RFC 5652 §5.1: eContentType is not id-data
		DigestAlgorithms: []pkix.AlgorithmIdentifier{digestAlg},
		EncapContentInfo: encapContentInfo{EContentType: ct, EContent: p.tst},
		SignerInfos: []signerInfo{{
			Version:            1, // issuerAndSerialNumber
			SID:                asn1.RawValue{FullBytes: sid},
			DigestAlgorithm:    digestAlg,
			SignedAttrs:        attrs,
			SignatureAlgorithm: sigAlg,
			Signature:          sig,
		}},
	}
	if len(p.certs) > 0 {
		var all []byte
		for _, c := range p.certs {
			all = append(all, c.Raw...)
		}
		sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: all}
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("tsp: encode signed data: %w", err)
	}
	out, err := asn1.Marshal(contentInfo{ContentType: oidSignedData, Content: explicit0(sdDER)})
	if err != nil {
		return nil, fmt.Errorf("tsp: encode content info: %w", err)
	}
	return out, nil
}

func setOf(values ...[]byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: slices.Concat(values...)}
}

// explicit0 wraps an encoding in a [0] EXPLICIT tag.
func explicit0(inner []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}
}

func directoryName(name []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: name}
}

func mustRaw(v any) asn1.RawValue {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err) // only called on values built here from parsed certificates
	}
	return asn1.RawValue{FullBytes: b}
}

// encodeAttributes returns the [0] IMPLICIT SET OF Attribute of a SignerInfo,
// sorted as DER requires for SET OF (X.690 §11.6).
func encodeAttributes(attrs []attribute) (asn1.RawValue, error) {
	enc := make([][]byte, len(attrs))
	for i, a := range attrs {
		b, err := asn1.Marshal(a)
		if err != nil {
			return asn1.RawValue{}, fmt.Errorf("tsp: encode attribute %v: %w", a.Type, err)
		}
		enc[i] = b
	}
	slices.SortFunc(enc, bytes.Compare)
	body := slices.Concat(enc...)
	full, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: body})
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("tsp: encode attributes: %w", err)
	}
	return asn1.RawValue{FullBytes: full}, nil
}

// token is a parsed TimeStampToken, not yet verified.
type token struct {
	tst        tstInfo
	tstDER     []byte
	genTime    time.Time
	accuracy   time.Duration
	certs      []*x509.Certificate
	signer     signerInfo
	signerCert *x509.Certificate // nil when the token does not carry it
	attrs      map[string][]byte // signed attributes by OID: the single value's DER
	attrsDER   []byte            // signed attributes re-tagged as SET, as signed
}

// parseToken decodes a TimeStampToken strictly: DER only, exactly one
// SignerInfo (RFC 3161 §2.4.2: the token carries the TSA's signature and no
// other), signed attributes present with one value each, TSTInfo version 1.
func parseToken(b []byte) (*token, error) {
	var ci contentInfo
	if err := unmarshalDER(b, &ci, "content info"); err != nil {
		return nil, err
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: content type %v is not signed data", ErrNotTSTInfo, ci.ContentType)
	}
	if !ci.Content.IsCompound {
		return nil, fmt.Errorf("%w: content info: content is not explicitly tagged", ErrMalformed)
	}
	var sd signedData
	if err := unmarshalDER(ci.Content.Bytes, &sd, "signed data"); err != nil {
		return nil, err
	}
	if !sd.EncapContentInfo.EContentType.Equal(oidTSTInfo) {
		return nil, fmt.Errorf("%w: encapsulated content type %v", ErrNotTSTInfo, sd.EncapContentInfo.EContentType)
	}
	if len(sd.EncapContentInfo.EContent) == 0 {
		return nil, fmt.Errorf("%w: no encapsulated tstinfo", ErrNotTSTInfo)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%w: %d signer infos, want 1", ErrMalformed, len(sd.SignerInfos))
	}
	t := &token{tstDER: sd.EncapContentInfo.EContent, signer: sd.SignerInfos[0]}
	if err := unmarshalDER(t.tstDER, &t.tst, "tstinfo"); err != nil {
		return nil, err
	}
	if t.tst.Version != 1 {
		return nil, fmt.Errorf("%w: tstinfo version %d", ErrMalformed, t.tst.Version)
	}
	if len(t.tst.MessageImprint.HashedMessage) == 0 {
		return nil, fmt.Errorf("%w: empty message imprint", ErrMalformed)
	}
	if t.tst.SerialNumber == nil {
		return nil, fmt.Errorf("%w: no serial number", ErrMalformed)
	}
	var err error
	if t.genTime, err = parseGenTime(t.tst.GenTime); err != nil {
		return nil, err
	}
	if t.accuracy, err = t.tst.Accuracy.duration(); err != nil {
		return nil, err
	}
	if t.certs, err = parseCertificates(sd.Certificates); err != nil {
		return nil, err
	}
	if err := t.parseSignedAttrs(); err != nil {
		return nil, err
	}
	t.signerCert, err = findSigner(t.signer.SID, t.certs)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func parseCertificates(rv asn1.RawValue) ([]*x509.Certificate, error) {
	if len(rv.FullBytes) == 0 {
		return nil, nil
	}
	if !rv.IsCompound {
		return nil, fmt.Errorf("%w: certificates field", ErrMalformed)
	}
	var certs []*x509.Certificate
	for rest := rv.Bytes; len(rest) > 0; {
		var el asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &el); err != nil {
			return nil, fmt.Errorf("%w: certificates: %v", ErrMalformed, err)
		}
		if el.Class != asn1.ClassUniversal || el.Tag != asn1.TagSequence {
			continue // other CertificateChoices (attribute certificates): not ours to judge
		}
		c, err := x509.ParseCertificate(el.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate: %v", ErrMalformed, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// parseSignedAttrs requires signed attributes (RFC 5652 §5.3: mandatory when
// the content is not id-data), each attribute once and with one value.
func (t *token) parseSignedAttrs() error {
	sa := t.signer.SignedAttrs
	if len(sa.FullBytes) == 0 || !sa.IsCompound {
		return fmt.Errorf("%w: no signed attributes", ErrMalformed)
	}
	t.attrsDER = slices.Concat([]byte{0x31}, sa.FullBytes[1:])
	t.attrs = make(map[string][]byte)
	for rest := sa.Bytes; len(rest) > 0; {
		var a attribute
		var err error
		if rest, err = asn1.Unmarshal(rest, &a); err != nil {
			return fmt.Errorf("%w: signed attribute: %v", ErrMalformed, err)
		}
		if a.Values.Class != asn1.ClassUniversal || a.Values.Tag != asn1.TagSet || !a.Values.IsCompound {
			return fmt.Errorf("%w: signed attribute %v: values are not a set", ErrMalformed, a.Type)
		}
		var v asn1.RawValue
		more, err := asn1.Unmarshal(a.Values.Bytes, &v)
		if err != nil || len(more) != 0 {
			return fmt.Errorf("%w: signed attribute %v: want exactly one value", ErrMalformed, a.Type)
		}
		key := a.Type.String()
		if _, dup := t.attrs[key]; dup {
			return fmt.Errorf("%w: signed attribute %v twice", ErrMalformed, a.Type)
		}
		t.attrs[key] = v.FullBytes
	}
	return nil
}

// findSigner finds the certificate the SignerIdentifier names (RFC 5652
// §5.3), or nil when the token does not carry it (certReq was false).
func findSigner(sid asn1.RawValue, certs []*x509.Certificate) (*x509.Certificate, error) {
	switch {
	case sid.Class == asn1.ClassUniversal && sid.Tag == asn1.TagSequence:
		var ias issuerAndSerial
		if err := unmarshalDER(sid.FullBytes, &ias, "signer identifier"); err != nil {
			return nil, err
		}
		if ias.Serial == nil {
			return nil, fmt.Errorf("%w: signer identifier without serial", ErrMalformed)
		}
		for _, c := range certs {
			if bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes) && c.SerialNumber.Cmp(ias.Serial) == 0 {
				return c, nil
			}
		}
	case sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 && !sid.IsCompound:
		for _, c := range certs {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sid.Bytes) {
				return c, nil
			}
		}
	default:
		return nil, fmt.Errorf("%w: signer identifier", ErrMalformed)
	}
	return nil, nil
}

// checkSignature verifies the CMS signature (RFC 5652 §5.4, §5.6): the
// content-type attribute equals the eContentType, the message-digest attribute
// is the digest of the TSTInfo, and the signature over the signed attributes
// verifies with the signer certificate's key.
func (t *token) checkSignature(cert *x509.Certificate) error {
	if err := checkAlgParams(t.signer.DigestAlgorithm); err != nil {
		return err
	}
	h, err := hashFromOID(t.signer.DigestAlgorithm.Algorithm)
	if err != nil {
		return err
	}
	ctDER, ok := t.attrs[oidAttrContentType.String()]
	if !ok {
		return fmt.Errorf("%w: no content-type attribute", ErrSignature)
	}
	var ct asn1.ObjectIdentifier
	if err := unmarshalDER(ctDER, &ct, "content-type attribute"); err != nil {
		return err
	}
	if !ct.Equal(oidTSTInfo) {
		return fmt.Errorf("%w: signed content type %v", ErrNotTSTInfo, ct)
	}
	mdDER, ok := t.attrs[oidAttrMessageDigest.String()]
	if !ok {
		return fmt.Errorf("%w: no message-digest attribute", ErrSignature)
	}
	var md []byte
	if err := unmarshalDER(mdDER, &md, "message-digest attribute"); err != nil {
		return err
	}
	d := h.New()
	d.Write(t.tstDER)
	if subtle.ConstantTimeCompare(md, d.Sum(nil)) != 1 {
		return fmt.Errorf("%w: message digest does not match the tstinfo", ErrSignature)
	}
	alg, err := x509Algorithm(t.signer.SignatureAlgorithm, h)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	if err := cert.CheckSignature(alg, t.attrsDER, t.signer.Signature); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}

// x509Algorithm maps a CMS signatureAlgorithm (with the SignerInfo's digest
// algorithm where the OID names only the key type, RFC 5754 §3) to crypto/x509's
// names, so that CheckSignature also enforces the key type.
func x509Algorithm(a pkix.AlgorithmIdentifier, h crypto.Hash) (x509.SignatureAlgorithm, error) {
	if err := checkAlgParams(a); err != nil {
		return 0, err
	}
	byHash := func(m map[crypto.Hash]x509.SignatureAlgorithm) (x509.SignatureAlgorithm, error) {
		if alg, ok := m[h]; ok {
			return alg, nil
		}
		return 0, errUnsupportedSignature
	}
	rsaAlgs := map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.SHA256WithRSA, crypto.SHA384: x509.SHA384WithRSA, crypto.SHA512: x509.SHA512WithRSA}
	ecAlgs := map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.ECDSAWithSHA256, crypto.SHA384: x509.ECDSAWithSHA384, crypto.SHA512: x509.ECDSAWithSHA512}
	switch o := a.Algorithm; {
	case o.Equal(oidRSAEncryption):
		return byHash(rsaAlgs)
	case o.Equal(oidSHA256WithRSA):
		return x509.SHA256WithRSA, nil
	case o.Equal(oidSHA384WithRSA):
		return x509.SHA384WithRSA, nil
	case o.Equal(oidSHA512WithRSA):
		return x509.SHA512WithRSA, nil
	case o.Equal(oidECPublicKey):
		return byHash(ecAlgs)
	case o.Equal(oidECDSAWithSHA256):
		return x509.ECDSAWithSHA256, nil
	case o.Equal(oidECDSAWithSHA384):
		return x509.ECDSAWithSHA384, nil
	case o.Equal(oidECDSAWithSHA512):
		return x509.ECDSAWithSHA512, nil
	case o.Equal(oidEd25519):
		if h != crypto.SHA512 { // RFC 8419 §3.1
			return 0, errUnsupportedSignature
		}
		return x509.PureEd25519, nil
	}
	return 0, fmt.Errorf("%w %v", errUnsupportedSignature, a.Algorithm)
}

// checkSigningCertificate checks the ESSCertID (RFC 2634 §5.4) or ESSCertIDv2
// (RFC 5035 §3) signed attribute against the signer certificate, as RFC 5816
// §2.2.1 requires: the first entry names the certificate that signed. Binding
// the certificate under the signature stops a substituted certificate with the
// same key. SHA-1 in ESSCertID only identifies a certificate that is also
// verified by signature and chain, and RFC 5816 still allows it.
func (t *token) checkSigningCertificate(cert *x509.Certificate) error {
	v2, hasV2 := t.attrs[oidAttrSigningCertV2.String()]
	v1, hasV1 := t.attrs[oidAttrSigningCert.String()]
	if !hasV1 && !hasV2 {
		return fmt.Errorf("%w: no signing-certificate attribute", ErrSignerCertID)
	}
	if hasV2 {
		var sc signingCertificateV2
		if err := unmarshalDER(v2, &sc, "signing-certificate-v2"); err != nil {
			return err
		}
		if len(sc.Certs) == 0 {
			return fmt.Errorf("%w: empty signing-certificate-v2", ErrSignerCertID)
		}
		id := sc.Certs[0]
		h := crypto.SHA256
		if len(id.HashAlgorithm.Algorithm) > 0 {
			var err error
			if h, err = hashFromOID(id.HashAlgorithm.Algorithm); err != nil {
				return fmt.Errorf("%w: %v", ErrSignerCertID, err)
			}
		}
		d := h.New()
		d.Write(cert.Raw)
		if !bytes.Equal(d.Sum(nil), id.CertHash) {
			return fmt.Errorf("%w: essCertIDv2 hash does not match the signer certificate", ErrSignerCertID)
		}
		if err := checkIssuerSerial(id.IssuerSerial, cert); err != nil {
			return err
		}
	}
	if hasV1 {
		var sc signingCertificate
		if err := unmarshalDER(v1, &sc, "signing-certificate"); err != nil {
			return err
		}
		if len(sc.Certs) == 0 {
			return fmt.Errorf("%w: empty signing-certificate", ErrSignerCertID)
		}
		sum := sha1.Sum(cert.Raw)
		if !bytes.Equal(sum[:], sc.Certs[0].CertHash) {
			return fmt.Errorf("%w: essCertID hash does not match the signer certificate", ErrSignerCertID)
		}
		if err := checkIssuerSerial(sc.Certs[0].IssuerSerial, cert); err != nil {
			return err
		}
	}
	return nil
}

func checkIssuerSerial(rv asn1.RawValue, cert *x509.Certificate) error {
	if len(rv.FullBytes) == 0 {
		return nil
	}
	var is issuerSerial
	if err := unmarshalDER(rv.FullBytes, &is, "issuer serial"); err != nil {
		return err
	}
	if is.Serial == nil || is.Serial.Cmp(cert.SerialNumber) != 0 {
		return fmt.Errorf("%w: issuer serial number differs", ErrSignerCertID)
	}
	for _, n := range is.Issuer {
		if n.Class == asn1.ClassContextSpecific && n.Tag == 4 && bytes.Equal(n.Bytes, cert.RawIssuer) {
			return nil
		}
	}
	return fmt.Errorf("%w: issuer name differs", ErrSignerCertID)
}

package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"sync"
	"time"
)

// SignedData is a parsed CMS SignedData (RFC 5652 §5.1). Nothing in it has
// been verified: see VerifySignature.
type SignedData struct {
	// Raw is the ContentInfo as encoded (DER, or BER where RFC 5652
	// allows it), without the padding Parse allowed.
	Raw []byte
	// ContentType is the eContentType (RFC 5652 §5.2): id-data for a PDF.
	ContentType asn1.ObjectIdentifier
	// Content is the encapsulated content, nil when the signature is
	// detached (as in PAdES, where the content is the PDF byte range).
	Content []byte
	// Certificates are the X.509 certificates of the certificates field;
	// other CertificateChoices (attribute certificates) are skipped.
	Certificates []*x509.Certificate
	// CRLs are the DER CertificateLists of the crls field;
	// OtherRevocationInfoFormat entries are skipped.
	CRLs    [][]byte
	Signers []SignerInfo

	prefix []byte // SignedData contents before signerInfos, for AddUnsignedAttribute
	ber    bool   // some of the structure is BER rather than DER
}

// signedDataElements are SignedData (RFC 5652 §5.1) and its elements, as
// parseHead leaves them for parseRest.
type signedDataElements struct {
	rv  asn1.RawValue
	els []asn1.RawValue
}

// SignerInfo is one signer (RFC 5652 §5.3) with its attributes decoded.
type SignerInfo struct {
	// Certificate is the certificate the SignerIdentifier names, by
	// issuerAndSerialNumber or subjectKeyIdentifier, among Certificates; nil
	// when the SignedData does not carry it.
	Certificate *x509.Certificate
	// DigestAlgorithm is 0 when the algorithm is not one this package knows.
	DigestAlgorithm crypto.Hash
	// SignatureAlgorithm combines signatureAlgorithm with DigestAlgorithm
	// when the former names only the key type (rsaEncryption, RFC 3370 §3.2);
	// UnknownSignatureAlgorithm when not one crypto/x509 verifies.
	SignatureAlgorithm x509.SignatureAlgorithm
	// SignedAttrsRaw is the DER of the signed attributes as signed: with the
	// SET OF tag 0x31, not the [0] IMPLICIT tag they have in the SignerInfo
	// (RFC 5652 §5.4). Parse requires them to be DER as found, also in a
	// BER SignedData (§5.3), so this is the encoding the signer hashed and
	// the one carried. Nil when there are none.
	SignedAttrsRaw []byte
	// SignedAttrs are all signed attributes, in their DER order.
	SignedAttrs []Attribute
	// ContentType and MessageDigest are the content-type and
	// message-digest attributes (RFC 5652 §11.1, §11.2).
	ContentType   asn1.ObjectIdentifier
	MessageDigest []byte
	// SigningTime is the signing-time attribute (RFC 5652 §11.3), present
	// only if the signer put one.
	SigningTime *time.Time
	// SigningCertificateV2 is the first ESSCertIDv2 of the
	// signing-certificate-v2 attribute (RFC 5035 §3), which names the
	// signer's certificate; when only signing-certificate (RFC 2634 §5.4) is
	// present, its first ESSCertID normalised, with HashAlgorithm SHA-1. Nil
	// when neither is present.
	SigningCertificateV2 *ESSCertIDv2
	// Signature is the signature value.
	Signature []byte
	// TimeStampToken is the first value of the first
	// signature-time-stamp unsigned attribute (ETSI EN 319 122-1 §5.3): the
	// DER ContentInfo of an RFC 3161 token over Signature, not yet verified.
	TimeStampToken []byte
	// UnsignedAttrs are all unsigned attributes, as encoded.
	UnsignedAttrs []Attribute

	raw         []byte   // the whole SignerInfo
	prefix      []byte   // SignerInfo contents before unsignedAttrs
	unsignedRaw [][]byte // each unsigned Attribute
	essV1       *ESSCertIDv2
	essV2       *ESSCertIDv2

	pssSaltLength int // RSASSA-PSS only
}

// Attribute is a CMS attribute (RFC 5652 §5.3).
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values [][]byte // the DER of each AttributeValue
}

// ESSCertIDv2 identifies a certificate by its hash and, optionally, its
// issuer and serial number (RFC 5035 §4; ESSCertID of RFC 2634 §5.4.1 when
// HashAlgorithm is SHA-1 from a signing-certificate attribute).
type ESSCertIDv2 struct {
	// HashAlgorithm is SHA-256 when the DER omitted it (the DEFAULT), 0 when
	// not one this package knows.
	HashAlgorithm crypto.Hash
	CertHash      []byte
	// IssuerSerial is nil when absent.
	IssuerSerial *IssuerSerial
}

// IssuerSerial is the issuerSerial of an ESSCertID(v2) (RFC 5035 §4).
type IssuerSerial struct {
	// Issuer are the GeneralNames, each a raw GeneralName; a directoryName
	// is context tag 4 around the issuer's Name.
	Issuer       []asn1.RawValue
	SerialNumber *big.Int
}

// Parse decodes a ContentInfo holding SignedData (RFC 5652 §3, §5), with
// zero bytes after it allowed because a PDF's /Contents is zero padded (ISO
// 32000-1 §12.8.1). The structure may be BER as RFC 5652 §5.1 allows, in the
// two forms streaming signers use (indefinite lengths, a constructed OCTET
// STRING for the encapsulated content, see berElements); what RFC 5652 and
// X.509 require to be DER stays DER: the signed attributes (§5.3), the
// algorithm identifiers, certificates and CRLs. It also checks what RFC 5652 and ESS
// require of the structure itself: the SignerInfo version matching its
// identifier (§5.3); signed attributes present when the content is not
// id-data, DER ordered (§5.3, X.690 §11.6), each type once, with
// content-type and message-digest (§5.3, §11) and single values where §11
// demands. Unknown algorithms are not errors here; VerifySignature refuses
// them. Parse does not panic on any input.
func Parse(der []byte) (*SignedData, error) {
	der = bytes.Clone(der) // everything parsed below aliases this copy
	sd, rest, err := parseHead(der)
	if err != nil {
		return nil, err
	}
	if err := sd.parseRest(rest, sd.parseSignerInfo); err != nil {
		return nil, err
	}
	return sd, nil
}

// ParseSigners is Parse for what names a SignedData's signers and
// nothing more: the certificates it carries, and for each SignerInfo the
// certificate its identifier names (nil when not carried), in
// Signers[i].Certificate; every other field of the SignerInfos is left
// zero, their attributes and signatures unread. It is for gathering a
// signature's or a time-stamp token's certificates (the DSS of a PAdES
// file), never for a trust decision.
func ParseSigners(der []byte) (*SignedData, error) {
	sd, rest, err := parseHead(bytes.Clone(der))
	if err != nil {
		return nil, err
	}
	err = sd.parseRest(rest, func(rv asn1.RawValue) (SignerInfo, error) {
		si, _, err := sd.parseSignerHead(rv)
		return SignerInfo{Certificate: si.Certificate}, err
	})
	if err != nil {
		return nil, err
	}
	return sd, nil
}

// parseHead is Parse up to the encapsulated content: the ContentInfo, and
// SignedData's version, digest algorithms and EncapsulatedContentInfo;
// parseRest reads the rest. der is not copied.
func parseHead(der []byte) (*SignedData, signedDataElements, error) {
	var none signedDataElements
	ci, rest, err := readBER(der, 0)
	if err != nil {
		return nil, none, err
	}
	for _, b := range rest {
		if b != 0 {
			return nil, none, malformed("data after the content info")
		}
	}
	if !isSequence(ci) {
		return nil, none, malformed("content info is not a sequence")
	}
	sd := &SignedData{Raw: der[:len(der)-len(rest)]}
	els, err := sd.split(ci)
	if err != nil {
		return nil, none, err
	}
	if len(els) != 2 {
		return nil, none, malformed("content info with %d elements", len(els))
	}
	var ct asn1.ObjectIdentifier
	if err := decode(els[0], &ct, "content type"); err != nil {
		return nil, none, err
	}
	if !ct.Equal(OIDSignedData) {
		return nil, none, malformed("content type %v is not signed data", ct)
	}
	if !isContext(els[1], 0, true) {
		return nil, none, malformed("content is not [0] explicit")
	}
	inner, err := sd.one(els[1])
	if err != nil {
		return nil, none, err
	}
	elems, err := sd.parseSignedDataHead(inner)
	if err != nil {
		return nil, none, err
	}
	return sd, elems, nil
}

// split returns the elements of a constructed value of the BER structure,
// noting whether it or they used BER.
func (sd *SignedData) split(rv asn1.RawValue) ([]asn1.RawValue, error) {
	sd.ber = sd.ber || indefinite(rv)
	return sd.splitContents(rv.Bytes)
}

func (sd *SignedData) splitContents(contents []byte) ([]asn1.RawValue, error) {
	els, err := berElements(contents)
	for _, el := range els {
		sd.ber = sd.ber || indefinite(el)
	}
	return els, err
}

// one reads the single element of a constructed value of the BER structure,
// as inside an EXPLICIT tag.
func (sd *SignedData) one(rv asn1.RawValue) (asn1.RawValue, error) {
	els, err := sd.split(rv)
	if err != nil {
		return asn1.RawValue{}, err
	}
	if len(els) != 1 {
		return asn1.RawValue{}, malformed("%d elements where one is expected", len(els))
	}
	return els[0], nil
}

// parseSignedDataHead reads SignedData (RFC 5652 §5.1) up to its
// EncapsulatedContentInfo, and returns it and its elements for parseRest.
func (sd *SignedData) parseSignedDataHead(rv asn1.RawValue) (signedDataElements, error) {
	var none signedDataElements
	if !isSequence(rv) {
		return none, malformed("signed data is not a sequence")
	}
	els, err := sd.split(rv)
	if err != nil {
		return none, err
	}
	if len(els) < 4 {
		return none, malformed("signed data with %d elements", len(els))
	}
	var version int
	if err := decode(els[0], &version, "signed data version"); err != nil {
		return none, err
	}
	if version != 1 && version != 3 && version != 4 && version != 5 {
		return none, malformed("signed data version %d", version)
	}
	if !isSet(els[1]) {
		return none, malformed("digest algorithms are not a set")
	}
	if err := sd.parseEncapContentInfo(els[2]); err != nil {
		return none, err
	}
	return signedDataElements{rv, els}, nil
}

// parseRest reads the rest of SignedData after parseSignedDataHead:
// certificates, CRLs, and signer infos, each read by parseSigner.
func (sd *SignedData) parseRest(rest signedDataElements, parseSigner func(asn1.RawValue) (SignerInfo, error)) error {
	rv, els := rest.rv, rest.els
	i := 3
	if i < len(els) && isContext(els[i], 0, true) {
		if err := sd.parseCertificates(els[i]); err != nil {
			return err
		}
		i++
	}
	if i < len(els) && isContext(els[i], 1, true) {
		if err := sd.parseCRLs(els[i]); err != nil {
			return err
		}
		i++
	}
	if i != len(els)-1 || !isSet(els[i]) {
		return malformed("signed data: signer infos expected")
	}
	sd.prefix = rv.Bytes[:len(rv.Bytes)-len(els[i].FullBytes)]
	signers, err := sd.split(els[i])
	if err != nil {
		return err
	}
	for _, s := range signers {
		si, err := parseSigner(s)
		if err != nil {
			return err
		}
		sd.Signers = append(sd.Signers, si)
	}
	return nil
}

// parseEncapContentInfo reads EncapsulatedContentInfo (RFC 5652 §5.2): the
// eContent, when present, a [0] EXPLICIT OCTET STRING, which a streaming
// encoder writes constructed (BER).
func (sd *SignedData) parseEncapContentInfo(rv asn1.RawValue) error {
	if !isSequence(rv) {
		return malformed("encapsulated content info is not a sequence")
	}
	els, err := sd.split(rv)
	if err != nil {
		return err
	}
	if len(els) < 1 || len(els) > 2 {
		return malformed("encapsulated content info with %d elements", len(els))
	}
	if err := decode(els[0], &sd.ContentType, "encapsulated content type"); err != nil {
		return err
	}
	if len(els) == 1 {
		return nil
	}
	if !isContext(els[1], 0, true) {
		return malformed("encapsulated content is not [0] explicit")
	}
	content, err := sd.one(els[1])
	if err != nil {
		return err
	}
	sd.ber = sd.ber || content.IsCompound
	if sd.Content, err = octetString(content, 0); err != nil {
		return err
	}
	return nil
}

// parseCertificates reads CertificateSet (RFC 5652 §10.2.3), keeping the
// X.509 certificates, each DER (crypto/x509 requires it).
func (sd *SignedData) parseCertificates(rv asn1.RawValue) error {
	els, err := sd.split(rv)
	if err != nil {
		return err
	}
	for _, el := range els {
		if !isSequence(el) {
			continue // extendedCertificate, attribute certificates, other: not used here
		}
		c, err := ParseCertificate(el.FullBytes)
		if err != nil {
			return malformed("certificate: %v", err)
		}
		sd.Certificates = append(sd.Certificates, c)
	}
	return nil
}

// Limits of the certificates ParseCertificate remembers.
const (
	maxRemembered     = 256      // certificates
	maxRememberedSize = 16 << 10 // bytes of DER each
)

// parsed remembers the certificates ParseCertificate has parsed, by their
// DER: the same few (segl's seal, the TSA, their CAs) come with every
// signature, time-stamp token and evidence that is read back, a receipt
// and a completion read several, and parsing one costs tens of
// microseconds and kilobytes. When it is full it starts again.
var parsed struct {
	sync.Mutex
	certs map[string]*x509.Certificate
}

// ParseCertificate is x509.ParseCertificate for certificates that are
// read again and again: one it has parsed before, byte for byte, is not
// parsed again. The certificate returned is shared and must not be
// changed, as no caller of x509.ParseCertificate does; it holds its own
// copy of der.
func ParseCertificate(der []byte) (*x509.Certificate, error) {
	if len(der) > maxRememberedSize {
		return x509.ParseCertificate(der)
	}
	parsed.Lock()
	c, ok := parsed.certs[string(der)]
	parsed.Unlock()
	if ok {
		return c, nil
	}
	c, err := x509.ParseCertificate(bytes.Clone(der))
	if err != nil {
		return nil, err
	}
	parsed.Lock()
	defer parsed.Unlock()
	if len(parsed.certs) >= maxRemembered || parsed.certs == nil {
		parsed.certs = make(map[string]*x509.Certificate, maxRemembered)
	}
	parsed.certs[string(der)] = c
	return c, nil
}

// parseCRLs reads RevocationInfoChoices (RFC 5652 §10.2.1), keeping the
// CertificateLists, which must be DER (RFC 5280 §5).
func (sd *SignedData) parseCRLs(rv asn1.RawValue) error {
	els, err := sd.split(rv)
	if err != nil {
		return err
	}
	for _, el := range els {
		switch {
		case isSequence(el) && !indefinite(el):
			sd.CRLs = append(sd.CRLs, el.FullBytes)
		case isContext(el, 1, true): // OtherRevocationInfoFormat
		default:
			return malformed("revocation info choice")
		}
	}
	return nil
}

// parseSignerInfo reads SignerInfo (RFC 5652 §5.3).
func (sd *SignedData) parseSignerInfo(rv asn1.RawValue) (SignerInfo, error) {
	si, els, err := sd.parseSignerHead(rv)
	if err != nil {
		return si, err
	}
	next := func() (asn1.RawValue, bool) {
		if len(els) == 0 {
			return asn1.RawValue{}, false
		}
		el := els[0]
		els = els[1:]
		return el, true
	}
	peek := func(tag int) bool { return len(els) > 0 && isContext(els[0], tag, true) }
	digestAlg, _ := next()
	if si.DigestAlgorithm, err = parseDigestAlgorithm(digestAlg); err != nil {
		return si, err
	}
	if peek(0) {
		signed, _ := next()
		if err := si.parseSignedAttrs(signed); err != nil {
			return si, err
		}
	}
	sigAlgEl, ok := next()
	if !ok {
		return si, malformed("signer info without signature algorithm")
	}
	sigAlg, err := parseAlgorithm(sigAlgEl)
	if err != nil {
		return si, err
	}
	if si.SignatureAlgorithm, si.pssSaltLength, err = signatureAlgorithm(sigAlg, si.DigestAlgorithm); err != nil {
		return si, err
	}
	sigEl, ok := next()
	if !ok {
		return si, malformed("signer info without signature")
	}
	sd.ber = sd.ber || sigEl.IsCompound
	if si.Signature, err = octetString(sigEl, 0); err != nil {
		return si, err
	}
	si.prefix = rv.Bytes
	if peek(1) {
		unsigned, _ := next()
		si.prefix = rv.Bytes[:len(rv.Bytes)-len(unsigned.FullBytes)]
		if err := si.parseUnsignedAttrs(sd, unsigned); err != nil {
			return si, err
		}
	}
	if len(els) != 0 {
		return si, malformed("signer info: unexpected element after the signature")
	}
	if si.SignedAttrsRaw == nil && !sd.ContentType.Equal(OIDData) {
		return si, malformed("signer info without signed attributes for content type %v", sd.ContentType)
	}
	return si, nil
}

// parseSignerHead reads a SignerInfo (RFC 5652 §5.3) as far as its
// identifier: it returns the SignerInfo with the certificate the
// identifier names, and the elements that follow it.
func (sd *SignedData) parseSignerHead(rv asn1.RawValue) (SignerInfo, []asn1.RawValue, error) {
	si := SignerInfo{raw: rv.FullBytes}
	if !isSequence(rv) {
		return si, nil, malformed("signer info is not a sequence")
	}
	els, err := sd.split(rv)
	if err != nil {
		return si, nil, err
	}
	if len(els) < 5 {
		return si, nil, malformed("signer info with %d elements", len(els))
	}
	var version int
	if err := decode(els[0], &version, "signer info version"); err != nil {
		return si, nil, err
	}
	if si.Certificate, err = findSigner(version, els[1], sd.Certificates); err != nil {
		return si, nil, err
	}
	return si, els[2:], nil
}

// findSigner finds the certificate the SignerIdentifier names (RFC 5652
// §5.3: version 1 with issuerAndSerialNumber, version 3 with
// subjectKeyIdentifier), or nil when it is not among certs.
func findSigner(version int, sid asn1.RawValue, certs []*x509.Certificate) (*x509.Certificate, error) {
	switch {
	case isSequence(sid):
		if version != 1 {
			return nil, malformed("signer info version %d with issuer and serial number", version)
		}
		els, err := elements(sid.Bytes)
		if err != nil {
			return nil, err
		}
		if len(els) != 2 || !isSequence(els[0]) {
			return nil, malformed("issuer and serial number")
		}
		var serial *big.Int
		if err := decode(els[1], &serial, "serial number"); err != nil {
			return nil, err
		}
		for _, c := range certs {
			if bytes.Equal(c.RawIssuer, els[0].FullBytes) && c.SerialNumber.Cmp(serial) == 0 {
				return c, nil
			}
		}
	case isContext(sid, 0, false):
		if version != 3 {
			return nil, malformed("signer info version %d with subject key identifier", version)
		}
		for _, c := range certs {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sid.Bytes) {
				return c, nil
			}
		}
	default:
		return nil, malformed("signer identifier")
	}
	return nil, nil
}

// parseAttributes reads a SET OF Attribute's contents, returning each
// attribute and its encoding; split reads the constructed values, DER
// (elements) or BER (berElements).
func parseAttributes(contents []byte, split func([]byte) ([]asn1.RawValue, error)) ([]Attribute, [][]byte, error) {
	els, err := split(contents)
	if err != nil {
		return nil, nil, err
	}
	attrs := make([]Attribute, 0, len(els))
	raws := make([][]byte, 0, len(els))
	for _, el := range els {
		if !isSequence(el) {
			return nil, nil, malformed("attribute is not a sequence")
		}
		parts, err := split(el.Bytes)
		if err != nil {
			return nil, nil, err
		}
		if len(parts) != 2 || !isSet(parts[1]) {
			return nil, nil, malformed("attribute is not a type and a set of values")
		}
		var a Attribute
		if err := decode(parts[0], &a.Type, "attribute type"); err != nil {
			return nil, nil, err
		}
		values, err := split(parts[1].Bytes)
		if err != nil {
			return nil, nil, err
		}
		if len(values) == 0 {
			return nil, nil, malformed("attribute %v without values", a.Type)
		}
		for _, v := range values {
			a.Values = append(a.Values, v.FullBytes)
		}
		attrs = append(attrs, a)
		raws = append(raws, el.FullBytes)
	}
	return attrs, raws, nil
}

// derOrdered reports whether encodings are in the ascending order DER
// requires of a SET OF (X.690 §11.6).
func derOrdered(encodings [][]byte) bool {
	for i := 1; i < len(encodings); i++ {
		if bytes.Compare(encodings[i-1], encodings[i]) > 0 {
			return false
		}
	}
	return true
}

// parseSignedAttrs reads the signed attributes. They are signed as DER
// (RFC 5652 §5.4) and must be carried as DER even in a BER SignedData
// (§5.3): definite lengths, in SET OF order, values too. Each type
// appears once: RFC 5652 §11 says so of content-type, message-digest and
// signing-time, RFC 5035 §5.4 of signing-certificate(-v2), and no attribute a
// signer may sign is meant to appear twice.
func (si *SignerInfo) parseSignedAttrs(rv asn1.RawValue) error {
	if indefinite(rv) {
		return malformed("signed attributes with an indefinite length (not der)")
	}
	attrs, raws, err := parseAttributes(rv.Bytes, elements)
	if err != nil {
		return err
	}
	if len(attrs) == 0 {
		return malformed("empty signed attributes")
	}
	if !derOrdered(raws) {
		return malformed("signed attributes are not in der order")
	}
	seen := make(map[string]bool, len(attrs))
	for _, a := range attrs {
		if !derOrdered(a.Values) {
			return malformed("values of signed attribute %v are not in der order", a.Type)
		}
		if seen[a.Type.String()] {
			return malformed("signed attribute %v twice", a.Type)
		}
		seen[a.Type.String()] = true
		if err := si.setSignedAttr(a); err != nil {
			return err
		}
	}
	if si.ContentType == nil || si.MessageDigest == nil {
		return malformed("signed attributes without content-type and message-digest")
	}
	si.SignedAttrs = attrs
	si.SignedAttrsRaw = append([]byte{tagSet}, rv.FullBytes[1:]...)
	if si.essV2 != nil {
		si.SigningCertificateV2 = si.essV2
	} else {
		si.SigningCertificateV2 = si.essV1
	}
	return nil
}

// setSignedAttr decodes the attributes this package knows; the others stay in
// SignedAttrs only.
func (si *SignerInfo) setSignedAttr(a Attribute) error {
	known := false
	for _, t := range []asn1.ObjectIdentifier{OIDAttributeContentType, OIDAttributeMessageDigest, OIDAttributeSigningTime, OIDAttributeSigningCertificateV2, OIDAttributeSigningCertificate} {
		known = known || a.Type.Equal(t)
	}
	if !known {
		return nil
	}
	if len(a.Values) != 1 {
		return malformed("signed attribute %v with %d values", a.Type, len(a.Values))
	}
	var v asn1.RawValue
	if err := decode(asn1.RawValue{FullBytes: a.Values[0]}, &v, "attribute value"); err != nil {
		return err
	}
	var err error
	switch t := a.Type; {
	case t.Equal(OIDAttributeContentType):
		err = decode(v, &si.ContentType, "content-type attribute")
	case t.Equal(OIDAttributeMessageDigest):
		if !isUniversal(v, asn1.TagOctetString, false) {
			return malformed("message-digest attribute is not a der octet string")
		}
		si.MessageDigest = v.Bytes
		if si.MessageDigest == nil {
			si.MessageDigest = []byte{}
		}
	case t.Equal(OIDAttributeSigningTime):
		var st time.Time
		if st, err = parseTime(v); err == nil {
			si.SigningTime = &st
		}
	case t.Equal(OIDAttributeSigningCertificateV2):
		si.essV2, err = parseSigningCertificate(v, true)
	case t.Equal(OIDAttributeSigningCertificate):
		si.essV1, err = parseSigningCertificate(v, false)
	}
	return err
}

// parseUnsignedAttrs reads the unsigned attributes, which are part of the
// BER structure.
func (si *SignerInfo) parseUnsignedAttrs(sd *SignedData, rv asn1.RawValue) error {
	sd.ber = sd.ber || indefinite(rv)
	attrs, raws, err := parseAttributes(rv.Bytes, sd.splitContents)
	if err != nil {
		return err
	}
	si.UnsignedAttrs, si.unsignedRaw = attrs, raws
	for _, a := range attrs {
		if a.Type.Equal(OIDAttributeSignatureTimeStampToken) {
			si.TimeStampToken = a.Values[0]
			break
		}
	}
	return nil
}

// parseSigningCertificate reads SigningCertificateV2 (RFC 5035 §3) or
// SigningCertificate (RFC 2634 §5.4) and returns its first certificate
// identifier, the signer's; the others and the policies are not used here.
func parseSigningCertificate(rv asn1.RawValue, v2 bool) (*ESSCertIDv2, error) {
	if !isSequence(rv) {
		return nil, malformed("signing certificate is not a sequence")
	}
	els, err := elements(rv.Bytes)
	if err != nil {
		return nil, err
	}
	if len(els) < 1 || len(els) > 2 || !isSequence(els[0]) || (len(els) == 2 && !isSequence(els[1])) {
		return nil, malformed("signing certificate")
	}
	ids, err := elements(els[0].Bytes)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 || !isSequence(ids[0]) {
		return nil, malformed("signing certificate without a certificate identifier")
	}
	parts, err := elements(ids[0].Bytes)
	if err != nil {
		return nil, err
	}
	id := &ESSCertIDv2{HashAlgorithm: crypto.SHA1}
	if v2 {
		id.HashAlgorithm = crypto.SHA256 // DEFAULT id-sha256 (RFC 5035 §4)
		if len(parts) > 0 && isSequence(parts[0]) {
			if id.HashAlgorithm, err = parseDigestAlgorithm(parts[0]); err != nil {
				return nil, err
			}
			parts = parts[1:]
		}
	}
	if len(parts) < 1 || len(parts) > 2 || !isUniversal(parts[0], asn1.TagOctetString, false) {
		return nil, malformed("certificate identifier")
	}
	id.CertHash = parts[0].Bytes
	if len(parts) == 2 {
		if id.IssuerSerial, err = parseIssuerSerial(parts[1]); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// parseIssuerSerial reads IssuerSerial (RFC 5035 §4).
func parseIssuerSerial(rv asn1.RawValue) (*IssuerSerial, error) {
	if !isSequence(rv) {
		return nil, malformed("issuer serial is not a sequence")
	}
	els, err := elements(rv.Bytes)
	if err != nil {
		return nil, err
	}
	if len(els) != 2 || !isSequence(els[0]) {
		return nil, malformed("issuer serial")
	}
	is := &IssuerSerial{}
	if is.Issuer, err = elements(els[0].Bytes); err != nil {
		return nil, err
	}
	if err := decode(els[1], &is.SerialNumber, "issuer serial number"); err != nil {
		return nil, err
	}
	return is, nil
}

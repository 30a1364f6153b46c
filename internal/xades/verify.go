package xades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/tsp"
)

// Verify checks evidence made by Sign and returns what it says. In order:
//
//   - the document is at most MaxSize bytes of UTF-8 XML without a document
//     type declaration (so no entities), comments, processing instructions or
//     duplicate attributes, and no Id value occurs twice;
//   - the document element is the only ds:Signature; it holds SignedInfo,
//     SignatureValue, KeyInfo and two ds:Objects, one with the segl:Evidence
//     and one with the xades:QualifyingProperties whose Target names this
//     signature (EN 319 132-1 clause 4);
//   - SignedInfo uses Exclusive C14N and an RSA or ECDSA method with SHA-256,
//     SHA-384 or SHA-512, and has exactly two References, each with exactly
//     the Exclusive C14N transform: one whose URI resolves to that
//     segl:Evidence and one, typed SignedProperties (EN 319 132-1 clause 4),
//     whose URI resolves to that xades:SignedProperties. Resolving Ids
//     against the whole document, uniquely, and then requiring the element
//     found to be the one at the expected place is what defeats signature
//     wrapping;
//   - the SignatureValue over the canonical SignedInfo verifies with the
//     first KeyInfo certificate (XMLDSig §3.2.2; ECDSA as r‖s, RFC 4051
//     §2.3.6), and both reference digests match (XMLDSig §3.2.1);
//   - SigningCertificateV2 has one Cert whose digest, and IssuerSerialV2 if
//     present, identify that certificate (EN 319 132-1 §5.2.2);
//     SigningTime is present (§5.2.1) and the DataObjectFormat names the
//     facts reference (§5.2);
//   - a SignatureTimeStamp, if present, is canonicalised with Exclusive C14N
//     and its token's message imprint is the digest of the canonical
//     ds:SignatureValue (EN 319 132-1 §5.3);
//   - CertificateValues and RevocationValues, if present, hold parsable DER;
//   - the facts follow the segl:Evidence vocabulary and pass the checks
//     Sign makes.
//
// The certificates are not validated against trust anchors, and neither is
// the time-stamp token's signer: the validator does that, at the right time
// and with the right revocation data.
func Verify(data []byte) (*Verified, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d accepted", ErrTooLarge, len(data), MaxSize)
	}
	doc, err := parse(data)
	if err != nil {
		return nil, err
	}
	ids, err := index(doc)
	if err != nil {
		return nil, err
	}
	s, err := structure(doc.Root())
	if err != nil {
		return nil, err
	}
	alg, refs, err := parseSignedInfo(s.signedInfo)
	if err != nil {
		return nil, err
	}
	var evRef, spRef *reference
	for i := range refs {
		r := &refs[i]
		target, ok := ids[r.id]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: %q does not resolve", ErrReference, r.uri)
		case r.typ == typeSignedProperties && spRef == nil && target == s.signedProperties:
			spRef = r
		case (r.typ == "" || r.typ == typeObject) && evRef == nil && target == s.evidence:
			evRef = r
		default:
			return nil, fmt.Errorf("%w: %q is not the facts or the signed properties of this signature", ErrReference, r.uri)
		}
		r.target = target
	}
	leaf, chain, err := parseKeyInfo(s.keyInfo)
	if err != nil {
		return nil, err
	}

	// Core validation (XMLDSig §3.2): the signature over SignedInfo, then
	// each reference.
	sigValue, err := leafBase64(s.signatureValue)
	if err != nil {
		return nil, err
	}
	si, err := canonicalize(s.signedInfo)
	if err != nil {
		return nil, err
	}
	if err := verifySignature(leaf.PublicKey, alg, si, sigValue); err != nil {
		return nil, err
	}
	for _, r := range refs {
		d, err := digestElement(r.target, r.hash)
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare(d, r.digest) != 1 {
			return nil, fmt.Errorf("%w: reference %q", ErrDigest, r.uri)
		}
	}

	v := &Verified{Certificate: leaf, Chain: chain}
	if v.SigningTime, err = parseSignedProperties(s.signedProperties, leaf, evRef); err != nil {
		return nil, err
	}
	if s.unsignedProperties != nil {
		if err := parseUnsignedProperties(s.unsignedProperties, s.signatureValue, v); err != nil {
			return nil, err
		}
	}
	if v.Facts, err = parseEvidence(s.evidence); err != nil {
		return nil, err
	}
	return v, nil
}

// parse reads the document with the settings that keep etree from hiding
// what a strict XML processor would refuse: duplicate attributes are kept
// (and then rejected), and only UTF-8 is read as such.
func parse(data []byte) (*etree.Document, error) {
	// A document type declaration is how entities (billion laughs, external
	// entities) get in; evidence never has one. encoding/xml expands no
	// entities, but say so plainly rather than fail on the first reference.
	if bytes.Contains(data, []byte("<!DOCTYPE")) || bytes.Contains(data, []byte("<!ENTITY")) {
		return nil, fmt.Errorf("%w: document type declarations are not accepted", ErrMalformed)
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
			if strings.EqualFold(charset, "utf-8") {
				return r, nil
			}
			return nil, fmt.Errorf("encoding %q is not accepted", charset)
		},
		PreserveDuplicateAttrs: true,
		MaxDepth:               maxDepth,
	}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	roots := 0
	for i, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			roots++
		case *etree.CharData:
			if !isSpace(t.Data) {
				return nil, fmt.Errorf("%w: text outside the document element", ErrMalformed)
			}
		case *etree.ProcInst:
			if i != 0 || t.Target != "xml" {
				return nil, fmt.Errorf("%w: processing instructions are not accepted", ErrMalformed)
			}
		case *etree.Directive:
			return nil, fmt.Errorf("%w: document type declarations are not accepted", ErrMalformed)
		default:
			return nil, fmt.Errorf("%w: comments are not accepted", ErrMalformed)
		}
	}
	if roots != 1 {
		return nil, fmt.Errorf("%w: %d document elements", ErrMalformed, roots)
	}
	return doc, nil
}

// index walks every element once: it refuses comments, processing
// instructions, directives and duplicate attributes anywhere, counts
// elements and signatures, and maps each Id value (attributes Id, ID, id and
// xml:id, as XML tools variously declare them) to its element. A value seen
// twice is an error, so a reference can only ever mean one element.
//
// Comments matter beyond taste: canonicalisation drops them while a naive
// reader of text would stop at them, so "Al<!---->ice" could be signed as
// "Alice" and read as "Al".
func index(doc *etree.Document) (map[string]*etree.Element, error) {
	ids := map[string]*etree.Element{}
	elements, signatures := 0, 0
	var walk func(e *etree.Element) error
	walk = func(e *etree.Element) error {
		elements++
		if elements > maxElements {
			return fmt.Errorf("%w: more than %d elements", ErrTooLarge, maxElements)
		}
		if is(e, nsDS, "Signature") {
			signatures++
			if signatures > 1 {
				return fmt.Errorf("%w: more than one signature", ErrMalformed)
			}
		}
		for i, a := range e.Attr {
			for _, b := range e.Attr[:i] {
				if a.Space == b.Space && a.Key == b.Key {
					return fmt.Errorf("%w: duplicate attribute %s on %s", ErrMalformed, a.FullKey(), e.FullTag())
				}
			}
			// encoding/xml does not normalise attribute values (XML 1.0
			// §3.3.3), so a literal newline would canonicalise differently
			// here than in libxml2. No attribute of ours has whitespace
			// other than spaces.
			if strings.ContainsAny(a.Value, "\t\n\r") {
				return fmt.Errorf("%w: whitespace in attribute %s on %s", ErrMalformed, a.FullKey(), e.FullTag())
			}
			if a.Space == "" && (a.Key == "Id" || a.Key == "ID" || a.Key == "id") || a.Space == "xml" && a.Key == "id" {
				if _, dup := ids[a.Value]; dup {
					return fmt.Errorf("%w: duplicate Id %q", ErrReference, a.Value)
				}
				ids[a.Value] = e
			}
		}
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.Element:
				if err := walk(t); err != nil {
					return err
				}
			case *etree.CharData:
			case *etree.Comment:
				return fmt.Errorf("%w: comments are not accepted", ErrMalformed)
			case *etree.Directive:
				return fmt.Errorf("%w: document type declarations are not accepted", ErrMalformed)
			default:
				return fmt.Errorf("%w: processing instructions are not accepted", ErrMalformed)
			}
		}
		return nil
	}
	if err := walk(doc.Root()); err != nil {
		return nil, err
	}
	return ids, nil
}

// checkAttrs refuses attributes other than namespace declarations and the
// unprefixed names allowed.
func checkAttrs(e *etree.Element, allowed ...string) error {
	for _, a := range e.Attr {
		if _, decl := namespaceDeclaration(a); decl {
			continue
		}
		if a.Space != "" || !slices.Contains(allowed, a.Key) {
			return fmt.Errorf("%w: unexpected attribute %s on %s", ErrMalformed, a.FullKey(), e.FullTag())
		}
	}
	return nil
}

// signature is the skeleton of an enveloping XAdES signature.
type signature struct {
	signedInfo, signatureValue, keyInfo *etree.Element
	evidence                            *etree.Element
	signedProperties                    *etree.Element
	unsignedProperties                  *etree.Element // nil if absent
}

func structure(root *etree.Element) (*signature, error) {
	if !is(root, nsDS, "Signature") {
		return nil, fmt.Errorf("%w: the document element is not ds:Signature", ErrMalformed)
	}
	if err := checkAttrs(root, "Id"); err != nil {
		return nil, err
	}
	var s signature
	c := children(root, nsDS, signatureAttrs...)
	s.signedInfo = c.one("SignedInfo")
	s.signatureValue = c.one("SignatureValue")
	s.keyInfo = c.one("KeyInfo")
	var objects []*etree.Element
	for c.next("Object") {
		objects = append(objects, c.current)
	}
	if err := c.end(); err != nil {
		return nil, err
	}
	if len(objects) != 2 {
		return nil, fmt.Errorf("%w: %d ds:Object elements, want 2", ErrMalformed, len(objects))
	}
	var qp *etree.Element
	for _, o := range objects {
		e, err := onlyChild(o)
		if err != nil {
			return nil, err
		}
		switch {
		case is(e, nsEvidence, "Evidence") && s.evidence == nil:
			s.evidence = e
		case is(e, nsXAdES, "QualifyingProperties") && qp == nil:
			qp = e
		default:
			return nil, fmt.Errorf("%w: unexpected %s in ds:Object", ErrMalformed, e.FullTag())
		}
	}
	if err := checkAttrs(s.evidence, "Id"); err != nil {
		return nil, err
	}
	var err error
	if s.signedProperties, s.unsignedProperties, err = qualifyingProperties(qp, root); err != nil {
		return nil, err
	}
	return &s, nil
}

// qualifyingProperties checks that the xades:QualifyingProperties qp
// qualify the ds:Signature sig, whose Target it must name (EN 319 132-1
// clause 4), and returns its SignedProperties and its UnsignedProperties
// (nil when there are none).
func qualifyingProperties(qp, sig *etree.Element) (signed, unsigned *etree.Element, err error) {
	if err := checkAttrs(qp, "Id", "Target"); err != nil {
		return nil, nil, err
	}
	if id := sig.SelectAttrValue("Id", ""); id == "" || qp.SelectAttrValue("Target", "") != "#"+id {
		return nil, nil, fmt.Errorf("%w: the qualifying properties do not target this signature", ErrReference)
	}
	qc := children(qp, nsXAdES, signatureAttrs...)
	signed = qc.one("SignedProperties")
	unsigned = qc.optional("UnsignedProperties")
	if err := qc.end(); err != nil {
		return nil, nil, err
	}
	return signed, unsigned, nil
}

// onlyChild returns the one child element of e, which holds nothing else
// but whitespace.
func onlyChild(e *etree.Element) (*etree.Element, error) {
	var only *etree.Element
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.Element:
			if only != nil {
				return nil, fmt.Errorf("%w: %s holds more than one element", ErrMalformed, e.FullTag())
			}
			only = t
		case *etree.CharData:
			if !isSpace(t.Data) {
				return nil, fmt.Errorf("%w: text in %s", ErrMalformed, e.FullTag())
			}
		}
	}
	if only == nil {
		return nil, fmt.Errorf("%w: empty %s", ErrMalformed, e.FullTag())
	}
	return only, nil
}

type reference struct {
	id, uri, typ string
	hash         crypto.Hash
	digest       []byte
	target       *etree.Element
	refID        string // the Reference's own Id
}

// parseSignedInfo reads SignedInfo (XMLDSig §4.4) and returns the signature
// method and the two references.
func parseSignedInfo(si *etree.Element) (string, []reference, error) {
	c := children(si, nsDS, signatureAttrs...)
	if err := algorithmOf(c.one("CanonicalizationMethod"), c, algExcC14N); err != nil {
		return "", nil, err
	}
	sm := c.one("SignatureMethod")
	var alg string
	if sm != nil {
		alg = sm.SelectAttrValue("Algorithm", "")
		if _, ok := signatureAlgorithms[alg]; !ok {
			return "", nil, fmt.Errorf("%w: signature method %q", ErrAlgorithm, alg)
		}
		if err := children(sm, nsDS).end(); err != nil {
			return "", nil, err
		}
	}
	var refs []reference
	for c.next("Reference") {
		if len(refs) == 2 {
			return "", nil, fmt.Errorf("%w: more than two references", ErrReference)
		}
		r, err := parseReference(c.current)
		if err != nil {
			return "", nil, err
		}
		refs = append(refs, r)
	}
	if err := c.end(); err != nil {
		return "", nil, err
	}
	if len(refs) != 2 {
		return "", nil, fmt.Errorf("%w: %d references, want 2", ErrReference, len(refs))
	}
	return alg, refs, nil
}

// algorithmOf checks that e (taken from c) names want and has no content:
// no parameters such as InclusiveNamespaces or HMACOutputLength.
func algorithmOf(e *etree.Element, c *cursor, want string) error {
	if c.err != nil {
		return c.err
	}
	if got := e.SelectAttrValue("Algorithm", ""); got != want {
		return fmt.Errorf("%w: %s %q", ErrAlgorithm, e.Tag, got)
	}
	return children(e, nsDS).end()
}

// referenceDigest reads the DigestMethod and DigestValue that end a
// ds:Reference (XMLDSig §4.4.3.5, §4.4.3.6) into r, and ends c: the digest
// must be one segl computes, and of its size.
func referenceDigest(c *cursor, r *reference) error {
	dm := c.one("DigestMethod")
	if dm != nil {
		var ok bool
		r.hash, ok = digestAlgorithms[dm.SelectAttrValue("Algorithm", "")]
		if !ok {
			return fmt.Errorf("%w: digest method %q", ErrAlgorithm, dm.SelectAttrValue("Algorithm", ""))
		}
		c.fail(children(dm, nsDS).end())
	}
	r.digest = c.base64("DigestValue")
	if err := c.end(); err != nil {
		return err
	}
	if len(r.digest) != r.hash.Size() {
		return fmt.Errorf("%w: digest of %d bytes for %v", ErrMalformed, len(r.digest), r.hash)
	}
	return nil
}

func parseReference(e *etree.Element) (reference, error) {
	r := reference{
		uri:   e.SelectAttrValue("URI", ""),
		typ:   e.SelectAttrValue("Type", ""),
		refID: e.SelectAttrValue("Id", ""),
	}
	// Only a bare-name XPointer to an element of this document (XMLDSig
	// §4.4.3.3); "" (the whole document) and xpointer() are refused.
	id, ok := strings.CutPrefix(r.uri, "#")
	if !ok || id == "" || strings.ContainsAny(id, "()#") {
		return r, fmt.Errorf("%w: URI %q is not a same-document #id", ErrReference, r.uri)
	}
	r.id = id
	c := children(e, nsDS, signatureAttrs...)
	tr := c.one("Transforms")
	if tr != nil {
		tc := children(tr, nsDS, signatureAttrs...)
		if err := algorithmOf(tc.one("Transform"), tc, algExcC14N); err != nil {
			return r, err
		}
		if err := tc.end(); err != nil {
			return r, fmt.Errorf("%w: only the exclusive c14n transform is accepted", ErrAlgorithm)
		}
	}
	// Not "return r, referenceDigest(…)": Go leaves open whether r is read
	// before or after the call fills it in.
	err := referenceDigest(c, &r)
	return r, err
}

func parseKeyInfo(ki *etree.Element) (*x509.Certificate, []*x509.Certificate, error) {
	c := children(ki, nsDS, signatureAttrs...)
	xd := c.one("X509Data")
	if err := c.end(); err != nil {
		return nil, nil, err
	}
	xc := children(xd, nsDS)
	var certs []*x509.Certificate
	for xc.next("X509Certificate") {
		if len(certs) == maxKeyInfoCerts {
			return nil, nil, fmt.Errorf("%w: more than %d certificates in KeyInfo", ErrTooLarge, maxKeyInfoCerts)
		}
		der, err := leafBase64(xc.current)
		if err != nil {
			return nil, nil, err
		}
		cert, err := cms.ParseCertificate(der)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: KeyInfo certificate: %v", ErrMalformed, err)
		}
		certs = append(certs, cert)
	}
	if err := xc.end(); err != nil {
		return nil, nil, err
	}
	if len(certs) == 0 {
		return nil, nil, fmt.Errorf("%w: no certificate in KeyInfo", ErrMalformed)
	}
	return certs[0], certs[1:], nil
}

// verifySignature checks sig over data with the signing certificate's key.
// ECDSA signatures are r‖s with each half the size of the curve order
// (RFC 4051 §2.3.6); RSA keys must have at least 2048 bits.
func verifySignature(pub crypto.PublicKey, alg string, data, sig []byte) error {
	sa := signatureAlgorithms[alg]
	h := sa.hash.New()
	h.Write(data)
	d := h.Sum(nil)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if !sa.ecdsa {
			return fmt.Errorf("%w: %s with an ecdsa key", ErrAlgorithm, alg)
		}
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521() {
			return fmt.Errorf("%w: ecdsa curve %s", ErrAlgorithm, k.Curve.Params().Name)
		}
		n := (k.Curve.Params().N.BitLen() + 7) / 8
		if len(sig) != 2*n {
			return fmt.Errorf("%w: ecdsa signature of %d bytes, want %d (r‖s)", ErrSignature, len(sig), 2*n)
		}
		r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		if !ecdsa.Verify(k, d, r, s) {
			return ErrSignature
		}
	case *rsa.PublicKey:
		if sa.ecdsa {
			return fmt.Errorf("%w: %s with an rsa key", ErrAlgorithm, alg)
		}
		if k.Size()*8 < 2048 {
			return fmt.Errorf("%w: rsa key of %d bits", ErrAlgorithm, k.Size()*8)
		}
		if err := rsa.VerifyPKCS1v15(k, sa.hash, d, sig); err != nil {
			return ErrSignature
		}
	default:
		return fmt.Errorf("%w: key type %T", ErrAlgorithm, pub)
	}
	return nil
}

// parseSignedProperties checks the signed qualifying properties against the
// signing certificate and the facts reference, and returns the signing
// time.
func parseSignedProperties(sp *etree.Element, leaf *x509.Certificate, evRef *reference) (signingTime time.Time, err error) {
	if err := checkAttrs(sp, "Id"); err != nil {
		return signingTime, err
	}
	c := children(sp, nsXAdES, signatureAttrs...)
	ssp := c.one("SignedSignatureProperties")
	sdop := c.one("SignedDataObjectProperties")
	if err := c.end(); err != nil {
		return signingTime, err
	}

	sc := children(ssp, nsXAdES, signatureAttrs...)
	signingTime = sc.time("SigningTime")
	scv2 := sc.one("SigningCertificateV2")
	if err := sc.end(); err != nil {
		return signingTime, err
	}
	if err := checkSigningCertificate(scv2, leaf); err != nil {
		return signingTime, err
	}

	// EN 319 132-1 §5.2: one DataObjectFormat, for the facts.
	dc := children(sdop, nsXAdES, signatureAttrs...)
	dof := dc.one("DataObjectFormat")
	if err := dc.end(); err != nil {
		return signingTime, err
	}
	if evRef.refID == "" || dof.SelectAttrValue("ObjectReference", "") != "#"+evRef.refID {
		return signingTime, fmt.Errorf("%w: the data object format does not name the facts reference", ErrReference)
	}
	fc := children(dof, nsXAdES, signatureAttrs...)
	fc.optionalText("Description")
	if fc.text("MimeType") == "" && fc.err == nil {
		fc.fail(fmt.Errorf("%w: empty MimeType", ErrMalformed))
	}
	fc.optionalText("Encoding")
	if err := fc.end(); err != nil {
		return signingTime, err
	}
	return signingTime, nil
}

// checkSigningCertificate checks SigningCertificateV2 (EN 319 132-1
// §5.2.2): exactly one Cert, whose CertDigest is the digest of the
// signing certificate and whose IssuerSerialV2, if present, is its issuer
// and serial number. Binding the certificate into the signed properties is
// what stops a substitution of another certificate for the same key.
func checkSigningCertificate(scv2 *etree.Element, leaf *x509.Certificate) error {
	isv2, err := checkCertDigest(scv2, leaf, certV2)
	if err != nil || isv2 == nil {
		return err
	}
	der, err := leafBase64(isv2)
	if err != nil {
		return err
	}
	var is struct {
		Issuer []asn1.RawValue
		Serial *big.Int
	}
	rest, err := asn1.Unmarshal(der, &is)
	if err != nil || len(rest) != 0 {
		return fmt.Errorf("%w: IssuerSerialV2", ErrMalformed)
	}
	if len(is.Issuer) != 1 || is.Issuer[0].Class != asn1.ClassContextSpecific || is.Issuer[0].Tag != 4 ||
		!bytes.Equal(is.Issuer[0].Bytes, leaf.RawIssuer) || is.Serial.Cmp(leaf.SerialNumber) != 0 {
		return fmt.Errorf("%w: issuer and serial number", ErrSigningCertificate)
	}
	return nil
}

// certVersion is what differs between the two forms of the signing
// certificate property: the name of the issuer and serial element, whether
// it is required, and whether a SHA-1 digest is taken.
type certVersion struct {
	issuerSerial string
	required     bool
	sha1         bool
}

var (
	// XAdES 1.3.2 SigningCertificate (ETSI TS 101 903 §7.2.2): IssuerSerial
	// is required; SHA-1, as Posten's clients write it, is taken (see
	// checkSigningCertificateV1).
	certV1 = certVersion{issuerSerial: "IssuerSerial", required: true, sha1: true}
	// SigningCertificateV2 (EN 319 132-1 §5.2.2): IssuerSerialV2 is
	// optional.
	certV2 = certVersion{issuerSerial: "IssuerSerialV2"}
)

// checkCertDigest reads the one Cert of a SigningCertificate or
// SigningCertificateV2 element, checks that its CertDigest is the digest
// of leaf, and returns its issuer and serial element for the caller to
// check (nil when it is optional and absent). The two forms share this
// structure: Cert { CertDigest { ds:DigestMethod, ds:DigestValue },
// issuer-serial }.
func checkCertDigest(sc *etree.Element, leaf *x509.Certificate, v certVersion) (*etree.Element, error) {
	c := children(sc, nsXAdES, signatureAttrs...)
	cert := c.one("Cert")
	if err := c.end(); err != nil {
		return nil, err
	}
	cc := children(cert, nsXAdES, signatureAttrs...)
	cd := cc.one("CertDigest")
	var is *etree.Element
	if v.required {
		is = cc.one(v.issuerSerial)
	} else {
		is = cc.optional(v.issuerSerial)
	}
	if err := cc.end(); err != nil {
		return nil, err
	}
	dc := children(cd, nsDS, signatureAttrs...)
	dm := dc.one("DigestMethod")
	dv := dc.base64("DigestValue")
	if err := dc.end(); err != nil {
		return nil, err
	}
	alg := dm.SelectAttrValue("Algorithm", "")
	h, ok := digestAlgorithms[alg]
	if !ok && v.sha1 && alg == algSHA1 {
		h, ok = crypto.SHA1, true
	}
	if !ok {
		return nil, fmt.Errorf("%w: certificate digest method %q", ErrAlgorithm, alg)
	}
	if err := children(dm, nsDS).end(); err != nil {
		return nil, err
	}
	w := h.New()
	w.Write(leaf.Raw)
	if subtle.ConstantTimeCompare(w.Sum(nil), dv) != 1 {
		return nil, fmt.Errorf("%w: certificate digest", ErrSigningCertificate)
	}
	return is, nil
}

// parseUnsignedProperties reads the SignatureTimeStamp, CertificateValues
// and RevocationValues, in that order, into v.
func parseUnsignedProperties(up, sigValue *etree.Element, v *Verified) error {
	c := children(up, nsXAdES, signatureAttrs...)
	usp := c.one("UnsignedSignatureProperties")
	if err := c.end(); err != nil {
		return err
	}
	uc := children(usp, nsXAdES, signatureAttrs...)
	ts := uc.optional("SignatureTimeStamp")
	cv := uc.optional("CertificateValues")
	rv := uc.optional("RevocationValues")
	if err := uc.end(); err != nil {
		return err
	}
	if ts != nil {
		tok, err := checkTimeStamp(ts, sigValue)
		if err != nil {
			return err
		}
		v.TimeStampToken = tok
	}
	if cv != nil {
		vc := children(cv, nsXAdES, signatureAttrs...)
		for vc.next("EncapsulatedX509Certificate") {
			der, err := encapsulated(vc.current, len(v.Validation.Certs))
			if err != nil {
				return err
			}
			if _, err := cms.ParseCertificate(der); err != nil {
				return fmt.Errorf("%w: certificate value: %v", ErrMalformed, err)
			}
			v.Validation.Certs = append(v.Validation.Certs, der)
		}
		if err := vc.end(); err != nil {
			return err
		}
	}
	if rv != nil {
		rc := children(rv, nsXAdES, signatureAttrs...)
		crls := rc.optional("CRLValues")
		ocsps := rc.optional("OCSPValues")
		if err := rc.end(); err != nil {
			return err
		}
		if crls != nil {
			cc := children(crls, nsXAdES, signatureAttrs...)
			for cc.next("EncapsulatedCRLValue") {
				der, err := encapsulated(cc.current, len(v.Validation.CRLs))
				if err != nil {
					return err
				}
				if _, err := x509.ParseRevocationList(der); err != nil {
					return fmt.Errorf("%w: crl value: %v", ErrMalformed, err)
				}
				v.Validation.CRLs = append(v.Validation.CRLs, der)
			}
			if err := cc.end(); err != nil {
				return err
			}
		}
		if ocsps != nil {
			oc := children(ocsps, nsXAdES, signatureAttrs...)
			for oc.next("EncapsulatedOCSPValue") {
				der, err := encapsulated(oc.current, len(v.Validation.OCSPs))
				if err != nil {
					return err
				}
				var seq asn1.RawValue
				if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) != 0 || seq.Tag != asn1.TagSequence {
					return fmt.Errorf("%w: ocsp value is not a DER sequence", ErrMalformed)
				}
				v.Validation.OCSPs = append(v.Validation.OCSPs, der)
			}
			if err := oc.end(); err != nil {
				return err
			}
		}
	}
	return nil
}

// encapsulated decodes an xades Encapsulated… value, which must be DER.
func encapsulated(e *etree.Element, have int) ([]byte, error) {
	if have == maxValues {
		return nil, fmt.Errorf("%w: more than %d %s", ErrTooLarge, maxValues, e.Tag)
	}
	if enc := e.SelectAttrValue("Encoding", encodingDER); enc != encodingDER {
		return nil, fmt.Errorf("%w: %s encoding %q", ErrMalformed, e.Tag, enc)
	}
	return leafBase64(e)
}

// checkTimeStamp checks that the SignatureTimeStamp (EN 319 132-1 §5.3) is
// over this signature: its input is ds:SignatureValue canonicalised with
// the CanonicalizationMethod it names (only Exclusive C14N accepted; absent
// would mean C14N 1.0), hashed with the token's imprint
// algorithm (SHA-2 only).
func checkTimeStamp(ts, sigValue *etree.Element) ([]byte, error) {
	c := children(ts, nsXAdES, signatureAttrs...)
	if err := algorithmOf(c.oneIn(nsDS, "CanonicalizationMethod"), c, algExcC14N); err != nil {
		return nil, err
	}
	et := c.one("EncapsulatedTimeStamp")
	if err := c.end(); err != nil {
		return nil, err
	}
	tok, err := encapsulated(et, 0)
	if err != nil {
		return nil, err
	}
	info, err := tsp.Parse(tok)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTimeStamp, err)
	}
	if info.Hash == 0 {
		return nil, fmt.Errorf("%w: imprint algorithm not accepted", ErrTimeStamp)
	}
	d, err := digestElement(sigValue, info.Hash)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(d, info.Digest) != 1 {
		return nil, fmt.Errorf("%w: the token is not over the signature value", ErrTimeStamp)
	}
	return tok, nil
}

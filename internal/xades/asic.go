package xades

import (
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// ASiC-E signature identifiers.
const (
	// ETSI TS 102 918 annex A: the document element of
	// META-INF/signatures.xml in an ASiC-E container.
	nsASiC = "http://uri.etsi.org/2918/v1.2.1#"
	// Canonical XML 1.0, without comments.
	algC14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	// SHA-1, accepted only as the digest of the signing certificate
	// (see checkSigningCertificateV1).
	algSHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
)

// maxASiCFiles bounds the file references one container signature may
// make: Posten's API allows 20 documents and the manifest.
const maxASiCFiles = 64

// ErrFile says that a file the signature references could not be read.
var ErrFile = errors.New("xades: referenced file")

// ASiCSignature is what VerifyASiC found in a container signature whose
// cryptography holds. Certificate and Chain are as found in KeyInfo and
// have not been validated against trust anchors: the caller decides whose
// certificate it must be.
type ASiCSignature struct {
	Certificate *x509.Certificate
	Chain       []*x509.Certificate
	SigningTime time.Time
	// Files are the names of the signed container entries, as the
	// references give them after URL-decoding, in reference order.
	Files []string
}

// VerifyASiC checks META-INF/signatures.xml of an ASiC-E container (ETSI
// TS 102 918 §6.2 and annex A; EN 319 162-1 §4.4.3) as Posten's signature
// API expects senders to make it: one XAdES signature (EN 319 132-1) with
// detached references to container entries. open returns the content of an
// entry by name, or an error wrapping fs.ErrNotExist when there is none.
//
// In order:
//   - the document is at most MaxSize bytes of UTF-8 XML without document
//     type declarations, comments, processing instructions, duplicate
//     attributes or duplicate Ids;
//   - the document element is asic:XAdESSignatures holding exactly one
//     ds:Signature with SignedInfo, SignatureValue, KeyInfo and one ds:Object
//     with the xades:QualifyingProperties that target it;
//   - SignedInfo is canonicalised with Canonical XML 1.0 (what the Java and
//     .NET clients use) or Exclusive C14N, and signed with RSA or ECDSA over
//     SHA-2;
//   - exactly one Reference, typed SignedProperties, resolves to this
//     signature's SignedProperties, with one canonicalisation transform;
//     every other Reference names a container entry outside META-INF
//     (XMLDSig §4.4.3.1, no transforms), each entry once;
//   - the SignatureValue verifies with the first KeyInfo certificate and
//     every digest matches;
//   - SignedSignatureProperties has a SigningTime and a SigningCertificate
//     (v1, as the clients write it) or SigningCertificateV2 naming that
//     certificate.
//
// Whether every entry of the container is signed is for the caller to
// check against Files: only it knows the entries.
func VerifyASiC(data []byte, open func(name string) (io.ReadCloser, error)) (*ASiCSignature, error) {
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
	root := doc.Root()
	if !is(root, nsASiC, "XAdESSignatures") {
		return nil, fmt.Errorf("%w: the document element is not asic:XAdESSignatures", ErrMalformed)
	}
	if err := checkAttrs(root); err != nil {
		return nil, err
	}
	sigEl, err := onlyChild(root)
	if err != nil {
		return nil, err
	}
	if !is(sigEl, nsDS, "Signature") {
		return nil, fmt.Errorf("%w: asic:XAdESSignatures holds %s", ErrMalformed, sigEl.FullTag())
	}
	s, err := asicStructure(sigEl)
	if err != nil {
		return nil, err
	}
	c14n, alg, refs, err := parseASiCSignedInfo(s.signedInfo)
	if err != nil {
		return nil, err
	}
	var spRef *asicReference
	var files []string
	seen := map[string]bool{}
	for i := range refs {
		r := &refs[i]
		if r.typ == typeSignedProperties {
			if spRef != nil || ids[r.id] != s.signedProperties {
				return nil, fmt.Errorf("%w: %q is not the signed properties of this signature", ErrReference, r.uri)
			}
			spRef, r.target = r, s.signedProperties
			continue
		}
		if seen[r.uri] {
			return nil, fmt.Errorf("%w: %q is referenced twice", ErrReference, r.uri)
		}
		seen[r.uri] = true
		files = append(files, r.uri)
	}
	if spRef == nil {
		return nil, fmt.Errorf("%w: no reference to the signed properties", ErrReference)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no file is signed", ErrReference)
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
	si, err := canonicalizeWith(s.signedInfo, c14n == algC14N)
	if err != nil {
		return nil, err
	}
	if err := verifySignature(leaf.PublicKey, alg, si, sigValue); err != nil {
		return nil, err
	}
	for _, r := range refs {
		var d []byte
		if r.target != nil {
			d, err = digestCanonical(r.target, r.hash, r.transform == algC14N)
		} else {
			d, err = digestFile(open, r.uri, r.hash)
		}
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare(d, r.digest) != 1 {
			return nil, fmt.Errorf("%w: reference %q", ErrDigest, r.uri)
		}
	}
	v := &ASiCSignature{Certificate: leaf, Chain: chain, Files: files}
	if v.SigningTime, err = parseASiCSignedProperties(s.signedProperties, leaf); err != nil {
		return nil, err
	}
	return v, nil
}

// asicStructure reads the skeleton of a detached XAdES signature: the
// ds:Signature with one ds:Object holding the qualifying properties.
func asicStructure(sig *etree.Element) (*signature, error) {
	if err := checkAttrs(sig, "Id"); err != nil {
		return nil, err
	}
	var s signature
	c := children(sig, nsDS, signatureAttrs...)
	s.signedInfo = c.one("SignedInfo")
	s.signatureValue = c.one("SignatureValue")
	s.keyInfo = c.one("KeyInfo")
	obj := c.one("Object")
	if err := c.end(); err != nil {
		return nil, err
	}
	qp, err := onlyChild(obj)
	if err != nil {
		return nil, err
	}
	if !is(qp, nsXAdES, "QualifyingProperties") {
		return nil, fmt.Errorf("%w: unexpected %s in ds:Object", ErrMalformed, qp.FullTag())
	}
	if s.signedProperties, s.unsignedProperties, err = qualifyingProperties(qp, sig); err != nil {
		return nil, err
	}
	return &s, nil
}

// asicReference is a Reference of a container signature: to a file, or to
// the signed properties with its canonicalisation transform.
type asicReference struct {
	reference
	transform string
}

func parseASiCSignedInfo(si *etree.Element) (c14n, alg string, refs []asicReference, err error) {
	c := children(si, nsDS, signatureAttrs...)
	cm := c.one("CanonicalizationMethod")
	if c.err == nil {
		c14n = cm.SelectAttrValue("Algorithm", "")
		if c14n != algC14N && c14n != algExcC14N {
			return "", "", nil, fmt.Errorf("%w: canonicalization %q", ErrAlgorithm, c14n)
		}
		if err := children(cm, nsDS).end(); err != nil {
			return "", "", nil, err
		}
	}
	sm := c.one("SignatureMethod")
	if sm != nil {
		alg = sm.SelectAttrValue("Algorithm", "")
		if _, ok := signatureAlgorithms[alg]; !ok {
			return "", "", nil, fmt.Errorf("%w: signature method %q", ErrAlgorithm, alg)
		}
		if err := children(sm, nsDS).end(); err != nil {
			return "", "", nil, err
		}
	}
	for c.next("Reference") {
		if len(refs) == maxASiCFiles+1 {
			return "", "", nil, fmt.Errorf("%w: more than %d references", ErrTooLarge, maxASiCFiles+1)
		}
		r, err := parseASiCReference(c.current)
		if err != nil {
			return "", "", nil, err
		}
		refs = append(refs, r)
	}
	if err := c.end(); err != nil {
		return "", "", nil, err
	}
	return c14n, alg, refs, nil
}

// parseASiCReference reads one Reference. A reference to the signed
// properties is a same-document "#id" with exactly one canonicalisation
// transform; a reference to a file is a relative URI naming a container
// entry (ETSI TS 102 918 §6.2.2: "the URI attribute … shall reference the
// file"), URL-decoded as the Java client encodes it, without transforms.
func parseASiCReference(e *etree.Element) (asicReference, error) {
	r := asicReference{reference: reference{
		uri: e.SelectAttrValue("URI", ""), typ: e.SelectAttrValue("Type", ""), refID: e.SelectAttrValue("Id", ""),
	}}
	c := children(e, nsDS, signatureAttrs...)
	tr := c.optional("Transforms")
	if r.typ == typeSignedProperties {
		id, ok := strings.CutPrefix(r.uri, "#")
		if !ok || id == "" || strings.ContainsAny(id, "()#") {
			return r, fmt.Errorf("%w: URI %q is not a same-document #id", ErrReference, r.uri)
		}
		r.id = id
		if tr == nil {
			return r, fmt.Errorf("%w: the signed properties reference has no canonicalisation", ErrAlgorithm)
		}
		tc := children(tr, nsDS, signatureAttrs...)
		t := tc.one("Transform")
		if tc.err == nil {
			r.transform = t.SelectAttrValue("Algorithm", "")
			if r.transform != algC14N && r.transform != algExcC14N {
				return r, fmt.Errorf("%w: transform %q", ErrAlgorithm, r.transform)
			}
			tc.fail(children(t, nsDS).end())
		}
		if err := tc.end(); err != nil {
			return r, err
		}
	} else {
		if r.typ != "" || tr != nil {
			return r, fmt.Errorf("%w: file reference %q with a type or transforms", ErrReference, r.uri)
		}
		name, err := url.QueryUnescape(r.uri)
		if err != nil {
			name = r.uri // not encoded after all, as the Java client's own reader allows
		}
		if !fileName(name) {
			return r, fmt.Errorf("%w: URI %q does not name a signed container entry", ErrReference, r.uri)
		}
		r.uri = name
	}
	// Not "return r, referenceDigest(…)": Go leaves open whether r is read
	// before or after the call fills it in.
	err := referenceDigest(c, &r.reference)
	return r, err
}

// fileName accepts the names of entries a container signature may sign:
// relative, outside META-INF (TS 102 918 §6.2.2), with no "." or ".."
// segments or absolute forms that could name something else.
func fileName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasPrefix(name, "#") || strings.Contains(name, ":") ||
		strings.Contains(name, "\\") || strings.HasPrefix(name, "META-INF/") {
		return false
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func digestCanonical(e *etree.Element, h crypto.Hash, inclusive bool) ([]byte, error) {
	b, err := canonicalizeWith(e, inclusive)
	if err != nil {
		return nil, err
	}
	w := h.New()
	w.Write(b)
	return w.Sum(nil), nil
}

func digestFile(open func(string) (io.ReadCloser, error), name string, h crypto.Hash) ([]byte, error) {
	f, err := open(name)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrFile, name, err)
	}
	defer f.Close()
	w := h.New()
	if _, err := io.Copy(w, f); err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrFile, name, err)
	}
	return w.Sum(nil), nil
}

// parseASiCSignedProperties checks the signing time and the signing
// certificate. SignedDataObjectProperties (the clients' DataObjectFormat
// per file) are signed but carry nothing segl acts on: the media type of a
// document is the manifest's, and its content is checked.
func parseASiCSignedProperties(sp *etree.Element, leaf *x509.Certificate) (time.Time, error) {
	if err := checkAttrs(sp, "Id"); err != nil {
		return time.Time{}, err
	}
	c := children(sp, nsXAdES, signatureAttrs...)
	ssp := c.one("SignedSignatureProperties")
	c.optional("SignedDataObjectProperties")
	if err := c.end(); err != nil {
		return time.Time{}, err
	}
	sc := children(ssp, nsXAdES, signatureAttrs...)
	signingTime := sc.time("SigningTime")
	if v1 := sc.optional("SigningCertificate"); v1 != nil {
		sc.fail(checkSigningCertificateV1(v1, leaf))
	} else if v2 := sc.one("SigningCertificateV2"); v2 != nil {
		sc.fail(checkSigningCertificate(v2, leaf))
	}
	if err := sc.end(); err != nil {
		return time.Time{}, err
	}
	return signingTime, nil
}

// checkSigningCertificateV1 checks the XAdES 1.3.2 SigningCertificate (ETSI
// TS 101 903 §7.2.2) that Posten's clients write: one Cert whose CertDigest
// is the digest of the signing certificate and whose IssuerSerial carries
// its serial number. The clients digest with SHA-1; that is accepted here
// only because the certificate is also in KeyInfo and verified against the
// signature: the digest binds, it does not authenticate.
func checkSigningCertificateV1(sc *etree.Element, leaf *x509.Certificate) error {
	is, err := checkCertDigest(sc, leaf, certV1)
	if err != nil {
		return err
	}
	ic := children(is, nsDS)
	ic.text("X509IssuerName")
	serial := ic.text("X509SerialNumber")
	if err := ic.end(); err != nil {
		return err
	}
	n, ok := new(big.Int).SetString(strings.TrimSpace(serial), 10)
	if !ok || n.Cmp(leaf.SerialNumber) != 0 {
		return fmt.Errorf("%w: serial number", ErrSigningCertificate)
	}
	return nil
}

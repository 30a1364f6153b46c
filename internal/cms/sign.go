package cms

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
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Stamper returns an RFC 3161 time-stamp token over a digest: the DER of a
// ContentInfo holding SignedData (RFC 3161 §2.4.2 TimeStampToken), ready to
// be embedded in CAdES, PAdES or XAdES. tsp.Authority and tsp.Client
// implement it. It is the one declaration for all signature code (cms,
// pades, xades): tsp imports this package, so the interface lives here,
// with its lowest consumer.
type Stamper interface {
	Stamp(ctx context.Context, h crypto.Hash, digest []byte) (token []byte, err error)
}

// SignOptions says who signs and what goes into the SignedData. The zero value
// of every field but Signer and Certificate is the safe default.
type SignOptions struct {
	// Signer is the private key. ECDSA on P-256, P-384 or P-521, RSA of
	// 2048 bits or more (PKCS #1 v1.5), or Ed25519 (RFC 8419, with
	// SHA-512; OpenSSL 3.0 cannot verify it, so not for PDFs).
	//
	// Security review: for PDFs this is the only place the TTP seal key
	// signs, and it signs whatever digest it is given. Each call must be
	// reviewed so that it cannot be used as a signing oracle: the digest
	// must be of bytes the caller built itself, after it recorded the intent
	// to seal them (STYLE.md: record intent before signing).
	//
	// What it signs is verified with Certificate before it is used, unless
	// it is Go's own *rsa.PrivateKey, which checks itself; see selfChecked.
	Signer crypto.Signer
	// Certificate is the signer's certificate: it must hold Signer's public
	// key. It is identified by issuer and serial number (SignerInfo version
	// 1) and named by the signing-certificate-v2 attribute.
	Certificate *x509.Certificate
	// Chain are further certificates for the certificates field, usually
	// the intermediates; the root is optional, since a validator has its
	// own trust anchors. Certificate is always included, once, unless
	// NoCertificates.
	Chain []*x509.Certificate
	// NoCertificates leaves the certificates field out, for an RFC 3161
	// token requested with certReq false. A verifier then needs the
	// certificate from elsewhere, so PAdES never sets it.
	NoCertificates bool
	// Hash is the digest algorithm, for the content and the signed
	// attributes: SHA-256, SHA-384 or SHA-512. Zero means SHA-256 (SHA-512
	// for Ed25519, RFC 8419 §3.1).
	Hash crypto.Hash
	// Stamper, if set, adds a signature time-stamp: the unsigned attribute
	// id-aa-signatureTimeStampToken with an RFC 3161 token over the hash
	// (with Hash) of the SignatureValue octets, which makes CAdES-B-T and
	// PAdES-B-T (ETSI EN 319 122-1 §5.3, RFC 3161 appendix A).
	Stamper Stamper
	// SigningTime, if set, adds the signing-time attribute (RFC 5652
	// §11.3). Zero means none: PAdES baseline forbids it (ETSI EN 319
	// 142-1 §5.2: the claimed time goes in the signature dictionary's /M).
	SigningTime time.Time
	// ContentType is the eContentType and the content-type attribute. Nil
	// means id-data, as a PDF signature needs (ETSI EN 319 142-1 §5.2).
	ContentType asn1.ObjectIdentifier
	// ESSCertificate is the certificate the signing-certificate-v2
	// attribute names. Nil, the only correct value, means Certificate. Tests
	// set another to make signatures that a verifier must refuse (RFC 5035
	// §5.4).
	ESSCertificate *x509.Certificate
}

// SignDetached makes a detached CMS SignedData (RFC 5652 §5; the DER
// ContentInfo) over content whose digest, with opts.Hash, is digest: for
// PAdES, the digest of the signature's byte ranges (ETSI EN 319 142-1,
// SubFilter ETSI.CAdES.detached). The signed attributes are those of
// CAdES-B-B (ETSI EN 319 122-1 §5.1, §5.2): content-type, message-digest
// and ESS signing-certificate-v2 with one ESSCertIDv2 (SHA-256 certHash and
// issuerSerial, RFC 5035 §4), and signing-time only if opts asks for it.
// The signature is checked against the certificate's key before it is
// returned, so a faulty key or device cannot produce a bad signature unseen
// (Go's own RSA keys check their signatures themselves; see selfChecked).
func SignDetached(ctx context.Context, digest []byte, opts SignOptions) ([]byte, error) {
	return sign(ctx, nil, digest, opts)
}

// Sign is SignDetached for encapsulated content (RFC 5652 §5.2: eContent
// present), which is what an RFC 3161 TSTInfo is signed as (RFC 3161
// §2.4.2). opts.ContentType names what content is.
func Sign(ctx context.Context, content []byte, opts SignOptions) ([]byte, error) {
	h, _, err := opts.scheme()
	if err != nil {
		return nil, err
	}
	if content == nil {
		content = []byte{}
	}
	d := h.New()
	d.Write(content)
	return sign(ctx, content, d.Sum(nil), opts)
}

// sign makes the SignedData; content is nil when detached.
func sign(ctx context.Context, content, digest []byte, opts SignOptions) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	h, alg, err := opts.scheme()
	if err != nil {
		return nil, err
	}
	if len(digest) != h.Size() {
		return nil, fmt.Errorf("cms: digest of %d bytes for %v", len(digest), h)
	}
	ct := opts.ContentType
	if ct == nil {
		ct = OIDData
	}
	ctDER, err := marshalOID(ct)
	if err != nil {
		return nil, err
	}
	essCert := opts.ESSCertificate
	if essCert == nil {
		essCert = opts.Certificate
	}
	scv2, err := signingCertificateV2(essCert)
	if err != nil {
		return nil, err
	}
	attrs := [][]byte{
		attribute(OIDAttributeContentType, ctDER),
		attribute(OIDAttributeMessageDigest, tlv(tagOctetString, digest)),
		attribute(OIDAttributeSigningCertificateV2, scv2),
	}
	if !opts.SigningTime.IsZero() {
		attrs = append(attrs, attribute(OIDAttributeSigningTime, encodeTime(opts.SigningTime)))
	}
	slices.SortFunc(attrs, bytes.Compare) // DER SET OF order (X.690 §11.6)
	// The signature is over the attributes' DER with the SET OF tag (RFC
	// 5652 §5.4), not the [0] IMPLICIT tag they carry in the SignerInfo.
	signedAttrs := tlv(tagSet, attrs...)
	sig, err := signAttributes(opts.Signer, h, signedAttrs)
	if err != nil {
		return nil, err
	}
	if !selfChecked(opts.Signer) {
		if err := opts.Certificate.CheckSignature(alg, signedAttrs, sig); err != nil {
			return nil, fmt.Errorf("cms: signature does not verify with the signer certificate: %w", err)
		}
	}
	var unsigned nestedTLV // absent: rawTLV(nil)
	if opts.Stamper != nil {
		tst, err := stamp(ctx, opts.Stamper, h, sig)
		if err != nil {
			return nil, err
		}
		unsigned = nestTLV(tagContext1, nestedAttribute(OIDAttributeSignatureTimeStampToken, rawTLV(tst)))
	}
	serial, err := marshalInt(opts.Certificate.SerialNumber)
	if err != nil {
		return nil, err
	}
	digestAlg := algorithmID(hashOID(h), false) // parameters absent (RFC 5754 §2)
	sa := signatureAlgorithms[alg]
	signerInfo := nestTLV(tagSequence,
		rawTLV(mustMarshal(1)), // version 1: issuerAndSerialNumber (RFC 5652 §5.3)
		rawTLV(tlv(tagSequence, opts.Certificate.RawIssuer, serial)),
		rawTLV(digestAlg),
		rawTLV(tlv(tagContext0, attrs...)),
		rawTLV(algorithmID(sa.oid, sa.null)),
		rawTLV(tlv(tagOctetString, sig)),
		unsigned,
	)
	encap := []nestedTLV{rawTLV(ctDER)}
	if content != nil {
		encap = append(encap, nestTLV(tagContext0, nestTLV(tagOctetString, rawTLV(content))))
	}
	version := 3 // RFC 5652 §5.1: eContentType other than id-data
	if ct.Equal(OIDData) {
		version = 1
	}
	signedData := nestTLV(tagSequence,
		rawTLV(mustMarshal(version)),
		rawTLV(tlv(tagSet, digestAlg)),
		nestTLV(tagSequence, encap...),
		opts.certificates(),
		nestTLV(tagSet, signerInfo),
	)
	return nestTLV(tagSequence, rawTLV(mustMarshal(OIDSignedData)), nestTLV(tagContext0, signedData)).encode(), nil
}

// scheme checks the options and returns the digest and signature algorithms.
func (o *SignOptions) scheme() (crypto.Hash, x509.SignatureAlgorithm, error) {
	if o.Signer == nil || o.Certificate == nil {
		return 0, 0, errors.New("cms: sign options need a signer and a certificate")
	}
	pub := o.Signer.Public()
	if k, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(o.Certificate.PublicKey) {
		return 0, 0, errors.New("cms: signer key does not match the certificate")
	}
	h := o.Hash
	var algs map[crypto.Hash]x509.SignatureAlgorithm
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() && pub.Curve != elliptic.P384() && pub.Curve != elliptic.P521() {
			return 0, 0, fmt.Errorf("%w: ecdsa curve %s", ErrUnsupportedAlgorithm, pub.Curve.Params().Name)
		}
		algs = map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.ECDSAWithSHA256, crypto.SHA384: x509.ECDSAWithSHA384, crypto.SHA512: x509.ECDSAWithSHA512}
	case *rsa.PublicKey:
		if bits := pub.N.BitLen(); bits < 2048 {
			return 0, 0, fmt.Errorf("%w: rsa key of %d bits", ErrWeakAlgorithm, bits)
		}
		algs = map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.SHA256WithRSA, crypto.SHA384: x509.SHA384WithRSA, crypto.SHA512: x509.SHA512WithRSA}
	case ed25519.PublicKey:
		if h == 0 {
			h = crypto.SHA512
		}
		algs = map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA512: x509.PureEd25519}
	default:
		return 0, 0, fmt.Errorf("%w: key type %T", ErrUnsupportedAlgorithm, pub)
	}
	if h == 0 {
		h = crypto.SHA256
	}
	alg, ok := algs[h]
	if !ok {
		return 0, 0, fmt.Errorf("%w: %v with a %T key", ErrUnsupportedAlgorithm, h, pub)
	}
	return h, alg, nil
}

// certificates returns the certificates field: Certificate and Chain, each
// once, in DER SET OF order.
func (o *SignOptions) certificates() nestedTLV {
	if o.NoCertificates {
		return rawTLV(nil)
	}
	raws := [][]byte{o.Certificate.Raw}
	for _, c := range o.Chain {
		if c != nil && !slices.ContainsFunc(raws, func(r []byte) bool { return bytes.Equal(r, c.Raw) }) {
			raws = append(raws, c.Raw)
		}
	}
	slices.SortFunc(raws, bytes.Compare)
	parts := make([]nestedTLV, len(raws))
	for i, r := range raws {
		parts[i] = rawTLV(r)
	}
	return nestTLV(tagContext0, parts...)
}

func signAttributes(key crypto.Signer, h crypto.Hash, signedAttrs []byte) ([]byte, error) {
	var (
		sig []byte
		err error
	)
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		sig, err = key.Sign(rand.Reader, signedAttrs, crypto.Hash(0)) // RFC 8419 §3.1: the attributes themselves
	} else {
		d := h.New()
		d.Write(signedAttrs)
		sig, err = key.Sign(rand.Reader, d.Sum(nil), h)
	}
	if err != nil {
		return nil, fmt.Errorf("cms: sign: %w", err)
	}
	return sig, nil
}

// attribute encodes an Attribute with one value.
func attribute(oid asn1.ObjectIdentifier, value []byte) []byte {
	return nestedAttribute(oid, rawTLV(value)).encode()
}

// nestedAttribute is attribute as a part of a nestedTLV.
func nestedAttribute(oid asn1.ObjectIdentifier, value nestedTLV) nestedTLV {
	return nestTLV(tagSequence, rawTLV(mustMarshal(oid)), nestTLV(tagSet, value))
}

// signingCertificateV2 encodes SigningCertificateV2 (RFC 5035 §3) with one
// ESSCertIDv2: SHA-256, so hashAlgorithm is left out as the DEFAULT (X.690
// §11.5), and issuerSerial with the issuer as a directoryName.
func signingCertificateV2(cert *x509.Certificate) ([]byte, error) {
	serial, err := marshalInt(cert.SerialNumber)
	if err != nil {
		return nil, err
	}
	d := crypto.SHA256.New()
	d.Write(cert.Raw)
	issuerSerial := tlv(tagSequence, tlv(tagSequence, tlv(tagContext4, cert.RawIssuer)), serial)
	essCertID := tlv(tagSequence, tlv(tagOctetString, d.Sum(nil)), issuerSerial)
	return tlv(tagSequence, tlv(tagSequence, essCertID)), nil
}

// encodeTime encodes a signing time as RFC 5652 §11.3 says: UTCTime from
// 1950 to 2049, GeneralizedTime otherwise, in UTC, whole seconds.
func encodeTime(t time.Time) []byte {
	t = t.UTC().Truncate(time.Second)
	if y := t.Year(); y >= 1950 && y < 2050 {
		return tlv(asn1.TagUTCTime, []byte(t.Format("060102150405Z")))
	}
	return tlv(asn1.TagGeneralizedTime, []byte(t.Format("20060102150405Z")))
}

// stamp gets the signature time-stamp token over the SignatureValue octets
// (ETSI EN 319 122-1 §5.3) and checks that the token is one and is over them:
// a misconfigured Stamper must not yield a B-T signature whose time-stamp
// covers something else. The token's own signature and certificate are for
// the Stamper (tsp.Client verifies them) and the validator.
func stamp(ctx context.Context, s Stamper, h crypto.Hash, sig []byte) ([]byte, error) {
	d := h.New()
	d.Write(sig)
	imprint := d.Sum(nil)
	tok, err := s.Stamp(ctx, h, imprint)
	if err != nil {
		return nil, fmt.Errorf("cms: signature time-stamp: %w", err)
	}
	if err := CheckTimeStamp(tok, h, imprint); err != nil {
		return nil, fmt.Errorf("cms: signature time-stamp: %w", err)
	}
	return tok, nil
}

// CheckTimeStamp checks that tok is a TimeStampToken (RFC 3161 §2.4.2:
// SignedData encapsulating a TSTInfo, nothing after it) whose
// messageImprint is h and imprint: what a signer checks of the token a
// Stamper returned before embedding it (CAdES here, XAdES in package
// xades). It reads SignedData only as far as the TSTInfo: the token's
// signature and certificates are the Stamper's to check (tsp.Client
// verifies them; tsp.Authority made them) and the validator's.
func CheckTimeStamp(tok []byte, h crypto.Hash, imprint []byte) error {
	sd, _, err := parseHead(tok)
	if err != nil {
		return err
	}
	if len(sd.Raw) != len(tok) {
		return malformed("data after the token")
	}
	if !sd.ContentType.Equal(OIDTSTInfo) || sd.Content == nil {
		return malformed("token does not encapsulate a tstinfo")
	}
	var tst asn1.RawValue
	if err := decode(asn1.RawValue{FullBytes: sd.Content}, &tst, "tstinfo"); err != nil {
		return err
	}
	els, err := elements(tst.Bytes)
	if err != nil {
		return err
	}
	if !isSequence(tst) || len(els) < 5 || !isSequence(els[2]) {
		return malformed("tstinfo")
	}
	mi, err := elements(els[2].Bytes)
	if err != nil {
		return err
	}
	if len(mi) != 2 || !isUniversal(mi[1], asn1.TagOctetString, false) {
		return malformed("message imprint")
	}
	ih, err := parseDigestAlgorithm(mi[0])
	if err != nil {
		return err
	}
	if ih != h || !bytes.Equal(mi[1].Bytes, imprint) {
		return errors.New("cms: token is not over the signature value")
	}
	return nil
}

package tsp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"github.com/segl/segl/internal/cms"
)

// A TimeStampToken is CMS SignedData (RFC 3161 §2.4.2), encoded, parsed and
// verified by package cms; this file adds what RFC 3161 and RFC 5816 require
// on top.
var (
	oidData                 = cms.OIDData
	oidTSTInfo              = cms.OIDTSTInfo
	oidAttrSigningCert      = cms.OIDAttributeSigningCertificate
	oidAttrSigningCertV2    = cms.OIDAttributeSigningCertificateV2
	oidExtKeyUsage          = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidKPTimeStamping       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	errUnsupportedSignature = errors.New("unsupported signature algorithm")

	// Signature code stamps through cms.Stamper (CAdES-B-T, ETSI EN 319 122-1 §5.3).
	_ cms.Stamper = (*Authority)(nil)
	_ cms.Stamper = (*Client)(nil)
)

// signParams is what goes into a token besides the key. The fields other than
// tst exist so the tests can build deliberately wrong tokens with the same code.
type signParams struct {
	tst         []byte                // DER TSTInfo
	contentType asn1.ObjectIdentifier // nil → id-ct-TSTInfo
	essCert     *x509.Certificate     // certificate named by ESSCertIDv2; nil → the signer's
	certs       []*x509.Certificate   // the certificates field; empty → absent (certReq false)
}

// signatureHash picks the digest algorithm for a key: the hash matches the
// curve strength for ECDSA, SHA-256 for RSA (PKCS #1 v1.5, RFC 5754 §3.2),
// SHA-512 for Ed25519 (RFC 8419 §3).
func signatureHash(pub crypto.PublicKey) (crypto.Hash, error) {
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		switch bits := pub.Curve.Params().BitSize; {
		case bits <= 256:
			return crypto.SHA256, nil
		case bits <= 384:
			return crypto.SHA384, nil
		default:
			return crypto.SHA512, nil
		}
	case *rsa.PublicKey:
		return crypto.SHA256, nil
	case ed25519.PublicKey:
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("tsp: %w for key %T", errUnsupportedSignature, pub)
}

// signToken wraps a TSTInfo in SignedData signed by key, with the signed
// attributes RFC 3161 §2.4.2 and RFC 5816 §2.2.1 require: content-type,
// message-digest and signing-certificate-v2 (ESSCertIDv2 with SHA-256 and
// the issuer and serial), which is what cms.Sign writes.
func signToken(key crypto.Signer, cert *x509.Certificate, p signParams) ([]byte, error) {
	h, err := signatureHash(key.Public())
	if err != nil {
		return nil, err
	}
	ct := p.contentType
	if ct == nil {
		ct = oidTSTInfo
	}
	opts := cms.SignOptions{
		Signer:         key,
		Certificate:    cert,
		Hash:           h,
		ContentType:    ct,
		ESSCertificate: p.essCert,
		Chain:          p.certs,
		NoCertificates: len(p.certs) == 0,
	}
	// No Stamper, so nothing waits on a context.
	tok, err := cms.Sign(context.Background(), p.tst, opts)
	if err != nil {
		return nil, fmt.Errorf("tsp: sign token: %w", err)
	}
	return tok, nil
}

// token is a parsed TimeStampToken, not yet verified.
type token struct {
	tst        tstInfo
	tstDER     []byte
	genTime    time.Time
	accuracy   time.Duration
	sd         *cms.SignedData
	certs      []*x509.Certificate
	signerCert *x509.Certificate // nil when the token does not carry it
	attrs      map[string][]byte // signed attributes by OID: the single value's DER
}

// parseToken decodes a TimeStampToken strictly: SignedData as cms.Parse
// reads it (DER, or BER as RFC 5652 §5.1 allows) with no padding, the
// TSTInfo DER (RFC 3161 §2.4.2), exactly one SignerInfo (RFC 3161 §2.4.2: the token carries the
// TSA's signature and no other), signed attributes present with one value
// each, TSTInfo version 1.
func parseToken(b []byte) (*token, error) {
	sd, err := cms.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(sd.Raw) != len(b) {
		return nil, fmt.Errorf("%w: content info: trailing data", ErrMalformed)
	}
	if !sd.ContentType.Equal(oidTSTInfo) {
		return nil, fmt.Errorf("%w: encapsulated content type %v", ErrNotTSTInfo, sd.ContentType)
	}
	if len(sd.Content) == 0 {
		return nil, fmt.Errorf("%w: no encapsulated tstinfo", ErrNotTSTInfo)
	}
	if len(sd.Signers) != 1 {
		return nil, fmt.Errorf("%w: %d signer infos, want 1", ErrMalformed, len(sd.Signers))
	}
	si := sd.Signers[0]
	t := &token{tstDER: sd.Content, sd: sd, certs: sd.Certificates, signerCert: si.Certificate}
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
	if t.genTime, err = parseGenTime(t.tst.GenTime); err != nil {
		return nil, err
	}
	if t.accuracy, err = t.tst.Accuracy.duration(); err != nil {
		return nil, err
	}
	// cms.Parse already requires signed attributes for content other than
	// id-data, each type once, with content-type and message-digest.
	t.attrs = make(map[string][]byte, len(si.SignedAttrs))
	for _, a := range si.SignedAttrs {
		if len(a.Values) != 1 {
			return nil, fmt.Errorf("%w: signed attribute %v: want exactly one value", ErrMalformed, a.Type)
		}
		t.attrs[a.Type.String()] = a.Values[0]
	}
	return t, nil
}

// checkSignature verifies the CMS signature with cms.VerifySignature (RFC
// 5652 §5.4, §5.6): a SHA-2 digest algorithm, the content-type attribute
// equal to id-ct-TSTInfo, the message-digest attribute the digest of the
// TSTInfo, the signature over the signed attributes, and the ESSCertID or
// ESSCertIDv2 attribute naming the signer certificate (RFC 5816 §2.2.1).
func (t *token) checkSignature() error {
	h := t.sd.Signers[0].DigestAlgorithm
	switch h {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return fmt.Errorf("%w: token digest algorithm %v", ErrWeakHash, h)
	}
	d := h.New()
	d.Write(t.tstDER)
	err := t.sd.VerifySignature(0, d.Sum(nil))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, cms.ErrSigningCertificate):
		return fmt.Errorf("%w: %w", ErrSignerCertID, err)
	case errors.Is(err, cms.ErrContentType):
		return fmt.Errorf("%w: %w", ErrNotTSTInfo, err)
	case errors.Is(err, cms.ErrMalformed):
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return fmt.Errorf("%w: %w", ErrSignature, err)
}

package cms

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"fmt"
)

// VerifySignature checks signer i over content whose digest, with the
// signer's DigestAlgorithm, is digest (for a PDF, of the signed byte ranges;
// for encapsulated content, of Content). In the order of RFC 5652 §5.6 and
// ETSI EN 319 102-1 §5.2.7 it checks that:
//
//   - the digest algorithm is SHA-2 (MD5 and SHA-1 fail with
//     ErrWeakAlgorithm) and digest has its length;
//   - signed attributes are present (CAdES-B-B, ETSI EN 319 122-1 §6.3,
//     requires content-type, message-digest and a signing-certificate
//     attribute, so a signature without them is not CAdES);
//   - the content-type attribute equals ContentType (RFC 5652 §11.1);
//   - the message-digest attribute equals digest (RFC 5652 §11.2), else
//     ErrDigest;
//   - the signature over SignedAttrsRaw verifies with the certificate the
//     SignerIdentifier names, with a signature algorithm whose hash is the
//     digest algorithm, else ErrSignature;
//   - the signing-certificate-v2 attribute, or signing-certificate, is
//     present and its first identifier names that certificate by hash and,
//     if given, issuer and serial number; when both are present both must
//     (RFC 5035 §5.4, ETSI EN 319 122-1 §5.2.2). This binds the certificate
//     under the signature, so another certificate for the same key cannot be
//     substituted. SHA-1 is accepted in ESSCertID, which RFC 2634 defines with
//     it only: it identifies a certificate that the signature and the path
//     validation check anyway.
//
// It does not validate the certificate path, key usage, revocation or the
// time-stamp: that is the validator's job, at the time its policy says.
func (sd *SignedData) VerifySignature(i int, digest []byte) error {
	if i < 0 || i >= len(sd.Signers) {
		return fmt.Errorf("cms: no signer %d among %d", i, len(sd.Signers))
	}
	si := &sd.Signers[i]
	if si.Certificate == nil {
		return fmt.Errorf("%w: signer %d", ErrNoSignerCertificate, i)
	}
	h := si.DigestAlgorithm
	if err := checkHash(h); err != nil {
		return err
	}
	if len(digest) != h.Size() {
		return fmt.Errorf("%w: digest of %d bytes for %v", ErrDigest, len(digest), h)
	}
	if si.SignedAttrsRaw == nil {
		return fmt.Errorf("%w: no signed attributes", ErrMalformed)
	}
	if !si.ContentType.Equal(sd.ContentType) {
		return fmt.Errorf("%w: signed %v, encapsulated %v", ErrContentType, si.ContentType, sd.ContentType)
	}
	if subtle.ConstantTimeCompare(si.MessageDigest, digest) != 1 {
		return fmt.Errorf("%w: signed %x, content %x", ErrDigest, si.MessageDigest, digest)
	}
	alg := si.SignatureAlgorithm
	if alg == x509.UnknownSignatureAlgorithm {
		return fmt.Errorf("%w: signature algorithm", ErrUnsupportedAlgorithm)
	}
	if sh := signatureHash(alg); sh != h {
		return fmt.Errorf("%w: signature algorithm %v with digest algorithm %v", ErrUnsupportedAlgorithm, alg, h)
	}
	if err := si.checkSignature(alg, h); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	if si.essV1 == nil && si.essV2 == nil {
		return fmt.Errorf("%w: no signing-certificate attribute", ErrSigningCertificate)
	}
	for _, id := range []*ESSCertIDv2{si.essV2, si.essV1} {
		if id == nil {
			continue
		}
		if err := id.matches(si.Certificate); err != nil {
			return err
		}
	}
	return nil
}

// checkSignature verifies the signature over the signed attributes. RSASSA-PSS
// is verified here with the salt length the parameters declare, because
// crypto/x509 only accepts a salt as long as the hash; everything else by
// crypto/x509, which also checks that the key type fits the algorithm.
func (si *SignerInfo) checkSignature(alg x509.SignatureAlgorithm, h crypto.Hash) error {
	switch alg {
	case x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS:
		pub, ok := si.Certificate.PublicKey.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("rsassa-pss signature with a %T key", si.Certificate.PublicKey)
		}
		d := h.New()
		d.Write(si.SignedAttrsRaw)
		// A declared salt length of 0 is rsa.PSSSaltLengthAuto: any salt is
		// then accepted, which weakens nothing (RFC 8017 §9.1 leaves the
		// salt length to the signer).
		return rsa.VerifyPSS(pub, h, d.Sum(nil), si.Signature, &rsa.PSSOptions{SaltLength: si.pssSaltLength, Hash: h})
	}
	return si.Certificate.CheckSignature(alg, si.SignedAttrsRaw, si.Signature)
}

// matches checks that the identifier names cert (RFC 5035 §5.4).
func (id *ESSCertIDv2) matches(cert *x509.Certificate) error {
	h := id.HashAlgorithm
	if h == crypto.MD5 || h == 0 || !h.Available() {
		return fmt.Errorf("%w: certificate hash algorithm %v", ErrSigningCertificate, h)
	}
	d := h.New()
	d.Write(cert.Raw)
	if !bytes.Equal(d.Sum(nil), id.CertHash) {
		return fmt.Errorf("%w: certificate hash does not match %v", ErrSigningCertificate, cert.Subject)
	}
	is := id.IssuerSerial
	if is == nil {
		return nil
	}
	if is.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		return fmt.Errorf("%w: serial number %v, certificate has %v", ErrSigningCertificate, is.SerialNumber, cert.SerialNumber)
	}
	for _, n := range is.Issuer {
		if isContext(n, 4, true) && bytes.Equal(n.Bytes, cert.RawIssuer) {
			return nil
		}
	}
	return fmt.Errorf("%w: issuer name differs from the certificate's", ErrSigningCertificate)
}

// Package cms is segl's Cryptographic Message Syntax (RFC 5652): SignedData
// with the CAdES baseline signed attributes (ETSI EN 319 122-1), made for PDF
// signatures (PAdES, /SubFilter /ETSI.CAdES.detached, ETSI EN 319 142-1) and
// read back by the validator and the archive, and the SignedData of RFC 3161
// time-stamp tokens, which package tsp builds and checks with this code.
//
// SignDetached signs a digest the caller computed (the PDF byte range) with
// the signed attributes content-type, message-digest and ESS
// signing-certificate-v2 (RFC 5035), and optionally adds a signature
// time-stamp (CAdES-B-T). Parse reads SignedData strictly: DER, or the BER
// that RFC 5652 §5.1 allows and streaming signers (NSS, `openssl cms
// -stream`) write, indefinite lengths and a segmented content OCTET STRING,
// in the structure around what is signed; the signed attributes must be DER
// as carried (§5.3), because that encoding is what the signature covers
// (§5.4). The trailing zero bytes a PDF /Contents is padded with are
// allowed. VerifySignature checks one signer's
// signature and attributes but not its certificate path, which is the
// validator's job, at the time the validation policy says.
//
// The ASN.1 is encoded and decoded here with encoding/asn1, element by element,
// so that every structural rule is visible in this package; interoperability
// is proven in the tests against `openssl cms` and `openssl ts`.
package cms

import "errors"

// Errors. VerifySignature and Parse wrap one of these with details, so that a
// validator can map them to the sub-indications of ETSI EN 319 102-1 §5.1.3
// (FORMAT_FAILURE, HASH_FAILURE, SIG_CRYPTO_FAILURE,
// NO_SIGNING_CERTIFICATE_FOUND, CRYPTO_CONSTRAINTS_FAILURE) with errors.Is.
var (
	// ErrMalformed: the input is not SignedData as RFC 5652 defines it, in
	// DER or the BER Parse reads.
	ErrMalformed = errors.New("cms: malformed")
	// ErrUnsupportedAlgorithm: an algorithm this package does not implement,
	// or a signature algorithm whose hash differs from the digest algorithm.
	ErrUnsupportedAlgorithm = errors.New("cms: unsupported algorithm")
	// ErrWeakAlgorithm: MD5 or SHA-1 as the digest algorithm (ETSI TS 119 312).
	ErrWeakAlgorithm = errors.New("cms: algorithm too weak")
	// ErrNoSignerCertificate: the signer's certificate is not in the SignedData.
	ErrNoSignerCertificate = errors.New("cms: signer certificate not found")
	// ErrSigningCertificate: the ESS signing-certificate(-v2) attribute is
	// missing or does not name the signer's certificate (RFC 5035 §5.4).
	ErrSigningCertificate = errors.New("cms: signing certificate attribute mismatch")
	// ErrContentType: the content-type attribute differs from eContentType.
	ErrContentType = errors.New("cms: content type mismatch")
	// ErrDigest: the message-digest attribute differs from the content's digest.
	ErrDigest = errors.New("cms: message digest mismatch")
	// ErrSignature: the signature value does not verify.
	ErrSignature = errors.New("cms: signature invalid")
)

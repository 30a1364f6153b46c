package xades

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"time"

	"github.com/segl/segl/internal/cms"
)

// Document is one document of the job, as the evidence names it. SHA256 is
// the digest of the document's bytes as the signer was shown them.
type Document struct {
	ID, Title, FileName, MediaType string
	Size                           int64
	SHA256                         []byte
}

// SignerFacts is who signed and how they were authenticated. Sign writes
// what it is given: the caller leaves PID and BirthDate empty when the job
// does not allow them to be shown. OnBehalfOf is the organisation number the
// signer acted for, empty when they signed for themselves.
type SignerFacts struct {
	Name             string
	PID              string // national identity number, only if allowed
	BirthDate        string // YYYY-MM-DD, only if allowed
	EIDMethod        string // for example "BankID" or "MinID"
	LevelOfAssurance string // "substantial" or "high" (eIDAS Art. 8)
	AuthTime         time.Time
	IDToken          string // the ID token as received from the eID provider, signature included
	OnBehalfOf       string
}

// Facts is the signed data object: what happened in one signing act.
type Facts struct {
	JobID, JobTitle, SenderOrg string
	Documents                  []Document
	Signer                     SignerFacts
	SignedAt                   time.Time
	Action                     string // for example "signed"
}

// SignOptions says who signs and how far the signature goes. The zero value
// of Stamper and Validation gives a B-B signature.
type SignOptions struct {
	// Signer is the private key of Certificate: segl's seal for an
	// authenticated signature, or the signer's own key for an advanced one.
	//
	// Security: Sign only ever signs a SignedInfo it built over facts it
	// serialised itself, so it cannot be used as a signing oracle for
	// arbitrary data; callers must still only pass facts they vouch for.
	Signer crypto.Signer
	// Certificate is the signing certificate; ECDSA P-256/P-384/P-521 or RSA
	// of at least 2048 bits.
	Certificate *x509.Certificate
	// Chain are the intermediates above Certificate, in order, root
	// excluded; they go into KeyInfo after Certificate.
	Chain []*x509.Certificate
	// Stamper, if set, time-stamps the signature (B-T, EN 319 132-1 §5.3).
	Stamper cms.Stamper
	// Validation, if set, is embedded as CertificateValues and
	// RevocationValues (B-LT, EN 319 132-1 §5.4). It needs a Stamper.
	Validation *ValidationData
	// Gather, if set instead of Validation, is asked for the validation
	// data once the signature time-stamp is made, so that the revocation
	// data it gathers is produced no earlier than the time-stamp's time:
	// the best-signature-time a validator checks its freshness against
	// (EN 319 102-1 §5.6.2.1). Data gathered before the stamp may be a
	// second older than it.
	Gather func(context.Context) (*ValidationData, error)
}

// ValidationData are DER blobs (EN 319 132-1 §5.4): certificates, OCSP
// responses (RFC 6960 OCSPResponse) and CRLs (RFC 5280 CertificateList).
type ValidationData struct {
	Certs, OCSPs, CRLs [][]byte
}

// Verified is what Verify found in a signature whose cryptography holds.
// Certificate and Chain are as found in KeyInfo and have not been validated
// against any trust anchor; TimeStampToken is the token of the
// SignatureTimeStamp, whose imprint was checked but whose TSA was not.
type Verified struct {
	Facts          Facts
	Certificate    *x509.Certificate
	Chain          []*x509.Certificate
	SigningTime    time.Time // the claimed xades:SigningTime
	TimeStampToken []byte    // nil for B-B
	Validation     ValidationData
}

// Limits on what Verify reads. MaxSize leaves room for B-LT documents with
// large CRLs.
const (
	MaxSize         = 16 << 20 // bytes of XML
	maxDepth        = 32
	maxElements     = 50000
	maxDocuments    = 10000
	maxKeyInfoCerts = 16
	maxValues       = 256 // certificates, OCSP responses or CRLs in each list
)

// Errors. Verify wraps one of these with details, so callers tell failures
// apart with errors.Is.
var (
	ErrTooLarge           = errors.New("xades: too large")
	ErrMalformed          = errors.New("xades: malformed")
	ErrAlgorithm          = errors.New("xades: algorithm not accepted")
	ErrReference          = errors.New("xades: bad reference")
	ErrDigest             = errors.New("xades: digest mismatch")
	ErrSignature          = errors.New("xades: signature does not verify")
	ErrSigningCertificate = errors.New("xades: signing certificate mismatch")
	ErrTimeStamp          = errors.New("xades: signature time-stamp")
	ErrInvalidFacts       = errors.New("xades: invalid facts")
)

// Namespaces.
const (
	nsDS       = "http://www.w3.org/2000/09/xmldsig#"
	nsXAdES    = "http://uri.etsi.org/01903/v1.3.2#"
	nsEvidence = "urn:segl:evidence:1"
	nsXML      = "http://www.w3.org/XML/1998/namespace"
)

// Algorithm and type identifiers.
const (
	// Exclusive XML Canonicalization 1.0, without comments.
	algExcC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

	// Digests: RFC 6931 §2.1 (and XML Encryption 1.1 §5.7).
	algSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	algSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	algSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

	// Signatures: RFC 4051 §2.3.2 (RSA) and §2.3.6 (ECDSA), RFC 6931 §2.3.
	algRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	algRSASHA384   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	algRSASHA512   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	algECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	algECDSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	algECDSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"

	// EN 319 132-1 clause 4: the Type of the Reference to SignedProperties.
	typeSignedProperties = "http://uri.etsi.org/01903#SignedProperties"
	// XMLDSig §4.4.3: a Reference to a ds:Object may say so.
	typeObject = "http://www.w3.org/2000/09/xmldsig#Object"
	// XAdES: the default (and only accepted) Encoding of encapsulated values.
	encodingDER = "http://uri.etsi.org/01903/v1.2.2#DER"
)

// The Ids Sign gives. Verify accepts any Ids as long as they are unique and
// the references resolve to the right elements.
const (
	idSignature        = "signature"
	idSignatureValue   = "signature-value"
	idEvidence         = "evidence"
	idSignedProperties = "signed-properties"
	idRefEvidence      = "reference-evidence"
	idRefProperties    = "reference-signed-properties"
	idTimeStamp        = "signature-time-stamp"
)

var digestAlgorithms = map[string]crypto.Hash{
	algSHA256: crypto.SHA256,
	algSHA384: crypto.SHA384,
	algSHA512: crypto.SHA512,
}

type signatureAlgorithm struct {
	hash  crypto.Hash
	ecdsa bool
}

var signatureAlgorithms = map[string]signatureAlgorithm{
	algRSASHA256:   {crypto.SHA256, false},
	algRSASHA384:   {crypto.SHA384, false},
	algRSASHA512:   {crypto.SHA512, false},
	algECDSASHA256: {crypto.SHA256, true},
	algECDSASHA384: {crypto.SHA384, true},
	algECDSASHA512: {crypto.SHA512, true},
}

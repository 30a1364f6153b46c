package tsp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"time"
)

// defaultSkew is how far two honest clocks may disagree: a token may be this
// much (plus its declared accuracy) ahead of the clock that checks it.
const defaultSkew = 5 * time.Second

// VerifyOptions says what a token must be checked against. The zero value of
// every field except Roots is a safe default.
type VerifyOptions struct {
	// Roots are the trust anchors for the TSA certificate. Required: a token
	// is never checked against the system roots by accident.
	Roots *x509.CertPool
	// Intermediates are extra candidate intermediates, in addition to the
	// certificates the token carries.
	Intermediates *x509.CertPool
	// Nonce, if non-nil, must be echoed in the TSTInfo (RFC 3161 §2.4.2: the
	// nonce "MUST be present if it was present in the TimeStampReq" and equal).
	Nonce *big.Int
	// Policy, if set, must equal the TSTInfo policy (RFC 3161 §2.4.2, reqPolicy).
	Policy asn1.ObjectIdentifier
	// CurrentTime is the time at which the TSA certificate chain is
	// validated. Zero means at genTime: a time-stamp is a proof of existence
	// at genTime, so it stays valid after the TSA certificate expires as long
	// as the chain was valid then and the algorithms are still strong (ETSI EN
	// 319 102-1 §5.6.2.2 past-signature validation; the revocation status at
	// genTime is the validator's business, with data embedded in the PDF's
	// DSS). Set it to validate as of another moment, for example now, to learn
	// whether the chain is still valid; a genTime after CurrentTime (beyond
	// accuracy and a few seconds of skew) is then an error.
	CurrentTime time.Time
}

// Info is what a time-stamp token says.
type Info struct {
	GenTime      time.Time
	Accuracy     time.Duration // zero when the TSA declared none
	Policy       asn1.ObjectIdentifier
	SerialNumber *big.Int
	Hash         crypto.Hash // message imprint algorithm; zero if not SHA-2 (Parse only)
	Digest       []byte      // message imprint
	Nonce        *big.Int    // nil when absent
	// Certificate is the TSA certificate that signed the token; nil from
	// Parse when the token does not carry it.
	Certificate *x509.Certificate
	// Chain is, from Verify, the validated path above Certificate up to and
	// including the trust anchor; from Parse, the other certificates the
	// token carries.
	Chain []*x509.Certificate
}

// Parse decodes a token without verifying anything beyond its structure: for
// reports and diagnostics only, never for a trust decision.
func Parse(tok []byte) (*Info, error) {
	t, err := parseToken(tok)
	if err != nil {
		return nil, err
	}
	info := t.info()
	for _, c := range t.certs {
		if c != t.signerCert {
			info.Chain = append(info.Chain, c)
		}
	}
	return info, nil
}

func (t *token) info() *Info {
	h, _ := t.tst.MessageImprint.hash()
	return &Info{
		GenTime:      t.genTime,
		Accuracy:     t.accuracy,
		Policy:       t.tst.Policy,
		SerialNumber: t.tst.SerialNumber,
		Hash:         h,
		Digest:       t.tst.MessageImprint.HashedMessage,
		Nonce:        t.tst.Nonce,
		Certificate:  t.signerCert,
	}
}

// Verify checks a token over digest, in the order of sigstore's verifier and
// RFC 3161 §2.4.2, and returns what it says only when every check passes:
//
//   - the token is SignedData with one signer whose eContentType is
//     id-ct-TSTInfo (RFC 3161 §2.4.2);
//   - the signer certificate is in the token (the client always sets certReq)
//     and the CMS signature verifies (RFC 5652 §5.4);
//   - the ESSCertID or ESSCertIDv2 signed attribute names that certificate
//     (RFC 5816 §2.2.1);
//   - the certificate has exactly one extended key usage, timeStamping, marked
//     critical, is not a CA (RFC 3161 §2.3), and the tsa field, if present,
//     names it (RFC 3161 §2.4.2);
//   - the chain to Roots is valid at genTime (or CurrentTime) for timeStamping,
//     and the TSA certificate at genTime too (EN 319 102-1 §5.4);
//   - the message imprint is h and digest, with SHA-2 only (RFC 3161 §2.4.2);
//   - the nonce and policy match when asked for; no unknown critical
//     extension is present in the TSTInfo.
func Verify(tok []byte, h crypto.Hash, digest []byte, opts VerifyOptions) (*Info, error) {
	if err := checkDigest(h, digest); err != nil {
		return nil, err
	}
	t, err := parseToken(tok)
	if err != nil {
		return nil, err
	}
	cert := t.signerCert
	if cert == nil {
		return nil, fmt.Errorf("%w: signer certificate not in token", ErrTSACertificate)
	}
	if err := t.checkSignature(); err != nil {
		return nil, err
	}
	if err := checkTSACertificate(cert); err != nil {
		return nil, err
	}
	if err := checkTSAName(t.tst.TSA, cert); err != nil {
		return nil, err
	}
	chain, err := t.verifyChain(cert, opts)
	if err != nil {
		return nil, err
	}
	if t.genTime.Before(cert.NotBefore) || t.genTime.After(cert.NotAfter) {
		// The chain may be checked at a later time than genTime; the
		// certificate must still have been valid when the token was made,
		// or a token could be dated before its TSA existed.
		return nil, fmt.Errorf("%w: %w: %w", ErrChain, ErrOutsideValidity, x509.CertificateInvalidError{Cert: cert, Reason: x509.Expired,
			Detail: "gentime " + t.genTime.UTC().Format(time.RFC3339)})
	}
	ih, err := t.tst.MessageImprint.hash()
	if err != nil {
		return nil, err
	}
	if ih != h || !bytes.Equal(t.tst.MessageImprint.HashedMessage, digest) {
		return nil, fmt.Errorf("%w: token is over %v %x", ErrImprint, ih, t.tst.MessageImprint.HashedMessage)
	}
	for _, e := range t.tst.Extensions {
		if e.Critical {
			return nil, fmt.Errorf("%w: unsupported critical tstinfo extension %v", ErrMalformed, e.Id)
		}
	}
	if opts.Nonce != nil {
		if t.tst.Nonce == nil {
			return nil, fmt.Errorf("%w: sent %v", ErrNonceMissing, opts.Nonce)
		}
		if t.tst.Nonce.Cmp(opts.Nonce) != 0 {
			return nil, fmt.Errorf("%w: sent %v, got %v", ErrNonceMismatch, opts.Nonce, t.tst.Nonce)
		}
	}
	if len(opts.Policy) > 0 && !opts.Policy.Equal(t.tst.Policy) {
		return nil, fmt.Errorf("%w: want %v, got %v", ErrPolicyMismatch, opts.Policy, t.tst.Policy)
	}
	if !opts.CurrentTime.IsZero() && t.genTime.Add(-t.accuracy).After(opts.CurrentTime.Add(defaultSkew)) {
		return nil, fmt.Errorf("%w: gentime %v is after %v", ErrGenTime, t.genTime, opts.CurrentTime)
	}
	info := t.info()
	info.Chain = chain[1:]
	return info, nil
}

func (t *token) verifyChain(cert *x509.Certificate, opts VerifyOptions) ([]*x509.Certificate, error) {
	if opts.Roots == nil {
		return nil, fmt.Errorf("%w: no trust anchors", ErrChain)
	}
	at := opts.CurrentTime
	if at.IsZero() {
		at = t.genTime
	}
	var carried []*x509.Certificate
	for _, c := range t.certs {
		if c != cert {
			carried = append(carried, c)
		}
	}
	var key chainKey
	remember := opts.Intermediates == nil // see knownChains
	if remember {
		key = newChainKey(opts.Roots, cert, carried)
		if chain := rememberedChain(key, at); chain != nil {
			return chain, nil
		}
	}
	inter := x509.NewCertPool()
	if opts.Intermediates != nil {
		inter = opts.Intermediates.Clone()
	}
	for _, c := range carried {
		inter.AddCert(c)
	}
	chainsVerified.Add(1)
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots:         opts.Roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: at %v: %v", ErrChain, at.UTC().Format(time.RFC3339), err)
	}
	if remember {
		rememberChain(key, chains[0])
	}
	return chains[0], nil
}

// checkTSACertificate applies RFC 3161 §2.3: the TSA certificate "MUST contain
// only one instance of the extended key usage field extension ... with
// KeyPurposeID having value id-kp-timeStamping. This extension MUST be
// critical." A CA certificate is refused too (sigstore does the same), and a
// key usage, when present, must allow signatures.
func checkTSACertificate(cert *x509.Certificate) error {
	var eku []byte
	for _, e := range cert.Extensions {
		if !e.Id.Equal(oidExtKeyUsage) {
			continue
		}
		if eku != nil {
			return fmt.Errorf("%w: extended key usage twice", ErrTSACertificate)
		}
		if !e.Critical {
			return fmt.Errorf("%w: extended key usage is not critical", ErrTSACertificate)
		}
		eku = e.Value
	}
	if eku == nil {
		return fmt.Errorf("%w: no extended key usage", ErrTSACertificate)
	}
	var purposes []asn1.ObjectIdentifier
	if err := unmarshalDER(eku, &purposes, "extended key usage"); err != nil {
		return fmt.Errorf("%w: %v", ErrTSACertificate, err)
	}
	if len(purposes) != 1 || !purposes[0].Equal(oidKPTimeStamping) {
		return fmt.Errorf("%w: extended key usage %v is not exactly timeStamping", ErrTSACertificate, purposes)
	}
	if cert.IsCA {
		return fmt.Errorf("%w: certificate is a ca", ErrTSACertificate)
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fmt.Errorf("%w: key usage does not allow signatures", ErrTSACertificate)
	}
	return nil
}

// checkTSAName applies RFC 3161 §2.4.2: the tsa field, when present, "MUST
// correspond to one of the subject names included in the certificate that is
// to be used to verify the token".
func checkTSAName(name asn1.RawValue, cert *x509.Certificate) error {
	if len(name.FullBytes) == 0 {
		return nil
	}
	if !name.IsCompound {
		return fmt.Errorf("%w: tsa name is not explicitly tagged", ErrMalformed)
	}
	if err := unmarshalDER(name.Bytes, &name, "tsa name"); err != nil {
		return err
	}
	ok := false
	if name.Class == asn1.ClassContextSpecific {
		switch s := string(name.Bytes); name.Tag {
		case 4: // directoryName
			ok = bytes.Equal(name.Bytes, cert.RawSubject)
		case 1: // rfc822Name
			ok = slices.Contains(cert.EmailAddresses, s)
		case 2: // dNSName
			ok = slices.Contains(cert.DNSNames, s)
		case 6: // uniformResourceIdentifier
			ok = slices.ContainsFunc(cert.URIs, func(u *url.URL) bool { return u.String() == s })
		}
	}
	if !ok {
		return fmt.Errorf("%w: tsa name does not name the signer certificate", ErrTSACertificate)
	}
	return nil
}

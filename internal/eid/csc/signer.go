package csc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pki"
)

// Hash algorithm identifiers (RFC 5754 section 2) and signature algorithm
// identifiers (RFC 5758 section 3.2 for ECDSA, RFC 4055 section 5 for RSA
// PKCS #1 v1.5), as CSC v2 names them in hashAlgorithmOID and signAlgo.
var (
	hashOIDs = map[crypto.Hash]string{
		crypto.SHA256: "2.16.840.1.101.3.4.2.1",
		crypto.SHA384: "2.16.840.1.101.3.4.2.2",
		crypto.SHA512: "2.16.840.1.101.3.4.2.3",
	}
	ecdsaOIDs = map[crypto.Hash]string{
		crypto.SHA256: "1.2.840.10045.4.3.2",
		crypto.SHA384: "1.2.840.10045.4.3.3",
		crypto.SHA512: "1.2.840.10045.4.3.4",
	}
	rsaOIDs = map[crypto.Hash]string{
		crypto.SHA256: "1.2.840.113549.1.1.11",
		crypto.SHA384: "1.2.840.113549.1.1.12",
		crypto.SHA512: "1.2.840.113549.1.1.13",
	}
)

// Open finds the signing credential of the person whose ID-porten ID token
// is idToken, authorizes it for numSignatures signatures, and returns it as
// a KeyPair: Cert and Chain from credentials/info (the chain without a
// self-signed root), and Key a crypto.Signer that sends each digest to
// signatures/signHash. For an act of internal/signing numSignatures is the
// number of documents plus one (the evidence).
//
// Key signs with ctx, so it works while ctx is live and the SAD has not
// expired (a few minutes): open the KeyPair for one signing act, right
// before it. Key refuses a signature beyond numSignatures without asking
// the service, and checks every signature it gets back against the
// certificate's public key, so a wrong answer fails the act here rather than
// in a validator later.
//
// The person must have exactly one credential with a valid certificate and
// an enabled key; otherwise Open fails with ErrNoCredential (or a service
// error: errs kind Forbidden when the login's level of assurance is too
// low for the service, Unauthenticated when the ID token is refused).
func Open(ctx context.Context, cfg Config, idToken string, numSignatures int) (*pki.KeyPair, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return c.Open(ctx, idToken, numSignatures)
}

// Open is the function Open with this client.
func (c *Client) Open(ctx context.Context, idToken string, numSignatures int) (*pki.KeyPair, error) {
	if numSignatures < 1 {
		return nil, errs.E(errs.Invalid, codeBadRequest, "csc: authorize at least one signature")
	}
	ids, err := c.Credentials(ctx, idToken)
	if err != nil {
		return nil, err
	}
	var found []Credential
	for _, id := range ids {
		cred, err := c.Credential(ctx, idToken, id)
		if err != nil {
			return nil, err
		}
		if usable(cred, c.clock.Now()) {
			found = append(found, cred)
		}
	}
	switch len(found) {
	case 0:
		return nil, ErrNoCredential
	case 1:
	default:
		// Which key signs must not be a guess: a person with several
		// would have to choose, and segl has no page for that yet.
		return nil, fmt.Errorf("%w: %d credentials to choose from", ErrNoCredential, len(found))
	}
	cred := found[0]
	if numSignatures > cred.Multisign && cred.Multisign > 0 {
		return nil, errs.E(errs.Invalid, codeTooMany, "csc: %d signatures asked for, the credential allows %d per authorization", numSignatures, cred.Multisign)
	}
	sad, err := c.Authorize(ctx, idToken, cred.ID, numSignatures)
	if err != nil {
		return nil, err
	}
	key := &remoteKey{ctx: ctx, client: c, token: idToken, cred: cred, sad: sad, pub: cred.Cert.PublicKey, left: numSignatures}
	return &pki.KeyPair{Cert: cred.Cert, Chain: withoutRoot(cred.Chain), Key: key}, nil
}

// usable reports whether a credential can sign now: enabled key, valid
// certificate for a public key this client can sign with, with a key usage
// that allows signatures.
func usable(c Credential, now time.Time) bool {
	if c.KeyStatus != "enabled" || c.CertStatus != "valid" || c.Cert == nil {
		return false
	}
	if c.Cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return false
	}
	if now.Before(c.Cert.NotBefore) || now.After(c.Cert.NotAfter) {
		return false
	}
	switch c.Cert.PublicKey.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey:
		return true
	}
	return false
}

// withoutRoot drops self-signed certificates: KeyPair.Chain holds the
// intermediates only, the roots are the relying party's own.
func withoutRoot(chain []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range chain {
		if bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil {
			continue
		}
		out = append(out, c)
	}
	return out
}

// remoteKey is a credential at the service behind crypto.Signer.
type remoteKey struct {
	ctx    context.Context
	client *Client
	token  string
	cred   Credential
	sad    SAD
	pub    crypto.PublicKey

	mu   sync.Mutex
	left int
}

// Public returns the certificate's public key.
func (k *remoteKey) Public() crypto.PublicKey { return k.pub }

// Sign signs one digest through signatures/signHash. opts names the hash,
// which with the key type gives signAlgo: ECDSA or RSA PKCS #1 v1.5 with
// SHA-256, -384 or -512; RSA-PSS and pure signatures (Ed25519) are not
// offered. As crypto.Signer promises, an ECDSA signature comes back ASN.1
// DER even if the service answers r||s (IEEE P1363). rand is not used: the
// service makes its own randomness.
func (k *remoteKey) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h := opts.HashFunc()
	if _, pss := opts.(*rsa.PSSOptions); pss {
		return nil, fmt.Errorf("csc: RSA-PSS is not supported")
	}
	var algo string
	switch k.pub.(type) {
	case *ecdsa.PublicKey:
		algo = ecdsaOIDs[h]
	case *rsa.PublicKey:
		algo = rsaOIDs[h]
	}
	if algo == "" {
		return nil, fmt.Errorf("csc: no signature algorithm for %T with hash %v", k.pub, h)
	}
	if len(k.cred.KeyAlgos) > 0 && !slices.Contains(k.cred.KeyAlgos, algo) {
		return nil, fmt.Errorf("csc: the credential's key does not offer %s", algo)
	}
	if len(digest) != h.Size() {
		return nil, fmt.Errorf("csc: digest is %d bytes, not a %v digest", len(digest), h)
	}
	k.mu.Lock()
	if k.left == 0 {
		k.mu.Unlock()
		return nil, errUsedUp
	}
	k.left--
	k.mu.Unlock()

	sigs, err := k.client.SignHash(k.ctx, k.token, k.cred.ID, k.sad, h, algo, digest)
	if err != nil {
		return nil, err
	}
	sig := sigs[0]
	switch pub := k.pub.(type) {
	case *ecdsa.PublicKey:
		der, err := derECDSA(sig, pub.Curve)
		if err != nil {
			return nil, err
		}
		if !ecdsa.VerifyASN1(pub, digest, der) {
			return nil, errs.E(errs.Unavailable, codeBadSignature, "csc: signatures/signHash: the signature does not verify with the certificate's key")
		}
		sig = der
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, h, digest, sig); err != nil {
			return nil, errs.E(errs.Unavailable, codeBadSignature, "csc: signatures/signHash: the signature does not verify with the certificate's key")
		}
	}
	return sig, nil
}

// derECDSA returns an ECDSA signature as the ASN.1 DER ECDSA-Sig-Value of
// RFC 3279 section 2.2.3: unchanged when it is one already, converted when
// it is r||s of twice the curve's byte length (IEEE P1363, what many
// remote signing services and JWS send).
func derECDSA(sig []byte, curve elliptic.Curve) ([]byte, error) {
	size := (curve.Params().BitSize + 7) / 8
	var r, s big.Int
	in := cryptobyte.String(sig)
	var seq cryptobyte.String
	if in.ReadASN1(&seq, cbasn1.SEQUENCE) && in.Empty() && seq.ReadASN1Integer(&r) && seq.ReadASN1Integer(&s) && seq.Empty() {
		return sig, nil
	}
	if len(sig) != 2*size {
		return nil, errs.E(errs.Unavailable, codeBadSignature, "csc: signatures/signHash: %d-byte ECDSA signature is neither DER nor r||s", len(sig))
	}
	r.SetBytes(sig[:size])
	s.SetBytes(sig[size:])
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(&r)
		b.AddASN1BigInt(&s)
	})
	return b.Bytes()
}

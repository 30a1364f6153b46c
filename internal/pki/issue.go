package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"slices"
	"time"
)

const (
	// backdate moves NotBefore into the past so that a relying party whose
	// clock is a little behind ours still accepts a certificate issued just
	// now (Let's Encrypt does the same).
	backdate = time.Hour
	// renewBefore is how long before NotAfter a certificate is re-issued on
	// load, so that a development server restarted now and then never serves
	// or signs with an expired certificate.
	renewBefore = 30 * 24 * time.Hour
)

var (
	// oidExtKeyUsage is id-ce-extKeyUsage (RFC 5280 section 4.2.1.12).
	oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
	// oidKPTimeStamping is id-kp-timeStamping (RFC 5280 section 4.2.1.12).
	oidKPTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	// oidOCSPNoCheck is id-pkix-ocsp-nocheck (RFC 6960 section 4.2.2.2.1):
	// relying parties need not check the responder certificate's own status.
	oidOCSPNoCheck = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
)

// criticalTimeStampingEKU is the extended key usage RFC 3161 section 2.3
// requires of a TSA certificate: exactly id-kp-timeStamping, marked critical.
// crypto/x509 always writes the EKU extension non-critical, so it is supplied
// raw; x509.CreateCertificate then leaves its own out.
func criticalTimeStampingEKU() pkix.Extension {
	v, err := asn1.Marshal([]asn1.ObjectIdentifier{oidKPTimeStamping})
	if err != nil {
		panic(err) // a constant value: cannot fail
	}
	return pkix.Extension{Id: oidExtKeyUsage, Critical: true, Value: v}
}

// ocspNoCheck is the id-pkix-ocsp-nocheck extension, whose value is NULL.
func ocspNoCheck() pkix.Extension {
	return pkix.Extension{Id: oidOCSPNoCheck, Value: asn1.NullBytes}
}

// devName is the subject of certificates that belong to the development PKI
// itself.
func devName(cn string) pkix.Name {
	return pkix.Name{Country: []string{"NO"}, Organization: []string{"segl development"}, CommonName: cn}
}

// orgName is the subject of an organisation's certificate: the organisation
// number goes into organizationIdentifier as ETSI EN 319 412-1 section 5.1.4
// profiles it for legal persons. crypto/x509 has no field for 2.5.4.97, so it
// is an extra name (encoded as PrintableString, a DirectoryString choice).
func orgName(cn, org, orgnr string) pkix.Name {
	return pkix.Name{
		Country:      []string{"NO"},
		Organization: []string{org},
		CommonName:   cn,
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: oidOrganizationIdentifier, Value: ntrPrefix + orgnr},
		},
	}
}

// rawName is the DER encoding crypto/x509 writes for name, used to see
// whether a stored certificate still has the subject segl would give it now.
func rawName(name pkix.Name) []byte {
	der, err := asn1.Marshal(name.ToRDNSequence())
	if err != nil {
		return nil
	}
	return der
}

// newSerial returns a random positive 128-bit serial number. RFC 5280 section
// 4.1.2.2 requires positive serials of at most 20 octets; CA/Browser Forum
// practice asks for at least 64 bits of randomness so serials cannot be
// predicted.
func newSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("pki: serial: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// subjectKeyID is method (1) of RFC 5280 section 4.2.1.2: the SHA-1 hash of
// the subjectPublicKey BIT STRING. Relying parties use it, through the
// authority key identifier, to pick the right issuer certificate.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	bits, err := publicKeyBits(pub)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(bits)
	return sum[:], nil
}

// publicKeyBits returns the contents of the subjectPublicKey BIT STRING, the
// input of both the key identifier and the OCSP CertID issuerKeyHash.
func publicKeyBits(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal public key: %w", err)
	}
	return spkiBits(der)
}

func spkiBits(spki []byte) ([]byte, error) {
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("pki: parse public key: %w", err)
	}
	return info.PublicKey.RightAlign(), nil
}

func newKey(curve elliptic.Curve) (crypto.Signer, error) {
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate key: %w", err)
	}
	return k, nil
}

// sameKey reports whether the certificate certifies the signer's public key.
func sameKey(cert *x509.Certificate, key crypto.Signer) bool {
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(key.Public())
}

// leafSpec describes one kind of end-entity certificate the issuing CA
// makes; the same spec decides both how to issue a certificate and whether a
// stored one is still fit for use.
type leafSpec struct {
	certPath, keyPath string
	subject           pkix.Name
	rawSubject        []byte // the DER subject to use as it is (a request's), instead of subject
	years             int
	keyUsage          x509.KeyUsage
	extKeyUsage       []x509.ExtKeyUsage
	extra             []pkix.Extension
	dnsNames          []string
	ips               []net.IP
}

// template builds the certificate template for spec at now. Every
// certificate of the issuing CA points relying parties to the responder, the
// issuer certificate and the CRL (RFC 5280 sections 4.2.2.1 and 4.2.1.13)
// when the server's base URL is known.
func (d *Dev) template(spec leafSpec, pub crypto.PublicKey, now time.Time) (*x509.Certificate, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	notAfter := now.AddDate(spec.years, 0, 0)
	if d.Issuing.Cert != nil && notAfter.After(d.Issuing.Cert.NotAfter) {
		// A certificate cannot outlive its issuer (RFC 5280 section 6.1.3
		// checks every certificate of the path at the same time).
		notAfter = d.Issuing.Cert.NotAfter
	}
	t := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               spec.subject,
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              spec.keyUsage,
		ExtKeyUsage:           spec.extKeyUsage,
		ExtraExtensions:       spec.extra,
		BasicConstraintsValid: true,
		SubjectKeyId:          ski,
		DNSNames:              spec.dnsNames,
		IPAddresses:           spec.ips,
		RawSubject:            spec.rawSubject,
	}
	if d.baseURL != "" {
		t.OCSPServer = []string{d.ocspURL()}
		t.IssuingCertificateURL = []string{d.issuerURL()}
		t.CRLDistributionPoints = []string{d.crlURL()}
	}
	return t, nil
}

func (d *Dev) ocspURL() string   { return d.baseURL + "/dev/ocsp" }
func (d *Dev) issuerURL() string { return d.baseURL + "/dev/pki/issuing-ca.cer" }
func (d *Dev) crlURL() string    { return d.baseURL + "/dev/crl" }

// rootCRLURL is where the root's CRL is served (RootCRLHandler): the CRL
// distribution point of a new issuing CA when Options.BaseURL is set.
func (d *Dev) rootCRLURL() string { return d.baseURL + "/dev/root-crl" }

// issueLeaf signs a certificate for pub according to spec with the issuing CA.
func (d *Dev) issueLeaf(spec leafSpec, pub crypto.PublicKey, now time.Time) (*x509.Certificate, error) {
	t, err := d.template(spec, pub, now)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, t, d.Issuing.Cert, pub, d.Issuing.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: issue %s: %w", spec.subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// leafFits reports whether a stored certificate can be used as it is: issued
// by the current issuing CA with the subject, hosts and URLs segl would give
// it now, stored with the current chain, and not about to expire. Anything
// else is re-issued, so changing the base URL or adding a host takes effect
// on the next start.
func (d *Dev) leafFits(spec leafSpec, certs []*x509.Certificate, key crypto.Signer, now time.Time) bool {
	if len(certs) != 2 || !certs[1].Equal(d.Issuing.Cert) {
		return false
	}
	c := certs[0]
	if !sameKey(c, key) || c.CheckSignatureFrom(d.Issuing.Cert) != nil {
		return false
	}
	if !bytes.Equal(c.RawSubject, rawName(spec.subject)) || expiresSoon(c, now) {
		return false
	}
	for _, h := range spec.dnsNames {
		if c.VerifyHostname(h) != nil {
			return false
		}
	}
	for _, ip := range spec.ips {
		if c.VerifyHostname(ip.String()) != nil {
			return false
		}
	}
	if d.baseURL != "" {
		// An empty base URL means "whatever is there will do" (offline
		// commands such as segl seal), so only a known URL is enforced.
		if !slices.Equal(c.OCSPServer, []string{d.ocspURL()}) ||
			!slices.Equal(c.IssuingCertificateURL, []string{d.issuerURL()}) ||
			!slices.Equal(c.CRLDistributionPoints, []string{d.crlURL()}) {
			return false
		}
	}
	return true
}

// expiresSoon reports whether c expires within renewBefore of now. A
// certificate that is not yet valid at now is kept: a clock set into the past
// (a test, "validate --at") must not replace the trust anchor.
func expiresSoon(c *x509.Certificate, now time.Time) bool {
	return !now.Add(renewBefore).Before(c.NotAfter)
}

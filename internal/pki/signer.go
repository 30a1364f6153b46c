package pki

import (
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Person is the subject of a natural person's signing certificate.
type Person struct {
	GivenName  string
	FamilyName string
	// SerialNumber is the subject's serialNumber attribute (X.520
	// 2.5.4.5), the stable identifier a relying party keys on. Norwegian
	// person certificates carry a pseudonymous "UN:NO-…" identifier there
	// (BankID: "UN:NO-9578-…"), never the national identity number, which
	// would otherwise travel in every signed document. It must start with
	// "UN:NO-".
	SerialNumber string
}

// signerYears is the validity of a person's signing certificate; BankID
// person certificates live two years.
const signerYears = 2

var (
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
	// oidQCStatements is id-pe-qcStatements (RFC 3739 section 3.2.6).
	oidQCStatements = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 3}
	// ETSI EN 319 412-5 section 4.2: QcCompliance, QcSSCD and QcType with
	// id-etsi-qct-esign.
	oidQcCompliance = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 1}
	oidQcSSCD       = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 4}
	oidQcType       = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 6}
	oidQcTypeESign  = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 6, 1}
	// oidQCPnQSCD is the ETSI EN 319 411-2 policy QCP-n-qscd: a qualified
	// certificate for a natural person with the key in a QSCD.
	oidQCPnQSCD = asn1.ObjectIdentifier{0, 4, 0, 194112, 1, 2}
)

// IssueSigner issues a natural person's signing certificate with a new
// P-256 key, standing in for the "test eID" CA of DESIGN.md section 4 behind
// the development remote signing service (dev/csc). Nothing is stored:
// the caller keeps the key.
//
// The certificate follows the ETSI EN 319 412-2 profile for natural persons
// (subject C, givenName, surname, commonName and serialNumber; key usage
// digitalSignature and contentCommitment, section 4.3.2) and carries the
// QC statements (EN 319 412-5) and policy (EN 319 411-2 QCP-n-qscd) of a
// qualified signature certificate; in development none of that is a real
// qualification. It is issued by the development issuing CA rather than a
// CA of its own, because the OCSP responder and the CRL answer for that CA
// only, and it points to them like every other leaf (Options.BaseURL).
func (d *Dev) IssueSigner(p Person, now time.Time) (KeyPair, error) {
	given, family := strings.TrimSpace(p.GivenName), strings.TrimSpace(p.FamilyName)
	if given == "" && family == "" {
		return KeyPair{}, errors.New("pki: a signer needs a name")
	}
	if !strings.HasPrefix(p.SerialNumber, "UN:NO-") || len(p.SerialNumber) > 64 {
		return KeyPair{}, fmt.Errorf("pki: signer serial number %q is not a UN:NO- identifier", p.SerialNumber)
	}
	if now.IsZero() {
		now = time.Now()
	}
	qc, err := qcStatements()
	if err != nil {
		return KeyPair{}, err
	}
	subject := pkix.Name{
		Country:      []string{"NO"},
		SerialNumber: p.SerialNumber,
		CommonName:   strings.TrimSpace(given + " " + family),
	}
	if given != "" {
		subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidGivenName, Value: given})
	}
	if family != "" {
		subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidSurname, Value: family})
	}
	spec := leafSpec{
		subject:  subject,
		years:    signerYears,
		keyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		extra:    []pkix.Extension{qc},
	}
	key, err := newKey(elliptic.P256())
	if err != nil {
		return KeyPair{}, err
	}
	t, err := d.template(spec, key.Public(), now)
	if err != nil {
		return KeyPair{}, err
	}
	t.Policies = []x509.OID{mustOID(oidQCPnQSCD)}
	der, err := x509.CreateCertificate(rand.Reader, t, d.Issuing.Cert, key.Public(), d.Issuing.Key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("pki: issue a signer's certificate: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return KeyPair{}, fmt.Errorf("pki: issue a signer's certificate: %w", err)
	}
	return KeyPair{Cert: c, Chain: []*x509.Certificate{d.Issuing.Cert}, Key: key}, nil
}

// qcStatements encodes QCStatements (RFC 3739 section 3.2.6) with
// QcCompliance, QcSSCD and QcType esign.
func qcStatements() (pkix.Extension, error) {
	type statement struct {
		ID   asn1.ObjectIdentifier
		Info asn1.RawValue `asn1:"optional"`
	}
	types, err := asn1.Marshal([]asn1.ObjectIdentifier{oidQcTypeESign})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("pki: qc statements: %w", err)
	}
	v, err := asn1.Marshal([]statement{
		{ID: oidQcCompliance},
		{ID: oidQcSSCD},
		{ID: oidQcType, Info: asn1.RawValue{FullBytes: types}},
	})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("pki: qc statements: %w", err)
	}
	return pkix.Extension{Id: oidQCStatements, Value: v}, nil
}

func mustOID(id asn1.ObjectIdentifier) x509.OID {
	ints := make([]uint64, len(id))
	for i, n := range id {
		ints[i] = uint64(n)
	}
	o, err := x509.OIDFromInts(ints)
	if err != nil {
		panic(err) // constants: cannot fail
	}
	return o
}

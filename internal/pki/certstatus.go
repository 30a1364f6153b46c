package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"
)

// ErrNowhereToAsk is returned (wrapped) by HTTPOCSP when a certificate
// names no OCSP responder, or no HTTP CRL distribution point, and none is
// configured: its status cannot be asked, which is not an outage.
var ErrNowhereToAsk = errors.New("pki: the certificate names nowhere to ask about its revocation")

// CertStatus is what checked revocation data says of one certificate now.
type CertStatus struct {
	RevokedAt  time.Time // zero: not revoked
	NextUpdate time.Time // when the data is due to be replaced; zero when it does not say
}

// OCSPStatus reads cert's status from der, an OCSP response about it,
// refusing a response that does not prove it at now: one not signed by
// issuer or a responder issuer certified for id-kp-OCSPSigning
// (CheckOCSPResponder), one with no answer whose CertID names both issuer
// (its name and key hashes) and cert's serial, an unknown status, and one
// past its nextUpdate or with a thisUpdate in the future. It is for
// deciding now, not for embedding: how long ago the response was produced
// does not matter while it is current.
func OCSPStatus(der []byte, cert, issuer *x509.Certificate, now time.Time) (CertStatus, error) {
	resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		return CertStatus{}, fmt.Errorf("pki: ocsp response: %w", err)
	}
	if err := CheckOCSPResponder(resp, issuer); err != nil {
		return CertStatus{}, fmt.Errorf("pki: ocsp response: %w", err)
	}
	// x/crypto/ocsp picks the answer by serial alone; a serial is unique
	// only per issuer (RFC 5280 section 4.1.2.2).
	r, err := answerAbout(der, cert, issuer)
	if err != nil {
		return CertStatus{}, err
	}
	switch {
	case bool(r.Unknown) || !bool(r.Good) && r.Revoked.RevocationTime.IsZero():
		return CertStatus{}, errors.New("pki: ocsp response: certificate status unknown")
	case r.ThisUpdate.After(now.Add(freshness)):
		return CertStatus{}, fmt.Errorf("pki: ocsp response from the future: this update %v", r.ThisUpdate.UTC())
	case !r.NextUpdate.IsZero() && r.NextUpdate.Before(now):
		return CertStatus{}, fmt.Errorf("pki: ocsp response stale: next update was %v", r.NextUpdate.UTC())
	}
	return CertStatus{RevokedAt: r.Revoked.RevocationTime, NextUpdate: r.NextUpdate}, nil
}

// answerAbout is the single response in the OCSP response der whose CertID
// names cert: its serial under issuer's name and key hashes (RFC 6960
// section 4.1.1). It reads structure only.
func answerAbout(der []byte, cert, issuer *x509.Certificate) (singleResponseASN1, error) {
	data, err := ocspResponseData(der)
	if err != nil {
		return singleResponseASN1{}, fmt.Errorf("pki: ocsp response: %w", err)
	}
	for _, r := range data.Responses {
		var id certIDASN1
		if _, err := asn1.Unmarshal(r.CertID.FullBytes, &id); err == nil && id.SerialNumber != nil &&
			id.SerialNumber.Cmp(cert.SerialNumber) == 0 && namesIssuer(id, issuer) {
			return r, nil
		}
	}
	return singleResponseASN1{}, errors.New("pki: ocsp response: no answer about this certificate from its issuer")
}

// CRLStatus reads cert's status from der, a CRL, refusing one that issuer
// did not sign, that is past its nextUpdate or from the future, that is a
// delta CRL, whose issuing distribution point (RFC 5280 §5.2.5) does not
// scope it to cert (inScope), or that has a critical extension, or an
// entry with one, that it does not process (§5.2, §5.3): a certificate
// missing from those says nothing.
func CRLStatus(der []byte, cert, issuer *x509.Certificate, now time.Time) (CertStatus, error) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return CertStatus{}, fmt.Errorf("pki: crl: %w", err)
	}
	if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) {
		return CertStatus{}, errors.New("pki: crl: not of the certificate's issuer")
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return CertStatus{}, fmt.Errorf("pki: crl: %w", err)
	}
	for _, ext := range crl.Extensions {
		switch {
		case ext.Id.Equal(oidDeltaCRLIndicator):
			return CertStatus{}, errors.New("pki: crl: a delta CRL")
		case ext.Id.Equal(oidIssuingDistributionPoint):
			if err := inScope(ext.Value, cert); err != nil {
				return CertStatus{}, err
			}
		case ext.Critical:
			// It may narrow what the list answers for (RFC 5280 §5.2).
			return CertStatus{}, fmt.Errorf("pki: crl: an unrecognised critical extension %v", ext.Id)
		}
	}
	switch {
	case crl.ThisUpdate.After(now.Add(freshness)):
		return CertStatus{}, fmt.Errorf("pki: crl from the future: this update %v", crl.ThisUpdate.UTC())
	case !crl.NextUpdate.IsZero() && crl.NextUpdate.Before(now):
		return CertStatus{}, fmt.Errorf("pki: crl stale: next update was %v", crl.NextUpdate.UTC())
	}
	st := CertStatus{NextUpdate: crl.NextUpdate}
	for _, e := range crl.RevokedCertificateEntries {
		// Of RFC 5280 §5.3's entry extensions only certificateIssuer, of
		// indirect CRLs, is critical: it would make the entry another
		// issuer's.
		for _, ext := range e.Extensions {
			if ext.Critical {
				return CertStatus{}, fmt.Errorf("pki: crl: an entry with an unrecognised critical extension %v", ext.Id)
			}
		}
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 && st.RevokedAt.IsZero() {
			st.RevokedAt = e.RevocationTime
		}
	}
	return st, nil
}

// inScope refuses a CRL whose issuing distribution point idp (RFC 5280
// §5.2.5) does not make it complete for cert, as §6.3.3 (b)(2) checks: a
// CRL of CA certificates only (a root's ARL) answers for a CA, one of end
// entities only for an end entity; one limited to some revocation reasons,
// indirect or of attribute certificates answers for none. When it names a
// distribution point, one of its names must be a URI that cert names as
// its CRL distribution point, or cert's issuer, the name §6.3.3 assumes for
// a CRL the certificate names no distribution point for.
func inScope(idp []byte, cert *x509.Certificate) error {
	var (
		seq, dp, reasons, names            cryptobyte.String
		hasDP, hasNames, someReasons       bool
		onlyUser, onlyCA, indirect, onlyAC bool
	)
	in := cryptobyte.String(idp)
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadOptionalASN1(&dp, &hasDP, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!readImplicitBool(&seq, 1, &onlyUser) || !readImplicitBool(&seq, 2, &onlyCA) ||
		!seq.ReadOptionalASN1(&reasons, &someReasons, cbasn1.Tag(3).ContextSpecific()) ||
		!readImplicitBool(&seq, 4, &indirect) || !readImplicitBool(&seq, 5, &onlyAC) || !seq.Empty() {
		return errors.New("pki: crl: malformed issuing distribution point")
	}
	isCA := cert.BasicConstraintsValid && cert.IsCA
	switch {
	case someReasons:
		return errors.New("pki: crl: partitioned by revocation reason")
	case indirect:
		return errors.New("pki: crl: an indirect CRL")
	case onlyAC:
		return errors.New("pki: crl: of attribute certificates only")
	case onlyCA && !isCA:
		return errors.New("pki: crl: of CA certificates only, and the certificate is no CA")
	case onlyUser && isCA:
		return errors.New("pki: crl: of end-entity certificates only, and the certificate is a CA")
	case !hasDP:
		return nil
	}
	// DistributionPointName ::= CHOICE { fullName [0] GeneralNames, ... }:
	// a name relative to the CRL issuer matches nothing here.
	if !dp.ReadOptionalASN1(&names, &hasNames, cbasn1.Tag(0).Constructed().ContextSpecific()) || hasNames && !dp.Empty() {
		return errors.New("pki: crl: malformed issuing distribution point")
	}
	for hasNames && !names.Empty() {
		var name cryptobyte.String
		var tag cbasn1.Tag
		if !names.ReadAnyASN1(&name, &tag) {
			return errors.New("pki: crl: malformed issuing distribution point")
		}
		switch tag {
		case cbasn1.Tag(6).ContextSpecific(): // uniformResourceIdentifier
			if slices.Contains(cert.CRLDistributionPoints, string(name)) {
				return nil
			}
		case cbasn1.Tag(4).Constructed().ContextSpecific(): // directoryName
			if bytes.Equal(name, cert.RawIssuer) {
				return nil
			}
		}
	}
	return errors.New("pki: crl: of another distribution point than the certificate names")
}

// readImplicitBool reads an optional BOOLEAN DEFAULT FALSE implicitly
// tagged [tag] from s.
func readImplicitBool(s *cryptobyte.String, tag uint8, out *bool) bool {
	var v cryptobyte.String
	var present bool
	if !s.ReadOptionalASN1(&v, &present, cbasn1.Tag(tag).ContextSpecific()) {
		return false
	}
	*out = present && len(v) == 1 && v[0] == 0xff
	return !present || len(v) == 1 && (v[0] == 0xff || v[0] == 0)
}

var (
	oidDeltaCRLIndicator        = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidIssuingDistributionPoint = asn1.ObjectIdentifier{2, 5, 29, 28}
)

// ocspResponseData is the ResponseData of the basic OCSP response der
// (RFC 6960 section 4.2.1), read as structure only.
func ocspResponseData(der []byte) (responseDataASN1, error) {
	var resp ocspResponseASN1
	var basic basicResponseASN1
	var data responseDataASN1
	if _, err := asn1.Unmarshal(der, &resp); err != nil {
		return data, err
	}
	if _, err := asn1.Unmarshal(resp.ResponseBytes.Response, &basic); err != nil {
		return data, err
	}
	_, err := asn1.Unmarshal(basic.TBSResponseData.FullBytes, &data)
	return data, err
}

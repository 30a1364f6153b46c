package pki

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
)

// DevSealOrgNumber is the organisation number carried by the development TTP
// seal certificate. It has a valid mod-11 check digit so that code which
// checks organisation numbers accepts it, and it belongs to no organisation
// in the synthetic population.
const DevSealOrgNumber = "921000006"

var (
	// oidOrganizationIdentifier is the X.520 organizationIdentifier
	// attribute (2.5.4.97). ETSI EN 319 412-1 section 5.1.4 fills it with a
	// semantics identifier such as "NTRNO-" followed by the number from the
	// Norwegian national trade register.
	oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}
	// oidSerialNumber is the X.520 serialNumber attribute (2.5.4.5), where
	// Norwegian enterprise certificates issued before eIDAS carried the bare
	// organisation number.
	oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}
)

// ntrPrefix is the ETSI EN 319 412-1 semantics identifier prefix for
// Norwegian national trade register numbers.
const ntrPrefix = "NTRNO-"

// OrgNumber extracts the Norwegian organisation number from the subject of an
// enterprise certificate, the way real Norwegian enterprise certificates carry
// it: organizationIdentifier (2.5.4.97) "NTRNO-<9 digits>" as profiled by
// ETSI EN 319 412-1, and the older form serialNumber (2.5.4.5) "<9 digits>".
//
// The organizationIdentifier wins when present, and a malformed one is an
// error rather than a reason to fall back, so a certificate can never be read
// as two different organisations. For the same reason a certificate whose two
// attributes name different numbers is rejected. A serialNumber that is not
// nine digits is ignored when an organizationIdentifier is present, because
// some issuers use serialNumber for their own identifiers. The check digit is
// not verified here: the certificate issuer vouched for the number, and the
// caller authorises against its own organisation records.
func OrgNumber(cert *x509.Certificate) (string, error) {
	if cert == nil {
		return "", errors.New("pki: no certificate")
	}
	var orgIDs, serials []string
	for _, atv := range cert.Subject.Names {
		s, ok := atv.Value.(string)
		if !ok {
			continue
		}
		switch {
		case atv.Type.Equal(oidOrganizationIdentifier):
			orgIDs = append(orgIDs, s)
		case atv.Type.Equal(oidSerialNumber):
			serials = append(serials, s)
		}
	}

	if len(orgIDs) > 0 {
		var orgnr string
		for _, id := range orgIDs {
			n, ok := strings.CutPrefix(id, ntrPrefix)
			if !ok || !nineDigits(n) {
				return "", fmt.Errorf("pki: malformed organizationIdentifier %q", id)
			}
			if orgnr != "" && n != orgnr {
				return "", errors.New("pki: conflicting organizationIdentifier attributes")
			}
			orgnr = n
		}
		for _, s := range serials {
			if nineDigits(s) && s != orgnr {
				return "", fmt.Errorf("pki: organizationIdentifier %s and serialNumber %s disagree", orgnr, s)
			}
		}
		return orgnr, nil
	}

	if len(serials) == 0 {
		return "", errors.New("pki: certificate subject carries no organisation number")
	}
	var orgnr string
	for _, s := range serials {
		if !nineDigits(s) {
			return "", fmt.Errorf("pki: malformed serialNumber %q", s)
		}
		if orgnr != "" && s != orgnr {
			return "", errors.New("pki: conflicting serialNumber attributes")
		}
		orgnr = s
	}
	return orgnr, nil
}

// nineDigits reports whether s is exactly nine ASCII digits, the shape of a
// Norwegian organisation number.
func nineDigits(s string) bool {
	if len(s) != 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validOrgNumber reports whether s is a nine-digit organisation number with a
// correct mod-11 check digit (weights 3 2 7 6 5 4 3 2), as the Brønnøysund
// register assigns them.
func validOrgNumber(s string) bool {
	if !nineDigits(s) {
		return false
	}
	weights := [8]int{3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	check := (11 - sum%11) % 11
	return check != 10 && check == int(s[8]-'0')
}

package pki

import (
	"crypto/x509"
	"testing"
)

// FuzzInScope feeds the issuing distribution point parser, which reads a
// CA's CRL, with mutations of the scopes CAs publish.
func FuzzInScope(f *testing.F) {
	for _, idp := range [][]byte{
		{0x30, 0x03, 0x82, 0x01, 0xff},       // onlyContainsCACerts
		{0x30, 0x03, 0x81, 0x01, 0xff},       // onlyContainsUserCerts
		{0x30, 0x04, 0x83, 0x02, 0x06, 0x40}, // onlySomeReasons keyCompromise
		// distributionPoint fullName URI http://a/b, onlyContainsCACerts
		{0x30, 0x13, 0xa0, 0x0e, 0xa0, 0x0c, 0x86, 0x0a, 'h', 't', 't', 'p', ':', '/', '/', 'a', '/', 'b', 0x82, 0x01, 0xff},
	} {
		f.Add(idp)
	}
	ca := &x509.Certificate{BasicConstraintsValid: true, IsCA: true, CRLDistributionPoints: []string{"http://a/b"}, RawIssuer: []byte{0x30, 0x00}}
	leaf := &x509.Certificate{RawIssuer: []byte{0x30, 0x00}}
	f.Fuzz(func(t *testing.T, idp []byte) {
		_ = inScope(idp, ca) // must not panic, whatever the CA signed
		_ = inScope(idp, leaf)
	})
}

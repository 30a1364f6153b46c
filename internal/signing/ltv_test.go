package signing

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/tsp"
	"github.com/segl/segl/internal/xades"
)

// proven is a certificate that needs revocation data produced after at:
// the signer or TSA of a signature or time-stamp, and at its time.
type proven struct {
	what string
	cert *x509.Certificate
	at   time.Time
}

// checkPDFLTV parses the DSS of a completed document and finds, for every
// certificate below the root of the path of every signature, signature
// time-stamp and document time-stamp, revocation data produced after that
// signature's or time-stamp's time (the time-stamp's genTime: the proof
// of existence a validator uses), both in the DSS and in the signature's
// /VRI entry, keyed as EU DSS keys it.
func checkPDFLTV(t *testing.T, data []byte, roots *x509.CertPool) {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := r.Signatures()
	if err != nil {
		t.Fatal(err)
	}
	dss, err := r.DSS()
	if err != nil || dss == nil {
		t.Fatalf("DSS %v, %v", dss, err)
	}
	var checked int
	for _, info := range infos {
		var items []proven
		if info.SubFilter == pdf.SubFilterRFC3161 {
			ts, err := tsp.Parse(info.DER)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, proven{"document time-stamp " + info.Field, ts.Certificate, ts.GenTime})
		} else {
			sd, err := cms.Parse(info.DER)
			if err != nil {
				t.Fatal(err)
			}
			for _, si := range sd.Signers {
				ts, err := tsp.Parse(si.TimeStampToken)
				if err != nil {
					t.Fatalf("signature %s: time-stamp: %v", info.Field, err)
				}
				items = append(items, proven{"signature " + info.Field, si.Certificate, ts.GenTime},
					proven{"time-stamp of " + info.Field, ts.Certificate, ts.GenTime})
			}
		}
		vri, ok := dss.VRI[pades.VRIKey(info)]
		if !ok {
			t.Errorf("%s: no /VRI entry keyed by the SHA-1 of its whole /Contents", info.Field)
		}
		for _, it := range items {
			checked += checkRevocation(t, it, roots, dss.Certs, dss.OCSPs, dss.CRLs, "DSS")
			if ok {
				checkRevocation(t, it, roots, dss.Certs, vri.OCSPs, vri.CRLs, "VRI")
			}
		}
	}
	// Seal or signer, the signature time-stamp's TSA, and the issuing CA
	// above each, per signature; the TSA and the issuing CA per document
	// time-stamp.
	if checked < 2*len(infos) {
		t.Errorf("checked %d certificates for %d signatures and time-stamps", checked, len(infos))
	}
}

// checkEvidenceLTV does the same for a XAdES evidence: its signer and the
// TSA of its SignatureTimeStamp, in CertificateValues and RevocationValues.
func checkEvidenceLTV(t *testing.T, ev []byte, roots *x509.CertPool) {
	t.Helper()
	v, err := xades.Verify(ev)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tsp.Parse(v.TimeStampToken)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range []proven{{"evidence signer", v.Certificate, ts.GenTime}, {"evidence time-stamp", ts.Certificate, ts.GenTime}} {
		if checkRevocation(t, it, roots, v.Validation.Certs, v.Validation.OCSPs, v.Validation.CRLs, "RevocationValues") < 2 {
			t.Errorf("%s: fewer than two certificates below the root", it.what)
		}
	}
}

// checkRevocation builds it's path to roots from certs and, for every
// certificate on it but the root (and an OCSP responder with
// id-pkix-ocsp-nocheck), finds a good OCSP response or a CRL not listing
// it, signed by its issuer and produced no earlier than it.at (at whole
// seconds: producedAt has no more). It returns how many it checked.
func checkRevocation(t *testing.T, it proven, roots *x509.CertPool, certs, ocsps, crls [][]byte, where string) int {
	t.Helper()
	if it.cert == nil {
		t.Errorf("%s: no certificate", it.what)
		return 0
	}
	inter := x509.NewCertPool()
	for _, der := range certs {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("%s: certificate: %v", where, err)
		}
		inter.AddCert(c)
	}
	chains, err := it.cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: it.at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		t.Errorf("%s: %s: no path from %s: %v", where, it.what, where, err)
		return 0
	}
	at := it.at.Truncate(time.Second)
	n := 0
	for i, cert := range chains[0][:len(chains[0])-1] {
		issuer := chains[0][i+1]
		if found(cert, issuer, at, ocsps, crls) {
			n++
			continue
		}
		t.Errorf("%s: %s: no revocation data for %q produced after %s", where, it.what, cert.Subject.CommonName, at.Format(time.RFC3339))
	}
	return n
}

func found(cert, issuer *x509.Certificate, at time.Time, ocsps, crls [][]byte) bool {
	for _, der := range ocsps {
		resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
		if err == nil && resp.Status == ocsp.Good && !resp.ProducedAt.Before(at) {
			return true
		}
	}
	for _, der := range crls {
		crl, err := x509.ParseRevocationList(der)
		if err != nil || crl.CheckSignatureFrom(issuer) != nil || !bytes.Equal(crl.RawIssuer, cert.RawIssuer) || crl.ThisUpdate.Before(at) {
			continue
		}
		listed := false
		for _, e := range crl.RevokedCertificateEntries {
			listed = listed || e.SerialNumber.Cmp(cert.SerialNumber) == 0
		}
		if !listed {
			return true
		}
	}
	return false
}

package pades_test

import (
	"bytes"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/tsp"
)

// ticker is a clock that moves a minute each time it is read, so that
// every step of a seal happens at its own time and "produced after"
// cannot hold by accident within one second.
type ticker struct {
	mu  sync.Mutex
	now time.Time
}

func (c *ticker) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Minute)
	return c.now
}

// TestBLTADataAfterDocumentTimeStamp checks that a B-LTA file carries,
// for the document time-stamp it ends with, revocation data produced
// after it: an OCSP response for the TSA certificate and the root's CRL
// for the issuing CA, in the DSS and in the time-stamp's /VRI entry.
// Without the last DSS update a validator would have to fetch them.
func TestBLTADataAfterDocumentTimeStamp(t *testing.T) {
	e := newEnv(t)
	clk := &ticker{now: time.Now()}
	tsa, err := tsp.NewAuthority(e.dev.TSA.Key, e.dev.TSA.Cert, e.dev.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	tsa.Clock = tsp.Synced(clk)
	rev, err := pki.OpenRevocations(e.dev.Dir)
	if err != nil {
		t.Fatal(err)
	}
	e.sealer.TSA, e.sealer.Now = tsa, clk.Now
	e.sealer.OCSP = pki.DevOCSP{Dev: e.dev, Revoked: rev, Now: clk.Now}
	out := e.sealDoc(t, testdocs.PDF("Avtale", 5_000), pades.BLTA)

	r, err := pdf.Open(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := r.Signatures()
	if err != nil {
		t.Fatal(err)
	}
	last := infos[len(infos)-1]
	ts, err := tsp.Parse(last.DER)
	if last.SubFilter != pdf.SubFilterRFC3161 || err != nil {
		t.Fatalf("last signature %s, %v: want a document time-stamp", last.SubFilter, err)
	}
	dss, err := r.DSS()
	if err != nil || dss == nil {
		t.Fatalf("DSS: %v", err)
	}
	vri, ok := dss.VRI[pades.VRIKey(last)]
	if !ok {
		t.Fatal("no /VRI entry for the document time-stamp")
	}
	for where, data := range map[string]pdf.VRI{"DSS": {OCSPs: dss.OCSPs, CRLs: dss.CRLs}, "VRI": vri} {
		if !ocspAfter(data.OCSPs, e.dev.TSA.Cert, e.dev.Issuing.Cert, ts.GenTime) {
			t.Errorf("%s: no OCSP response for the TSA produced after the document time-stamp (%s)", where, ts.GenTime)
		}
		if !crlAfter(data.CRLs, e.dev.Root, ts.GenTime) {
			t.Errorf("%s: no root CRL for the issuing CA issued after the document time-stamp (%s)", where, ts.GenTime)
		}
	}
}

func ocspAfter(ocsps [][]byte, cert, issuer *x509.Certificate, at time.Time) bool {
	for _, der := range ocsps {
		resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
		if err == nil && resp.Status == ocsp.Good && resp.ProducedAt.After(at) {
			return true
		}
	}
	return false
}

func crlAfter(crls [][]byte, issuer *x509.Certificate, at time.Time) bool {
	for _, der := range crls {
		crl, err := x509.ParseRevocationList(der)
		if err == nil && crl.CheckSignatureFrom(issuer) == nil && crl.ThisUpdate.After(at) {
			return true
		}
	}
	return false
}

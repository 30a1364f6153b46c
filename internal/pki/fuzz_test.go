package pki

import (
	"crypto"
	"testing"

	"golang.org/x/crypto/ocsp"
)

// FuzzParseOCSPRequest feeds the OCSP request parser, which sees bytes from
// anyone on the network, with mutations of real requests.
func FuzzParseOCSPRequest(f *testing.F) {
	dir := f.TempDir()
	d, err := LoadOrCreateDev(dir, Options{Orgs: population[:1]})
	if err != nil {
		f.Fatal(err)
	}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		req, err := ocsp.CreateRequest(d.Seal.Cert, d.Issuing.Cert, &ocsp.RequestOptions{Hash: h})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(req)
	}
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		q, err := parseOCSPRequest(der)
		if err != nil {
			return
		}
		if len(q.ids) == 0 || len(q.ids) != len(q.rawIDs) {
			t.Fatalf("parsed request with %d ids and %d raw ids", len(q.ids), len(q.rawIDs))
		}
		for _, id := range q.ids {
			_ = d.issuedByUs(id)
		}
		if _, err := d.ocspResponse(q, nil, t0); err != nil {
			t.Fatalf("response for a parsed request: %v", err)
		}
	})
}

package tsp

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

// TestVerifyGenTimeWithinCertificate: a token is a TSA's word that data
// existed at genTime, and its certificate vouches for that word only while
// it is valid. A token whose genTime lies outside the TSA certificate's
// validity (a backdated token, or one made after the certificate expired)
// fails, however long the certificate is valid at the time of checking.
func TestVerifyGenTimeWithinCertificate(t *testing.T) {
	root := newRoot(t, "root")
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cert, key := root.tsa(t, tsaOpts{notBefore: nb, notAfter: nb.AddDate(30, 0, 0)})
	a, err := NewAuthority(key, cert, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Clock = fakeClock(nb.AddDate(0, 6, 0))
	roots := x509.NewCertPool()
	roots.AddCert(rootValidFrom(t, root, nb.AddDate(-10, 0, 0)))
	digest := digestOf("contract")

	// stampAt makes the authority's token with genTime replaced, as a TSA
	// whose key has leaked (or whose clock is wrong) would.
	stampAt := func(t *testing.T, genTime time.Time) []byte {
		imprint, err := makeImprint(crypto.SHA256, digest)
		if err != nil {
			t.Fatal(err)
		}
		tst, _, err := a.prepare(context.Background(), &request{Version: 1, MessageImprint: imprint, CertReq: true})
		if err != nil {
			t.Fatal(err)
		}
		tst.GenTime, _ = encodeGenTime(genTime, a.accuracy())
		tok, err := a.sign(tst, true, signParams{})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	now := nb.AddDate(1, 0, 0)
	for _, tc := range []struct {
		name    string
		genTime time.Time
		want    error
	}{
		{"ok/within", nb.AddDate(0, 6, 0), nil},
		{"fail/before-the-certificate", nb.AddDate(-5, 0, 0), ErrChain},
		{"fail/a-second-before-the-certificate", nb.Add(-2 * time.Second), ErrChain},
		{"fail/in-the-future", now.AddDate(0, 0, 1), ErrGenTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(stampAt(t, tc.genTime), crypto.SHA256, digest, VerifyOptions{Roots: roots, CurrentTime: now})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

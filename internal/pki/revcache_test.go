package pki

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// countingSource counts the questions that reach the responder.
type countingSource struct {
	RevocationSource
	ocsps, crls int
	fail        error
}

func (s *countingSource) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	s.ocsps++
	if s.fail != nil {
		return nil, s.fail
	}
	return s.RevocationSource.OCSP(ctx, cert, issuer)
}

func (s *countingSource) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	s.crls++
	if s.fail != nil {
		return nil, s.fail
	}
	return s.RevocationSource.CRL(ctx, cert, issuer)
}

// TestRevocationCache checks that answers are reused within the second they
// were fetched and only then: what the signing engine embeds is produced in
// the same second as a fresh answer would be, and a revocation shows from
// the next second on.
func TestRevocationCache(t *testing.T) {
	dev, _ := newDev(t, Options{})
	rev, err := OpenRevocations(dev.Dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 200e6, time.UTC)
	clk := func() time.Time { return at }
	wall := time.Now()
	src := &countingSource{RevocationSource: DevOCSP{Dev: dev, Revoked: rev, Now: clk}}
	c := &RevocationCache{Source: src, Now: clk, wall: func() time.Time { return wall }}
	ctx := context.Background()
	seal, issuing, root := dev.Seal.Cert, dev.Issuing.Cert, dev.Root

	status := func(want int) time.Time {
		t.Helper()
		der, err := c.OCSP(ctx, seal, issuing)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ocsp.ParseResponseForCert(der, seal, issuing)
		if err != nil || resp.Status != want {
			t.Fatalf("at %s: status %v, %v; want %d", at, resp.Status, err, want)
		}
		return resp.ProducedAt
	}

	first := status(ocsp.Good)
	at, wall = at.Add(700*time.Millisecond), wall.Add(700*time.Millisecond) // 10:00:00.9, same second
	if again := status(ocsp.Good); src.ocsps != 1 || !again.Equal(first) {
		t.Fatalf("same second: %d responder calls, produced %s then %s; want one call, one answer", src.ocsps, first, again)
	}
	crl1, err := c.CRL(ctx, issuing, root)
	if err != nil {
		t.Fatal(err)
	}
	crl2, err := c.CRL(ctx, issuing, root)
	if err != nil || src.crls != 1 || !bytes.Equal(crl1, crl2) {
		t.Fatalf("same second: %d CRLs made (%v), want 1", src.crls, err)
	}

	// Revoked within this second: the answer of this second stands (it
	// is what the responder would give with second precision); from the
	// next second the revocation shows.
	if err := rev.Revoke(new(big.Int).Set(seal.SerialNumber), ocsp.KeyCompromise, at); err != nil {
		t.Fatal(err)
	}
	at, wall = at.Add(200*time.Millisecond), wall.Add(200*time.Millisecond) // 10:00:01.1
	if produced := status(ocsp.Revoked); src.ocsps != 2 || !produced.After(first) {
		t.Fatalf("next second: %d responder calls, produced %s; want a new answer", src.ocsps, produced)
	}
	if _, err := c.CRL(ctx, issuing, root); err != nil || src.crls != 2 {
		t.Fatalf("next second: %d CRLs made (%v), want 2", src.crls, err)
	}

	// A frozen clock keeps an answer no longer than a second of real time.
	status(ocsp.Revoked)
	wall = wall.Add(time.Second)
	status(ocsp.Revoked)
	if src.ocsps != 3 {
		t.Fatalf("frozen clock, a second later: %d responder calls, want 3", src.ocsps)
	}

	// Errors are not kept.
	src.fail = errors.New("responder down")
	at, wall = at.Add(time.Second), wall.Add(time.Second)
	if _, err := c.OCSP(ctx, seal, issuing); err == nil {
		t.Fatal("want the responder's error")
	}
	src.fail = nil
	status(ocsp.Revoked)
	if src.ocsps != 5 {
		t.Fatalf("after an error: %d responder calls, want 5", src.ocsps)
	}
}

// TestRevocationCacheBound checks that the cache keeps at most
// maxRevocationEntries answers, dropping earlier seconds' first.
func TestRevocationCacheBound(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	c := &RevocationCache{Now: func() time.Time { return at }}
	e := revocationEntry{second: at.Unix(), fetched: time.Now(), until: at.Add(time.Hour)}
	for i := range maxRevocationEntries + 10 {
		c.keep(revocationKey{cert: string(rune(i))}, e)
	}
	if n := len(c.entries); n != maxRevocationEntries {
		t.Fatalf("%d entries, want %d", n, maxRevocationEntries)
	}
	e.second++
	c.keep(revocationKey{cert: "next second"}, e)
	if n := len(c.entries); n != 1 {
		t.Fatalf("%d entries after a new second's answer, want 1", n)
	}
}

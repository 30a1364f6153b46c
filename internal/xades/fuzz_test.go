package xades

import (
	"bytes"
	"testing"
	"time"
)

// FuzzVerify feeds Verify signed documents (B-B, B-LT) and damaged
// variants. Verify must never panic; what it accepts must carry a
// certificate and facts that pass Sign's checks. Whatever parses is also
// canonicalised twice: Exclusive C14N output is itself XML whose canonical
// form is the same bytes.
//
//	go test -run '^$' -fuzz FuzzVerify -fuzztime 45s -fuzzminimizetime 2s -parallel 1 ./internal/xades/
//
// Without -fuzzminimizetime the engine spends up to a minute minimising
// each new input (signed documents are a few kilobytes), so a short run
// does little else.
func FuzzVerify(f *testing.F) {
	seal := sealOptions(f)
	lt := seal
	lt.Stamper = testAuthority(f)
	lt.Validation = validationData(f)
	bb := mustSign(f, testFacts(), seal)
	blt := mustSign(f, testFacts(), lt)
	for _, seed := range [][]byte{
		bb,
		blt,
		bytes.Replace(bb, []byte("Kari"), []byte("Kira"), 1),
		bytes.Replace(bb, []byte(`Id="evidence"`), []byte(`Id="signature"`), 1),
		bb[:len(bb)/2],
		[]byte(`<r xmlns="urn:d"><c xmlns=""><p:d xmlns:p="urn:p" p:a="1" b="2"/></c></r>`),
		[]byte(`<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if d, err := parse(data); err == nil {
			if c1, err := canonicalize(d.Root()); err == nil {
				d2, err := parse(c1)
				if err != nil {
					t.Fatalf("canonical form does not parse: %v\n%s", err, c1)
				}
				c2, err := canonicalize(d2.Root())
				if err != nil || !bytes.Equal(c1, c2) {
					t.Fatalf("canonicalisation is not idempotent: %v\n%s\n%s", err, c1, c2)
				}
			}
		}
		v, err := Verify(data)
		if err != nil {
			return
		}
		if v.Certificate == nil {
			t.Fatal("accepted without a certificate")
		}
		if err := v.Facts.check(); err != nil {
			t.Fatalf("accepted facts Sign would refuse: %v", err)
		}
	})
}

// FuzzVerifyASiC feeds VerifyASiC container signatures and damaged
// variants. It must never panic, and what it accepts must name a
// certificate and signed files that are all present.
//
//	go test -run '^$' -fuzz FuzzVerifyASiC -fuzztime 30s -fuzzminimizetime 2s -parallel 1 ./internal/xades/
func FuzzVerifyASiC(f *testing.F) {
	files := asicFiles()
	sig, err := SignASiC(files, rsaOptions(f), time.Now())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{
		sig,
		bytes.Replace(sig, []byte("manifest.xml"), []byte("META-INF%2Fx"), 1),
		bytes.Replace(sig, []byte(`URI="#SignedProperties"`), []byte(`URI="#Signature"`), 1),
		sig[:len(sig)/2],
	} {
		f.Add(seed)
	}
	open := opener(files)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := VerifyASiC(data, open)
		if err != nil {
			return
		}
		if v.Certificate == nil || len(v.Files) == 0 {
			t.Fatalf("accepted without a certificate or files: %+v", v)
		}
		for _, name := range v.Files {
			if _, err := open(name); err != nil {
				t.Fatalf("accepted a reference to a missing file %q", name)
			}
		}
	})
}

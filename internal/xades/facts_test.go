package xades

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// ReadFacts gives what Verify gives as facts, for every kind of evidence
// Sign makes, and refuses bytes in which the facts element is not found
// exactly once or does not hold valid facts.
func TestReadFacts(t *testing.T) {
	minimal := testFacts()
	minimal.JobTitle = ""
	minimal.Signer.PID, minimal.Signer.BirthDate, minimal.Signer.OnBehalfOf = "", "", ""
	minimal.Documents = minimal.Documents[:1]
	blt := sealOptions(t)
	blt.Stamper, blt.Validation = testAuthority(t), validationData(t)
	for _, tc := range []struct {
		name  string
		facts Facts
		opts  SignOptions
	}{
		{"ok/seal-blt", testFacts(), blt},
		{"ok/rsa-bb", testFacts(), rsaOptions(t)},
		{"ok/minimal-facts", minimal, sealOptions(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustSign(t, tc.facts, tc.opts)
			v, err := Verify(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadFacts(out)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, v.Facts) || !reflect.DeepEqual(got, tc.facts) {
				t.Errorf("ReadFacts = %+v\nVerify   = %+v\nsigned   = %+v", got, v.Facts, tc.facts)
			}
		})
	}

	good := mustSign(t, testFacts(), sealOptions(t))
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want error
	}{
		{"fail/no-evidence", func(b []byte) []byte { return bytes.ReplaceAll(b, evidenceStart, []byte("<segl:Other ")) }, ErrMalformed},
		{"fail/two-evidence-elements", func(b []byte) []byte {
			i := bytes.Index(b, evidenceStart)
			return append(b[:i:i], append(append([]byte{}, b[i:bytes.Index(b, evidenceEnd)+len(evidenceEnd)]...), b[i:]...)...)
		}, ErrMalformed},
		{"fail/comment-in-facts", func(b []byte) []byte {
			return bytes.Replace(b, []byte("<segl:JobID>"), []byte("<segl:JobID><!---->"), 1)
		}, ErrMalformed},
		{"fail/invalid-facts", func(b []byte) []byte {
			return bytes.Replace(b, []byte(">high<"), []byte(">low<"), 1)
		}, ErrInvalidFacts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFacts(tc.edit(bytes.Clone(good)))
			if !errors.Is(err, tc.want) {
				t.Errorf("ReadFacts = %v, want %v", err, tc.want)
			}
		})
	}
}

// BenchmarkReadFacts is to be compared with BenchmarkVerify: the same
// evidence, read for its facts only.
func BenchmarkReadFacts(b *testing.B) {
	opts := sealOptions(b)
	opts.Stamper, opts.Validation = testAuthority(b), validationData(b)
	doc := mustSign(b, testFacts(), opts)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadFacts(doc); err != nil {
			b.Fatal(err)
		}
	}
}

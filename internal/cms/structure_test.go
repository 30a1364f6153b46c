package cms

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"slices"
	"testing"
	"time"
)

// The structural rules Parse enforces, each broken once in an otherwise
// well-formed SignedData built from parts (nothing here is signed: Parse does
// not verify).
func TestParseStructure(t *testing.T) {
	digest := bytes.Repeat([]byte{1}, 32)
	ctAttr := attribute(OIDAttributeContentType, mustMarshal(OIDData))
	mdAttr := attribute(OIDAttributeMessageDigest, tlv(tagOctetString, digest))
	stAttr := attribute(OIDAttributeSigningTime, encodeTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)))
	sorted := func(attrs ...[]byte) [][]byte {
		attrs = slices.Clone(attrs)
		slices.SortFunc(attrs, bytes.Compare)
		return attrs
	}
	sid := tlv(tagSequence, tlv(tagSequence), mustMarshal(7)) // empty issuer name, serial 7
	sha256ID := algorithmID(hashOID(crypto.SHA256), false)
	ecdsaID := algorithmID(oidECDSAWithSHA256, false)
	sig := tlv(tagOctetString, []byte{1, 2, 3})
	signerInfo := func(version int, sid []byte, signed [][]byte, extra ...[]byte) []byte {
		var sa []byte
		if signed != nil {
			sa = tlv(tagContext0, signed...)
		}
		return tlv(tagSequence, slices.Concat([][]byte{mustMarshal(version), sid, sha256ID, sa, ecdsaID, sig}, extra)...)
	}
	// signedData takes the contents of the EncapsulatedContentInfo.
	signedData := func(ct []byte, signers ...[]byte) []byte {
		sd := tlv(tagSequence, mustMarshal(1), tlv(tagSet, sha256ID), tlv(tagSequence, ct), tlv(tagSet, signers...))
		return tlv(tagSequence, mustMarshal(OIDSignedData), tlv(tagContext0, sd))
	}
	data := mustMarshal(OIDData)
	good := sorted(ctAttr, mdAttr, stAttr)

	if sd, err := Parse(signedData(data, signerInfo(1, sid, good))); err != nil {
		t.Fatalf("the well-formed base does not parse: %v", err)
	} else if si := sd.Signers[0]; si.SigningTime == nil || si.SigningTime.Year() != 2030 || !bytes.Equal(si.MessageDigest, digest) || si.Certificate != nil {
		t.Fatalf("parsed %+v", si)
	}
	if _, err := Parse(signedData(data, signerInfo(1, sid, nil))); err != nil {
		t.Errorf("id-data without signed attributes is valid cms (RFC 5652 §5.3): %v", err)
	}
	if sd, err := Parse(signedData(slices.Concat(data, tlv(tagContext0, tlv(tagOctetString))), signerInfo(1, sid, good))); err != nil || sd.Content == nil || len(sd.Content) != 0 {
		t.Errorf("empty encapsulated content: %v, %v", sd, err)
	}

	// BER as streaming signers write it (RFC 5652 §5.1): indefinite lengths
	// around what is signed, the content in OCTET STRING segments.
	segments := tlv(tagContext0, indef(tlv(0x24, tlv(tagOctetString, []byte("he")), tlv(0x24, tlv(tagOctetString, []byte("ll"))), tlv(tagOctetString, []byte("o")))))
	berInner := indef(tlv(tagSequence, mustMarshal(1), tlv(tagSet, sha256ID),
		indef(tlv(tagSequence, data, segments)), indef(tlv(tagSet, indef(signerInfo(1, sid, good))))))
	berSD := indef(tlv(tagSequence, mustMarshal(OIDSignedData), indef(tlv(tagContext0, berInner))))
	if sd, err := Parse(append(berSD, 0, 0, 0)); err != nil {
		t.Errorf("ber signed data: %v", err)
	} else if string(sd.Content) != "hello" || !bytes.Equal(sd.Raw, berSD) || !bytes.Equal(sd.Signers[0].SignedAttrsRaw, tlv(tagSet, good...)) {
		t.Errorf("ber signed data read as content %q, raw %x", sd.Content, sd.Raw)
	} else if _, err := AddUnsignedAttribute(berSD, 0, OIDAttributeSigningTime, encodeTime(time.Now())); !errors.Is(err, ErrMalformed) {
		t.Errorf("an attribute added to ber signed data: %v", err)
	}

	unsorted := slices.Clone(good)
	unsorted[0], unsorted[1] = unsorted[1], unsorted[0]
	twoValues := tlv(tagSequence, mustMarshal(OIDAttributeContentType), tlv(tagSet, mustMarshal(OIDData), mustMarshal(OIDTSTInfo)))
	localTime := attribute(OIDAttributeSigningTime, tlv(23, []byte("300102030405+0100")))
	noSeconds := attribute(OIDAttributeSigningTime, tlv(23, []byte("3001020304Z")))
	for name, der := range map[string][]byte{
		"fail/signed-attributes-not-der-ordered":  signedData(data, signerInfo(1, sid, unsorted)),
		"fail/signed-attribute-twice":             signedData(data, signerInfo(1, sid, sorted(ctAttr, mdAttr, mdAttr))),
		"fail/content-type-with-two-values":       signedData(data, signerInfo(1, sid, sorted(twoValues, mdAttr))),
		"fail/no-message-digest":                  signedData(data, signerInfo(1, sid, sorted(ctAttr, stAttr))),
		"fail/no-content-type":                    signedData(data, signerInfo(1, sid, sorted(mdAttr))),
		"fail/empty-signed-attributes":            signedData(data, signerInfo(1, sid, [][]byte{})),
		"fail/signing-time-not-utc":               signedData(data, signerInfo(1, sid, sorted(ctAttr, mdAttr, localTime))),
		"fail/signing-time-without-seconds":       signedData(data, signerInfo(1, sid, sorted(ctAttr, mdAttr, noSeconds))),
		"fail/version-3-with-issuer-and-serial":   signedData(data, signerInfo(3, sid, good)),
		"fail/version-1-with-subject-key-id":      signedData(data, signerInfo(1, tlv(0x80, []byte{1}), good)),
		"fail/element-after-unsigned-attributes":  signedData(data, signerInfo(1, sid, good, tlv(tagContext1, mdAttr), mustMarshal(1))),
		"fail/tst-info-without-signed-attributes": signedData(mustMarshal(OIDTSTInfo), signerInfo(1, sid, nil)),
		"fail/signer-info-not-a-sequence":         signedData(data, tlv(tagSet)),
		"fail/signed-attributes-indefinite":       signedData(data, indef(tlv(tagSequence, mustMarshal(1), sid, sha256ID, indef(tlv(tagContext0, good...)), ecdsaID, sig))),
		"fail/signed-attribute-value-indefinite":  signedData(data, signerInfo(1, sid, sorted(ctAttr, mdAttr, indef(stAttr)))),
		"fail/indefinite-primitive":               signedData(data, signerInfo(1, sid, good), []byte{0x04, 0x80, 0x00, 0x00}),
		"fail/indefinite-unterminated":            indef(signedData(data, signerInfo(1, sid, good)))[:200],
		"fail/content-segment-not-octet-string":   signedData(slices.Concat(data, tlv(tagContext0, tlv(0x24, tlv(0x0c, []byte("x"))))), signerInfo(1, sid, good)),
		"fail/content-segments-nested-too-deep":   signedData(slices.Concat(data, tlv(tagContext0, nest(0x24, maxBERDepth+1, tlv(tagOctetString, []byte("x"))))), signerInfo(1, sid, good)),
		"fail/indefinite-nested-too-deep":         nestIndef(maxBERDepth + 1),
	} {
		t.Run(name, func(t *testing.T) {
			sd, err := Parse(der)
			if !errors.Is(err, ErrMalformed) || sd != nil {
				t.Fatalf("got %+v, %v; want ErrMalformed", sd, err)
			}
			t.Log(err)
		})
	}
}

// Signing times outside 1950–2049 are GeneralizedTime (RFC 5652 §11.3).
func TestSigningTimeEncoding(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1949, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		rv := elementOf(t, encodeTime(at))
		got, err := parseTime(rv)
		if err != nil || !got.Equal(at) {
			t.Errorf("%v: got %v, %v", at, got, err)
		}
		wantTag := 23
		if at.Year() < 1950 || at.Year() >= 2050 {
			wantTag = 24
		}
		if rv.Tag != wantTag {
			t.Errorf("%v: tag %d", at, rv.Tag)
		}
	}
}

func elementOf(t *testing.T, der []byte) asn1.RawValue {
	t.Helper()
	els, err := elements(der)
	if err != nil || len(els) != 1 {
		t.Fatalf("%x: %v", der, err)
	}
	return els[0]
}

// indef re-encodes a DER constructed value with a low tag number with an
// indefinite length (X.690 §8.1.3.6).
func indef(der []byte) []byte {
	els, err := elements(der)
	if err != nil || len(els) != 1 {
		panic("indef: not one element")
	}
	return slices.Concat([]byte{der[0], 0x80}, els[0].Bytes, []byte{0, 0})
}

// nest wraps inner in n constructed values with tag.
func nest(tag byte, n int, inner []byte) []byte {
	for range n {
		inner = tlv(tag, inner)
	}
	return inner
}

// nestIndef is n SEQUENCEs with indefinite lengths, one inside the other.
func nestIndef(n int) []byte {
	b := slices.Repeat([]byte{0x30, 0x80}, n)
	return append(b, make([]byte, 2*n)...)
}

// nestTLV encodes what tlv nested level by level encodes, for contents
// on both sides of every length form's bounds.
func TestNestTLVIsTLV(t *testing.T) {
	for _, n := range []int{0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x10001} {
		inner := bytes.Repeat([]byte{0x5a}, n)
		want := tlv(tagSequence, []byte{0x02, 0x01, 0x01}, tlv(tagContext0, tlv(tagSet, inner), nil), tlv(tagOctetString, inner))
		v := nestTLV(tagSequence, rawTLV([]byte{0x02, 0x01, 0x01}), nestTLV(tagContext0, nestTLV(tagSet, rawTLV(inner)), rawTLV(nil)), rawTLV(tlv(tagOctetString, inner)))
		got := v.encode()
		if !bytes.Equal(got, want) || v.size() != len(want) || cap(got) != len(want) {
			t.Fatalf("content of %d bytes: %d bytes (size %d, capacity %d), want %d the same", n, len(got), v.size(), cap(got), len(want))
		}
	}
}

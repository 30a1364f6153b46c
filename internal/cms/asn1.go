package cms

import (
	"crypto"
	_ "crypto/sha1" // ESSCertID (RFC 2634 §5.4.1) hashes certificates with SHA-1
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Object identifiers of content types and attributes. They are variables
// because encoding/asn1 wants slices; do not modify them.
var (
	OIDData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}        // RFC 5652 §4
	OIDSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}        // RFC 5652 §5.1
	OIDTSTInfo    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4} // RFC 3161 §2.4.2

	OIDAttributeContentType             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}         // RFC 5652 §11.1
	OIDAttributeMessageDigest           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}         // RFC 5652 §11.2
	OIDAttributeSigningTime             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}         // RFC 5652 §11.3
	OIDAttributeSigningCertificate      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12} // RFC 2634 §5.4
	OIDAttributeSigningCertificateV2    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47} // RFC 5035 §3
	OIDAttributeSignatureTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14} // RFC 3161 appendix A; ETSI EN 319 122-1 §5.3
)

// Signature algorithms (RFC 3370 §3.2, RFC 4055, RFC 5754 §3, RFC 5758 §3.2,
// RFC 8419 §2.3).
var (
	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidMD5WithRSA      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}
	oidSHA1WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidMGF1            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidRSASSAPSS       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidEd25519         = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// Digest algorithms (RFC 5754 §2, RFC 3370 §2). MD5 and SHA-1 are recognised
// so that they can be reported and refused, not used.
var hashOIDs = []struct {
	h   crypto.Hash
	oid asn1.ObjectIdentifier
}{
	{crypto.MD5, asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}},
	{crypto.SHA1, asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}},
	{crypto.SHA224, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}},
	{crypto.SHA256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}},
	{crypto.SHA384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}},
	{crypto.SHA512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}},
}

// hashFromOID returns the hash an OID names, or 0 when it is unknown.
func hashFromOID(oid asn1.ObjectIdentifier) crypto.Hash {
	for _, e := range hashOIDs {
		if e.oid.Equal(oid) {
			return e.h
		}
	}
	return 0
}

func hashOID(h crypto.Hash) asn1.ObjectIdentifier {
	for _, e := range hashOIDs {
		if e.h == h {
			return e.oid
		}
	}
	return nil
}

// checkHash refuses what may not be used as a digest algorithm: unknown
// algorithms, and MD5 and SHA-1, which ETSI TS 119 312 no longer allows for
// signatures.
func checkHash(h crypto.Hash) error {
	switch h {
	case crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512:
		return nil
	case crypto.MD5, crypto.SHA1:
		return fmt.Errorf("%w: %v", ErrWeakAlgorithm, h)
	case 0:
		return fmt.Errorf("%w: unknown digest algorithm", ErrUnsupportedAlgorithm)
	}
	return fmt.Errorf("%w: %v", ErrUnsupportedAlgorithm, h)
}

// signatureAlgorithms maps the signature algorithms this package writes to
// their identifiers: sha*WithRSAEncryption with NULL parameters (RFC 5754
// §3.2), ecdsa-with-SHA* with absent parameters (RFC 5758 §3.2), id-Ed25519
// with absent parameters (RFC 8419 §2.3).
var signatureAlgorithms = map[x509.SignatureAlgorithm]struct {
	oid  asn1.ObjectIdentifier
	null bool
}{
	x509.SHA256WithRSA:   {oidSHA256WithRSA, true},
	x509.SHA384WithRSA:   {oidSHA384WithRSA, true},
	x509.SHA512WithRSA:   {oidSHA512WithRSA, true},
	x509.ECDSAWithSHA256: {oidECDSAWithSHA256, false},
	x509.ECDSAWithSHA384: {oidECDSAWithSHA384, false},
	x509.ECDSAWithSHA512: {oidECDSAWithSHA512, false},
	x509.PureEd25519:     {oidEd25519, false},
}

// signatureHash is the hash a signature algorithm signs with; for Ed25519 the
// digest algorithm RFC 8419 §3.1 requires with signed attributes.
func signatureHash(alg x509.SignatureAlgorithm) crypto.Hash {
	switch alg {
	case x509.MD5WithRSA:
		return crypto.MD5
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1:
		return crypto.SHA1
	case x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256:
		return crypto.SHA256
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		return crypto.SHA384
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512, x509.PureEd25519:
		return crypto.SHA512
	}
	return 0
}

// signatureAlgorithm maps a SignerInfo's signatureAlgorithm to crypto/x509's
// names, so that Certificate.CheckSignature also enforces the key type. CMS
// may name only the key type (rsaEncryption, RFC 3370 §3.2; id-ecPublicKey,
// RFC 5753 §2.1.1), with the hash then taken from the digest algorithm h.
// Unknown algorithms give UnknownSignatureAlgorithm, not an error: Parse
// reports them and VerifySignature refuses them. Parameters that contradict
// the algorithm are malformed. For RSASSA-PSS it also returns the salt length.
func signatureAlgorithm(a pkix.AlgorithmIdentifier, h crypto.Hash) (x509.SignatureAlgorithm, int, error) {
	byHash := func(m map[crypto.Hash]x509.SignatureAlgorithm) x509.SignatureAlgorithm { return m[h] }
	switch o := a.Algorithm; {
	case o.Equal(oidRSAEncryption):
		if !absentOrNull(a.Parameters) {
			return 0, 0, malformed("parameters for rsaEncryption")
		}
		return byHash(map[crypto.Hash]x509.SignatureAlgorithm{
			crypto.MD5: x509.MD5WithRSA, crypto.SHA1: x509.SHA1WithRSA, crypto.SHA256: x509.SHA256WithRSA,
			crypto.SHA384: x509.SHA384WithRSA, crypto.SHA512: x509.SHA512WithRSA,
		}), 0, nil
	case o.Equal(oidECPublicKey):
		// Some signers put the named curve here; it says nothing about the hash.
		return byHash(map[crypto.Hash]x509.SignatureAlgorithm{
			crypto.SHA1: x509.ECDSAWithSHA1, crypto.SHA256: x509.ECDSAWithSHA256,
			crypto.SHA384: x509.ECDSAWithSHA384, crypto.SHA512: x509.ECDSAWithSHA512,
		}), 0, nil
	case o.Equal(oidRSASSAPSS):
		return pssAlgorithm(a.Parameters)
	}
	for _, e := range []struct {
		oid  asn1.ObjectIdentifier
		alg  x509.SignatureAlgorithm
		null bool // NULL parameters allowed (RSA: required by RFC 4055, tolerated absent)
	}{
		{oidMD5WithRSA, x509.MD5WithRSA, true},
		{oidSHA1WithRSA, x509.SHA1WithRSA, true},
		{oidSHA256WithRSA, x509.SHA256WithRSA, true},
		{oidSHA384WithRSA, x509.SHA384WithRSA, true},
		{oidSHA512WithRSA, x509.SHA512WithRSA, true},
		{oidECDSAWithSHA1, x509.ECDSAWithSHA1, true},
		{oidECDSAWithSHA256, x509.ECDSAWithSHA256, true},
		{oidECDSAWithSHA384, x509.ECDSAWithSHA384, true},
		{oidECDSAWithSHA512, x509.ECDSAWithSHA512, true},
		{oidEd25519, x509.PureEd25519, false},
	} {
		if !a.Algorithm.Equal(e.oid) {
			continue
		}
		if len(a.Parameters.FullBytes) != 0 && !(e.null && absentOrNull(a.Parameters)) {
			return 0, 0, malformed("parameters for %v", a.Algorithm)
		}
		return e.alg, 0, nil
	}
	return x509.UnknownSignatureAlgorithm, 0, nil
}

// pssAlgorithm reads RSASSA-PSS-params (RFC 4055 §3.1) and accepts SHA-2
// with MGF1 over the same hash and the trailer field 1 (RFC 4056 §3), with
// the salt length it declares (OpenSSL uses the longest the key allows).
// Other combinations are valid PSS that this package does not verify, so they
// give UnknownSignatureAlgorithm.
func pssAlgorithm(params asn1.RawValue) (x509.SignatureAlgorithm, int, error) {
	if !isSequence(params) {
		return 0, 0, malformed("rsassa-pss parameters are not a sequence")
	}
	els, err := elements(params.Bytes)
	if err != nil {
		return 0, 0, err
	}
	hash, mgfHash, salt, trailer := crypto.SHA1, crypto.SHA1, int64(20), int64(1) // the DEFAULTs
	next := 0
	explicit := func(tag int) (asn1.RawValue, bool, error) {
		if next >= len(els) || !isContext(els[next], tag, true) {
			return asn1.RawValue{}, false, nil
		}
		inner, err := one(els[next].Bytes)
		next++
		return inner, true, err
	}
	if rv, ok, err := explicit(0); err != nil {
		return 0, 0, err
	} else if ok {
		a, err := parseAlgorithm(rv)
		if err != nil {
			return 0, 0, err
		}
		hash = hashFromOID(a.Algorithm)
	}
	if rv, ok, err := explicit(1); err != nil {
		return 0, 0, err
	} else if ok {
		a, err := parseAlgorithm(rv)
		if err != nil {
			return 0, 0, err
		}
		if !a.Algorithm.Equal(oidMGF1) {
			return x509.UnknownSignatureAlgorithm, 0, nil
		}
		inner, err := parseAlgorithm(a.Parameters)
		if err != nil {
			return 0, 0, err
		}
		mgfHash = hashFromOID(inner.Algorithm)
	}
	for _, f := range []struct {
		tag int
		v   *int64
	}{{2, &salt}, {3, &trailer}} {
		rv, ok, err := explicit(f.tag)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			if err := decode(rv, f.v, "rsassa-pss parameters"); err != nil {
				return 0, 0, err
			}
		}
	}
	if next != len(els) {
		return 0, 0, malformed("rsassa-pss parameters: unexpected element")
	}
	if hash != mgfHash || trailer != 1 || salt < 0 || salt > 1<<16 {
		return x509.UnknownSignatureAlgorithm, 0, nil
	}
	switch hash {
	case crypto.SHA256:
		return x509.SHA256WithRSAPSS, int(salt), nil
	case crypto.SHA384:
		return x509.SHA384WithRSAPSS, int(salt), nil
	case crypto.SHA512:
		return x509.SHA512WithRSAPSS, int(salt), nil
	}
	return x509.UnknownSignatureAlgorithm, 0, nil
}

// DER reading. encoding/asn1 checks the encoding of each value (minimal
// lengths and integers, no indefinite lengths) but silently ignores elements
// past the end of a struct, so structures here are read element by element.
// elements and one read DER; berElements (below) also the BER that
// streaming signers write, where RFC 5652 allows it.

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// elements splits the contents of a constructed value into its elements.
func elements(contents []byte) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(contents) > 0 {
		var rv asn1.RawValue
		rest, err := asn1.Unmarshal(contents, &rv)
		if err != nil {
			return nil, malformed("%v", err)
		}
		out = append(out, rv)
		contents = rest
	}
	return out, nil
}

// BER reading. RFC 5652 §5.1 allows SignedData in BER and only the signed
// attributes must be DER (§5.3), and streaming encoders use that: NSS (as
// in pdfsig) and `openssl cms -stream` write indefinite lengths (X.690
// §8.1.3.6), and openssl cuts encapsulated content into a constructed OCTET
// STRING (X.690 §8.7.3). Parse accepts exactly these two BER forms, in the
// structure around what is signed; every other rule of DER still holds (a
// definite length is minimal, a primitive is never indefinite), so a value
// still has one reading.

// maxBERDepth bounds how deeply indefinite-length values and OCTET STRING
// segments may nest. Streaming encoders nest about six (ContentInfo, [0],
// SignedData, EncapsulatedContentInfo, [0], OCTET STRING); the bound keeps
// the recursion that finds an end-of-contents marker small on any input.
const maxBERDepth = 16

// berElements splits contents like elements, also allowing an indefinite
// length on constructed values with a low tag number (all of CMS's).
func berElements(contents []byte) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(contents) > 0 {
		rv, rest, err := readBER(contents, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, rv)
		contents = rest
	}
	return out, nil
}

// readBER reads one element from b. For an indefinite length, Bytes are the
// contents without the end-of-contents marker and FullBytes include it.
func readBER(b []byte, depth int) (asn1.RawValue, []byte, error) {
	if len(b) < 2 || b[0]&0x20 == 0 || b[0]&0x1f == 0x1f || b[1] != 0x80 {
		var rv asn1.RawValue
		rest, err := asn1.Unmarshal(b, &rv)
		if err != nil {
			return rv, nil, malformed("%v", err)
		}
		return rv, rest, nil
	}
	if depth >= maxBERDepth {
		return asn1.RawValue{}, nil, malformed("indefinite lengths nested deeper than %d", maxBERDepth)
	}
	end := 2
	for {
		if len(b)-end < 2 {
			return asn1.RawValue{}, nil, malformed("indefinite length without end-of-contents")
		}
		if b[end] == 0 && b[end+1] == 0 {
			break
		}
		_, rest, err := readBER(b[end:], depth+1)
		if err != nil {
			return asn1.RawValue{}, nil, err
		}
		end = len(b) - len(rest)
	}
	rv := asn1.RawValue{Class: int(b[0] >> 6), Tag: int(b[0] & 0x1f), IsCompound: true, Bytes: b[2:end:end], FullBytes: b[: end+2 : end+2]}
	return rv, b[end+2:], nil
}

// indefinite reports whether rv was encoded with an indefinite length.
func indefinite(rv asn1.RawValue) bool {
	return len(rv.FullBytes) > 1 && rv.FullBytes[0]&0x1f != 0x1f && rv.FullBytes[1] == 0x80
}

// octetString returns the value of an OCTET STRING: primitive, or in BER
// constructed from OCTET STRING segments (X.690 §8.7.3.2), which may nest.
// The value is never longer than the encoding, so allocation is bounded by
// the input.
func octetString(rv asn1.RawValue, depth int) ([]byte, error) {
	if rv.Class != asn1.ClassUniversal || rv.Tag != asn1.TagOctetString {
		return nil, malformed("not an octet string")
	}
	if !rv.IsCompound {
		if rv.Bytes == nil {
			return []byte{}, nil
		}
		return rv.Bytes, nil
	}
	if depth >= maxBERDepth {
		return nil, malformed("octet string segments nested deeper than %d", maxBERDepth)
	}
	segments, err := berElements(rv.Bytes)
	if err != nil {
		return nil, err
	}
	out := []byte{}
	for _, s := range segments {
		v, err := octetString(s, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return out, nil
}

// one reads exactly one element, as inside an EXPLICIT tag.
func one(contents []byte) (asn1.RawValue, error) {
	els, err := elements(contents)
	if err != nil {
		return asn1.RawValue{}, err
	}
	if len(els) != 1 {
		return asn1.RawValue{}, malformed("%d elements where one is expected", len(els))
	}
	return els[0], nil
}

// decode reads one primitive value (OID, INTEGER, OCTET STRING) from rv.
func decode(rv asn1.RawValue, v any, what string) error {
	rest, err := asn1.Unmarshal(rv.FullBytes, v)
	if err != nil {
		return malformed("%s: %v", what, err)
	}
	if len(rest) != 0 {
		return malformed("%s: trailing data", what)
	}
	return nil
}

func isUniversal(rv asn1.RawValue, tag int, compound bool) bool {
	return rv.Class == asn1.ClassUniversal && rv.Tag == tag && rv.IsCompound == compound
}

func isSequence(rv asn1.RawValue) bool { return isUniversal(rv, asn1.TagSequence, true) }
func isSet(rv asn1.RawValue) bool      { return isUniversal(rv, asn1.TagSet, true) }

func isContext(rv asn1.RawValue, tag int, compound bool) bool {
	return rv.Class == asn1.ClassContextSpecific && rv.Tag == tag && rv.IsCompound == compound
}

// parseAlgorithm reads an AlgorithmIdentifier (RFC 5280 §4.1.1.2).
func parseAlgorithm(rv asn1.RawValue) (pkix.AlgorithmIdentifier, error) {
	if !isSequence(rv) {
		return pkix.AlgorithmIdentifier{}, malformed("algorithm identifier is not a sequence")
	}
	els, err := elements(rv.Bytes)
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	if len(els) < 1 || len(els) > 2 {
		return pkix.AlgorithmIdentifier{}, malformed("algorithm identifier with %d elements", len(els))
	}
	var a pkix.AlgorithmIdentifier
	if err := decode(els[0], &a.Algorithm, "algorithm"); err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	if len(els) == 2 {
		a.Parameters = els[1]
	}
	return a, nil
}

// parseDigestAlgorithm reads a DigestAlgorithmIdentifier: parameters absent
// or NULL (RFC 5754 §2 requires accepting both), the hash 0 when unknown.
func parseDigestAlgorithm(rv asn1.RawValue) (crypto.Hash, error) {
	a, err := parseAlgorithm(rv)
	if err != nil {
		return 0, err
	}
	if !absentOrNull(a.Parameters) {
		return 0, malformed("parameters for digest algorithm %v", a.Algorithm)
	}
	return hashFromOID(a.Algorithm), nil
}

func absentOrNull(p asn1.RawValue) bool {
	return len(p.FullBytes) == 0 || (isUniversal(p, asn1.TagNull, false) && len(p.Bytes) == 0)
}

// parseTime reads a signing-time value strictly as DER (X.690 §11.7, §11.8):
// UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ, in UTC with
// seconds. RFC 5652 §11.3 forbids fractions of seconds here.
func parseTime(rv asn1.RawValue) (time.Time, error) {
	var layout string
	switch {
	case isUniversal(rv, asn1.TagUTCTime, false) && len(rv.Bytes) == 13:
		layout = "060102150405Z"
	case isUniversal(rv, asn1.TagGeneralizedTime, false) && len(rv.Bytes) == 15:
		layout = "20060102150405Z"
	default:
		return time.Time{}, malformed("signing time is not a der utctime or generalizedtime")
	}
	s := string(rv.Bytes)
	if strings.IndexFunc(s[:len(s)-1], func(r rune) bool { return r < '0' || r > '9' }) >= 0 || s[len(s)-1] != 'Z' {
		return time.Time{}, malformed("signing time %q", s)
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, malformed("signing time %q", s)
	}
	if layout[0] == '0' && t.Year() >= 2050 { // X.509 convention (RFC 5280 §4.1.2.5.1): YY ≥ 50 is 19YY
		t = t.AddDate(-100, 0, 0)
	}
	return t, nil
}

// DER writing: the structure is assembled from TLVs here and the primitive
// values come from encoding/asn1.

// tlv encodes one value with a low tag number (X.690 §8.1.2.2) from its parts.
func tlv(tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := appendHeader(make([]byte, 0, n+6), tag, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// appendHeader appends the tag and the definite length n (X.690 §8.1.3).
func appendHeader(b []byte, tag byte, n int) []byte {
	b = append(b, tag)
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 1<<8:
		return append(b, 0x81, byte(n))
	case n < 1<<16:
		return append(b, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// nestedTLV is a value like tlv's whose parts may be nested values, encoded
// once, by encode: SignedData holds the signer info, the certificates and
// the time-stamp token four levels down, which tlv would copy at each.
type nestedTLV struct {
	tag   byte   // 0 (end-of-contents, never a value's tag here): raw
	raw   []byte // written as it is
	parts []nestedTLV
	n     int // the content's length
}

// rawTLV is an encoded value (or nil: nothing) as a part of nestTLV.
func rawTLV(b []byte) nestedTLV { return nestedTLV{raw: b, n: len(b)} }

func nestTLV(tag byte, parts ...nestedTLV) nestedTLV {
	n := 0
	for _, p := range parts {
		n += p.size()
	}
	return nestedTLV{tag: tag, parts: parts, n: n}
}

// size is the encoded length: tag, length and content (appendHeader).
func (v nestedTLV) size() int {
	if v.tag == 0 {
		return v.n
	}
	var header [6]byte
	return len(appendHeader(header[:0], v.tag, v.n)) + v.n
}

func (v nestedTLV) appendTo(b []byte) []byte {
	if v.tag == 0 {
		return append(b, v.raw...)
	}
	b = appendHeader(b, v.tag, v.n)
	for _, p := range v.parts {
		b = p.appendTo(b)
	}
	return b
}

func (v nestedTLV) encode() []byte { return v.appendTo(make([]byte, 0, v.size())) }

const (
	tagSequence    = 0x30
	tagSet         = 0x31
	tagOctetString = 0x04
	tagContext0    = 0xa0 // [0] constructed
	tagContext1    = 0xa1 // [1] constructed
	tagContext4    = 0xa4 // [4] constructed: directoryName in GeneralName
)

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		// Only called with OIDs of two or more arcs, ints and non-nil big.Ints.
		panic(fmt.Sprintf("cms: encode %T: %v", v, err))
	}
	return b
}

// algorithmID encodes an AlgorithmIdentifier with absent or NULL parameters.
func algorithmID(oid asn1.ObjectIdentifier, null bool) []byte {
	if null {
		return tlv(tagSequence, mustMarshal(oid), []byte{0x05, 0x00})
	}
	return tlv(tagSequence, mustMarshal(oid))
}

func marshalOID(oid asn1.ObjectIdentifier) ([]byte, error) {
	b, err := asn1.Marshal(oid)
	if err != nil {
		return nil, fmt.Errorf("cms: object identifier %v: %w", oid, err)
	}
	return b, nil
}

func marshalInt(n *big.Int) ([]byte, error) {
	if n == nil {
		return nil, fmt.Errorf("cms: missing serial number")
	}
	return asn1.Marshal(n)
}

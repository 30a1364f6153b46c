package tsp

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// RFC 3161 §2.4.1: TimeStampReq.
type request struct {
	Version        int
	MessageImprint messageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional"`
	Extensions     []pkix.Extension      `asn1:"optional,tag:0"`
}

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

// RFC 3161 §2.4.2: TimeStampResp and PKIStatusInfo.
type response struct {
	Status         pkiStatusInfo
	TimeStampToken asn1.RawValue `asn1:"optional"`
}

// StatusString is PKIFreeText, a SEQUENCE OF UTF8String: raw values, because
// encoding/asn1 cannot be told to marshal a []string as UTF8String.
type pkiStatusInfo struct {
	Status       int
	StatusString []asn1.RawValue `asn1:"optional"`
	FailInfo     asn1.BitString  `asn1:"optional"`
}

func freeText(lines ...string) []asn1.RawValue {
	var out []asn1.RawValue
	for _, l := range lines {
		out = append(out, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(l)})
	}
	return out
}

// text returns the PKIFreeText lines, skipping anything not a UTF8String. The
// text comes from the TSA and ends up in errors and logs, so it is cut to 200
// characters and stripped of control characters.
func (s pkiStatusInfo) text() []string {
	var out []string
	for _, rv := range s.StatusString {
		if rv.Class != asn1.ClassUniversal || rv.Tag != asn1.TagUTF8String || !utf8.Valid(rv.Bytes) {
			continue
		}
		line := []rune(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, string(rv.Bytes)))
		if len(line) > 200 {
			line = append(line[:200], '…')
		}
		out = append(out, string(line))
	}
	return out
}

// RFC 3161 §2.4.2: TSTInfo. genTime is kept raw because encoding/asn1 refuses
// the fractional seconds that RFC 3161 allows; see parseGenTime.
type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        asn1.RawValue
	Accuracy       accuracy         `asn1:"optional"`
	Ordering       bool             `asn1:"optional"`
	Nonce          *big.Int         `asn1:"optional"`
	TSA            asn1.RawValue    `asn1:"optional,tag:0"` // the [0] EXPLICIT wrapper, see contentInfo
	Extensions     []pkix.Extension `asn1:"optional,tag:1"`
}

// RFC 3161 §2.4.2: Accuracy; millis and micros are 1..999 when present.
type accuracy struct {
	Seconds int64 `asn1:"optional"`
	Millis  int64 `asn1:"optional,tag:0"`
	Micros  int64 `asn1:"optional,tag:1"`
}

func makeImprint(h crypto.Hash, digest []byte) (messageImprint, error) {
	oid, err := hashOID(h)
	if err != nil {
		return messageImprint{}, err
	}
	return messageImprint{
		HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue},
		HashedMessage: digest,
	}, nil
}

// hash returns the imprint's algorithm, refusing weak ones and parameters
// other than absent or NULL (RFC 5754 §2 allows both).
func (m messageImprint) hash() (crypto.Hash, error) {
	if err := checkAlgParams(m.HashAlgorithm); err != nil {
		return 0, err
	}
	return hashFromOID(m.HashAlgorithm.Algorithm)
}

func checkAlgParams(a pkix.AlgorithmIdentifier) error {
	p := a.Parameters
	if len(p.FullBytes) == 0 || (p.Class == asn1.ClassUniversal && p.Tag == asn1.TagNull && len(p.Bytes) == 0) {
		return nil
	}
	return fmt.Errorf("%w: unexpected parameters for %v", ErrMalformed, a.Algorithm)
}

func encodeAccuracy(d time.Duration) accuracy {
	if d <= 0 {
		return accuracy{}
	}
	if d < time.Microsecond {
		d = time.Microsecond
	}
	return accuracy{
		Seconds: int64(d / time.Second),
		Millis:  int64(d % time.Second / time.Millisecond),
		Micros:  int64(d % time.Millisecond / time.Microsecond),
	}
}

// maxAccuracySeconds bounds the declared accuracy so that it fits a Duration;
// a TSA that cannot place its time within a day has no use here anyway.
const maxAccuracySeconds = 86400

func (a accuracy) duration() (time.Duration, error) {
	if a.Seconds < 0 || a.Seconds > maxAccuracySeconds || a.Millis < 0 || a.Millis > 999 || a.Micros < 0 || a.Micros > 999 {
		return 0, fmt.Errorf("%w: accuracy out of range", ErrMalformed)
	}
	return time.Duration(a.Seconds)*time.Second + time.Duration(a.Millis)*time.Millisecond + time.Duration(a.Micros)*time.Microsecond, nil
}

// encodeGenTime writes a GeneralizedTime in UTC with as many fractional digits
// as the accuracy calls for and no trailing zeros (RFC 3161 §2.4.2: "MUST
// include seconds", the fraction "MUST NOT include trailing zeros"); it returns
// the time as encoded, so the issuer and the token agree to the digit.
func encodeGenTime(t time.Time, acc time.Duration) (asn1.RawValue, time.Time) {
	t = t.UTC()
	digits := 0
	for unit := time.Second; digits < 6 && acc > 0 && acc < unit; unit /= 10 {
		digits++
	}
	step := time.Second
	for range digits {
		step /= 10
	}
	t = t.Truncate(step)
	s := t.Format("20060102150405")
	if frac := t.Nanosecond(); frac != 0 {
		f := strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
		s += "." + f
	}
	s += "Z"
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagGeneralizedTime, Bytes: []byte(s)}, t
}

// parseGenTime reads the GeneralizedTime profile of RFC 3161 §2.4.2:
// YYYYMMDDhhmmss[.s...]Z, UTC, no trailing zeros in the fraction.
func parseGenTime(rv asn1.RawValue) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%w: gentime %s", ErrMalformed, why)
	}
	if rv.Class != asn1.ClassUniversal || rv.Tag != asn1.TagGeneralizedTime || rv.IsCompound {
		return bad("is not a generalizedtime")
	}
	s := string(rv.Bytes)
	if len(s) < 15 || s[len(s)-1] != 'Z' {
		return bad("is not utc with seconds")
	}
	base, frac := s[:14], s[14:len(s)-1]
	for _, c := range base {
		if c < '0' || c > '9' {
			return bad("has a non-digit")
		}
	}
	t, err := time.Parse("20060102150405", base)
	if err != nil {
		return bad("is not a valid date")
	}
	if frac == "" {
		return t, nil
	}
	if frac[0] != '.' || len(frac) < 2 || frac[len(frac)-1] == '0' {
		return bad("has a malformed fraction")
	}
	frac = frac[1:]
	for _, c := range frac {
		if c < '0' || c > '9' {
			return bad("has a malformed fraction")
		}
	}
	if len(frac) > 9 {
		frac = frac[:9] // below a nanosecond: not representable, and no TSA is that accurate
	}
	ns, err := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
	if err != nil {
		return bad("has a malformed fraction")
	}
	return t.Add(time.Duration(ns)), nil
}

// bitString encodes a FailureInfo as a DER named bit string: trailing zero bits
// removed (X.690 §11.2.2).
func (f FailureInfo) bitString() asn1.BitString {
	if f == 0 {
		return asn1.BitString{}
	}
	n := 32 - bits.LeadingZeros32(uint32(f)) // highest set bit + 1, as a bit count
	bs := asn1.BitString{Bytes: make([]byte, (n+7)/8), BitLength: n}
	for i := range n {
		if f&(1<<i) != 0 {
			bs.Bytes[i/8] |= 0x80 >> (i % 8)
		}
	}
	return bs
}

func failureInfoFromBits(bs asn1.BitString) FailureInfo {
	var f FailureInfo
	for i := 0; i < bs.BitLength && i < 32; i++ {
		if bs.At(i) == 1 {
			f |= 1 << i
		}
	}
	return f
}

// unmarshalDER decodes exactly one DER value, refusing trailing bytes.
func unmarshalDER(b []byte, v any, what string) error {
	rest, err := asn1.Unmarshal(b, v)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %s: trailing data", ErrMalformed, what)
	}
	return nil
}

// explicit0 wraps an encoding in a [0] EXPLICIT tag.
func explicit0(inner []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}
}

func directoryName(name []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: name}
}

func mustRaw(v any) asn1.RawValue {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err) // only called on values built here from parsed certificates
	}
	return asn1.RawValue{FullBytes: b}
}

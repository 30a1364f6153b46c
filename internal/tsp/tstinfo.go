package tsp

import (
	"encoding/asn1"
	"errors"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// marshal encodes the TSTInfo in DER, byte for byte what asn1.Marshal makes
// of it (TestTSTInfoMarshalIsASN1Marshal), written directly: the authority
// encodes one for every token, and asn1.Marshal's reflection over the
// struct was a tenth of a token's cost. What the authority never issues
// (extensions, a missing serial number, a raw value this cannot write) is
// left to asn1.Marshal, which encodes it or says what is wrong.
func (t *tstInfo) marshal() ([]byte, error) {
	if len(t.Extensions) > 0 || t.SerialNumber == nil {
		return asn1.Marshal(*t)
	}
	b := cryptobyte.NewBuilder(make([]byte, 0, 256))
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(int64(t.Version))
		b.AddASN1ObjectIdentifier(t.Policy)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(t.MessageImprint.HashAlgorithm.Algorithm)
				addRawValue(b, t.MessageImprint.HashAlgorithm.Parameters, true)
			})
			b.AddASN1OctetString(t.MessageImprint.HashedMessage)
		})
		b.AddASN1BigInt(t.SerialNumber)
		addRawValue(b, t.GenTime, false)
		if acc := t.Accuracy; acc != (accuracy{}) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				if acc.Seconds != 0 {
					b.AddASN1Int64(acc.Seconds)
				}
				if acc.Millis != 0 {
					b.AddASN1Int64WithTag(acc.Millis, cbasn1.Tag(0).ContextSpecific())
				}
				if acc.Micros != 0 {
					b.AddASN1Int64WithTag(acc.Micros, cbasn1.Tag(1).ContextSpecific())
				}
			})
		}
		if t.Ordering {
			b.AddASN1Boolean(true)
		}
		if t.Nonce != nil {
			b.AddASN1BigInt(t.Nonce)
		}
		addRawValue(b, t.TSA, true)
	})
	der, err := b.Bytes()
	if err != nil {
		return asn1.Marshal(*t)
	}
	return der, nil
}

// addRawValue writes v as encoding/asn1 does: FullBytes as they are, else
// v's class, tag and Bytes; an optional field's zero value is left out.
func addRawValue(b *cryptobyte.Builder, v asn1.RawValue, optional bool) {
	switch {
	case len(v.FullBytes) != 0:
		b.AddBytes(v.FullBytes)
	case optional && v.Class == 0 && v.Tag == 0 && !v.IsCompound && v.Bytes == nil && v.FullBytes == nil:
	case v.Tag >= 31 || v.Class < 0 || v.Class > 3:
		b.SetError(errors.New("tsp: raw value with a tag out of range"))
	default:
		tag := cbasn1.Tag(v.Tag) | cbasn1.Tag(v.Class)<<6
		if v.IsCompound {
			tag = tag.Constructed()
		}
		b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes(v.Bytes) })
	}
}

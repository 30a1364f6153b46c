package cms

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"slices"
)

// AddUnsignedAttribute returns der, which Parse must accept, with an
// unsigned attribute of type oid and the single value value (one DER
// element) added to signer i: a signature time-stamp obtained after signing
// (id-aa-signatureTimeStampToken, ETSI EN 319 122-1 §5.3), or validation
// data. Unsigned attributes are outside the signature (RFC 5652 §5.3), so
// everything signed is copied byte for byte; the result is DER, which means
// the unsigned attributes and, with several signers, the SignerInfos are
// re-sorted (X.690 §11.6), so signer indexes can change. Zero padding after
// der is dropped. A BER SignedData, which Parse reads, is refused here:
// segl adds attributes only to its own signatures, which are DER.
func AddUnsignedAttribute(der []byte, i int, oid asn1.ObjectIdentifier, value []byte) ([]byte, error) {
	sd, err := Parse(der)
	if err != nil {
		return nil, err
	}
	if sd.ber {
		return nil, malformed("cannot add an attribute to a ber signed data")
	}
	if i < 0 || i >= len(sd.Signers) {
		return nil, fmt.Errorf("cms: no signer %d among %d", i, len(sd.Signers))
	}
	var v asn1.RawValue
	if rest, err := asn1.Unmarshal(value, &v); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("cms: attribute value is not one der element")
	}
	oidDER, err := marshalOID(oid)
	if err != nil {
		return nil, err
	}
	si := sd.Signers[i]
	unsigned := append(slices.Clone(si.unsignedRaw), tlv(tagSequence, oidDER, tlv(tagSet, value)))
	slices.SortFunc(unsigned, bytes.Compare)
	signers := make([][]byte, len(sd.Signers))
	for j, s := range sd.Signers {
		signers[j] = s.raw
	}
	signers[i] = tlv(tagSequence, si.prefix, tlv(tagContext1, unsigned...))
	slices.SortFunc(signers, bytes.Compare)
	out := tlv(tagSequence,
		mustMarshal(OIDSignedData),
		tlv(tagContext0, tlv(tagSequence, sd.prefix, tlv(tagSet, signers...))),
	)
	if _, err := Parse(out); err != nil {
		return nil, fmt.Errorf("cms: with the attribute added: %w", err)
	}
	return out, nil
}

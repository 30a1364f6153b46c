package ceremony

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/xades"
)

// SignerReceipt writes the receipt of a signer who has signed, for them
// to keep (issue 14): a sealed PDF in lang (one of signing.ReceiptLangs;
// another is bokmål) that says what they signed, when, and with which
// eID.
func (s *Service) SignerReceipt(ctx context.Context, w io.Writer, signerID string, id eid.Identity, lang string) error {
	j, signer, err := s.ForSigner(ctx, signerID, id)
	if err != nil {
		return err
	}
	return s.Receipt(ctx, w, j, signer, lang)
}

// Receipt writes a signer's receipt, for a caller that has already
// decided the signer may have it (the signer's own pages, or the delivery
// of the signed documents to their digital mailbox). Its facts are those
// of the signer's evidence, so the receipt says exactly what the evidence
// in the signed documents says.
//
// The evidence is read back by the name the job's record gives it, its
// SHA-256, and its bytes must hash to that name (evidenceBytes): they are
// then the very bytes the signing act made from these facts and signed,
// stored and recorded, the same bytes the signed documents carry. Its
// XML signature is not verified again (xades.ReadFacts, not xades.Verify):
// that would prove nothing more. xades.Verify checks the signature with
// the certificate inside the evidence, not against a trust anchor, so
// whoever could change both the blob store and the record could as well
// sign a replacement with a key of their own; and another act's evidence,
// validly signed, put in place of this one passes the signature check but
// not the digest. What the receipt promises is "this is what segl
// recorded for your act", sealed by segl; what protects the signer
// against segl's own records is the evidence in the signed documents,
// which a validator checks against the trust anchors (segl validate,
// xmlsec1), and the receipt's own seal.
func (s *Service) Receipt(ctx context.Context, w io.Writer, j *job.Job, signer *job.Signer, lang string) error {
	if s.Engine == nil {
		return errs.E(errs.Unavailable, codeSigningUnavailable, "no signing engine is configured")
	}
	if j.Deleted() {
		return ErrDeleted(j.ID)
	}
	if signer.Status != job.SignerSigned || signer.Evidence == "" {
		return errs.E(errs.Conflict, codeNotSignedYet, "signer %s has not signed", signer.ID)
	}
	data, err := s.evidenceBytes(ctx, signer)
	if err != nil {
		return err
	}
	facts, err := xades.ReadFacts(data)
	if err != nil {
		return fmt.Errorf("ceremony: evidence of signer %s: %w", signer.ID, err)
	}
	sender, err := s.SenderName(ctx, j)
	if err != nil {
		return err
	}
	return s.Engine.Receipt(ctx, w, signing.Receipt{Act: facts, SenderName: sender, Reference: j.Reference,
		Advanced: j.SignatureType == job.Advanced, Lang: lang})
}

// evidenceBytes reads a signer's evidence and checks that it is the
// content its record names (job.Signer.EvidenceSum), and nothing else (a
// file changed or replaced on disk) is taken for it.
func (s *Service) evidenceBytes(ctx context.Context, signer *job.Signer) ([]byte, error) {
	o, err := s.openEvidence(ctx, signer)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	if o.Size() > xades.MaxSize {
		return nil, fmt.Errorf("ceremony: evidence of signer %s is %d bytes", signer.ID, o.Size())
	}
	data := make([]byte, o.Size())
	if _, err := o.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("ceremony: read evidence of signer %s: %w", signer.ID, err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != signer.EvidenceSum() {
		return nil, errs.E(errs.Internal, codeEvidenceChanged, "the evidence of signer %s is not the content its record names", signer.ID)
	}
	return data, nil
}

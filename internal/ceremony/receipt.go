package ceremony

import (
	"context"
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
// of the signer's evidence, read back and checked, so the receipt says
// exactly what the evidence in the signed documents says.
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
	o, err := s.Blobs.Open(ctx, signer.Evidence)
	if err != nil {
		return err
	}
	defer o.Close()
	if o.Size() > xades.MaxSize {
		return fmt.Errorf("ceremony: evidence of signer %s is %d bytes", signer.ID, o.Size())
	}
	data, err := io.ReadAll(io.NewSectionReader(o, 0, o.Size()))
	if err != nil {
		return fmt.Errorf("ceremony: read evidence of signer %s: %w", signer.ID, err)
	}
	v, err := xades.Verify(data)
	if err != nil {
		return fmt.Errorf("ceremony: evidence of signer %s: %w", signer.ID, err)
	}
	sender, err := s.SenderName(ctx, j)
	if err != nil {
		return err
	}
	return s.Engine.Receipt(ctx, w, signing.Receipt{Act: v.Facts, SenderName: sender, Reference: j.Reference,
		Advanced: j.SignatureType == job.Advanced, Lang: lang})
}

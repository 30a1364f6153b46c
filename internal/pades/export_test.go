package pades

import (
	"context"

	"github.com/segl/segl/internal/pdf"
)

// FitSlack is what a ContentsFit reserves beyond the largest CMS before.
const FitSlack = fitSlack

// FitAfter is a ContentsFit that has seen a CMS of n bytes at level.
func FitAfter(level Level, n int) *ContentsFit {
	f := &ContentsFit{}
	f.made(level, n)
	return f
}

// FitDocumentTimeStamps has s reserve room as if it had made a document
// time-stamp of n bytes.
func FitDocumentTimeStamps(s *Sealer, n int) { s.docTimeStamps.made(BB, n) }

// ValidationData is the DSS extend writes for info: gathered from its CMS
// parsed back, or, with token set, as Seal gathers it for the signature
// it has just made with s's key, whose signature time-stamp is token.
func ValidationData(ctx context.Context, s *Sealer, info pdf.SignatureInfo, token []byte) (pdf.DSS, error) {
	sig := signature{info: info}
	if token != nil {
		sig.signers = madeSigners(s.Cert, s.Chain, token)
	}
	return s.validationData(ctx, []signature{sig})
}

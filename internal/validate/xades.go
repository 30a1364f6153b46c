package validate

import (
	"errors"
	"time"

	"github.com/segl/segl/internal/tsp"
	"github.com/segl/segl/internal/xades"
)

// XAdES validates one of segl's evidence files (an enveloping XAdES
// signature): the XML signature and its signed properties, the signature
// time-stamp as proof of existence, and the signer's path and revocation at
// that time from the embedded B-LT values.
func XAdES(data []byte, opts Options) *Report {
	at := opts.At
	if at.IsZero() {
		at = time.Now()
	}
	report := &Report{ValidationTime: at}
	s := Signature{Field: "evidence", Kind: "xades"}
	defer func() {
		report.Signatures = []Signature{s}
		report.Indication = s.Result.Indication
	}()
	v, err := xades.Verify(data)
	if err != nil {
		switch {
		case errors.Is(err, xades.ErrDigest):
			s.Result = failed(HashFailure, "%v", err)
		case errors.Is(err, xades.ErrSigningCertificate):
			s.Result = indeterminate(NoSigningCertificateFound, "%v", err) // as for PDF signatures
		case errors.Is(err, xades.ErrSignature), errors.Is(err, xades.ErrTimeStamp):
			s.Result = failed(SigCryptoFailure, "%v", err)
		default:
			s.Result = failed(FormatFailure, "%v", err)
		}
		return report
	}
	cert := describe(v.Certificate)
	s.Signer = &cert
	claimed := v.SigningTime
	s.ClaimedSigningTime = &claimed
	ev := Evidence{Certs: v.Chain, OCSPs: v.Validation.OCSPs, CRLs: v.Validation.CRLs}
	for _, der := range v.Validation.Certs {
		if c, err := parseCert(der); err == nil {
			ev.Certs = append(ev.Certs, c)
		}
	}
	best := at
	if v.TimeStampToken != nil {
		// xades.Verify has checked that the token covers the canonical
		// SignatureValue; here the token's own signature and TSA path.
		if parsed, err := tsp.Parse(v.TimeStampToken); err == nil {
			ev.Certs = append(ev.Certs, parsed.Chain...)
			info, ts := checkTimeStamp(v.TimeStampToken, parsed.Hash, parsed.Digest, opts.Roots, ev, at)
			s.TimeStamps = append(s.TimeStamps, ts)
			if info != nil {
				best = info.GenTime
			} else {
				s.Warnings = append(s.Warnings, "signature time-stamp: "+ts.Result.Detail)
			}
		}
	}
	s.BestSignatureTime = &best
	_, res, warnings := validatePath(pathCheck{leaf: v.Certificate, roots: opts.Roots, evidence: ev, at: best, requireRevocation: true})
	s.Warnings = append(s.Warnings, warnings...)
	s.Result = res
	return report
}

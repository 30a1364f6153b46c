package validate

import (
	"crypto"
	"crypto/x509"
	"errors"
	"time"

	"github.com/segl/segl/internal/tsp"
)

// TimeStamp is what a report says about one time-stamp token.
type TimeStamp struct {
	GenTime time.Time   `json:"gen_time"`
	TSA     Certificate `json:"tsa"`
	Result  Result      `json:"result"`
}

// checkTimeStamp verifies a token over digest with its TSA chain valid at
// at: genTime itself when nothing later vouches for the token, or the
// genTime of a later time-stamp that covers it (the LTA chain of EN 319 102-1
// §5.6.2.4), so tokens stay valid after their TSA certificate expires.
func checkTimeStamp(token []byte, h crypto.Hash, digest []byte, roots *x509.CertPool, ev Evidence, at time.Time) (*tsp.Info, TimeStamp) {
	inter := x509.NewCertPool()
	for _, c := range ev.Certs {
		inter.AddCert(c)
	}
	info, err := tsp.Verify(token, h, digest, tsp.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at})
	if err != nil {
		ts := TimeStamp{Result: timeStampFailure(err)}
		if parsed, perr := tsp.Parse(token); perr == nil {
			ts.GenTime = parsed.GenTime
			if parsed.Certificate != nil {
				ts.TSA = describe(parsed.Certificate)
				if errors.Is(err, tsp.ErrOutsideValidity) && parsed.GenTime.Before(parsed.Certificate.NotBefore) {
					// A token dated before its TSA certificate was issued
					// (EN 319 102-1 table 5: NOT_YET_VALID).
					ts.Result = failed(NotYetValid, "time-stamp made before its certificate was valid: %v", err)
				}
			}
		}
		return nil, ts
	}
	ts := TimeStamp{GenTime: info.GenTime, Result: passed()}
	if info.Certificate != nil {
		ts.TSA = describe(info.Certificate)
	}
	return info, ts
}

// timeStampFailure classifies a failed token check.
func timeStampFailure(err error) Result {
	switch {
	case errors.Is(err, tsp.ErrImprint):
		return failed(HashFailure, "time-stamp does not cover this data: %v", err)
	case errors.Is(err, tsp.ErrChain):
		var invalid x509.CertificateInvalidError
		if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
			return indeterminate(OutOfBoundsNoPOE, "time-stamp certificate not valid at the time it must be: %v", err)
		}
		return indeterminate(NoCertificateChainFound, "time-stamp: %v", err)
	}
	return failed(SigCryptoFailure, "time-stamp: %v", err)
}

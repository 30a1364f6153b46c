package tsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"time"
)

// maxResponseBody bounds a TimeStampResp: a token with a chain of a few
// certificates is a few KiB.
const maxResponseBody = 1 << 20

var defaultHTTP = &http.Client{Timeout: 10 * time.Second}

// Client asks a remote TSA over HTTP (RFC 3161 §3.4) and returns a token only
// after checking the whole response; see Stamp for the checklist.
type Client struct {
	URL string
	// HTTP is the client to send with; nil means one with a 10 s timeout.
	HTTP *http.Client
	// Roots are the trust anchors for the TSA certificate chain. Required.
	Roots *x509.CertPool
	// Intermediates are optional extra intermediates.
	Intermediates *x509.CertPool
	// Policy, if set, is sent as reqPolicy and the TSTInfo policy must equal it.
	Policy asn1.ObjectIdentifier
	// Skew is how far the TSA's genTime may lie outside the interval in which
	// the request was in flight, beyond the declared accuracy; zero means 5 s.
	Skew time.Duration
}

// Stamp asks for a token over digest and returns it only when every check
// passes, each failing with its own error:
//
//   - the hash is SHA-256, SHA-384 or SHA-512 (ErrWeakHash);
//   - HTTP status 200 (ErrHTTPStatus) and media type application/timestamp-reply
//     (ErrContentType; the pre-RFC application/timestamp-response is tolerated);
//   - PKIStatus granted or grantedWithMods (*StatusError, ErrRejected);
//   - a DER TimeStampResp with a token (ErrMalformed);
//   - everything Verify checks, with our random 64-bit nonce required back
//     (ErrNonceMissing, ErrNonceMismatch; RFC 3161 §2.4.2) and the chain
//     validated at genTime;
//   - genTime within the time the request was in flight, widened by the
//     declared accuracy and Skew (ErrGenTime): a TSA whose clock is off, or
//     that answers with an old token, is refused.
func (c *Client) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	if err := checkDigest(h, digest); err != nil {
		return nil, err
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("tsp: nonce: %w", err)
	}
	imprint, err := makeImprint(h, digest)
	if err != nil {
		return nil, err
	}
	query, err := asn1.Marshal(request{
		Version:        1,
		MessageImprint: imprint,
		ReqPolicy:      c.Policy,
		Nonce:          nonce,
		CertReq:        true,
	})
	if err != nil {
		return nil, fmt.Errorf("tsp: encode request: %w", err)
	}
	sent := time.Now()
	body, err := c.post(ctx, query)
	if err != nil {
		return nil, err
	}
	received := time.Now()
	tok, err := parseResponse(body)
	if err != nil {
		return nil, err
	}
	info, err := Verify(tok, h, digest, VerifyOptions{
		Roots:         c.Roots,
		Intermediates: c.Intermediates,
		Nonce:         nonce,
		Policy:        c.Policy,
	})
	if err != nil {
		return nil, err
	}
	skew := c.Skew
	if skew <= 0 {
		skew = defaultSkew
	}
	margin := info.Accuracy + skew
	if info.GenTime.Before(sent.Add(-margin)) || info.GenTime.After(received.Add(margin)) {
		return nil, fmt.Errorf("%w: gentime %v outside the request window %v to %v (±%v)",
			ErrGenTime, info.GenTime.UTC(), sent.UTC(), received.UTC(), margin)
	}
	return tok, nil
}

func (c *Client) post(ctx context.Context, query []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(query))
	if err != nil {
		return nil, fmt.Errorf("tsp: request: %w", err)
	}
	req.Header.Set("Content-Type", queryType)
	req.Header.Set("Accept", replyType)
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("tsp: post to tsa: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s", ErrHTTPStatus, resp.Status)
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || (mt != replyType && mt != "application/timestamp-response") {
		return nil, fmt.Errorf("%w: %q", ErrContentType, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return nil, fmt.Errorf("tsp: read response: %w", err)
	}
	if len(body) > maxResponseBody {
		return nil, fmt.Errorf("%w: response larger than %d bytes", ErrMalformed, maxResponseBody)
	}
	return body, nil
}

// parseResponse returns the token of a granted TimeStampResp (RFC 3161
// §2.4.2), or a *StatusError.
func parseResponse(b []byte) ([]byte, error) {
	var resp response
	if err := unmarshalDER(b, &resp, "response"); err != nil {
		return nil, err
	}
	switch s := Status(resp.Status.Status); s {
	case Granted, GrantedWithMods:
	default:
		return nil, &StatusError{Status: s, FailInfo: failureInfoFromBits(resp.Status.FailInfo), Text: resp.Status.text()}
	}
	if len(resp.TimeStampToken.FullBytes) == 0 {
		return nil, fmt.Errorf("%w: granted without a token", ErrMalformed)
	}
	return resp.TimeStampToken.FullBytes, nil
}

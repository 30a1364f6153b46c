// Package maskinporten calls the national registers' JSON APIs that a
// Maskinporten access token opens (Digdir's KRR, Brønnøysundregistrene's
// authorised Enhetsregisteret API), one way for every register adapter:
// a fresh token per request (so its source can refresh it), a bounded
// read of the answer, and one classification of failures. A request that
// did not get through, and an answer of 5xx or 429 Too Many Requests, wrap
// registry.ErrTemporary and are Unavailable: worth retrying later. Any
// other answer but 200 OK is the adapter's to classify (Refused).
package maskinporten

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/registry"
)

// API is one register's API. Name, Codes, BaseURL and Token are required.
type API struct {
	// Name prefixes error messages: "krr" gives "krr: request refused".
	Name string
	// Codes are the problem codes of the register's failures, named in
	// the adapter's error vocabulary.
	Codes Codes
	// BaseURL is the API's root; a trailing slash is ignored.
	BaseURL string
	// Token returns a current access token; it is called once per request.
	Token func(ctx context.Context) (string, error)
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
	// Refused classifies an answer other than 200 OK that is not temporary,
	// given its status and a cause that quotes it; nil, or a nil result,
	// makes it Internal with code Codes.Refused: a request segl got wrong
	// or a configuration the register does not accept.
	Refused func(status int, cause error) error
}

// Codes are the problem codes of one register's failures. Each adapter
// names its own, so that a code says which register failed.
type Codes struct {
	Token       string // no access token could be had (Unavailable)
	Unavailable string // the register cannot be reached, or answered 5xx or 429 (Unavailable)
	BadResponse string // the answer does not decode (Internal)
	Refused     string // any other answer but 200 OK that Refused does not classify (Internal)
}

// Call sends in (nil for no body) as JSON with method to BaseURL+path and
// decodes the 200 answer, at most limit bytes of it, into out.
func (a *API) Call(ctx context.Context, method, path string, in, out any, limit int64) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Name, err)
		}
		body = bytes.NewReader(raw)
	}
	token, err := a.Token(ctx)
	if err != nil {
		return errs.Wrap(err, errs.Unavailable, a.Codes.Token, "%s: no access token", a.Name)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(a.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("%s: %w", a.Name, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return a.temporary(err, "request failed")
	}
	defer res.Body.Close()
	if err := a.status(res); err != nil {
		return err
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, limit)).Decode(out); err != nil {
		return errs.Wrap(err, errs.Internal, a.Codes.BadResponse, "%s: cannot decode the answer", a.Name)
	}
	return nil
}

func (a *API) temporary(err error, what string) error {
	return errs.Wrap(fmt.Errorf("%w: %w", registry.ErrTemporary, err), errs.Unavailable, a.Codes.Unavailable, "%s: %s", a.Name, what)
}

// status classifies an answer: nil for 200 OK.
func (a *API) status(res *http.Response) error {
	if res.StatusCode == http.StatusOK {
		return nil
	}
	detail, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
	cause := fmt.Errorf("http %d: %s", res.StatusCode, bytes.TrimSpace(detail))
	if res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests {
		return a.temporary(cause, "register unavailable")
	}
	if a.Refused != nil {
		if err := a.Refused(res.StatusCode, cause); err != nil {
			return err
		}
	}
	return errs.Wrap(cause, errs.Internal, a.Codes.Refused, "%s: request refused", a.Name)
}

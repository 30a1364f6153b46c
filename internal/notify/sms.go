package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"
)

// HTTPGateway sends SMS through an HTTP gateway: POST of a JSON object
// {"to", "text", "sender"} with a bearer token, answered 2xx when accepted.
// This is the common shape of Norwegian bulk SMS providers' REST APIs; a
// provider with another body needs only another encoding here. Safe for
// concurrent use.
type HTTPGateway struct {
	// URL is the gateway's send endpoint.
	URL string
	// Token is the bearer token (load it from a *_FILE, never config).
	Token string
	// Sender is the alphanumeric sender id shown on the phone (at most 11
	// characters, GSM 03.38), for example "segl".
	Sender string
	// Client makes the requests; nil means a client with a 30 s timeout.
	Client *http.Client
}

var _ SMS = (*HTTPGateway)(nil)

// smsRequest is the gateway's request body.
type smsRequest struct {
	To     string `json:"to"`
	Text   string `json:"text"`
	Sender string `json:"sender"`
}

// e164 is an international number: "+", a country code, at most 15 digits.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

var defaultSMSClient = &http.Client{Timeout: 30 * time.Second}

// Send renders m's SMS text and posts it. A 5xx, 408 or 429 reply and any
// transport failure are ErrTemporary; any other 4xx is ErrPermanent. The
// error's text never holds the recipient's number.
func (g *HTTPGateway) Send(ctx context.Context, m Message) error {
	return withoutRecipient(g.send(ctx, m), m.To)
}

func (g *HTTPGateway) send(ctx context.Context, m Message) error {
	if !e164.MatchString(m.To) {
		return invalid("to: not an E.164 mobile number: %q", m.To)
	}
	r, err := Render(m)
	if err != nil {
		return err
	}
	body, err := json.Marshal(smsRequest{To: m.To, Text: r.SMS, Sender: g.Sender})
	if err != nil {
		return fmt.Errorf("notify: sms: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return permanent("notify: sms", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.Token)
	client := g.Client
	if client == nil {
		client = defaultSMSClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return temporary("notify: sms", err)
	}
	defer resp.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code >= 500, code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return temporary("notify: sms", fmt.Errorf("gateway answered %s: %q", resp.Status, detail))
	default:
		return permanent("notify: sms", fmt.Errorf("gateway answered %s: %q", resp.Status, detail))
	}
}

package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/store"
)

// Callback headers. The signature follows the common webhook shape: the
// receiver recomputes HMAC-SHA256 over "<t>.<body>" with its organisation's
// secret (GET /api/v1/callback-secret), compares in constant time, and
// refuses a t far from its own clock so an old callback cannot be replayed.
const (
	HeaderSignature = "Segl-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256>
	HeaderEventID   = "Segl-Event-Id"  // the feed sequence number; the same on every retry
)

// Sign returns the signature header value for body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

var defaultHTTP = CallbackClient(false)

// callback posts one change to the job's callback URL; anything but a 2xx
// answer is retried with backoff by the queue, up to its dead letter.
func (d *Service) callback(ctx context.Context, t task) error {
	j, _, ok, err := d.load(ctx, t)
	if err != nil || !ok || j.CallbackURL == "" || t.Change == nil {
		return err
	}
	c := t.Change
	// The body is an entry of the events feed, in the API's own wire type;
	// a rejection's reason comes from the job, as the feed takes it.
	var reason string
	if c.Type == ceremony.EventSignerRejected {
		reason = ceremony.RejectionReason(j, c.SignerID)
	}
	body, err := json.Marshal(client.Event{Seq: c.Seq, JobID: c.JobID, SignerID: c.SignerID, Type: c.Type,
		JobStatus: string(c.JobStatus), SignerStatus: string(c.SignerStatus), At: c.At, RejectionReason: reason})
	if err != nil {
		return err
	}
	seq := strconv.FormatInt(c.Seq, 10)
	n := store.Notice{Key: "cb/" + seq, Org: j.Org, JobID: j.ID, SignerID: c.SignerID, Channel: store.ChannelCallback, Template: c.Type}
	return d.once(ctx, n, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.CallbackURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderEventID, seq)
		req.Header.Set(HeaderSignature, Sign(d.Svc.CallbackSecret(j.Org), d.Clock.Now(), body))
		client := d.HTTP
		if client == nil {
			client = defaultHTTP
		}
		res, err := client.Do(req)
		if errors.Is(err, ErrForbiddenAddress) {
			return queue.Permanent(err) // it will not become public by waiting
		}
		if err != nil {
			return err
		}
		io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			return fmt.Errorf("delivery: callback %s answered %s", j.CallbackURL, res.Status)
		}
		return nil
	})
}

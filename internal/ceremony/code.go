package ceremony

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// One-time codes for signers addressed only by e-mail or mobile (MISSION
// S9): such a signer has no identity number to compare with their login,
// so the link alone would let anybody who sees it sign. The code goes to
// the address the sender gave, through the background queue; the signer
// enters it before the eID login. Only an HMAC of the code is stored, so a
// copy of the database does not reveal it, and a few wrong guesses end it.

const (
	codeDigits      = 6
	codeLifetime    = 10 * time.Minute
	codeMaxAttempts = 5
	codeResendAfter = time.Minute // a new code at most this often
	// TaskSendCode is the queue kind whose handler makes and sends a code
	// (delivery.Service).
	TaskSendCode = "send-code"
)

// CodeMinutes is how long a code is valid, for the message that carries it.
const CodeMinutes = int(codeLifetime / time.Minute)

// NeedsCode reports whether a signer must enter a one-time code: one with
// no identity number to check their login against.
func NeedsCode(s *job.Signer) bool { return s.PID == "" }

// SignerTask names a signer for a background task.
type SignerTask struct {
	Org    string `json:"org"`
	Job    string `json:"job"`
	Signer string `json:"signer"`
}

// RequestCode asks for a one-time code to be sent to the signer of a valid
// link. A code sent in the last minute is not sent again.
func (s *Service) RequestCode(ctx context.Context, signerID, token string) error {
	j, signer, err := s.SignerByLink(ctx, signerID, token)
	if err != nil {
		return err
	}
	if !NeedsCode(signer) {
		return errs.E(errs.Conflict, "code-not-needed", "this signer logs in with their identity number")
	}
	if s.Queue == nil {
		return errs.E(errs.Unavailable, "code-unavailable", "one-time codes cannot be sent now")
	}
	if c, err := s.Store.Code(ctx, signerID); err == nil && s.now().Sub(c.SentAt) < codeResendAfter {
		return nil
	}
	payload, _ := json.Marshal(SignerTask{Org: j.Org, Job: j.ID, Signer: signerID})
	return s.Queue.Enqueue(ctx, TaskSendCode, signerID, payload, s.now())
}

// NewCode makes a fresh code for a signer, replacing any earlier one, and
// returns it for sending. Only the background task that sends it calls this.
func (s *Service) NewCode(ctx context.Context, signerID string) (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%0*d", codeDigits, n)
	now := s.now()
	err = s.Store.PutCode(ctx, store.Code{SignerID: signerID, Hash: s.codeHash(signerID, code),
		ExpiresAt: now.Add(codeLifetime), SentAt: now})
	return code, err
}

// CheckCode checks the code a signer entered for their link. A right code
// is spent; wrong ones count, and the fifth ends the code.
func (s *Service) CheckCode(ctx context.Context, signerID, token, code string) error {
	if _, _, err := s.SignerByLink(ctx, signerID, token); err != nil {
		return err
	}
	wrong := errs.Field("code", "code-wrong", "the code is not right")
	c, err := s.Store.Code(ctx, signerID)
	switch {
	case errs.Is(err, errs.NotFound):
		return errs.Field("code", "code-missing", "ask for a code first")
	case err != nil:
		return err
	case !s.now().Before(c.ExpiresAt) || c.Attempts >= codeMaxAttempts:
		return errs.Field("code", "code-expired", "the code has expired; ask for a new one")
	}
	if !hmac.Equal(c.Hash, s.codeHash(signerID, code)) {
		if _, err := s.Store.CodeAttempt(ctx, signerID); err != nil {
			return err
		}
		return wrong
	}
	return s.Store.DeleteCode(ctx, signerID)
}

func (s *Service) codeHash(signerID, code string) []byte {
	m := hmac.New(sha256.New, s.LinkKey)
	m.Write([]byte("one-time-code\x00" + signerID + "\x00" + code))
	return m.Sum(nil)
}

// SigningPath is the path of a signer's own link, with its token.
func (s *Service) SigningPath(signerID string) string {
	return "/sign/" + url.PathEscape(signerID) + "?" + url.Values{"t": {s.SignerToken(signerID)}}.Encode()
}

// Notice records how a signer was told of their turn, or why not (see
// job.Job.Notice).
func (s *Service) Notice(ctx context.Context, t SignerTask, notice string, reached, reserved bool) (*job.Job, error) {
	return s.update(ctx, t.Org, t.Job, func(j *job.Job) ([]job.Event, error) {
		return j.Notice(t.Signer, notice, reached, reserved, s.now())
	})
}

// CallbackSecret is the organisation's key for the HMAC on its callbacks,
// derived so that no secret is stored; the organisation reads it through
// the API.
func (s *Service) CallbackSecret(org string) string { return s.mac("callback", org) }

// OrgName is the name segl knows an organisation by, or "" when it is not
// one of the service's organisations (a signer may sign for any).
func (s *Service) OrgName(ctx context.Context, number string) (string, error) {
	o, err := s.Store.Org(ctx, number)
	if errs.Is(err, errs.NotFound) {
		return "", nil
	}
	return o.Name, err
}

package ceremony

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
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
// copy of the database does not reveal it.
//
// Somebody who has the link but not the mailbox can only guess. A code has
// a million values, so each guess wins with probability at most 1/(10^6-k)
// after k wrong guesses at the same code; the limits below allow a signer
// codeMaxGuesses guesses over the whole life of the job, whatever the
// number of codes, so an attacker wins with probability at most
// 15/(10^6-4) < 1.6·10^-5 (docs/architecture.md has the reasoning). Every
// guess is counted before it is compared, in one store statement that
// also checks the limits (store.Codes.GuessCode), so concurrent guesses
// cannot together take more. When the allowance is spent the link is
// locked for good and the job fails (job.LockOut), which tells the sender.

const (
	codeDigits      = 6
	codeLifetime    = 10 * time.Minute
	codeResendAfter = time.Minute // a new code at most this often
	// codeMaxAttempts is the number of guesses at one code.
	codeMaxAttempts = 5
	// codeMaxGuesses is the number of guesses, right or wrong, at all of
	// a signer's codes over the job's life: three codes' worth of typing,
	// and what bounds an attacker's chance (15 in a million).
	codeMaxGuesses = 15
	// codeMaxCodes is the number of codes made for a signer over the job's
	// life: enough for a message that was slow or lost and for coming back
	// on other days (a session lasts at most two hours), while bounding the
	// messages anybody with the link can have sent to the signer.
	codeMaxCodes = 5
	// TaskSendCode is the queue kind whose handler makes and sends a code
	// (delivery.Service).
	TaskSendCode = "send-code"
)

// CodeMinutes is how long a code is valid, for the message that carries it.
const CodeMinutes = int(codeLifetime / time.Minute)

// LinkLocked is the error for a locked link: the signer must ask the
// sender for a new job.
func LinkLocked() *errs.Error {
	return errs.E(errs.Forbidden, CodeLinkLocked, "too many one-time codes or wrong guesses: the link is locked")
}

// NeedsCode reports whether a signer must enter a one-time code: one with
// no identity number to check their login against, addressed by e-mail or
// mobile. A direct-flow signer known only by the sender's reference has
// no address to send a code to: the sender's site vouches for who it sends
// to the link.
func NeedsCode(s *job.Signer) bool { return s.PID == "" && (s.Email != "" || s.Mobile != "") }

// RequestCode asks for a one-time code to be sent to the signer of a valid
// link. A code sent in the last minute is not sent again. A request after
// the signer's last code locks the link.
func (s *Service) RequestCode(ctx context.Context, signerID, token string) error {
	j, signer, err := s.SignerByLink(ctx, signerID, token)
	if err != nil {
		return err
	}
	if !NeedsCode(signer) {
		return errs.E(errs.Conflict, codeCodeNotNeeded, "this signer logs in with their identity number")
	}
	if s.Queue == nil {
		return errs.E(errs.Unavailable, codeCodeUnavailable, "one-time codes cannot be sent now")
	}
	c, err := s.Store.Code(ctx, signerID)
	switch {
	case errs.Is(err, errs.NotFound):
	case err != nil:
		return err
	case c.Locked() || c.Sent >= codeMaxCodes || c.Guesses >= codeMaxGuesses:
		return s.lockLink(ctx, j, signerID)
	case s.now().Sub(c.SentAt) < codeResendAfter:
		return nil
	}
	payload, _ := json.Marshal(SignerTask{Org: j.Org, Job: j.ID, Signer: signerID})
	return s.Queue.Enqueue(ctx, TaskSendCode, signerID, payload, s.now())
}

// HasLiveCode reports whether the signer has a code that can still be
// typed in: made, not spent and not expired. The code page asks for a
// code before it offers a field to type one into.
func (s *Service) HasLiveCode(ctx context.Context, signerID string) (bool, error) {
	c, err := s.Store.Code(ctx, signerID)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !c.Locked() && s.now().Before(c.ExpiresAt), nil
}

// NewCode makes a fresh code for a signer, replacing any earlier one, and
// returns it for sending. Only the background task that sends it calls
// this. It refuses with Conflict ("code-limit") when the signer has had
// all their codes: requests that raced past RequestCode's check.
func (s *Service) NewCode(ctx context.Context, signerID string) (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%0*d", codeDigits, n)
	now := s.now()
	err = s.Store.PutCode(ctx, store.Code{SignerID: signerID, Hash: s.codeHash(signerID, code),
		ExpiresAt: now.Add(codeLifetime), SentAt: now}, codeMaxCodes)
	return code, err
}

// CheckCode checks the code a signer entered for their link. The guess is
// counted first, atomically with the limits; only a counted guess is
// compared. A right code is spent. The guess that uses up the signer's
// allowance, and any after it, lock the link.
func (s *Service) CheckCode(ctx context.Context, signerID, token, code string) error {
	j, _, err := s.SignerByLink(ctx, signerID, token)
	if err != nil {
		return err
	}
	expired := errs.Field("code", CodeCodeExpired, "the code has expired; ask for a new one")
	c, err := s.Store.GuessCode(ctx, signerID, s.now(), codeMaxAttempts, codeMaxGuesses)
	switch {
	case errs.Is(err, errs.NotFound):
		return errs.Field("code", CodeCodeMissing, "ask for a code first")
	case errs.Is(err, errs.Conflict):
		// No guess was left at this code; perhaps none at all.
		if c, err := s.Store.Code(ctx, signerID); err == nil && (c.Locked() || c.Guesses >= codeMaxGuesses) {
			return s.lockLink(ctx, j, signerID)
		}
		return expired
	case err != nil:
		return err
	}
	if !hmac.Equal(c.Hash, s.codeHash(signerID, code)) {
		if c.Guesses >= codeMaxGuesses {
			return s.lockLink(ctx, j, signerID)
		}
		return errs.Field("code", CodeCodeWrong, "the code is not right")
	}
	err = s.Store.SpendCode(ctx, signerID, c.Hash)
	if errs.Is(err, errs.Conflict) {
		return expired // a concurrent right guess spent it
	}
	return err
}

// lockLink locks a signer's link for good and ends their job (job.LockOut),
// and returns the error that says so. The lock is stored first: should the
// job's update fail, the next request from the link finds the lock and
// ends the job then.
func (s *Service) lockLink(ctx context.Context, j *job.Job, signerID string) error {
	now := s.now()
	if err := s.Store.LockCode(ctx, signerID, now); err != nil {
		return err
	}
	_, err := s.update(ctx, j.Org, j.ID, func(j *job.Job) ([]job.Event, error) { return j.LockOut(signerID, now) })
	if err != nil {
		return err
	}
	return LinkLocked()
}

func (s *Service) codeHash(signerID, code string) []byte {
	m := hmac.New(sha256.New, s.LinkKey)
	m.Write([]byte("one-time-code\x00" + signerID + "\x00" + code))
	return m.Sum(nil)
}

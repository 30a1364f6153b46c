// Package hsm holds segl's production keys in a hardware security module
// over PKCS#11 (OASIS PKCS#11 v2.40), behind the same crypto.Signer the rest
// of segl signs with. The seal, the time-stamping unit and the OCSP
// responder each name a key by its label (CKA_LABEL) in one token; the
// private key is generated inside the token as sensitive and not extractable
// (CKA_SENSITIVE true, CKA_EXTRACTABLE false, PKCS#11 v2.40 section 4.9), so
// segl never holds it: every signature is a C_Sign call.
//
// One process opens the token once (Open) and closes it on shutdown: the
// PKCS#11 module is initialised once per process (C_Initialize), and the
// context keeps a logged-in session alive while a pool of further sessions
// serves concurrent signatures.
//
// Security: a Token signs whatever digest it is given. Each caller of Signer
// must be reviewed so that it cannot be used as a signing oracle: segl signs
// only the CMS signed attributes, the TSTInfo and the OCSP response data it
// built itself.
package hsm

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
	"golang.org/x/sync/singleflight"

	"github.com/segl/segl/internal/errs"
)

// Config names a token. The zero value means "no HSM".
type Config struct {
	Module  string // path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	Token   string // token label (CKA_LABEL of the token, PKCS#11 CK_TOKEN_INFO.label)
	PINFile string // file holding the user PIN; never given inline
}

// Configured reports whether any setting is given.
func (c Config) Configured() bool { return c.Module != "" || c.Token != "" || c.PINFile != "" }

// Check reports a setting missing from a half-given configuration.
func (c Config) Check() error {
	if c.Module == "" || c.Token == "" || c.PINFile == "" {
		return errs.E(errs.Invalid, codeConfig, "hsm: pkcs11-module, pkcs11-token and pkcs11-pin-file go together")
	}
	return nil
}

// Token is an open, logged-in PKCS#11 token. It is safe for concurrent use.
type Token struct {
	ctx   *crypto11.Context
	label string

	mu    sync.Mutex
	keys  []*tokenKey        // handed out by Signer: what Check looks at
	probe singleflight.Group // Check's question to the token, shared by the Checks that wait for it
}

// Open loads the module, finds the token by its label and logs in with the
// PIN read from cfg.PINFile (surrounding white space, such as the newline
// an editor adds, is not part of the PIN). The failures an operator meets
// at start-up come back as *errs.Error with a code above and a message that
// says what to fix.
func Open(cfg Config) (*Token, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	pin, err := readPIN(cfg.PINFile)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.Module); err != nil {
		return nil, errs.Wrap(err, errs.Unavailable, codeModule, "hsm: PKCS#11 module %s", cfg.Module)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: cfg.Module, TokenLabel: cfg.Token, Pin: pin})
	if err != nil {
		return nil, openError(cfg, err)
	}
	return &Token{ctx: ctx, label: cfg.Token}, nil
}

// openError turns crypto11's failures into the errors an operator can act
// on. crypto11 wraps the PKCS#11 return value (pkcs11.Error) where it has
// one; a token that is absent has none.
func openError(cfg Config, err error) error {
	var rv pkcs11.Error
	if errors.As(err, &rv) {
		switch rv {
		case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_LOCKED, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE, pkcs11.CKR_PIN_EXPIRED:
			return errs.Wrap(err, errs.Unauthenticated, CodePINRejected,
				"hsm: token %q refused the PIN in %s", cfg.Token, cfg.PINFile)
		}
	}
	// crypto11 says "no such token" only in the text of an unexported
	// error (errTokenNotFound in crypto11 v1.5.0), so there is nothing
	// for errors.Is to match; TestStartupErrors' fail/no-such-token case
	// notices if that changes.
	if strings.Contains(err.Error(), "could not find PKCS#11 token") {
		return errs.Wrap(err, errs.NotFound, CodeNoToken,
			"hsm: no token labelled %q in %s (softhsm2-util --show-slots or pkcs11-tool -L lists them)", cfg.Token, cfg.Module)
	}
	return errs.Wrap(err, errs.Unavailable, codeModule, "hsm: open token %q with %s", cfg.Token, cfg.Module)
}

func readPIN(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", errs.Wrap(err, errs.Invalid, codeConfig, "hsm: read PIN file")
	}
	pin := strings.TrimSpace(string(raw))
	if pin == "" {
		return "", errs.E(errs.Invalid, codeConfig, "hsm: PIN file %s is empty", path)
	}
	return pin, nil
}

// Close ends every session and, when it is the process's last context on
// the module, finalises it (C_Finalize). Call it once, after the last
// signature: a Signer of a closed token fails.
func (t *Token) Close() error {
	if err := t.ctx.Close(); err != nil {
		return fmt.Errorf("hsm: close token %q: %w", t.label, err)
	}
	return nil
}

// Signer returns the private key labelled label. Its Sign follows
// crypto.Signer exactly: ECDSA signatures are ASN.1 DER (SEC 1 section
// 4.1.3, as crypto/ecdsa returns them), and RSA signs PKCS#1 v1.5 unless the
// options are *rsa.PSSOptions (RFC 8017 section 8), so a key in the token is
// interchangeable with one in a file. Check watches every key Signer
// returns.
func (t *Token) Signer(label string) (crypto.Signer, error) {
	k, err := t.find(label)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.keys = append(t.keys, k)
	t.mu.Unlock()
	return k, nil
}

// find is the one key pair labelled label.
func (t *Token) find(label string) (*tokenKey, error) {
	keys, err := t.ctx.FindKeyPairs(nil, []byte(label))
	if err != nil {
		return nil, errs.Wrap(err, errs.Unavailable, codeModule, "hsm: find key %q in token %q", label, t.label)
	}
	switch len(keys) {
	case 0:
		return nil, errs.E(errs.NotFound, CodeNoKey, "hsm: no key pair labelled %q in token %q", label, t.label)
	case 1:
		return &tokenKey{key: keys[0], pub: keys[0].Public(), label: label, t: t}, nil
	default:
		return nil, errs.E(errs.Conflict, codeKeyExists, "hsm: %d key pairs labelled %q in token %q", len(keys), label, t.label)
	}
}

// KeyType is an algorithm and size of a key generated in the token.
type KeyType string

// Key types segl can create: what the Norwegian and EU qualified CAs issue
// seal and TSA certificates for (ETSI TS 119 312 lists both as recommended
// beyond 2030 at these sizes).
const (
	ECP256  KeyType = "ec-p256"
	ECP384  KeyType = "ec-p384"
	RSA3072 KeyType = "rsa-3072"
	RSA4096 KeyType = "rsa-4096"
)

// KeyTypes lists the accepted names, for usage messages.
var KeyTypes = []KeyType{ECP256, ECP384, RSA3072, RSA4096}

// Generate creates a key pair labelled label inside the token and returns
// its private half. The key is a token object (CKA_TOKEN), sensitive and
// not extractable, so it survives restarts and cannot be read out. A label
// already in use is refused: a second key under one label would make
// Signer ambiguous, and replacing a key by accident orphans its certificate.
func (t *Token) Generate(label string, typ KeyType) (crypto.Signer, error) {
	if label == "" {
		return nil, errs.E(errs.Invalid, codeConfig, "hsm: a key needs a label")
	}
	if _, err := t.find(label); err == nil {
		return nil, errs.E(errs.Conflict, codeKeyExists, "hsm: token %q already holds a key labelled %q", t.label, label)
	} else if !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	// CKA_ID links the private and public objects (PKCS#11 v2.40 section
	// 4.4); random, so two keys never share one.
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("hsm: %w", err)
	}
	var (
		key crypto.Signer
		err error
	)
	switch typ {
	case ECP256:
		key, err = t.ctx.GenerateECDSAKeyPairWithLabel(id, []byte(label), elliptic.P256())
	case ECP384:
		key, err = t.ctx.GenerateECDSAKeyPairWithLabel(id, []byte(label), elliptic.P384())
	case RSA3072:
		key, err = t.ctx.GenerateRSAKeyPairWithLabel(id, []byte(label), 3072)
	case RSA4096:
		key, err = t.ctx.GenerateRSAKeyPairWithLabel(id, []byte(label), 4096)
	default:
		return nil, errs.E(errs.Invalid, codeKeyType, "hsm: key type %q is not one of %v", typ, KeyTypes)
	}
	if err != nil {
		return nil, errs.Wrap(err, errs.Unavailable, codeModule, "hsm: generate %s key %q in token %q", typ, label, t.label)
	}
	return key, nil
}

// tokenKey is a key in the token. A signature that fails once segl runs
// (the token removed or reset, the key deleted, the module's session
// gone) is errs.Unavailable: an outage of the HSM, for which a signer is
// told to try again later and background work is retried, never a bug,
// and never a reason to sign with anything else.
type tokenKey struct {
	pub    crypto.PublicKey // the key pair's public half: fixed, so read without mu
	label  string
	t      *Token
	mu     sync.RWMutex  // guards key against relocate
	key    crypto.Signer // the key's object in the token; replaced by relocate
	failed atomic.Bool   // the last signature failed
}

// Public is the key pair's public key. It never changes: relocate only
// accepts the same key pair under a new handle.
func (k *tokenKey) Public() crypto.PublicKey { return k.pub }

func (k *tokenKey) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	k.mu.RLock()
	key := k.key
	k.mu.RUnlock()
	sig, err := key.Sign(rand, digest, opts)
	if staleHandle(err) {
		if key, ok := k.relocate(); ok {
			sig, err = key.Sign(rand, digest, opts)
		}
	}
	k.failed.Store(err != nil)
	if err != nil {
		return nil, errs.Wrap(err, errs.Unavailable, CodeUnavailable, "hsm: sign with key %q in token %q", k.label, k.t.label)
	}
	return sig, nil
}

// staleHandle reports whether err says that the key's object handle no
// longer names an object: the key was deleted, or deleted and restored
// from a backup under a new handle.
func staleHandle(err error) bool {
	var rv pkcs11.Error
	return errors.As(err, &rv) && (rv == pkcs11.CKR_OBJECT_HANDLE_INVALID || rv == pkcs11.CKR_KEY_HANDLE_INVALID)
}

// relocate looks the key up again by its label, so that a key restored
// into the token (from the HSM's key backup, after a deletion or a token
// reset) is used without a restart. Only the same key pair counts (its
// public key, which segl's certificate certifies); another key given the
// label is never used.
func (k *tokenKey) relocate() (crypto.Signer, bool) {
	found, err := k.t.same(k.label, k.pub)
	if err != nil || found == nil {
		return nil, false
	}
	k.mu.Lock()
	k.key = found
	k.mu.Unlock()
	return found, true
}

// same is the key pair labelled label whose public key is pub, or nil
// when the token holds none.
func (t *Token) same(label string, pub crypto.PublicKey) (crypto.Signer, error) {
	found, err := t.ctx.FindKeyPairs(nil, []byte(label))
	if err != nil {
		return nil, errs.Wrap(err, errs.Unavailable, CodeUnavailable, "hsm: find key %q in token %q", label, t.label)
	}
	i := slices.IndexFunc(found, func(f crypto11.Signer) bool {
		return f.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub)
	})
	if i < 0 {
		return nil, nil
	}
	return found[i], nil
}

// Check is the health check of the keys Signer handed out: nil while each
// is still in the token under its label (the same key, not another one
// given the label since) and its last signature, if it made one, did not
// fail; else errs.Unavailable with CodeUnavailable. It looks the key pairs
// up by label, a cheap question, and signs nothing. A failed signature
// counts until one succeeds. A token that does not answer before ctx ends
// counts as unavailable; the question goes on meanwhile, and later Checks
// wait for it instead of asking again, so a hung token is asked once.
func (t *Token) Check(ctx context.Context) error {
	probed := t.probe.DoChan("", func() (any, error) {
		t.mu.Lock()
		keys := slices.Clone(t.keys)
		t.mu.Unlock()
		return nil, t.check(keys)
	})
	select {
	case r := <-probed:
		return r.Err
	case <-ctx.Done():
		return errs.Wrap(ctx.Err(), errs.Unavailable, CodeUnavailable, "hsm: token %q did not answer", t.label)
	}
}

func (t *Token) check(keys []*tokenKey) error {
	for _, k := range keys {
		if k.failed.Load() {
			return errs.E(errs.Unavailable, CodeUnavailable, "hsm: the last signature with key %q in token %q failed", k.label, t.label)
		}
		found, err := t.same(k.label, k.pub)
		if err != nil {
			return err
		}
		if found == nil {
			return errs.E(errs.Unavailable, CodeUnavailable, "hsm: key %q is no longer in token %q", k.label, t.label)
		}
	}
	return nil
}

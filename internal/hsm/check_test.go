package hsm

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"github.com/segl/segl/internal/errs"
)

// TestCheck: the health check passes while every key segl took from the
// token is there, fails with CodeUnavailable once one is deleted, and
// still fails when another key is given the label (segl's certificate
// certifies the deleted one). A signature that failed counts until one
// succeeds.
func TestCheck(t *testing.T) {
	t.Parallel()
	tok, cfg := open(t)
	ctx := context.Background()
	if err := tok.Check(ctx); err != nil {
		t.Fatalf("no keys taken: %v", err)
	}
	for _, label := range []string{"seal", "tsa"} {
		if _, err := tok.Generate(label, ECP256); err != nil {
			t.Fatal(err)
		}
		if _, err := tok.Signer(label); err != nil {
			t.Fatal(err)
		}
	}
	if err := tok.Check(ctx); err != nil {
		t.Fatalf("keys in the token: %v", err)
	}
	softToken(cfg).DeleteKey(t, "tsa")
	unavailable := func(when string) {
		t.Helper()
		if err := tok.Check(ctx); errs.KindOf(err) != errs.Unavailable || code(err) != CodeUnavailable {
			t.Fatalf("%s: %v, want %s", when, err, CodeUnavailable)
		}
	}
	unavailable("key deleted")
	if _, err := tok.Generate("tsa", ECP256); err != nil {
		t.Fatal(err)
	}
	unavailable("another key under the label")

	// A signature fails (the token reset, say) and then works again.
	seal, err := tok.Signer("seal")
	if err != nil {
		t.Fatal(err)
	}
	tok.mu.Lock()
	tok.keys = []*tokenKey{seal.(*tokenKey)}
	tok.mu.Unlock()
	flaky := &flakySigner{Signer: seal.(*tokenKey).key, fail: true}
	seal.(*tokenKey).key = flaky
	digest := sha256.Sum256([]byte("segl"))
	if _, err := seal.Sign(rand.Reader, digest[:], crypto.SHA256); err == nil {
		t.Fatal("the flaky signature did not fail")
	}
	unavailable("after a failed signature")
	flaky.fail = false
	if _, err := seal.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	if err := tok.Check(ctx); err != nil {
		t.Fatalf("after a signature that worked: %v", err)
	}
}

// TestCheckGivesUpAtDeadline: a Check whose context has ended answers
// unavailable instead of waiting for the token.
func TestCheckGivesUpAtDeadline(t *testing.T) {
	t.Parallel()
	tok, _ := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	hung := make(chan struct{})
	defer close(hung)
	tok.probe.DoChan("", func() (any, error) { <-hung; return nil, nil }) // a question the token never answers
	if err := tok.Check(ctx); code(err) != CodeUnavailable || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

// flakySigner fails while fail is set.
type flakySigner struct {
	crypto.Signer
	fail bool
}

func (f *flakySigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if f.fail {
		return nil, errors.New("CKR_DEVICE_REMOVED")
	}
	return f.Signer.Sign(rand, digest, opts)
}

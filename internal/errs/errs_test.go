package errs

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"syscall"
	"testing"
)

// TestFrom checks what the edges see: a write that ran out of space is
// storage-full however it reached them, everything else keeps its kind.
func TestFrom(t *testing.T) {
	noSpace := &fs.PathError{Op: "write", Path: "/data/tmp/segl-sign-1.pdf", Err: syscall.ENOSPC}
	quota := &fs.PathError{Op: "write", Path: "/data/blobs/tmp/put-1", Err: syscall.EDQUOT}
	for _, tc := range []struct {
		name string
		err  error
		want Kind
		code string
	}{
		{"ok/typed", E(Invalid, "invalid-pdf", "bad"), Invalid, "invalid-pdf"},
		{"ok/typed-wrapped", fmt.Errorf("ceremony: %w", E(Conflict, "job-changed", "x")), Conflict, "job-changed"},
		{"full/untyped-enospc", fmt.Errorf("pades: write revision: %w", noSpace), InsufficientStorage, CodeStorageFull},
		{"full/untyped-edquot", fmt.Errorf("pdf: spool: %w", quota), InsufficientStorage, CodeStorageFull},
		{"full/internal-enospc", Wrap(noSpace, Internal, "internal", "x"), InsufficientStorage, CodeStorageFull},
		{"full/typed", fmt.Errorf("store: %w", StorageFull(errors.New("database or disk is full"))), InsufficientStorage, CodeStorageFull},
		{"internal/untyped", errors.New("boom"), Internal, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := From(tc.err)
			if KindOf(tc.err) != tc.want {
				t.Fatalf("kind %s, want %s", KindOf(tc.err), tc.want)
			}
			if tc.code == "" {
				if e != nil {
					t.Fatalf("From gave %v for an untyped error", e)
				}
				return
			}
			if e == nil || e.Code != tc.code {
				t.Fatalf("From gave %v, want code %s", e, tc.code)
			}
		})
	}
	if s := InsufficientStorage.HTTPStatus(); s != http.StatusInsufficientStorage {
		t.Fatalf("storage full answers %d", s)
	}
}

// Only the kinds a client may simply repeat later carry Retry-After, the
// same at every edge.
func TestRetryAfter(t *testing.T) {
	for _, k := range Kinds {
		want := map[Kind]string{Unavailable: "10", InsufficientStorage: "60"}[k]
		if got := k.RetryAfter(); got != want {
			t.Errorf("%v: Retry-After %q, want %q", k, got, want)
		}
	}
}

package scratch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestOrphansRemovedLiveKept: what a dead process left is removed when the
// next one opens its directory; a live process's directory is kept.
func TestOrphansRemovedLiveKept(t *testing.T) {
	parent := t.TempDir()
	live, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	liveFile := filepath.Join(live.Path(), "upload-1")
	if err := os.WriteFile(liveFile, []byte("being written"), 0o600); err != nil {
		t.Fatal(err)
	}

	dead, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	deadFile := filepath.Join(dead.Path(), "segl-sign-1.pdf")
	if err := os.WriteFile(deadFile, []byte("half a revision"), 0o600); err != nil {
		t.Fatal(err)
	}
	dead.lock.Close() // the process died: the kernel dropped its lock, the files stay
	dead.lock = nil

	old := filepath.Join(parent, "segl-spool-1.pdf") // left by an older version
	past := time.Now().Add(-time.Hour)
	if err := errors.Join(os.WriteFile(old, []byte("x"), 0o600), os.Chtimes(old, past, past)); err != nil {
		t.Fatal(err)
	}

	next, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	for _, gone := range []string{deadFile, dead.Path(), old} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s survived: %v", gone, err)
		}
	}
	if _, err := os.Stat(liveFile); err != nil {
		t.Errorf("a live process's file was removed: %v", err)
	}
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(next.Path()); !os.IsNotExist(err) {
		t.Errorf("Close left %s", next.Path())
	}
}

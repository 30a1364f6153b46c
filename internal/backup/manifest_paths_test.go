package backup

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestManifestPathsStayInside: a manifest is read from wherever backups are
// kept, so a path in it that leaves the backup (and so, at a restore, the
// data directory) is refused before anything is written.
func TestManifestPathsStayInside(t *testing.T) {
	ctx := context.Background()
	data, _ := dataDir(t)
	root := t.TempDir()
	dir := filepath.Join(root, "b")
	m, err := Backup(ctx, Options{Data: data, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// A file beside the backup whose digest the manifest can name, as an
	// attacker who may write the backup's storage could arrange.
	payload := []byte("ssh-ed25519 AAAA attacker\n")
	if err := os.WriteFile(filepath.Join(root, "payload"), payload, 0o600); err != nil {
		t.Fatal(err)
	}
	sum, size, err := hashFile(filepath.Join(root, "payload"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"../payload", "/../payload", "pki/../../payload"} {
		t.Run(path, func(t *testing.T) {
			bad := m
			bad.Files = append(append([]File(nil), m.Files...), File{Path: path, Size: size, SHA256: sum})
			raw, _ := json.Marshal(bad)
			if err := os.WriteFile(filepath.Join(dir, ManifestName), raw, 0o600); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(t.TempDir(), "data", "r")
			if _, err := Restore(ctx, Options{Data: target, Dir: dir}); err == nil {
				t.Fatalf("restored a backup whose manifest names %q", path)
			}
			if _, err := os.Stat(filepath.Join(target, "..", "payload")); err == nil {
				t.Fatalf("the restore wrote outside the data directory")
			}
		})
	}
}

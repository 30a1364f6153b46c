// Package backup copies an embedded segl's state — the SQLite store, the
// SQLite task queue and the blob files, optionally the key material — into
// a directory while segl runs, checks the copy, and restores it into an
// empty data directory.
//
// Consistency. Each database is copied with SQLite's VACUUM INTO, which
// reads one snapshot of the database inside a read transaction: in WAL
// mode it does not block segl's writers, and the copy is a complete,
// self-contained database as of one instant (https://sqlite.org/lang_vacuum.html#vacuuminto).
// The store is copied first, the queue second, the blobs last, and the
// order is what makes the three agree:
//   - blobs are content-addressed and written before the rows that name
//     them commit, so every blob the store snapshot names already exists
//     when the blobs are copied; only deleting an ended job removes blobs,
//     after the rows (ceremony.Service.Delete), so a job deleted between
//     the store's snapshot and the copy of the blobs may be restored with
//     blobs missing, and is still due and deleted by the next sweep;
//   - tasks reach the queue from the store's outbox, whose cursor lives in
//     the store: a queue copied after the store holds at least the tasks
//     the store's cursor says were handed over. Tasks handed over later are
//     handed over again after a restore, and their handlers are idempotent.
//
// Blobs are verified by their names: each is copied through a fresh blob
// store, which hashes what it writes, and re-read and re-hashed after
// writing. The databases are checked with PRAGMA integrity_check, and the
// store's copy is checked to name no blob of a running job that the
// backup lacks. The manifest,
// written last, lists every file but the blobs with its SHA-256; a backup
// without one is incomplete.
//
// Keys. The development PKI (pki/), the link and callback secrets
// (secrets/) and the development stand-ins' keys (dev/) are copied only
// when asked (Options.Keys): a backup is meant to be kept where backups
// are kept — another disk, another site, tape — and private keys copied
// there silently would be a second place to guard them. Production seal,
// TSA and OCSP keys belong in an HSM or a secret store with their own
// escrow; without the link key of the original, links already sent to
// signers stop working after a restore.
package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	blobfs "github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/errs"
)

// Databases are the SQLite files of an embedded data directory, in the
// order they are copied (see the package comment).
var Databases = []string{"segl.db", "queue.db"}

// KeyDirs are the directories of key material, copied only with
// Options.Keys.
var KeyDirs = []string{"pki", "secrets", "dev"}

// ManifestName is the manifest's file name in a backup directory.
const ManifestName = "MANIFEST.json"

// Options say what to back up or restore, and where.
type Options struct {
	Data string // the data directory: the source of a backup, the target of a restore
	Dir  string // the backup directory
	// Keys copies the key directories too (KeyDirs). Off by default: see
	// the package comment.
	Keys bool
}

// Manifest describes a backup.
type Manifest struct {
	Format    int       `json:"format"` // 1
	CreatedAt time.Time `json:"created_at"`
	Keys      bool      `json:"keys"`
	Files     []File    `json:"files"` // the databases and key files
	Blobs     int64     `json:"blobs"` // how many blobs
	BlobBytes int64     `json:"blob_bytes"`
}

// File is one file of a backup other than a blob.
type File struct {
	Path   string `json:"path"` // relative, with forward slashes
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Backup copies opts.Data into opts.Dir, which must not exist or be empty,
// and verifies the copy.
func Backup(ctx context.Context, opts Options) (Manifest, error) {
	m := Manifest{Format: 1, CreatedAt: time.Now().UTC(), Keys: opts.Keys}
	if _, err := os.Stat(filepath.Join(opts.Data, Databases[0])); err != nil {
		return m, fmt.Errorf("backup: no embedded database in %s: %w", opts.Data, err)
	}
	if err := emptyDir(opts.Dir); err != nil {
		return m, err
	}
	for _, name := range Databases {
		if err := snapshot(ctx, filepath.Join(opts.Data, name), filepath.Join(opts.Dir, name)); err != nil {
			return m, err
		}
	}
	if err := copyBlobs(ctx, filepath.Join(opts.Data, "blobs"), filepath.Join(opts.Dir, "blobs"), &m); err != nil {
		return m, err
	}
	if opts.Keys {
		for _, d := range KeyDirs {
			if err := copyTree(filepath.Join(opts.Data, d), filepath.Join(opts.Dir, d)); err != nil {
				return m, err
			}
		}
	}
	files, err := listFiles(opts.Dir)
	if err != nil {
		return m, err
	}
	m.Files = files
	if err := check(ctx, opts.Dir, m); err != nil {
		return m, fmt.Errorf("backup: the copy does not verify: %w", err)
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if err := writeFileSync(filepath.Join(opts.Dir, ManifestName), append(raw, '\n')); err != nil {
		return m, err
	}
	return m, nil
}

// Verify checks a backup directory: its manifest, every listed file's
// digest, the databases' integrity, every blob's digest, and that the
// store names no blob the backup lacks.
func Verify(ctx context.Context, dir string) (Manifest, error) {
	var m Manifest
	raw, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return m, fmt.Errorf("backup: no manifest, so not a complete backup: %w", err)
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Format != 1 {
		return m, fmt.Errorf("backup: %s: not a format 1 manifest", ManifestName)
	}
	for _, f := range m.Files {
		// The manifest is read from wherever backups are kept: a path out
		// of the backup would have Restore write out of the data directory.
		p := filepath.FromSlash(f.Path)
		if !filepath.IsLocal(p) {
			return m, fmt.Errorf("backup: %s names %q, which no backup holds", ManifestName, f.Path)
		}
		sum, size, err := hashFile(filepath.Join(dir, p))
		if err != nil {
			return m, err
		}
		if sum != f.SHA256 || size != f.Size {
			return m, fmt.Errorf("backup: %s changed since the backup was written", f.Path)
		}
	}
	return m, check(ctx, dir, m)
}

// Restore verifies the backup in opts.Dir and copies it into opts.Data,
// which must not exist or be empty. segl must not be running on
// opts.Data.
func Restore(ctx context.Context, opts Options) (Manifest, error) {
	m, err := Verify(ctx, opts.Dir)
	if err != nil {
		return m, err
	}
	if err := emptyDir(opts.Data); err != nil {
		return m, err
	}
	for _, f := range m.Files {
		src, dst := filepath.Join(opts.Dir, filepath.FromSlash(f.Path)), filepath.Join(opts.Data, filepath.FromSlash(f.Path))
		if err := copyFile(src, dst); err != nil {
			return m, err
		}
	}
	var got Manifest
	if err := copyBlobs(ctx, filepath.Join(opts.Dir, "blobs"), filepath.Join(opts.Data, "blobs"), &got); err != nil {
		return m, err
	}
	if got.Blobs != m.Blobs {
		return m, fmt.Errorf("backup: restored %d blobs, the manifest lists %d", got.Blobs, m.Blobs)
	}
	if err := check(ctx, opts.Data, m); err != nil {
		return m, fmt.Errorf("backup: the restored data does not verify: %w", err)
	}
	return m, nil
}

// emptyDir creates dir, or accepts it when it exists and is empty, so that
// neither a backup nor a restore mixes with older files.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if len(entries) > 0 {
		return errs.E(errs.Conflict, codeTargetNotEmpty, "backup: %s is not empty", dir)
	}
	return nil
}

// snapshot writes a consistent copy of the SQLite database at src to dst
// with VACUUM INTO, over a connection of its own that waits for segl's
// writer rather than failing on a busy database.
func snapshot(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("backup: copy %s: %w", filepath.Base(src), err)
	}
	return syncFile(dst)
}

// everything is a bound no blob's time reaches, for WalkOlder to list all.
var everything = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// copyBlobs copies every blob of the store in src into a store in dst. The
// destination hashes what it writes, so a source blob whose content no
// longer matches its name (bit rot, tampering) is found here, not at the
// restore.
func copyBlobs(ctx context.Context, src, dst string, m *Manifest) error {
	from, err := blobfs.Open(src, blobfs.Options{NoSync: true}) // only read
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	to, err := blobfs.Open(dst, blobfs.Options{})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	err = from.WalkOlder(ctx, everything, func(key string) error {
		o, err := from.Open(ctx, key)
		if err != nil {
			return err
		}
		defer o.Close()
		ref, err := to.Put(ctx, o, o.Size())
		if err != nil {
			return err
		}
		if ref.Key != key {
			to.Delete(ctx, ref.Key)
			return fmt.Errorf("backup: blob %s is damaged: its content hashes to %s", key, ref.Key)
		}
		m.Blobs++
		m.BlobBytes += ref.Size
		return nil
	})
	if err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(dst, "tmp"))
}

// check verifies the databases and the blobs in dir: integrity of both
// databases, every blob re-read and re-hashed, the count against the
// manifest, and every blob the store names present.
func check(ctx context.Context, dir string, m Manifest) error {
	for _, name := range Databases {
		if err := integrity(ctx, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	blobs, err := blobfs.Open(filepath.Join(dir, "blobs"), blobfs.Options{NoSync: true}) // only read
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(filepath.Join(dir, "blobs", "tmp"))
	found := map[string]bool{}
	err = blobs.WalkOlder(ctx, everything, func(key string) error {
		state, _, err := readBlob(ctx, blobs, key)
		if err != nil {
			return err
		}
		if state != blobOK {
			return fmt.Errorf("backup: blob %s is damaged", key)
		}
		found[key] = true
		return nil
	})
	if err != nil {
		return err
	}
	if m.Files != nil && int64(len(found)) != m.Blobs {
		return fmt.Errorf("backup: %d blobs, the manifest lists %d", len(found), m.Blobs)
	}
	db, err := OpenStore("", dir)
	if err != nil {
		return err
	}
	defer db.Close()
	// Only jobs still running must be complete: an ended job may have
	// been deleted (retention, or the sender's request) after the store's
	// snapshot and before the blobs were copied, so the snapshot may name
	// blobs already gone. Their blobs that exist were copied and verified
	// above.
	return References(ctx, db, func(r Reference) error {
		if !r.Status.Final() && !found[r.Key] {
			return fmt.Errorf("backup: %s", Fault{Reference: r})
		}
		return nil
	})
}

// integrity runs SQLite's own check of a database file, read-only.
func integrity(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("backup: %s: %w", filepath.Base(path), err)
	}
	if res != "ok" {
		return fmt.Errorf("backup: %s fails the integrity check: %s", filepath.Base(path), res)
	}
	return nil
}

// listFiles lists the files of dir other than blobs and the manifest, with
// their digests.
func listFiles(dir string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "blobs" {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == ManifestName || !d.Type().IsRegular() {
			return nil
		}
		sum, size, err := hashFile(path)
		if err != nil {
			return err
		}
		files = append(files, File{Path: rel, Size: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return files, nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("backup: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// copyTree copies the regular files under src to dst, keeping their
// permissions (keys stay 0600). A missing src is nothing to copy.
func copyTree(src, dst string) error {
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == src {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() || !d.Type().IsRegular() || strings.HasSuffix(path, ".tmp") {
			return nil
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// copyFile copies one file durably, with its permission bits.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("backup: %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("backup: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func writeFileSync(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return syncFile(path)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

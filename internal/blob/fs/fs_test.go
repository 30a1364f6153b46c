package fs

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/blob/blobtest"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/testtool"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := Open(t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSweeper(t *testing.T) {
	blobtest.RunSweeper(t, func(t *testing.T) blob.Store {
		s, err := Open(t.TempDir(), Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFailedPutLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, Options{})
	s.Put(t.Context(), zeros{}, 1000)
	left, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(left) != 0 {
		t.Fatalf("%d temporary files left", len(left))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestFullDisk fills the file system under the store: Put fails with the
// storage-full kind (not an untyped error, which the edges would answer
// with 500) and leaves no temporary file; once space is freed the same Put
// succeeds.
func TestFullDisk(t *testing.T) {
	dir := testtool.SmallFS(t, 2<<20)
	s, err := Open(filepath.Join(dir, "blobs"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	free := testtool.Fill(t, dir)
	data := bytes.Repeat([]byte("segl "), 50_000)
	_, err = s.Put(t.Context(), bytes.NewReader(data), 1<<20)
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InsufficientStorage || e.Code != errs.CodeStorageFull {
		t.Fatalf("Put on a full disk: %v, want %s", err, errs.CodeStorageFull)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(left) != 0 {
		t.Fatalf("%d temporary files left", len(left))
	}
	// Staged content (a signing act's tail) fails the same way.
	w := blob.NewStager(t.TempDir())
	w.Write(data)
	_, err = w.Keep(t.Context(), s)
	if !errors.As(err, &e) || e.Kind != errs.InsufficientStorage || e.Code != errs.CodeStorageFull {
		t.Fatalf("staged put on a full disk: %v, want %s", err, errs.CodeStorageFull)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(left) != 0 {
		t.Fatalf("%d temporary files left by the staged put", len(left))
	}
	free()
	if _, err := s.Put(t.Context(), bytes.NewReader(data), 1<<20); err != nil {
		t.Fatalf("Put after space was freed: %v", err)
	}
}

// TestStagedFileFromAnotherFileSystem: a staged file that cannot be
// renamed into the store (another file system: a temporary directory
// elsewhere) is copied into it, stored under its SHA-256, and removed.
// stagedElsewhere opens a store on a small tmpfs and stages, on another
// file system, more than a Stager keeps in memory, so that it is a file.
func stagedElsewhere(t *testing.T) (s *Store, dir, stage string, data []byte, w *blob.Stager) {
	t.Helper()
	dir = testtool.SmallFS(t, 16<<20)
	s, err := Open(filepath.Join(dir, "blobs"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	stage = t.TempDir() // not on the tmpfs
	data = bytes.Repeat([]byte("a large tail "), blob.StageMemory/13+1000)
	w = blob.NewStager(stage)
	w.Write(data)
	return s, dir, stage, data, w
}

func TestStagedFileFromAnotherFileSystem(t *testing.T) {
	s, dir, stage, data, w := stagedElsewhere(t)
	if left, _ := os.ReadDir(stage); len(left) != 1 {
		t.Fatalf("%d staging files for %d bytes, want one", len(left), len(data))
	}
	ref, err := w.Keep(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	readBack(t, s, ref, string(data))
	if left, _ := os.ReadDir(stage); len(left) != 0 {
		t.Fatalf("%d staging files left", len(left))
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(left) != 0 {
		t.Fatalf("%d temporary files left in the store", len(left))
	}
}

// TestStagedFileCutShortIsRefused copies a staged file from another file
// system that lost bytes after it was hashed: nothing is stored under the
// hash of the content it no longer holds, and no temporary file is left.
func TestStagedFileCutShortIsRefused(t *testing.T) {
	s, dir, stage, data, w := stagedElsewhere(t)
	left, _ := os.ReadDir(stage)
	if len(left) != 1 {
		t.Fatalf("%d staging files for %d bytes, want one", len(left), len(data))
	}
	if err := os.Truncate(filepath.Join(stage, left[0].Name()), int64(len(data)/2)); err != nil {
		t.Fatal(err)
	}
	if ref, err := w.Keep(t.Context(), s); err == nil {
		t.Fatalf("a staged file cut short was stored as %s", ref.Key)
	}
	for _, d := range []string{"sha256", "tmp"} {
		var files []string
		err := filepath.WalkDir(filepath.Join(dir, "blobs", d), func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 0 {
			t.Errorf("files left under %s: %v", d, files)
		}
	}
}

// TestPutAgainRefreshesAge stores content that is already there: the blob
// counts as written now, so a sweep of old blobs keeps it.
func TestPutAgainRefreshesAge(t *testing.T) {
	s, err := Open(t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref, _ := s.Put(ctx, strings.NewReader("same"), 10)
	p, _ := s.path(ref.Key)
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(p, old, old)
	var listed []string
	s.WalkOlder(ctx, time.Now().Add(-24*time.Hour), func(k string) error { listed = append(listed, k); return nil })
	if len(listed) != 1 || listed[0] != ref.Key {
		t.Fatalf("old blobs: %v", listed)
	}
	if _, err := s.Put(ctx, strings.NewReader("same"), 10); err != nil {
		t.Fatal(err)
	}
	if deleted, err := s.DeleteIfOlder(ctx, ref.Key, time.Now().Add(-24*time.Hour)); err != nil || deleted {
		t.Fatalf("a blob stored again was deleted: %v, %v", deleted, err)
	}
	os.Chtimes(p, old, old)
	if deleted, err := s.DeleteIfOlder(ctx, ref.Key, time.Now().Add(-24*time.Hour)); err != nil || !deleted {
		t.Fatalf("an old blob was kept: %v, %v", deleted, err)
	}
}

// TestFanOutDirectoryRemoved: the store makes a fan-out directory only
// when a rename says it is missing, so one removed behind its back (by an
// operator, another process) is made again and the blob is stored and
// read back, by Put and by a Stager alike.
func TestFanOutDirectoryRemoved(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := s.Put(ctx, strings.NewReader("first"), 10)
	if err != nil {
		t.Fatal(err)
	}
	fan := filepath.Join(dir, "sha256", first.Key[:2])
	if err := os.RemoveAll(fan); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, strings.NewReader("first"), 10); err != nil {
		t.Fatalf("put after its directory was removed: %v", err)
	}
	readBack(t, s, first, "first")
	os.RemoveAll(filepath.Join(dir, "sha256"))
	w := blob.NewStager(t.TempDir())
	w.Write([]byte("first"))
	if ref, err := w.Keep(ctx, s); err != nil || ref != first {
		t.Fatalf("staged put after the fan-out root was removed: %+v, %v", ref, err)
	}
	readBack(t, s, first, "first")
}

// TestOpenMakesTheFanOut: a new store has every fan-out directory, made
// and synced by Open, so blobs under 32 new prefixes each sync their own
// directory and nothing else; a directory removed later is made again by
// the put that needs it (TestFanOutDirectoryRemoved).
func TestOpenMakesTheFanOut(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.dirSyncs.Load(); n != 2 {
		t.Errorf("Open synced %d directories, want sha256/ and the store's own", n)
	}
	if fan, _ := os.ReadDir(filepath.Join(dir, "sha256")); len(fan) != 256 {
		t.Fatalf("%d fan-out directories, want 256", len(fan))
	}
	prefixes := map[string]bool{}
	for i := 0; len(prefixes) < 32; i++ {
		ref, err := s.Put(t.Context(), strings.NewReader(fmt.Sprint("blob ", i)), 100)
		if err != nil {
			t.Fatal(err)
		}
		prefixes[ref.Key[:2]] = true
		if files, dirs := s.fsyncs.Load(), s.dirSyncs.Load()-2; dirs != files {
			t.Fatalf("after %d new blobs %d directories synced, want one each", files, dirs)
		}
	}
	again, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fan, _ := os.ReadDir(filepath.Join(dir, "sha256")); len(fan) != 256 || again.dirSyncs.Load() != 2 {
		t.Fatalf("opened again: %d fan-out directories, %d synced", len(fan), again.dirSyncs.Load())
	}
}

func readBack(t *testing.T, s *Store, ref blob.Ref, want string) {
	t.Helper()
	o, err := s.Open(context.Background(), ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got, _ := io.ReadAll(o)
	sum := sha256.Sum256(got)
	if string(got) != want || hex.EncodeToString(sum[:]) != ref.Key {
		t.Fatalf("read back %q under %s", got, ref.Key)
	}
}

// TestCrashBeforeRenameLeavesNothing kills a process (SIGKILL, as a crash
// or the OOM killer does) while it writes a blob, after part of the bytes
// reached the store's temporary file: nothing is under sha256/, and the
// store opened again stores the same content whole.
func TestCrashBeforeRenameLeavesNothing(t *testing.T) {
	if dir := os.Getenv("SEGL_BLOBFS_CRASH_DIR"); dir != "" {
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Put(context.Background(), &stalling{}, 10<<20) // never returns
		return
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashBeforeRenameLeavesNothing$")
	cmd.Env = append(os.Environ(), "SEGL_BLOBFS_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child says "written" once its first chunk has been through the
	// copy into the temporary file and it is asked for more.
	line, err := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	if err != nil || line != "written\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(tmp) != 1 {
		t.Fatalf("%d temporary files after the crash, want the one being written", len(tmp))
	}
	if info, _ := tmp[0].Info(); info == nil || info.Size() < int64(len(chunk)) {
		t.Fatalf("the temporary file holds %v, want at least the first chunk", info)
	}
	var stored []string
	err = filepath.WalkDir(filepath.Join(dir, "sha256"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			stored = append(stored, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 0 {
		t.Fatalf("a crash before the rename left %v", stored)
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := s.Put(context.Background(), strings.NewReader(string(chunk)), 10<<20)
	if err != nil {
		t.Fatal(err)
	}
	readBack(t, s, ref, string(chunk))
}

var chunk = bytes.Repeat([]byte("a blob being written "), 4096)

// stalling gives chunk, then reports that it was written (the copy asks
// for more only after writing what it had) and blocks.
type stalling struct{ n int }

func (s *stalling) Read(p []byte) (int, error) {
	if s.n >= len(chunk) {
		os.Stdout.WriteString("written\n")
		select {}
	}
	n := copy(p, chunk[s.n:])
	s.n += n
	return n, nil
}

// TestPutAgainSyncsOnlyItsDirectory stores content that is already there,
// by each way into the store (a stream, content staged in memory, a staged
// file): the stored copy was synced when it was placed, so no file is
// synced or written again, and no temporary or staged file is left. Each
// such put syncs the blob's directory, once: the put that placed the blob
// may not have synced its directory entry yet, and the answer must not
// come before the blob is durable.
func TestPutAgainSyncsOnlyItsDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "blobs"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	data := strings.Repeat("a document uploaded twice ", 100)
	ref, err := s.Put(ctx, strings.NewReader(data), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.fsyncs.Load(); n != 1 {
		t.Fatalf("%d blob files synced for one put, want 1", n)
	}
	staged := filepath.Join(dir, "staged")
	if err := os.WriteFile(staged, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(staged)
	if err != nil {
		t.Fatal(err)
	}
	w := blob.NewStager(dir)
	w.Write([]byte(data))
	again := map[string]func() (blob.Ref, error){
		"stream":      func() (blob.Ref, error) { return s.Put(ctx, strings.NewReader(data), 1<<20) },
		"memory":      func() (blob.Ref, error) { return w.Keep(ctx, s) },
		"staged file": func() (blob.Ref, error) { return blob.Keep(ctx, s, f, 1<<20) },
	}
	for name, put := range again {
		dirs := s.dirSyncs.Load()
		got, err := put()
		if err != nil || got != ref {
			t.Fatalf("%s: %v, %v, want %v", name, got, err, ref)
		}
		if n := s.dirSyncs.Load() - dirs; n != 1 {
			t.Errorf("%s: %d directories synced for content already stored, want its own, once", name, n)
		}
	}
	if n := s.fsyncs.Load(); n != 1 {
		t.Errorf("%d blob files synced after storing the same content three more times, want still 1", n-1)
	}
	if _, err := os.Stat(staged); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the staged file is left: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(left) != 0 {
		t.Errorf("%d temporary files left in the store", len(left))
	}
	readBack(t, s, ref, data)
}

package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/storetest"
	"github.com/segl/segl/internal/testtool"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := Open(filepath.Join(t.TempDir(), "segl.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestReopenKeepsSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "segl.db")
	for range 2 {
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

// TestPing: readiness reads the file; a database that cannot be read is
// Unavailable, which /readyz reports as not ready.
func TestPing(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "segl.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("ping an open database: %v", err)
	}
	db.Close()
	if err := db.Ping(context.Background()); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("ping a closed database: %v, want unavailable", err)
	}
}

// TestFullDisk fills the file system under the database: writes, in a
// transaction or not, fail with the storage-full kind, which the edges
// answer with 507, not with an untyped error they would answer with 500;
// once space is freed they succeed again.
func TestFullDisk(t *testing.T) {
	ctx := context.Background()
	writes := map[string]func(db *DB, i int) error{
		"transaction": func(db *DB, i int) error {
			return db.PutOrg(ctx, store.By{Actor: "test", At: time.Now()},
				store.Org{Number: fmt.Sprintf("9%08d", i), Name: strings.Repeat("n", 4000), Active: true})
		},
		"statement": func(db *DB, i int) error {
			_, err := db.RecordNotice(ctx, store.Notice{Key: fmt.Sprintf("%d/%s", i, strings.Repeat("k", 4000)),
				Org: "317510748", JobID: "j", SignerID: "s", Channel: "email", Template: "t", At: time.Now()})
			return err
		},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			dir := testtool.SmallFS(t, 2<<20)
			db, err := Open(filepath.Join(dir, "segl.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			free := testtool.Fill(t, dir)
			i := 0
			for ; err == nil && i < 10_000; i++ {
				err = write(db, i) // the write-ahead log grows until the disk refuses
			}
			if !errs.Is(err, errs.InsufficientStorage) || errs.From(err).Code != errs.CodeStorageFull {
				t.Fatalf("write %d on a full disk: %v, want %s", i, err, errs.CodeStorageFull)
			}
			free()
			if err := write(db, i); err != nil {
				t.Fatalf("write after space was freed: %v", err)
			}
		})
	}
}

// TestSearchRefold opens a database whose job has the search text that
// migration step 18 wrote with lower(), from before step 20: opening it
// again refolds the text with job.SearchKey (storetest.SearchRefold).
func TestSearchRefold(t *testing.T) {
	path := filepath.Join(t.TempDir(), "segl.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	oldWay := func(org, id string) {
		_, err := db.write.Exec(`UPDATE jobs SET search = lower(title || char(10) || reference || coalesce(char(10) || (SELECT group_concat(name, char(10)) FROM signers
			WHERE signers.org = jobs.org AND signers.job_id = jobs.id AND name <> ''), '')) WHERE org = ? AND id = ?`, org, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.write.Exec(`DROP TABLE search_refold; DELETE FROM schema_migrations WHERE version = 20`); err != nil {
			t.Fatal(err)
		}
	}
	reopen := func() store.Store {
		db.Close()
		again, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { again.Close() })
		return again
	}
	storetest.SearchRefold(t, db, oldWay, reopen)
}

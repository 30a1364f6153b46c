package sqldb

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	steps := []string{`CREATE TABLE a (x INTEGER)`}
	for range 2 { // the second run applies nothing
		if err := Migrate(ctx, db, "m", steps); err != nil {
			t.Fatal(err)
		}
	}
	steps = append(steps, `ALTER TABLE a ADD COLUMN y INTEGER`, `this is not sql`)
	if err := Migrate(ctx, db, "m", steps); err == nil || !strings.Contains(err.Error(), "step 3") {
		t.Fatalf("a failing step: %v", err)
	}
	var v int
	db.QueryRow(`SELECT MAX(version) FROM m`).Scan(&v)
	if v != 2 {
		t.Fatalf("version %d after a failed step 3, want 2 (each step its own transaction)", v)
	}
	if err := Migrate(ctx, db, "m", steps[:1]); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("an older segl on a newer database: %v", err)
	}
}

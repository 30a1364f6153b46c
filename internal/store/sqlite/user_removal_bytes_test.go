package sqlite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/internal/store"
)

// TestUserRemovalLeavesNoBytes removes a portal user and deletes the
// counter named after them (their staff sessions' generation, as
// staff.Service does with their last role): no byte of the database file
// or its log keeps their name, e-mail address or the counter's name, and
// no job row their identity number. (The audit records of the grant and
// the removal name the person, docs/operations.md "Personal data and
// retention" says why, so the number itself is not looked for.)
func TestUserRemovalLeavesNoBytes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "segl.db")
	db, j, t0 := relaxedWithJob(t, path, "21909825250")
	defer db.Close()
	const sara, counter = "10856606428", "staff-sessions/5f0e3c2a9b7d41e6a8c0b1d2e3f40516"
	by := store.By{Actor: "pid:21909825250", At: t0}
	u := store.User{Org: j.Org, PID: sara, Name: "Sara Dahl", Email: "sara.dahl@lanekassen.example",
		Role: store.RoleSender, CreatedAt: t0, CreatedBy: "pid:21909825250"}
	if err := db.PutUser(ctx, by, u); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCursor(ctx, counter, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `UPDATE jobs SET creator = ? WHERE org = ? AND id = ?`, "pid:"+sara, j.Org, j.ID); err != nil {
		t.Fatal(err)
	}
	// Everything is in the database file, as after a while of use.
	if _, err := db.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUser(ctx, store.By{Actor: by.Actor, At: t0.Add(time.Hour)}, j.Org, sara); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCursor(ctx, counter); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"segl.db", "segl.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, trace := range []string{u.Name, u.Email, counter, "pid:" + sara} {
			if bytes.Contains(b, []byte(trace)) {
				t.Errorf("%s still holds %q after the removal", name, trace)
			}
		}
	}
}

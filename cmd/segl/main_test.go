package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/postgres"
	"github.com/segl/segl/internal/store/sqlite"
)

// seed writes three jobs' worth of audit records through the real store.
func seed(t *testing.T, db store.Store) {
	t.Helper()
	defer db.Close()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	n := 0
	ids := func() string { n++; return strings.Repeat("0", 8) + string(rune('a'+n)) }
	for range 3 {
		r := &job.Request{Title: "T", Flow: job.Portal, SignatureType: job.Authenticated,
			Signers: []job.SignerRequest{{PID: "21909825250"}}}
		j, ev := job.New(r, "317510748", "cert:1", nil, ids, now, job.DefaultLimits)
		if err := db.CreateJob(context.Background(), j, ev, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// backend is a store segl audit verify reads: seeded, tampered with by SQL
// behind segl's back, and named by the command's flags.
type backend struct {
	name string
	// make returns the flags that name a new seeded store and a function
	// that runs SQL on it.
	make func(t *testing.T) (flags []string, exec func(stmt string))
}

var backends = []backend{
	{"sqlite", func(t *testing.T) ([]string, func(string)) {
		dir := t.TempDir()
		db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		seed(t, db)
		return []string{"--data", dir}, func(stmt string) {
			raw, err := sql.Open("sqlite", filepath.Join(dir, "segl.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"postgres", func(t *testing.T) ([]string, func(string)) {
		url := pgtest.URL(t)
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		seed(t, db)
		return []string{"--database-url", url}, func(stmt string) {
			conn, err := pgx.Connect(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), stmt); err != nil {
				t.Fatal(err)
			}
		}
	}},
}

func TestAuditVerifyCommand(t *testing.T) {
	tests := []struct {
		name, tamper, want string
	}{
		{"ok/intact", "", "audit log intact: 6 records"},
		{"fail/edited", "UPDATE audit SET actor = 'cert:2' WHERE seq = 3", "record 3 was altered"},
		{"fail/removed", "DELETE FROM audit WHERE seq = 4", "record 5 found where 4 was expected"},
		{"fail/reordered", "UPDATE audit SET seq = seq + 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 102",
			"record 2 does not follow record 1"},
	}
	for _, b := range backends {
		for _, tt := range tests {
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				flags, exec := b.make(t)
				if tt.tamper != "" {
					exec(tt.tamper)
				}
				var out bytes.Buffer
				err := run(append([]string{"audit", "verify"}, flags...), &out, &out)
				got := out.String()
				if err != nil {
					got += err.Error()
				}
				if (err == nil) != (tt.tamper == "") || !strings.Contains(got, tt.want) {
					t.Fatalf("got %q (err %v), want %q", got, err, tt.want)
				}
			})
		}
	}
}

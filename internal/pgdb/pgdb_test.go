package pgdb_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pgdb"
	"github.com/segl/segl/internal/pgtest"
)

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	pool, err := pgdb.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	steps := []string{`CREATE TABLE a (x INTEGER)`}
	for range 2 { // the second run applies nothing
		if err := pgdb.Migrate(ctx, pool, "m", steps); err != nil {
			t.Fatal(err)
		}
	}
	steps = append(steps, `ALTER TABLE a ADD COLUMN y INTEGER; CREATE INDEX a_y ON a (y)`, `this is not sql`)
	if err := pgdb.Migrate(ctx, pool, "m", steps); err == nil || !strings.Contains(err.Error(), "step 3") {
		t.Fatalf("a failing step: %v", err)
	}
	var v int
	pool.QueryRow(ctx, `SELECT MAX(version) FROM m`).Scan(&v)
	if v != 2 {
		t.Fatalf("version %d after a failed step 3, want 2 (each step its own transaction)", v)
	}
	if err := pgdb.Migrate(ctx, pool, "m", steps[:1]); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("an older segl on a newer database: %v", err)
	}
}

// TestMigrateManyNodes starts eight "nodes" (pools of their own) on one
// empty database at once: every one succeeds and each step ran once. A step
// that is not idempotent (CREATE TABLE without IF NOT EXISTS, an INSERT)
// would fail or count twice otherwise.
func TestMigrateManyNodes(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	steps := []string{
		`CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1)`,
		`INSERT INTO a VALUES (2)`,
		`CREATE TABLE b (y INTEGER)`,
	}
	const nodes = 8
	var wg sync.WaitGroup
	errc := make(chan error, nodes)
	for range nodes {
		wg.Go(func() {
			pool, err := pgdb.Open(ctx, url)
			if err != nil {
				errc <- err
				return
			}
			defer pool.Close()
			errc <- pgdb.Migrate(ctx, pool, "m", steps)
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("a node's migration: %v", err)
		}
	}
	pool, err := pgdb.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var rows, versions int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM m)`).Scan(&rows, &versions); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || versions != len(steps) {
		t.Fatalf("after %d nodes: %d rows in a, %d version rows; want 2 and %d", nodes, rows, versions, len(steps))
	}
}

func TestOpenHidesPassword(t *testing.T) {
	_, err := pgdb.Open(context.Background(), "postgres://segl:s3cret@[::1/segl")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("a malformed URL: %v", err)
	}
}

// TestUnreachableIsUnavailable: a database that does not answer is the
// Unavailable kind (503 at the edges, try again), not an internal error.
func TestUnreachableIsUnavailable(t *testing.T) {
	dir := t.TempDir() // no server listens on its socket
	_, err := pgdb.Open(context.Background(), "postgres://segl@/segl?host="+dir+"&connect_timeout=2")
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("no server: %v, want the unavailable kind", err)
	}
}

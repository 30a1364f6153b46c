package postgres

import (
	"context"
	"testing"

	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/storetest"
)

func open(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, pgtest.URL(t)) })
}

// TestSearchRefold opens a database whose job has the search text that
// migration step 13 wrote with lower(), from before step 15: opening it
// again refolds the text with job.SearchKey (storetest.SearchRefold).
func TestSearchRefold(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db := open(t, url)
	t.Cleanup(func() { db.Close() })
	oldWay := func(org, id string) {
		_, err := db.pool.Exec(ctx, `UPDATE jobs SET search = lower(title || E'\n' || reference || coalesce(E'\n' || (SELECT string_agg(name, E'\n' ORDER BY position) FROM signers
			WHERE signers.org = jobs.org AND signers.job_id = jobs.id AND name <> ''), '')) WHERE org = $1 AND id = $2`, org, id)
		if err != nil {
			t.Fatal(err)
		}
		// Back to before step 15: the steps after it undone too.
		if _, err := db.pool.Exec(ctx, `DROP TABLE search_refold;
			ALTER TABLE signers DROP COLUMN evidence_at, DROP COLUMN evidence_size, DROP COLUMN evidence_sha256;
			DELETE FROM schema_migrations WHERE version >= 15`); err != nil {
			t.Fatal(err)
		}
	}
	reopen := func() store.Store {
		db.Close()
		again := open(t, url)
		t.Cleanup(func() { again.Close() })
		return again
	}
	storetest.SearchRefold(t, db, oldWay, reopen)
}

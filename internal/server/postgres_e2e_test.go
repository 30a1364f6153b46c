package server_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/store/postgres"
)

// TestCeremonyOnPostgreSQL runs segl with database-url set: the store and
// the task queue are in PostgreSQL and no SQLite file is made. Two signers
// sign a direct job through the pages, the queue delivers the sender's
// notice, the signed PDF validates, the audit chain is intact, and after a
// restart the job is read back completed.
func TestCeremonyOnPostgreSQL(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	e := newEnv(t, func(c *config.Config) { c.DatabaseURL = dbURL })
	if _, ok := e.srv.Store.(*postgres.DB); !ok {
		t.Fatalf("database-url set, but the store is %T", e.srv.Store)
	}
	for _, f := range []string{"segl.db", "queue.db"} {
		if _, err := os.Stat(filepath.Join(e.data, f)); !os.IsNotExist(err) {
			t.Fatalf("%s in the data directory with database-url set: %v", f, err)
		}
	}
	ctx := context.Background()
	org, err := e.srv.Store.Org(ctx, orgA)
	if err != nil {
		t.Fatal(err)
	}
	org.ContactEmail = "post@lanekassen.example"
	if err := e.srv.Store.PutOrg(ctx, testBy, org); err != nil {
		t.Fatal(err)
	}
	c := e.client(orgA)
	j := e.createWithText(c, directRequest())

	ola := e.browser(t)
	view := ola.login(j.Signers[0].SigningURL, olaPID, "bankid")
	view.want(t, 200, "Arbeidsavtale")
	ola.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	kari := e.browser(t)
	view = kari.login(j.Signers[1].SigningURL, kariPID, "")
	view.want(t, 200, "Arbeidsavtale")
	token := kari.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	e.completed(c, j.ID)
	if done, err := c.Status(ctx, token); err != nil || done.Status != "completed" {
		t.Fatalf("status after both signed: %+v, %v", done, err)
	}
	eventually(t, "the sender's notice, delivered through the queue", func() bool {
		return len(e.mailTo("post@lanekassen.example")) == 1
	})

	signedPasses(t, c, j.ID, j.Documents[0].ID, e.srv.Dev.Roots(), 3)

	e.restart()
	got, err := e.client(orgA).Job(ctx, j.ID)
	if err != nil || got.Status != "completed" {
		t.Fatalf("after a restart: %+v, %v", got, err)
	}
	var v audit.Verifier
	if err := e.srv.Store.AuditRecords(ctx, 0, v.Next); err != nil || v.Count < 10 {
		t.Fatalf("audit chain: %v after %d records", err, v.Count)
	}
}

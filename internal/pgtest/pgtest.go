// Package pgtest gives each test its own PostgreSQL database, on the one
// server a test run shares (scripts/test starts it with
// scripts/pg-test-server and exports its URL as SEGL_TEST_DATABASE_URL).
// Databases with random names let packages run in parallel against it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/segl/segl/internal/testtool"
)

// Env names the variable holding a superuser URL of the test server.
const Env = "SEGL_TEST_DATABASE_URL"

// URL creates an empty database and returns its URL; the database is
// dropped when the test ends. Without a test server the test skips on a
// developer's machine and fails in CI (testtool.Required).
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(Env)
	if admin == "" {
		testtool.Missing(t, "no PostgreSQL test server: %s is not set (scripts/test starts one with scripts/pg-test-server)", Env)
	}
	return database(t, admin)
}

// database creates an empty database on the server at the superuser URL
// admin, dropped when the test ends, and returns its URL.
func database(t testing.TB, admin string) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s must be a postgres:// URL", Env)
	}
	var b [8]byte
	rand.Read(b[:])
	name := "segl_test_" + hex.EncodeToString(b[:])
	exec(t, admin, `CREATE DATABASE `+name)
	t.Cleanup(func() { exec(t, admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	u.Path = "/" + name
	return u.String()
}

// exec runs one statement on its own connection to the server.
func exec(t testing.TB, admin, stmt string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("pgtest: %s: %v", stmt, err)
	}
}

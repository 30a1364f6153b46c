// Package sqldb holds what every SQL-backed part of segl (the store, the
// queue) does the same way: append-only migrations, each in one transaction
// with its version row, running a function in a transaction, and telling a
// full database from other failures. Migrate, InTx and Full are SQLite's;
// the PostgreSQL runner (internal/pgdb) follows the same rules and shares
// CheckVersion.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/segl/segl/internal/errs"
)

// Migrate brings the schema recorded in table up to date by applying the
// steps after the last one applied. Steps are append-only: never edit an
// applied one, add a new one. A database newer than steps is refused.
// Placeholders are SQLite's (?).
func Migrate(ctx context.Context, db *sql.DB, table string, steps []string) error {
	if _, err := db.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS `+table+` (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate %s: %w", table, err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+table).Scan(&have); err != nil {
		return fmt.Errorf("migrate %s: %w", table, err)
	}
	if err := CheckVersion(table, have, len(steps)); err != nil {
		return err
	}
	for v := have + 1; v <= len(steps); v++ {
		err := InTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, steps[v-1]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (version, applied_at) VALUES (?, ?)`, v, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: step %d: %w", table, v, err)
		}
	}
	return nil
}

// CheckVersion refuses a schema at version have when this segl knows only
// steps migrations: an older binary must not write to a newer schema.
func CheckVersion(table string, have, steps int) error {
	if have > steps {
		return fmt.Errorf("migrate %s: schema version %d is newer than this segl (%d)", table, have, steps)
	}
	return nil
}

// InTx runs fn in a transaction, committing when it returns nil. A full
// database, in fn or at the commit, is reported as Full does.
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return Full(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return Full(err)
	}
	return Full(tx.Commit())
}

// Full turns SQLite's "database or disk is full" (SQLITE_FULL, which the
// unix VFS returns when a write meets ENOSPC, and its extended codes) into
// errs.StorageFull, which the edges answer with 507 rather than 500; any
// other error, and nil, pass unchanged. SQLite rolls the statement or
// transaction back, so nothing half-written stays behind
// (https://sqlite.org/rescode.html#full).
func Full(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return errs.StorageFull(err)
	}
	return err
}

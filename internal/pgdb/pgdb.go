// Package pgdb holds what every PostgreSQL-backed part of segl (the store,
// the queue) does the same way, as internal/sqldb does for SQLite: opening a
// connection pool, and append-only migrations that each run in one
// transaction with their version row.
//
// Several nodes may start at the same moment against one database. Each
// migration step takes a transaction-scoped advisory lock named after its
// version table before it reads the version, so exactly one node applies
// each step and the others wait, then find it applied.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/sqldb"
)

// Open connects a pool to the database at url (a postgres:// URL or a
// libpq key=value string; pool_max_conns and the other pgxpool parameters
// may be given in it) and checks that the server answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error quotes the URL, and its redaction of the
		// password is best effort: say only what kind of mistake it is.
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) && pe.Unwrap() != nil {
			return nil, fmt.Errorf("pgdb: database-url cannot be parsed: %w", pe.Unwrap())
		}
		return nil, errors.New("pgdb: database-url cannot be parsed")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, Classify(fmt.Errorf("pgdb: connect: %w", err))
	}
	return pool, nil
}

// Migrate brings the schema recorded in table up to date by applying the
// steps after the last one applied, each in its own transaction together
// with its version row. Steps are append-only: never edit an applied one,
// add a new one. A database newer than steps is refused. Steps run through
// the simple protocol, so one step may hold several statements.
func Migrate(ctx context.Context, pool *pgxpool.Pool, table string, steps []string) error {
	for {
		applied := 0
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			// Held until this transaction ends: the next node to take
			// it reads the version this one wrote.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(table)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+
				` (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
				return err
			}
			var have int
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+table).Scan(&have); err != nil {
				return err
			}
			if err := sqldb.CheckVersion(table, have, len(steps)); err != nil {
				return err
			}
			if have == len(steps) {
				return nil
			}
			v := have + 1
			if _, err := tx.Exec(ctx, steps[v-1]); err != nil {
				return fmt.Errorf("migrate %s: step %d: %w", table, v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (version, applied_at) VALUES ($1, $2)`,
				v, time.Now().Unix()); err != nil {
				return fmt.Errorf("migrate %s: step %d: %w", table, v, err)
			}
			applied = v
			return nil
		})
		if err != nil {
			return fmt.Errorf("pgdb: %w", err)
		}
		if applied == 0 {
			return nil
		}
	}
}

// lockKey names table's migration lock in the advisory lock space, which
// the whole database shares.
func lockKey(table string) int64 {
	h := fnv.New64a()
	h.Write([]byte("segl migrate " + table))
	return int64(h.Sum64())
}

// Classify gives the PostgreSQL failures a caller can act on their kind,
// keeping err as the cause: a full disk (SQLSTATE 53100, disk_full) is
// errs.StorageFull, as a full SQLite file is, and a database that cannot
// be reached or is shutting down (a failed connect, a connection lost
// mid-statement or found closed, SQLSTATE class 08 or 57P01-57P03) is
// Unavailable, which the edges answer with 503: the same request may
// succeed later. Anything else is returned unchanged.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "53100":
			return errs.StorageFull(err)
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			return unavailable(err)
		}
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return unavailable(err)
	}
	return err
}

func unavailable(cause error) error {
	return errs.Wrap(cause, errs.Unavailable, errs.CodeDatabaseUnavailable, "the database cannot be reached; try again later")
}

// IsUniqueViolation reports whether err is PostgreSQL's unique_violation
// (SQLSTATE 23505).
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

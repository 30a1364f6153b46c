package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/store"
)

// Portal users, the outbox cursor, the notice record, one-time codes and
// usage: what senders and delivery need.

const userColumns = `org, pid, name, email, role, created_at, created_by`

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	var created int64
	err := row.Scan(&u.Org, &u.PID, &u.Name, &u.Email, &u.Role, &created, &u.CreatedBy)
	u.CreatedAt = fromMicro(created)
	return u, err
}

// User returns one user of org.
func (db *DB) User(ctx context.Context, org, pid string) (store.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org = $1 AND pid = $2`, org, pid))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, errs.E(errs.NotFound, store.CodeUserNotFound, "no such user")
	}
	return u, wrap("user", err)
}

// UserOrgs lists a person's memberships.
func (db *DB) UserOrgs(ctx context.Context, pid string) ([]store.User, error) {
	return db.users(ctx, `WHERE pid = $1 ORDER BY org`, pid)
}

// ListUsers lists an organisation's users.
func (db *DB) ListUsers(ctx context.Context, org string) ([]store.User, error) {
	return db.users(ctx, `WHERE org = $1 ORDER BY name, pid`, org)
}

func (db *DB) users(ctx context.Context, where string, args ...any) ([]store.User, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users `+where, args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.User, error) { return scanUser(r) })
	return out, wrap("users", err)
}

// Cursor returns a worker's position in the feed.
func (db *DB) Cursor(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := db.pool.QueryRow(ctx, `SELECT seq FROM cursors WHERE name = $1`, name).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return seq, wrap("cursor", err)
}

// SetCursor moves a worker's position forward.
func (db *DB) SetCursor(ctx context.Context, name string, seq int64) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO cursors (name, seq) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET seq = GREATEST(cursors.seq, excluded.seq)`, name, seq)
	return wrap("set cursor", err)
}

// DeleteCursor removes a cursor: a counter named after a person goes
// with the person (staff's session generations).
func (db *DB) DeleteCursor(ctx context.Context, name string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM cursors WHERE name = $1`, name)
	return wrap("delete cursor", err)
}

// insertNotice records a delivered notice, once: a notice already
// recorded under its key is left as it is.
const insertNotice = `INSERT INTO notices (key, org, job_id, signer_id, channel, template, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
	ON CONFLICT (key) DO NOTHING`

// RecordNotice stores a delivered notice once.
func (db *DB) RecordNotice(ctx context.Context, n store.Notice) (bool, error) {
	tag, err := db.pool.Exec(ctx, insertNotice,
		n.Key, n.Org, n.JobID, n.SignerID, n.Channel, n.Template, micro(n.At))
	if err != nil {
		return false, wrap("record notice", err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecordNotices stores delivered notices once each, in one transaction.
func (db *DB) RecordNotices(ctx context.Context, ns []store.Notice) error {
	if len(ns) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, n := range ns {
			if _, err := tx.Exec(ctx, insertNotice,
				n.Key, n.Org, n.JobID, n.SignerID, n.Channel, n.Template, micro(n.At)); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("record notices", err)
}

// HasNotice reports whether the notice was recorded.
func (db *DB) HasNotice(ctx context.Context, key string) (bool, error) {
	var has bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notices WHERE key = $1)`, key).Scan(&has)
	return has, wrap("notice", err)
}

// JobNotices lists a job's notices.
func (db *DB) JobNotices(ctx context.Context, org, jobID string) ([]store.Notice, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT key, org, job_id, signer_id, channel, template, at FROM notices
		WHERE org = $1 AND job_id = $2 ORDER BY at, key`, org, jobID)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Notice, error) {
		var n store.Notice
		var at int64
		err := r.Scan(&n.Key, &n.Org, &n.JobID, &n.SignerID, &n.Channel, &n.Template, &at)
		n.At = fromMicro(at)
		return n, err
	})
	return out, wrap("job notices", err)
}

const codeColumns = `hash, expires_at, sent_at, attempts, sent, guesses, locked_at`

func scanCode(row pgx.Row, signerID string) (store.Code, error) {
	c := store.Code{SignerID: signerID}
	var expires, sent int64
	var locked *int64
	err := row.Scan(&c.Hash, &expires, &sent, &c.Attempts, &c.Sent, &c.Guesses, &locked)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errs.E(errs.NotFound, store.CodeCodeNotFound, "no code for this signer")
	}
	if err != nil {
		return c, err
	}
	c.ExpiresAt, c.SentAt = fromMicroOrZero(expires), fromMicroOrZero(sent)
	if locked != nil {
		c.LockedAt = fromMicro(*locked)
	}
	return c, nil
}

// microOrZero stores the zero time as the 0 that stands for "none".
func microOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micro(t)
}

// fromMicroOrZero reads the 0 that stands for "none" as the zero time.
func fromMicroOrZero(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromMicro(n)
}

var errCodeUsedUp = errs.E(errs.Conflict, store.CodeCodeUsedUp, "no guess is left at this code")

// PutCode replaces a signer's one-time code and counts it, in one
// statement: the upsert's WHERE is checked on the row as the last writer
// left it, so concurrent requests cannot make more than maxCodes codes.
func (db *DB) PutCode(ctx context.Context, c store.Code, maxCodes int) error {
	if maxCodes < 1 {
		return errs.E(errs.Conflict, store.CodeCodeLimit, "no more codes may be sent to this signer")
	}
	tag, err := db.pool.Exec(ctx, `
		INSERT INTO codes (signer_id, hash, expires_at, sent_at, attempts, sent, guesses) VALUES ($1, $2, $3, $4, 0, 1, 0)
		ON CONFLICT (signer_id) DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at,
			sent_at = excluded.sent_at, attempts = 0, sent = codes.sent + 1
		WHERE codes.sent < $5 AND codes.locked_at IS NULL`,
		c.SignerID, c.Hash, micro(c.ExpiresAt), micro(c.SentAt), maxCodes)
	if err != nil {
		return wrap("put code", err)
	}
	if tag.RowsAffected() == 0 {
		return errs.E(errs.Conflict, store.CodeCodeLimit, "no more codes may be sent to this signer")
	}
	return nil
}

// Code returns a signer's one-time code.
func (db *DB) Code(ctx context.Context, signerID string) (store.Code, error) {
	c, err := scanCode(db.pool.QueryRow(ctx, `SELECT `+codeColumns+` FROM codes WHERE signer_id = $1`, signerID), signerID)
	return c, wrap("code", err)
}

// GuessCode counts a guess with one UPDATE whose WHERE holds every limit.
// Concurrent guesses queue on the row's lock and each re-checks the WHERE
// on the count the one before left, so only as many as the limits leave
// are counted and answered.
func (db *DB) GuessCode(ctx context.Context, signerID string, now time.Time, perCode, total int) (store.Code, error) {
	c, err := scanCode(db.pool.QueryRow(ctx, `
		UPDATE codes SET attempts = attempts + 1, guesses = guesses + 1
		WHERE signer_id = $1 AND expires_at > $2 AND attempts < $3 AND guesses < $4 AND locked_at IS NULL
		RETURNING `+codeColumns, signerID, micro(now), perCode, total), signerID)
	if errs.Is(err, errs.NotFound) {
		if _, err := db.Code(ctx, signerID); err != nil {
			return c, err
		}
		return c, errCodeUsedUp
	}
	return c, wrap("guess code", err)
}

// SpendCode ends a signer's code; the hash and the live expiry in the
// WHERE let only one caller spend it.
func (db *DB) SpendCode(ctx context.Context, signerID string, hash []byte) error {
	tag, err := db.pool.Exec(ctx, `UPDATE codes SET expires_at = 0 WHERE signer_id = $1 AND hash = $2 AND expires_at > 0`,
		signerID, hash)
	if err != nil {
		return wrap("spend code", err)
	}
	if tag.RowsAffected() == 0 {
		return errCodeUsedUp
	}
	return nil
}

// LockCode locks a signer's link, creating the row if the signer never had
// a code.
func (db *DB) LockCode(ctx context.Context, signerID string, at time.Time) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO codes (signer_id, hash, expires_at, sent_at, attempts, sent, guesses, locked_at) VALUES ($1, '\x', 0, 0, 0, 0, 0, $2)
		ON CONFLICT (signer_id) DO UPDATE SET expires_at = 0, locked_at = excluded.locked_at WHERE codes.locked_at IS NULL`,
		signerID, micro(at))
	return wrap("lock code", err)
}

// UsageRows counts signatures by the job's signature type and notices by
// channel, per organisation and month in loc (PostgreSQL's own zone
// database names it). A signature counts in the month it was made (the
// signer's last change, which signing is).
func (db *DB) UsageRows(ctx context.Context, from, to time.Time, loc *time.Location) ([]store.UsageRow, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT org, month, item, sum(n)::bigint FROM (
			SELECT s.org AS org, to_char(to_timestamp(s.updated_at / 1000000) AT TIME ZONE $3::text, 'YYYY-MM') AS month,
				j.signature_type AS item, count(*) AS n
			FROM signers s JOIN jobs j ON j.org = s.org AND j.id = s.job_id
			WHERE s.status = 'signed' AND s.updated_at >= $1 AND s.updated_at < $2
			GROUP BY 1, 2, 3
			UNION ALL
			SELECT org, to_char(to_timestamp(at / 1000000) AT TIME ZONE $3::text, 'YYYY-MM'), channel, count(*)
			FROM notices WHERE at >= $1 AND at < $2 GROUP BY 1, 2, 3
		) u GROUP BY org, month, item ORDER BY org COLLATE "C", month, item COLLATE "C"`,
		micro(from), micro(to), loc.String())
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.UsageRow, error) {
		var u store.UsageRow
		err := r.Scan(&u.Org, &u.Month, &u.Item, &u.Count)
		return u, err
	})
	return out, wrap("usage", err)
}

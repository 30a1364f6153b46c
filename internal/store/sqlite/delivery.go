package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/sqldb"
	"github.com/segl/segl/internal/store"
)

// Portal users, the outbox cursor, the notice record, one-time codes and
// usage: what senders and delivery need (schema migration 3).

const userColumns = `org, pid, name, email, role, created_at, created_by`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var created int64
	err := row.Scan(&u.Org, &u.PID, &u.Name, &u.Email, &u.Role, &created, &u.CreatedBy)
	u.CreatedAt = fromMicro(created)
	return u, err
}

// User returns one user of org.
func (db *DB) User(ctx context.Context, org, pid string) (store.User, error) {
	u, err := scanUser(db.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org = ? AND pid = ?`, org, pid))
	if errors.Is(err, sql.ErrNoRows) {
		return u, errs.E(errs.NotFound, store.CodeUserNotFound, "no such user")
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: user: %w", err)
	}
	return u, nil
}

// UserOrgs lists a person's memberships.
func (db *DB) UserOrgs(ctx context.Context, pid string) ([]store.User, error) {
	return db.users(ctx, `WHERE pid = ? ORDER BY org`, pid)
}

// ListUsers lists an organisation's users.
func (db *DB) ListUsers(ctx context.Context, org string) ([]store.User, error) {
	return db.users(ctx, `WHERE org = ? ORDER BY name, pid`, org)
}

func (db *DB) users(ctx context.Context, where string, args ...any) ([]store.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Cursor returns a worker's position in the feed (a hot read).
func (db *DB) Cursor(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := db.hotRow(ctx, `SELECT seq FROM cursors WHERE name = ?`, name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: cursor: %w", err)
	}
	return seq, nil
}

// SetCursor moves a worker's position forward, without waiting for the
// disk (store.Outbox): a move lost to a power failure takes the worker
// back over changes it handled, which it handles again without harm.
// The delivery pump, whose cursor this is, has made its tasks durable
// before it moves it, so the cursor never passes a task that could be
// lost.
func (db *DB) SetCursor(ctx context.Context, name string, seq int64) error {
	if _, err := db.writeExecNoSync(ctx, setCursor, name, seq); err != nil {
		return fmt.Errorf("sqlite: set cursor: %w", err)
	}
	return nil
}

// DeleteCursor removes a cursor, waiting for the disk: a counter named
// after a person goes with the person (staff's session generations).
func (db *DB) DeleteCursor(ctx context.Context, name string) error {
	if _, err := db.writeExec(ctx, `DELETE FROM cursors WHERE name = ?`, name); err != nil {
		return fmt.Errorf("sqlite: delete cursor: %w", err)
	}
	// A name that is personal data (a staff member's session generation)
	// leaves no old frame of the log behind, as DeleteJob's rows do not.
	if err := db.truncateLog(ctx); err != nil {
		return fmt.Errorf("sqlite: delete cursor: checkpoint: %w", err)
	}
	return nil
}

const setCursor = `INSERT INTO cursors (name, seq) VALUES (?, ?)
	ON CONFLICT (name) DO UPDATE SET seq = max(seq, excluded.seq)`

// insertNotice records a delivered notice, once: a notice already
// recorded under its key is left as it is.
const insertNotice = `INSERT INTO notices (key, org, job_id, signer_id, channel, template, at) VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (key) DO NOTHING`

// RecordNotice stores a delivered notice once.
func (db *DB) RecordNotice(ctx context.Context, n store.Notice) (bool, error) {
	res, err := db.writeExec(ctx, insertNotice,
		n.Key, n.Org, n.JobID, n.SignerID, n.Channel, n.Template, micro(n.At))
	if err != nil {
		return false, fmt.Errorf("sqlite: record notice: %w", sqldb.Full(err))
	}
	added, _ := res.RowsAffected()
	return added == 1, nil
}

// HasNotice reports whether the notice was recorded.
func (db *DB) HasNotice(ctx context.Context, key string) (bool, error) {
	var one int
	err := db.queryRow(ctx, `SELECT 1 FROM notices WHERE key = ?`, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: notice: %w", err)
	}
	return true, nil
}

// JobNotices lists a job's notices (a hot read).
func (db *DB) JobNotices(ctx context.Context, org, jobID string) ([]store.Notice, error) {
	rows, err := db.hotQuery(ctx, `
		SELECT key, org, job_id, signer_id, channel, template, at FROM notices
		WHERE org = ? AND job_id = ? ORDER BY at, key`, org, jobID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: job notices: %w", err)
	}
	defer rows.Close()
	var out []store.Notice
	for rows.Next() {
		var n store.Notice
		var at int64
		if err := rows.Scan(&n.Key, &n.Org, &n.JobID, &n.SignerID, &n.Channel, &n.Template, &at); err != nil {
			return nil, fmt.Errorf("sqlite: job notices: %w", err)
		}
		n.At = fromMicro(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

const codeColumns = `hash, expires_at, sent_at, attempts, sent, guesses, locked_at`

func scanCode(row interface{ Scan(...any) error }, signerID string) (store.Code, error) {
	c := store.Code{SignerID: signerID}
	var expires, sent int64
	var locked sql.NullInt64
	err := row.Scan(&c.Hash, &expires, &sent, &c.Attempts, &c.Sent, &c.Guesses, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.E(errs.NotFound, store.CodeCodeNotFound, "no code for this signer")
	}
	if err != nil {
		return c, err
	}
	c.ExpiresAt, c.SentAt = fromMicroOrZero(expires), fromMicroOrZero(sent)
	if locked.Valid {
		c.LockedAt = fromMicro(locked.Int64)
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
// statement: the upsert's WHERE keeps concurrent requests from making more
// than maxCodes codes.
func (db *DB) PutCode(ctx context.Context, c store.Code, maxCodes int) error {
	if maxCodes < 1 {
		return errs.E(errs.Conflict, store.CodeCodeLimit, "no more codes may be sent to this signer")
	}
	res, err := db.writeExec(ctx, `
		INSERT INTO codes (signer_id, hash, expires_at, sent_at, attempts, sent, guesses) VALUES (?, ?, ?, ?, 0, 1, 0)
		ON CONFLICT (signer_id) DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at,
			sent_at = excluded.sent_at, attempts = 0, sent = codes.sent + 1
		WHERE codes.sent < ? AND codes.locked_at IS NULL`,
		c.SignerID, c.Hash, micro(c.ExpiresAt), micro(c.SentAt), maxCodes)
	if err != nil {
		return fmt.Errorf("sqlite: put code: %w", sqldb.Full(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errs.E(errs.Conflict, store.CodeCodeLimit, "no more codes may be sent to this signer")
	}
	return nil
}

// Code returns a signer's one-time code.
func (db *DB) Code(ctx context.Context, signerID string) (store.Code, error) {
	c, err := scanCode(db.queryRow(ctx, `SELECT `+codeColumns+` FROM codes WHERE signer_id = ?`, signerID), signerID)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return c, fmt.Errorf("sqlite: code: %w", err)
	}
	return c, err
}

// GuessCode counts a guess with one UPDATE whose WHERE holds every limit,
// so that of any number of concurrent guesses only as many as the limits
// leave are counted and answered.
func (db *DB) GuessCode(ctx context.Context, signerID string, now time.Time, perCode, total int) (store.Code, error) {
	var c store.Code
	err := db.writeRow(ctx, func(row *sql.Row) (err error) { c, err = scanCode(row, signerID); return err }, `
		UPDATE codes SET attempts = attempts + 1, guesses = guesses + 1
		WHERE signer_id = ? AND expires_at > ? AND attempts < ? AND guesses < ? AND locked_at IS NULL
		RETURNING `+codeColumns, signerID, micro(now), perCode, total)
	if errs.Is(err, errs.NotFound) {
		if _, err := db.Code(ctx, signerID); err != nil {
			return c, err
		}
		return c, errCodeUsedUp
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: guess code: %w", sqldb.Full(err))
	}
	return c, nil
}

// SpendCode ends a signer's code; the hash and the live expiry in the
// WHERE let only one caller spend it.
func (db *DB) SpendCode(ctx context.Context, signerID string, hash []byte) error {
	res, err := db.writeExec(ctx, `UPDATE codes SET expires_at = 0 WHERE signer_id = ? AND hash = ? AND expires_at > 0`,
		signerID, hash)
	if err != nil {
		return fmt.Errorf("sqlite: spend code: %w", sqldb.Full(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errCodeUsedUp
	}
	return nil
}

// LockCode locks a signer's link, creating the row if the signer never had
// a code.
func (db *DB) LockCode(ctx context.Context, signerID string, at time.Time) error {
	_, err := db.writeExec(ctx, `
		INSERT INTO codes (signer_id, hash, expires_at, sent_at, attempts, sent, guesses, locked_at) VALUES (?, x'', 0, 0, 0, 0, 0, ?)
		ON CONFLICT (signer_id) DO UPDATE SET expires_at = 0, locked_at = excluded.locked_at WHERE codes.locked_at IS NULL`,
		signerID, micro(at))
	if err != nil {
		return fmt.Errorf("sqlite: lock code: %w", sqldb.Full(err))
	}
	return nil
}

// UsageRows counts signatures by the job's signature type and notices by
// channel, per organisation and month in loc. A signature counts in the
// month it was made (the signer's last change, which signing is). SQLite
// knows no time zones, so it counts by UTC hour and the hours are summed
// into loc's months here: the zones segl reports in are whole hours from
// UTC, so no hour straddles two of their months.
func (db *DB) UsageRows(ctx context.Context, from, to time.Time, loc *time.Location) ([]store.UsageRow, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT org, hour, item, sum(n) FROM (
			SELECT s.org AS org, s.updated_at / 3600000000 AS hour, j.signature_type AS item, count(*) AS n
			FROM signers s JOIN jobs j ON j.org = s.org AND j.id = s.job_id
			WHERE s.status = 'signed' AND s.updated_at >= ? AND s.updated_at < ?
			GROUP BY 1, 2, 3
			UNION ALL
			SELECT org, at / 3600000000, channel, count(*)
			FROM notices WHERE at >= ? AND at < ? GROUP BY 1, 2, 3
		) GROUP BY org, hour, item`,
		micro(from), micro(to), micro(from), micro(to))
	if err != nil {
		return nil, fmt.Errorf("sqlite: usage: %w", err)
	}
	defer rows.Close()
	type key struct{ org, month, item string }
	counts := map[key]int64{}
	for rows.Next() {
		var k key
		var hour, n int64
		if err := rows.Scan(&k.org, &hour, &k.item, &n); err != nil {
			return nil, fmt.Errorf("sqlite: usage: %w", err)
		}
		k.month = time.Unix(hour*3600, 0).In(loc).Format("2006-01")
		counts[k] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: usage: %w", err)
	}
	out := make([]store.UsageRow, 0, len(counts))
	for k, n := range counts {
		out = append(out, store.UsageRow{Org: k.org, Month: k.month, Item: k.item, Count: n})
	}
	slices.SortFunc(out, func(a, b store.UsageRow) int {
		return cmp.Or(cmp.Compare(a.Org, b.Org), cmp.Compare(a.Month, b.Month), cmp.Compare(a.Item, b.Item))
	})
	return out, nil
}

// RecordNotices stores delivered notices once each, in one transaction.
func (db *DB) RecordNotices(ctx context.Context, ns []store.Notice) error {
	if len(ns) == 0 {
		return nil
	}
	// Prepared (once, the statement RecordNotice runs) before the
	// transaction: inside it the writer's only connection is taken.
	st, err := db.stmt(ctx, db.write, insertNotice)
	if err == nil {
		err = db.tx(ctx, func(tx *sql.Tx) error {
			ins := tx.StmtContext(ctx, st)
			for _, n := range ns {
				if _, err := ins.ExecContext(ctx, n.Key, n.Org, n.JobID, n.SignerID, n.Channel, n.Template, micro(n.At)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("sqlite: record notices: %w", sqldb.Full(err))
	}
	return nil
}

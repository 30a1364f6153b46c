package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/segl/segl/internal/errs"
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
		return u, errs.E(errs.NotFound, "user-not-found", "no such user")
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

// Cursor returns a worker's position in the feed.
func (db *DB) Cursor(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := db.queryRow(ctx, `SELECT seq FROM cursors WHERE name = ?`, name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: cursor: %w", err)
	}
	return seq, nil
}

// SetCursor moves a worker's position forward.
func (db *DB) SetCursor(ctx context.Context, name string, seq int64) error {
	_, err := db.write.ExecContext(ctx, `
		INSERT INTO cursors (name, seq) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET seq = max(seq, excluded.seq)`, name, seq)
	if err != nil {
		return fmt.Errorf("sqlite: set cursor: %w", err)
	}
	return nil
}

// RecordNotice stores a delivered notice once.
func (db *DB) RecordNotice(ctx context.Context, n store.Notice) (bool, error) {
	res, err := db.write.ExecContext(ctx, `
		INSERT INTO notices (key, org, job_id, signer_id, channel, template, at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO NOTHING`,
		n.Key, n.Org, n.JobID, n.SignerID, n.Channel, n.Template, micro(n.At))
	if err != nil {
		return false, fmt.Errorf("sqlite: record notice: %w", err)
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

// JobNotices lists a job's notices.
func (db *DB) JobNotices(ctx context.Context, org, jobID string) ([]store.Notice, error) {
	rows, err := db.read.QueryContext(ctx, `
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

// PutCode replaces a signer's one-time code.
func (db *DB) PutCode(ctx context.Context, c store.Code) error {
	_, err := db.write.ExecContext(ctx, `
		INSERT INTO codes (signer_id, hash, expires_at, attempts, sent_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (signer_id) DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at,
			attempts = excluded.attempts, sent_at = excluded.sent_at`,
		c.SignerID, c.Hash, micro(c.ExpiresAt), c.Attempts, micro(c.SentAt))
	if err != nil {
		return fmt.Errorf("sqlite: put code: %w", err)
	}
	return nil
}

// Code returns a signer's one-time code.
func (db *DB) Code(ctx context.Context, signerID string) (store.Code, error) {
	c := store.Code{SignerID: signerID}
	var expires, sent int64
	err := db.queryRow(ctx, `SELECT hash, expires_at, attempts, sent_at FROM codes WHERE signer_id = ?`, signerID).
		Scan(&c.Hash, &expires, &c.Attempts, &sent)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.E(errs.NotFound, "code-not-found", "no code for this signer")
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: code: %w", err)
	}
	c.ExpiresAt, c.SentAt = fromMicro(expires), fromMicro(sent)
	return c, nil
}

// CodeAttempt counts a wrong guess.
func (db *DB) CodeAttempt(ctx context.Context, signerID string) (int, error) {
	var n int
	err := db.write.QueryRowContext(ctx, `UPDATE codes SET attempts = attempts + 1 WHERE signer_id = ? RETURNING attempts`,
		signerID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.E(errs.NotFound, "code-not-found", "no code for this signer")
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: code attempt: %w", err)
	}
	return n, nil
}

// DeleteCode removes a signer's code.
func (db *DB) DeleteCode(ctx context.Context, signerID string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM codes WHERE signer_id = ?`, signerID); err != nil {
		return fmt.Errorf("sqlite: delete code: %w", err)
	}
	return nil
}

// UsageRows counts signatures by the job's signature type and notices by
// channel, per organisation and UTC month. A signature counts in the month
// it was made (the signer's last change, which signing is).
func (db *DB) UsageRows(ctx context.Context, from, to time.Time) ([]store.UsageRow, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT org, month, item, sum(n) FROM (
			SELECT s.org AS org, strftime('%Y-%m', s.updated_at / 1000000, 'unixepoch') AS month,
				j.signature_type AS item, count(*) AS n
			FROM signers s JOIN jobs j ON j.org = s.org AND j.id = s.job_id
			WHERE s.status = 'signed' AND s.updated_at >= ? AND s.updated_at < ?
			GROUP BY 1, 2, 3
			UNION ALL
			SELECT org, strftime('%Y-%m', at / 1000000, 'unixepoch'), channel, count(*)
			FROM notices WHERE at >= ? AND at < ? GROUP BY 1, 2, 3
		) GROUP BY org, month, item ORDER BY org, month, item`,
		micro(from), micro(to), micro(from), micro(to))
	if err != nil {
		return nil, fmt.Errorf("sqlite: usage: %w", err)
	}
	defer rows.Close()
	var out []store.UsageRow
	for rows.Next() {
		var u store.UsageRow
		if err := rows.Scan(&u.Org, &u.Month, &u.Item, &u.Count); err != nil {
			return nil, fmt.Errorf("sqlite: usage: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// Changes to organisations and portal users, each written with its audit
// record in one transaction (DESIGN §3: every change is an event in the
// audit log). They are not job changes, so they go to the chain only, not
// to the organisation's feed.

// adminTx runs fn and records action in the audit chain, in one transaction.
func (db *DB) adminTx(ctx context.Context, by store.By, org, action string, details map[string]any, fn func(*sql.Tx) error) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		ev := job.Event{Type: action, Actor: by.Actor, At: by.At, Details: details}
		return db.chain(ctx, tx, org, nil, []job.Event{ev})
	})
	var e *errs.Error
	if err != nil && !errors.As(err, &e) {
		return fmt.Errorf("sqlite: %s: %w", action, err)
	}
	return err
}

const upsertOrg = `
	INSERT INTO orgs (number, name, active, signature_types, created_at, contact_email, cert_subject, retention_days, brokers)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// PutOrg inserts or updates an organisation.
func (db *DB) PutOrg(ctx context.Context, by store.By, o store.Org) error {
	return db.adminTx(ctx, by, o.Number, "org.saved", o.AuditDetails(), func(tx *sql.Tx) error {
		db.cache.forgetOrg(o.Number)
		_, err := tx.ExecContext(ctx, upsertOrg+`
			ON CONFLICT (number) DO UPDATE SET name = excluded.name, active = excluded.active,
				signature_types = excluded.signature_types, contact_email = excluded.contact_email,
				cert_subject = excluded.cert_subject, retention_days = excluded.retention_days,
				brokers = excluded.brokers`,
			o.Number, o.Name, o.Active, o.TypeList(), micro(o.CreatedAt), o.ContactEmail, o.CertSubject, o.RetentionDays, o.BrokerList())
		return err
	})
}

// Onboard adds an organisation and its first administrator.
func (db *DB) Onboard(ctx context.Context, by store.By, o store.Org, u store.User) error {
	details := o.AuditDetails()
	details["admin"], details["admin_role"] = u.PID, string(u.Role)
	return db.adminTx(ctx, by, o.Number, "org.onboarded", details, func(tx *sql.Tx) error {
		db.cache.forgetOrg(o.Number)
		res, err := tx.ExecContext(ctx, upsertOrg+` ON CONFLICT (number) DO NOTHING`,
			o.Number, o.Name, o.Active, o.TypeList(), micro(o.CreatedAt), o.ContactEmail, o.CertSubject, o.RetentionDays, o.BrokerList())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, store.CodeOrgExists, "organisation %s is already onboarded", o.Number)
		}
		return insertUser(ctx, tx, o.Number, u)
	})
}

func insertUser(ctx context.Context, tx *sql.Tx, org string, u store.User) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO users (org, pid, name, email, role, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org, pid) DO UPDATE SET name = excluded.name, email = excluded.email, role = excluded.role`,
		org, u.PID, u.Name, u.Email, u.Role, micro(u.CreatedAt), u.CreatedBy)
	return err
}

// PutUser inserts or updates a portal user.
func (db *DB) PutUser(ctx context.Context, by store.By, u store.User) error {
	return db.adminTx(ctx, by, u.Org, "user.saved", map[string]any{"user": u.PID, "role": string(u.Role)},
		func(tx *sql.Tx) error { return insertUser(ctx, tx, u.Org, u) })
}

// DeleteUser removes a portal user, and their identity number from the
// organisation's jobs and users (store.FormerUser). Like DeleteJob it
// then truncates the write-ahead log, so that neither the database file
// (secure_delete overwrites the deleted cells once the pages are written
// back) nor an old frame of the log keeps the person's row.
func (db *DB) DeleteUser(ctx context.Context, by store.By, org, pid string) error {
	err := db.adminTx(ctx, by, org, "user.removed", map[string]any{"user": pid}, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE org = ? AND pid = ?`, org, pid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, store.CodeUserNotFound, "no such user")
		}
		ids, err := queryStrings(ctx, tx, `SELECT id FROM jobs WHERE org = ? AND creator = ?`, org, "pid:"+pid)
		if err != nil {
			return err
		}
		for _, id := range ids {
			db.cache.forgetJob(org, id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET creator = ? WHERE org = ? AND creator = ?`, store.FormerUser, org, "pid:"+pid); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET created_by = ? WHERE org = ? AND created_by = ?`, store.FormerUser, org, "pid:"+pid)
		return err
	})
	if err != nil {
		return err
	}
	if err := db.truncateLog(ctx); err != nil {
		return fmt.Errorf("sqlite: delete user: checkpoint: %w", err)
	}
	return nil
}

// PutOrgLogo sets or removes an organisation's logo.
func (db *DB) PutOrgLogo(ctx context.Context, by store.By, number string, l *store.Logo) error {
	if l == nil {
		return db.adminTx(ctx, by, number, "org.logo.removed", map[string]any{}, func(tx *sql.Tx) error {
			db.cache.forgetOrg(number)
			_, err := tx.ExecContext(ctx, `DELETE FROM org_logos WHERE org = ?`, number)
			return err
		})
	}
	return db.adminTx(ctx, by, number, "org.logo.saved", l.AuditDetails(), func(tx *sql.Tx) error {
		db.cache.forgetOrg(number)
		_, err := tx.ExecContext(ctx, `
			INSERT INTO org_logos (org, media_type, data, sha256, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (org) DO UPDATE SET media_type = excluded.media_type, data = excluded.data,
				sha256 = excluded.sha256, updated_at = excluded.updated_at`,
			number, l.MediaType, l.Data, l.SHA256, micro(l.UpdatedAt))
		return err
	})
}

// OrgLogo returns an organisation's logo.
func (db *DB) OrgLogo(ctx context.Context, number string) (store.Logo, error) {
	var l store.Logo
	var at int64
	err := db.queryRow(ctx, `SELECT media_type, data, sha256, updated_at FROM org_logos WHERE org = ?`, number).
		Scan(&l.MediaType, &l.Data, &l.SHA256, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return l, errs.E(errs.NotFound, store.CodeLogoNotFound, "organisation %s has no logo", number)
	}
	if err != nil {
		return l, fmt.Errorf("sqlite: org logo: %w", err)
	}
	l.UpdatedAt = fromMicro(at)
	return l, nil
}

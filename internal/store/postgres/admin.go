package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// Changes to organisations and portal users, each written with its audit
// record in one transaction (DESIGN §3: every change is an event in the
// audit log). They are not job changes, so they go to the chain only, not
// to the organisation's feed.

// adminTx runs fn and records action in the audit chain, in one
// transaction. fn's rows are locked before the chain's head, as a job's
// are (see the package comment).
func (db *DB) adminTx(ctx context.Context, by store.By, org, action string, details map[string]any, fn func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		prev, err := lockChain(ctx, tx)
		if err != nil {
			return err
		}
		ev := job.Event{Type: action, Actor: by.Actor, At: by.At, Details: details}
		return chain(ctx, tx, prev, org, nil, []job.Event{ev})
	})
	return wrap(action, err)
}

const upsertOrg = `
	INSERT INTO orgs (number, name, active, signature_types, created_at, contact_email, cert_subject, retention_days, brokers)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// PutOrg inserts or updates an organisation.
func (db *DB) PutOrg(ctx context.Context, by store.By, o store.Org) error {
	return db.adminTx(ctx, by, o.Number, "org.saved", o.AuditDetails(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, upsertOrg+`
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
	return db.adminTx(ctx, by, o.Number, "org.onboarded", details, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, upsertOrg+` ON CONFLICT (number) DO NOTHING`,
			o.Number, o.Name, o.Active, o.TypeList(), micro(o.CreatedAt), o.ContactEmail, o.CertSubject, o.RetentionDays, o.BrokerList())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errs.E(errs.Conflict, store.CodeOrgExists, "organisation %s is already onboarded", o.Number)
		}
		return insertUser(ctx, tx, o.Number, u)
	})
}

func insertUser(ctx context.Context, tx pgx.Tx, org string, u store.User) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO users (org, pid, name, email, role, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (org, pid) DO UPDATE SET name = excluded.name, email = excluded.email, role = excluded.role`,
		org, u.PID, u.Name, u.Email, u.Role, micro(u.CreatedAt), u.CreatedBy)
	return err
}

// PutUser inserts or updates a portal user.
func (db *DB) PutUser(ctx context.Context, by store.By, u store.User) error {
	return db.adminTx(ctx, by, u.Org, "user.saved", map[string]any{"user": u.PID, "role": string(u.Role)},
		func(tx pgx.Tx) error { return insertUser(ctx, tx, u.Org, u) })
}

// DeleteUser removes a portal user, and their identity number from the
// organisation's jobs and users (store.FormerUser).
func (db *DB) DeleteUser(ctx context.Context, by store.By, org, pid string) error {
	return db.adminTx(ctx, by, org, "user.removed", map[string]any{"user": pid}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM users WHERE org = $1 AND pid = $2`, org, pid)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errs.E(errs.NotFound, store.CodeUserNotFound, "no such user")
		}
		if _, err := tx.Exec(ctx, `UPDATE jobs SET creator = $1 WHERE org = $2 AND creator = $3`, store.FormerUser, org, "pid:"+pid); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE users SET created_by = $1 WHERE org = $2 AND created_by = $3`, store.FormerUser, org, "pid:"+pid)
		return err
	})
}

// PutOrgLogo sets or removes an organisation's logo.
func (db *DB) PutOrgLogo(ctx context.Context, by store.By, number string, l *store.Logo) error {
	if l == nil {
		return db.adminTx(ctx, by, number, "org.logo.removed", map[string]any{}, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM org_logos WHERE org = $1`, number)
			return err
		})
	}
	return db.adminTx(ctx, by, number, "org.logo.saved", l.AuditDetails(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO org_logos (org, media_type, data, sha256, updated_at) VALUES ($1, $2, $3, $4, $5)
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
	err := db.pool.QueryRow(ctx, `SELECT media_type, data, sha256, updated_at FROM org_logos WHERE org = $1`, number).
		Scan(&l.MediaType, &l.Data, &l.SHA256, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, errs.E(errs.NotFound, store.CodeLogoNotFound, "organisation %s has no logo", number)
	}
	if err != nil {
		return l, wrap("org logo", err)
	}
	l.UpdatedAt = fromMicro(at)
	return l, nil
}

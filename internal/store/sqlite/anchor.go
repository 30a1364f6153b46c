package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/segl/segl/internal/audit"
)

var _ audit.Anchors = (*DB)(nil)

// AuditHead returns the newest audit record and the newest anchor's seq.
func (db *DB) AuditHead(ctx context.Context) (audit.Head, error) {
	var h audit.Head
	err := db.read.QueryRowContext(ctx, auditHead).Scan(&h.Seq, &h.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return audit.Head{}, fmt.Errorf("sqlite: audit head: %w", err)
	}
	err = db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_anchors`).Scan(&h.Anchored)
	if err != nil {
		return audit.Head{}, fmt.Errorf("sqlite: audit head: %w", err)
	}
	return h, nil
}

// PutAnchor stores an anchor; one already stored for its seq is kept.
func (db *DB) PutAnchor(ctx context.Context, a audit.Anchor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_anchors (seq, head, token, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (seq) DO NOTHING`, a.Seq, a.Head, a.Token, micro(a.At))
		if err != nil {
			return fmt.Errorf("sqlite: put anchor: %w", err)
		}
		return nil
	})
}

// AuditAnchors streams the anchors in seq order.
func (db *DB) AuditAnchors(ctx context.Context, fn func(audit.Anchor) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT seq, head, token, at FROM audit_anchors ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("sqlite: audit anchors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a audit.Anchor
		var at int64
		if err := rows.Scan(&a.Seq, &a.Head, &a.Token, &at); err != nil {
			return fmt.Errorf("sqlite: audit anchors: %w", err)
		}
		a.At = fromMicro(at)
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

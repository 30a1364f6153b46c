package postgres

import (
	"context"

	"github.com/segl/segl/internal/audit"
)

var _ audit.Anchors = (*DB)(nil)

// AuditHead returns the newest audit record, from the one-row head, and the
// newest anchor's seq.
func (db *DB) AuditHead(ctx context.Context) (audit.Head, error) {
	var h audit.Head
	err := db.pool.QueryRow(ctx, `
		SELECT h.seq, h.hash, COALESCE((SELECT MAX(seq) FROM audit_anchors), 0) FROM audit_head h WHERE one`).
		Scan(&h.Seq, &h.Hash, &h.Anchored)
	if err != nil {
		return audit.Head{}, wrap("audit head", err)
	}
	return h, nil
}

// PutAnchor stores an anchor; one already stored for its seq is kept.
func (db *DB) PutAnchor(ctx context.Context, a audit.Anchor) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO audit_anchors (seq, head, token, at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (seq) DO NOTHING`, a.Seq, a.Head, a.Token, micro(a.At))
	return wrap("put anchor", err)
}

// AuditAnchors streams the anchors in seq order.
func (db *DB) AuditAnchors(ctx context.Context, fn func(audit.Anchor) error) error {
	rows, err := db.pool.Query(ctx, `SELECT seq, head, token, at FROM audit_anchors ORDER BY seq`)
	if err != nil {
		return wrap("audit anchors", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a audit.Anchor
		var at int64
		if err := rows.Scan(&a.Seq, &a.Head, &a.Token, &at); err != nil {
			return wrap("audit anchors", err)
		}
		a.At = fromMicro(at)
		if err := fn(a); err != nil {
			return err
		}
	}
	return wrap("audit anchors", rows.Err())
}

// Package postgres is the scaled-out implementation of the storage port:
// PostgreSQL through pgx, shared by every node (DESIGN §1). It keeps the
// SQLite store's tables and statements, so both pass storetest.Run with the
// same answers; what differs is how concurrent writers on several nodes are
// kept in order:
//
//   - Compare-and-swap, one-time code counting and the outbox cursor are
//     single statements whose WHERE is re-checked on the newest row version
//     under READ COMMITTED, so they hold across nodes as they do in one
//     SQLite writer.
//   - The audit chain and the feed's sequence numbers are serialised by one
//     row, audit_head, locked FOR UPDATE in the transaction that appends
//     (see appendEvents). A job's own rows are always locked before the
//     head, so two writers never wait for each other in a circle.
//
// Statements are prepared once per connection by pgx's statement cache.
// Behind a pooler in transaction mode (PgBouncer), set
// default_query_exec_mode=exec in the URL.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pgdb"
	"github.com/segl/segl/internal/store"
)

var _ store.Store = (*DB)(nil)

// DB is a segl store in a PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
	own  bool // Open made the pool, Close closes it
}

// Open connects to the database at url and brings its schema up to date.
func Open(ctx context.Context, url string) (*DB, error) {
	pool, err := pgdb.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db, err := New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	db.own = true
	return db, nil
}

// New uses an open pool and brings the schema up to date; Close leaves the
// pool open.
func New(ctx context.Context, pool *pgxpool.Pool) (*DB, error) {
	if err := pgdb.Migrate(ctx, pool, "schema_migrations", migrations); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.refoldSearch(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

// Ping asks the server for an answer over a pooled connection, for
// readiness; a server that cannot be reached is Unavailable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return pgdb.Classify(fmt.Errorf("postgres: ping: %w", err))
	}
	return nil
}

// Close closes the pool if Open made it.
func (db *DB) Close() error {
	if db.own {
		db.pool.Close()
	}
	return nil
}

func micro(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicro(n int64) time.Time { return time.UnixMicro(n).UTC() }

// wrap prefixes an untyped error with the operation, and gives a full disk
// or an unreachable database its kind (pgdb.Classify); typed errors (errs
// kinds) pass unchanged, since they are the answer.
func wrap(op string, err error) error {
	var e *errs.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return pgdb.Classify(fmt.Errorf("postgres: %s: %w", op, err))
}

// orgColumns are read FROM orgFrom: the organisation and the name of its
// logo, if any.
const orgColumns = `number, name, active, signature_types, created_at, contact_email, cert_subject, retention_days, brokers,
	COALESCE(org_logos.media_type, ''), COALESCE(org_logos.sha256, '')`

const orgFrom = `orgs LEFT JOIN org_logos ON org_logos.org = orgs.number`

func scanOrg(row pgx.Row) (store.Org, error) {
	var o store.Org
	var types, brokers string
	var created int64
	if err := row.Scan(&o.Number, &o.Name, &o.Active, &types, &created, &o.ContactEmail, &o.CertSubject, &o.RetentionDays, &brokers,
		&o.Logo.MediaType, &o.Logo.SHA256); err != nil {
		return o, err
	}
	o.CreatedAt, o.Brokers = fromMicro(created), store.SplitList(brokers)
	for _, t := range strings.Split(types, ",") {
		if t != "" {
			o.SignatureTypes = append(o.SignatureTypes, job.SignatureType(t))
		}
	}
	return o, nil
}

// Org returns one organisation.
func (db *DB) Org(ctx context.Context, number string) (store.Org, error) {
	o, err := scanOrg(db.pool.QueryRow(ctx, `SELECT `+orgColumns+` FROM `+orgFrom+` WHERE number = $1`, number))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, errs.E(errs.NotFound, store.CodeOrgNotFound, "no organisation %s", number)
	}
	return o, wrap("org", err)
}

// ListOrgs returns every organisation by number.
func (db *DB) ListOrgs(ctx context.Context) ([]store.Org, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+orgColumns+` FROM `+orgFrom+` ORDER BY number`)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Org, error) { return scanOrg(r) })
	return out, wrap("list orgs", err)
}

// CreateJob stores a new job, its events and its idempotency key atomically.
func (db *DB) CreateJob(ctx context.Context, j *job.Job, events []job.Event, idem *store.Idempotency) error {
	exits, _ := json.Marshal(j.ExitURLs)
	retention, _ := json.Marshal(j.Retention)
	var polling []byte
	if j.Polling != nil {
		polling, _ = json.Marshal(j.Polling)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if idem != nil {
			_, err := tx.Exec(ctx, insertIdempotency, j.Org, idem.Key, idem.RequestHash, j.ID, micro(j.CreatedAt))
			if pgdb.IsUniqueViolation(err) {
				return errs.E(errs.Conflict, store.CodeIdempotencyKeyUsed, "idempotency key %q was already used", idem.Key)
			}
			if err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, insertJob,
			j.Org, j.ID, j.Creator, j.Flow, j.SignatureType, j.Assurance, j.Title, j.Description, j.Reference,
			j.Identifier, j.CallbackURL, string(exits), string(retention), j.Status, micro(j.ActivatesAt),
			micro(j.ExpiresAt), micro(j.CreatedAt), micro(j.UpdatedAt), string(polling), j.RetainDays, j.AuditKey, j.Lang, j.SearchText())
		if err != nil {
			return err
		}
		for i, d := range j.Documents {
			_, err := tx.Exec(ctx, insertDocument,
				j.Org, j.ID, d.ID, i, d.Title, d.FileName, d.MediaType, d.Size, d.SHA256, d.Pages, d.Role)
			if err != nil {
				return err
			}
		}
		for i, s := range j.Signers {
			_, err := tx.Exec(ctx, insertSigner,
				j.Org, j.ID, s.ID, i, s.PID, s.Email, s.Mobile, s.Order, s.OnBehalfOf, s.Status, micro(s.UpdatedAt), s.Ref)
			if err != nil {
				return err
			}
		}
		return appendEvents(ctx, tx, j.Org, j.AuditKey, events)
	})
	return wrap("create job", err)
}

// SaveJob writes status changes with compare-and-swap on the version. The
// UPDATE's row lock makes a concurrent save of the same job wait, then
// find the version moved and change nothing.
func (db *DB) SaveJob(ctx context.Context, j *job.Job, events []job.Event) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, updateJob, j.Status, micro(j.UpdatedAt), microOrZero(j.EndedAt), microOrZero(j.DeleteAfter()),
			j.SearchText(), j.Org, j.ID, j.Version)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return errs.E(errs.Conflict, store.CodeJobChanged, "job %s was changed by someone else; reload it", j.ID)
		}
		for _, s := range j.Signers {
			_, err := tx.Exec(ctx, updateSigner, s.Status, micro(s.UpdatedAt), s.Name, s.Evidence, s.Notice, s.RejectionReason, j.Org, j.ID, s.ID,
				s.EvidenceAt, s.EvidenceSize, s.EvidenceSHA256)
			if err != nil {
				return err
			}
		}
		for _, d := range j.Documents {
			tag, err := tx.Exec(ctx, updateDocument, d.Signed.SHA256, d.Signed.Size, store.EncodeParts(d.Signed), j.Org, j.ID, d.ID)
			if err != nil {
				return err
			}
			// An unchanged revision's blobs were recorded by the save
			// that made it the document's.
			if tag.RowsAffected() == 0 || d.Signed.SHA256 == "" {
				continue
			}
			for _, key := range d.Signed.Blobs() {
				if _, err := tx.Exec(ctx, insertRevision, j.Org, j.ID, key); err != nil {
					return err
				}
			}
		}
		return appendEvents(ctx, tx, j.Org, j.AuditKey, events)
	})
	if err != nil {
		return wrap("save job", err)
	}
	j.Version++
	return nil
}

const (
	insertIdempotency = `INSERT INTO idempotency (org, key, request_hash, job_id, created_at) VALUES ($1, $2, $3, $4, $5)`
	insertJob         = `INSERT INTO jobs (org, id, creator, flow, signature_type, assurance, title, description, reference,
		identifier, callback_url, exit_urls, retention, status, activates_at, expires_at, created_at, updated_at, version, polling, retain_days, audit_key, lang, search)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 0, $19, $20, $21, $22, $23)`
	insertDocument = `INSERT INTO documents (org, job_id, id, position, title, file_name, media_type, size, sha256, pages, role)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	insertSigner = `INSERT INTO signers (org, job_id, id, position, pid, email, mobile, ord, on_behalf_of, status, updated_at, ref)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	updateJob = `UPDATE jobs SET status = $1, updated_at = $2, ended_at = $3, delete_after = $4, search = $5, version = version + 1
		WHERE org = $6 AND id = $7 AND version = $8`
	// updateSigner and updateDocument leave a row that already holds the
	// values alone: most saves change one signer or none, and an update
	// with the same values still writes a new row version.
	updateSigner = `UPDATE signers SET status = $1, updated_at = $2, name = $3, evidence = $4, notice = $5, rejection_reason = $6,
			evidence_at = $10, evidence_size = $11, evidence_sha256 = $12
		WHERE org = $7 AND job_id = $8 AND id = $9
		AND (status, updated_at, name, evidence, notice, rejection_reason, evidence_at, evidence_size, evidence_sha256)
			IS DISTINCT FROM ($1, $2, $3, $4, $5, $6, $10, $11, $12)`
	updateDocument = `UPDATE documents SET signed_sha256 = $1, signed_size = $2, signed_parts = $3
		WHERE org = $4 AND job_id = $5 AND id = $6 AND (signed_sha256, signed_size, signed_parts) IS DISTINCT FROM ($1, $2, $3)`
	insertRevision = `INSERT INTO revisions (org, job_id, sha256) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	insertFeed     = `INSERT INTO feed (org, job_id, signer_id, type, job_status, signer_status, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	insertAudit    = `INSERT INTO audit (seq, at, org, actor, action, job_id, signer_id, details, prev, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	// lockHead waits for every other writer of the chain to commit or
	// roll back, then reads the head they left.
	lockHead   = `SELECT seq, hash FROM audit_head WHERE one FOR UPDATE`
	updateHead = `UPDATE audit_head SET seq = $1, hash = $2 WHERE one`
)

// appendEvents writes events to the feed and links them into the audit
// chain. It locks the chain's head first: from then until commit no other
// transaction on any node can append, so the audit records get consecutive
// numbers after the head, and the feed's sequence numbers, taken under the
// same lock, are committed in the order they were taken. Without the
// lock, a transaction holding a lower feed number could commit after a
// higher one had been read, and the outbox, which follows the feed by
// cursor, would skip it.
func appendEvents(ctx context.Context, tx pgx.Tx, org string, key []byte, events []job.Event) error {
	if len(events) == 0 {
		return nil
	}
	prev, err := lockChain(ctx, tx)
	if err != nil {
		return err
	}
	for _, ev := range events {
		_, err := tx.Exec(ctx, insertFeed, org, ev.JobID, ev.SignerID, ev.Type, ev.JobStatus, ev.SignerStatus, micro(ev.At))
		if err != nil {
			return err
		}
	}
	return chain(ctx, tx, prev, org, key, events)
}

// lockChain locks the audit chain's head for this transaction and returns
// the last record's number and hash, or nil when the chain is empty.
func lockChain(ctx context.Context, tx pgx.Tx) (*audit.Record, error) {
	var head audit.Record
	if err := tx.QueryRow(ctx, lockHead).Scan(&head.Seq, &head.Hash); err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	if head.Seq == 0 {
		return nil, nil
	}
	return &head, nil
}

// chain links events after prev (the head lockChain returned) and moves
// the head to the last of them.
func chain(ctx context.Context, tx pgx.Tx, prev *audit.Record, org string, key []byte, events []job.Event) error {
	for _, ev := range events {
		r := audit.Record{At: ev.At, Org: org, Actor: audit.Pseudonym(key, ev.Actor), Action: ev.Type, JobID: ev.JobID,
			SignerID: ev.SignerID, Details: store.AuditDetails(key, ev)}
		r.Seal(prev)
		_, err := tx.Exec(ctx, insertAudit,
			r.Seq, micro(r.At), r.Org, r.Actor, r.Action, r.JobID, r.SignerID, r.Details, r.Prev, r.Hash)
		if err != nil {
			return err
		}
		prev = &r
	}
	_, err := tx.Exec(ctx, updateHead, prev.Seq, prev.Hash)
	return err
}

const jobColumns = `org, id, creator, flow, signature_type, assurance, title, description, reference, identifier,
	callback_url, exit_urls, retention, status, activates_at, expires_at, created_at, updated_at, version, polling,
	retain_days, ended_at, deleted_at, audit_key, lang`

func scanJob(row pgx.Row) (*job.Job, error) {
	var j job.Job
	var exits, retention, polling string
	var activates, expires, created, updated, ended, deleted int64
	err := row.Scan(&j.Org, &j.ID, &j.Creator, &j.Flow, &j.SignatureType, &j.Assurance, &j.Title, &j.Description,
		&j.Reference, &j.Identifier, &j.CallbackURL, &exits, &retention, &j.Status, &activates, &expires,
		&created, &updated, &j.Version, &polling, &j.RetainDays, &ended, &deleted, &j.AuditKey, &j.Lang)
	if err != nil {
		return nil, err
	}
	if polling != "" {
		j.Polling = new(job.Polling)
		if err := json.Unmarshal([]byte(polling), j.Polling); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal([]byte(exits), &j.ExitURLs); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(retention), &j.Retention); err != nil {
		return nil, err
	}
	j.ActivatesAt, j.ExpiresAt = fromMicro(activates), fromMicro(expires)
	j.CreatedAt, j.UpdatedAt = fromMicro(created), fromMicro(updated)
	j.EndedAt, j.DeletedAt = fromMicroOrZero(ended), fromMicroOrZero(deleted)
	return &j, nil
}

const (
	jobQuery       = `SELECT ` + jobColumns + ` FROM jobs WHERE org = $1 AND id = $2`
	signerJobQuery = `SELECT ` + jobColumns + ` FROM jobs WHERE (org, id) = (SELECT org, job_id FROM signers WHERE id = $1)`
	documentsQuery = `SELECT id, title, file_name, media_type, size, sha256, pages, role, signed_sha256, signed_size, signed_parts FROM documents
		WHERE org = $1 AND job_id = $2 ORDER BY position`
	signersQuery = `SELECT id, pid, email, mobile, ord, on_behalf_of, status, updated_at, name, evidence, notice, ref, rejection_reason,
		evidence_at, evidence_size, evidence_sha256 FROM signers
		WHERE org = $1 AND job_id = $2 ORDER BY position`
)

// Job returns one job of org with documents and signers, read in one
// REPEATABLE READ transaction so the three parts are one snapshot.
func (db *DB) Job(ctx context.Context, org, id string) (*job.Job, error) {
	j, err := db.readJob(ctx, jobQuery, org, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.E(errs.NotFound, store.CodeJobNotFound, "no job %s", id)
	}
	return j, wrap("job", err)
}

// SignerJob returns the job of a signer, found from the signer's id
// alone, in the one read transaction Job uses. Only a signer link, already
// authenticated by its HMAC token, may lead here: it is the one lookup not
// scoped by organisation.
func (db *DB) SignerJob(ctx context.Context, signerID string) (*job.Job, error) {
	j, err := db.readJob(ctx, signerJobQuery, signerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.E(errs.NotFound, job.CodeSignerNotFound, "no signer %s", signerID)
	}
	return j, wrap("signer job", err)
}

// readJob reads the job that first (jobQuery or signerJobQuery) selects
// with args, then its documents and signers, in one repeatable-read
// transaction so that the three parts are consistent. No such job is
// pgx.ErrNoRows, for the caller to name.
func (db *DB) readJob(ctx context.Context, first string, args ...any) (*job.Job, error) {
	var j *job.Job
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if j, err = scanJob(tx.QueryRow(ctx, first, args...)); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, documentsQuery, j.Org, j.ID)
		j.Documents, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (job.Document, error) {
			var d job.Document
			var parts string
			if err := r.Scan(&d.ID, &d.Title, &d.FileName, &d.MediaType, &d.Size, &d.SHA256, &d.Pages, &d.Role,
				&d.Signed.SHA256, &d.Signed.Size, &parts); err != nil {
				return d, err
			}
			return d, store.DecodeParts(parts, &d.Signed)
		})
		if err != nil {
			return fmt.Errorf("documents: %w", err)
		}
		rows, _ = tx.Query(ctx, signersQuery, j.Org, j.ID)
		j.Signers, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (job.Signer, error) {
			var s job.Signer
			var updated int64
			err := r.Scan(&s.ID, &s.PID, &s.Email, &s.Mobile, &s.Order, &s.OnBehalfOf, &s.Status, &updated,
				&s.Name, &s.Evidence, &s.Notice, &s.Ref, &s.RejectionReason, &s.EvidenceAt, &s.EvidenceSize, &s.EvidenceSHA256)
			s.UpdatedAt = fromMicro(updated)
			return s, err
		})
		if err != nil {
			return fmt.Errorf("signers: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// ListJobs pages through org's jobs newest first. Job ids sort by creation
// time (bytewise, COLLATE "C"), so the cursor is simply the last id seen.
func (db *DB) ListJobs(ctx context.Context, org string, q store.JobQuery) ([]job.Job, string, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 25
	}
	limit = min(limit, 100)
	query := `SELECT ` + jobColumns + ` FROM jobs WHERE org = $1`
	args := []any{org}
	add := func(cond string, v any) {
		args = append(args, v)
		query += ` AND ` + cond + ` $` + strconv.Itoa(len(args))
	}
	if q.Cursor != "" {
		add(`id <`, q.Cursor)
	}
	if q.Status != "" {
		add(`status =`, q.Status)
	}
	if q.Creator != "" {
		add(`creator =`, q.Creator)
	}
	query += ` ORDER BY id DESC LIMIT ` + strconv.Itoa(limit+1)
	rows, _ := db.pool.Query(ctx, query, args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job.Job, error) {
		j, err := scanJob(r)
		if err != nil {
			return job.Job{}, err
		}
		return *j, nil
	})
	if err != nil {
		return nil, "", wrap("list jobs", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// JobTable reads one page of the portal's list and the number of matching
// jobs in one repeatable-read transaction, then the page's signers. The
// search compares the folded search column (job.SearchKey) bytewise with
// strpos, like SQLite's instr.
func (db *DB) JobTable(ctx context.Context, org string, q store.TableQuery) (store.JobTable, error) {
	where, args := ` WHERE org = $1`, []any{org}
	param := func(v any) string {
		args = append(args, v)
		return `$` + strconv.Itoa(len(args))
	}
	if q.Creator != "" {
		where += ` AND creator = ` + param(q.Creator)
	}
	if q.Status != "" {
		where += ` AND status = ` + param(string(q.Status))
	}
	if key := job.SearchKey(q.Search); key != "" {
		where += ` AND (strpos(search, ` + param(key) + `) > 0`
		if store.SearchPID(key) {
			where += ` OR EXISTS (SELECT 1 FROM signers s WHERE s.pid = ` + param(key) + ` AND s.org = jobs.org AND s.job_id = jobs.id)`
		}
		where += `)`
	}
	var out store.JobTable
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM jobs`+where, args...).Scan(&out.Total); err != nil {
			return err
		}
		page := where + ` ORDER BY ` + store.TableOrder(q) + ` LIMIT ` + param(q.TableLimit()) + ` OFFSET ` + param(max(q.Offset, 0))
		rows, _ := tx.Query(ctx, `SELECT id, title, reference, creator, status, created_at, expires_at, deleted_at FROM jobs`+page, args...)
		var err error
		out.Jobs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.TableRow, error) {
			var t store.TableRow
			var created, expires, deleted int64
			err := r.Scan(&t.ID, &t.Title, &t.Reference, &t.Creator, &t.Status, &created, &expires, &deleted)
			t.CreatedAt, t.ExpiresAt, t.Deleted = fromMicro(created), fromMicro(expires), deleted != 0
			return t, err
		})
		if err != nil || len(out.Jobs) == 0 {
			return err
		}
		index := map[string]int{}
		ids := make([]string, len(out.Jobs))
		for i, t := range out.Jobs {
			index[t.ID], ids[i] = i, t.ID
		}
		rows, _ = tx.Query(ctx, `SELECT job_id, name, pid, email, mobile, status FROM signers
			WHERE org = $1 AND job_id = ANY($2) ORDER BY job_id, position`, org, ids)
		var id string
		var s store.TableSigner
		_, err = pgx.ForEachRow(rows, []any{&id, &s.Name, &s.PID, &s.Email, &s.Mobile, &s.Status}, func() error {
			t := &out.Jobs[index[id]]
			t.Signers = append(t.Signers, s)
			return nil
		})
		return err
	})
	if err != nil {
		return store.JobTable{}, wrap("job table", err)
	}
	return out, nil
}

// DueJobs lists jobs to expire or activate (the jobs_due index serves both).
func (db *DB) DueJobs(ctx context.Context, now time.Time, limit int) ([]store.JobRef, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT org, id FROM jobs WHERE status IN ('active', 'created') AND expires_at <= $1
		UNION
		SELECT org, id FROM jobs WHERE status = 'created' AND activates_at <= $1
		LIMIT $2`, micro(now), limit)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.JobRef, error) {
		var ref store.JobRef
		err := r.Scan(&ref.Org, &ref.JobID)
		return ref, err
	})
	return out, wrap("due jobs", err)
}

// SignerTasks lists a person's unfinished signer entries.
func (db *DB) SignerTasks(ctx context.Context, pid string) ([]store.SignerRef, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT org, job_id, id FROM signers WHERE pid = $1 AND status IN ('waiting', 'notified', 'reserved')
		ORDER BY job_id DESC LIMIT 200`, pid)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SignerRef, error) {
		var ref store.SignerRef
		err := r.Scan(&ref.Org, &ref.JobID, &ref.SignerID)
		return ref, err
	})
	return out, wrap("signer tasks", err)
}

// Idempotency returns a stored idempotency key.
func (db *DB) Idempotency(ctx context.Context, org, key string) (store.Idempotency, error) {
	var i store.Idempotency
	var created int64
	err := db.pool.QueryRow(ctx, `SELECT key, request_hash, job_id, created_at FROM idempotency WHERE org = $1 AND key = $2`,
		org, key).Scan(&i.Key, &i.RequestHash, &i.JobID, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return i, errs.E(errs.NotFound, store.CodeIdempotencyKeyNotFound, "no such key")
	}
	i.CreatedAt = fromMicro(created)
	return i, wrap("idempotency", err)
}

// Changes returns unacknowledged feed entries.
func (db *DB) Changes(ctx context.Context, org string, after int64, limit int) ([]store.Change, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return db.changes(ctx, `WHERE org = $1 AND NOT acked AND seq > $2 ORDER BY seq LIMIT $3`, org, after, limit)
}

// PolledChanges is Changes of the jobs of flow polled in queue alone.
func (db *DB) PolledChanges(ctx context.Context, org string, flow job.Flow, queue string, after int64, limit int) ([]store.Change, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return db.changes(ctx, `WHERE org = $1 AND NOT acked AND seq > $2
		AND EXISTS (SELECT 1 FROM jobs WHERE jobs.org = feed.org AND jobs.id = feed.job_id
			AND jobs.flow = $3 AND jobs.polling <> '' AND jobs.polling::jsonb->>'queue' = $4)
		ORDER BY seq LIMIT $5`, org, after, string(flow), queue, limit)
}

// ChangesAfter returns every organisation's changes after seq, for the
// background workers' outbox.
func (db *DB) ChangesAfter(ctx context.Context, after int64, limit int) ([]store.Change, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return db.changes(ctx, `WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
}

func (db *DB) changes(ctx context.Context, where string, args ...any) ([]store.Change, error) {
	rows, _ := db.pool.Query(ctx, `
		SELECT seq, org, job_id, signer_id, type, job_status, signer_status, at FROM feed `+where, args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Change, error) {
		var c store.Change
		var at int64
		err := r.Scan(&c.Seq, &c.Org, &c.JobID, &c.SignerID, &c.Type, &c.JobStatus, &c.SignerStatus, &at)
		c.At = fromMicro(at)
		return c, err
	})
	return out, wrap("changes", err)
}

// Ack acknowledges feed entries of org in one statement.
func (db *DB) Ack(ctx context.Context, org string, seqs []int64) (int, error) {
	if len(seqs) == 0 {
		return 0, nil
	}
	tag, err := db.pool.Exec(ctx, `UPDATE feed SET acked = true WHERE org = $1 AND seq = ANY($2) AND NOT acked`, org, seqs)
	if err != nil {
		return 0, wrap("ack", err)
	}
	return int(tag.RowsAffected()), nil
}

// AuditRecords streams the audit log in order, one row at a time.
func (db *DB) AuditRecords(ctx context.Context, after int64, fn func(audit.Record) error) error {
	rows, err := db.pool.Query(ctx, `
		SELECT seq, at, org, actor, action, job_id, signer_id, details, prev, hash FROM audit WHERE seq > $1 ORDER BY seq`, after)
	if err != nil {
		return wrap("audit", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r audit.Record
		var at int64
		if err := rows.Scan(&r.Seq, &at, &r.Org, &r.Actor, &r.Action, &r.JobID, &r.SignerID, &r.Details, &r.Prev, &r.Hash); err != nil {
			return wrap("audit", err)
		}
		r.At = fromMicro(at)
		if err := fn(r); err != nil {
			return err
		}
	}
	return wrap("audit", rows.Err())
}

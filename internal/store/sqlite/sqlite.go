// Package sqlite is the embedded implementation of the storage port: one
// SQLite file in WAL mode through a pure-Go driver (no cgo). All writes go
// through one connection, which is how SQLite serialises writers anyway.
// So do the short reads that the requests and the delivery make (a job,
// an organisation, the feed, a job's notices): the writer's is the one
// connection whose page cache its own commits leave valid, where a commit
// makes every other connection drop its cache at its next transaction and
// read each page again from the file (https://sqlite.org/wal.html). Reads
// that may take long (the portal's lists, the audit log, usage, retention's
// scans) use a pool and never wait for writers. Jobs and organisations once
// read are kept, checked against other processes' commits (readCache).
//
// Commits are made durable in groups (sqldb.WAL): the writer commits with
// synchronous=NORMAL and every write then waits for an fsync of the
// write-ahead log begun after its commit, which concurrent writes share and
// which no longer holds the write lock. A write that returned is on the
// disk, as with synchronous=FULL.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/sqldb"
	"github.com/segl/segl/internal/store"
)

var _ store.Store = (*DB)(nil)

// DB is a segl store in one SQLite file.
type DB struct {
	write *sql.DB // exactly one connection: SQLite has one writer; also the hot reads
	read  *sql.DB
	ckpt  *sql.DB    // one connection for DeleteJob's checkpoints (truncateLog), off the writer's
	wal   *sqldb.WAL // nil with RelaxedSync
	// Prepared statements by query (*sql.Stmt), one map per pool:
	// parsing SQL costs more than running it.
	stmts, readStmts sync.Map
	cache            readCache
	writerConns      atomic.Uint64 // connections the writer's pool opened (readCache.checked)
}

// Options tune durability. The zero value is the safe default.
type Options struct {
	// RelaxedSync trades durability on power loss for speed: with it, a
	// commit survives a crash of segl but not of the machine (no write
	// waits for an fsync of the write-ahead log).
	RelaxedSync bool
}

// Open opens or creates the database at path and brings its schema up to date.
func Open(path string, opts Options) (*DB, error) {
	q := url.Values{}
	// NORMAL: a commit does not fsync; DB.durable does, for a group of
	// commits (see the package comment).
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(ON)",
		// Overwrite deleted content, so a deleted job's identity numbers
		// do not stay readable in free pages (docs/architecture.md, "Retention").
		"secure_delete(ON)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	connector, err := sqlite.NewConnector(dsn + "&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db := &DB{}
	write := sql.OpenDB(countingConnector{connector, &db.writerConns})
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	ckpt, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	ckpt.SetMaxOpenConns(1)
	// Keep every read connection open: database/sql keeps two idle by
	// default, so under load the others were closed after each query and
	// reopened (the pragmas again, every statement prepared again, a cold
	// page cache).
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	db.write, db.read, db.ckpt = write, read, ckpt
	if !opts.RelaxedSync {
		if db.wal, err = sqldb.WALOf(context.Background(), write); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	err = db.migrate(context.Background())
	if err == nil {
		err = db.durable()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, q := range append(writeStatements, auditHead, dataVersion) {
		if _, err := db.stmt(context.Background(), db.write, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: prepare: %w", err)
		}
	}
	return db, nil
}

// Ping reads the database file (the migrations table), for readiness: it
// answers whether requests can be served from this file now, which they
// cannot after a failed fsync of its log (sqldb.WAL).
func (db *DB) Ping(ctx context.Context) error {
	if db.wal != nil {
		if err := db.wal.Err(); err != nil {
			return err
		}
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		return errs.Wrap(err, errs.Unavailable, errs.CodeDatabaseUnavailable, "sqlite: ping")
	}
	return nil
}

// Close closes the pools and the log's handle.
func (db *DB) Close() error {
	for _, m := range []*sync.Map{&db.stmts, &db.readStmts} {
		m.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	}
	err := errors.Join(db.read.Close(), db.ckpt.Close(), db.write.Close())
	if db.wal != nil {
		err = errors.Join(err, db.wal.Close())
	}
	return err
}

func (db *DB) migrate(ctx context.Context) error {
	if err := sqldb.Migrate(ctx, db.write, "schema_migrations", migrations); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return db.refoldSearch(ctx)
}

// tx runs fn in a write transaction and returns once the commit is
// durable.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := sqldb.InTx(ctx, db.write, fn); err != nil {
		return err
	}
	return db.durable()
}

// writeExec runs one statement on the writer, outside a transaction, and
// returns once its commit is durable.
func (db *DB) writeExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.writeExecNoSync(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return res, db.durable()
}

// writeExecNoSync is writeExec without the wait for the disk, for a write
// whose loss to a power failure does no harm (SetCursor).
func (db *DB) writeExecNoSync(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := db.stmt(ctx, db.write, query)
	if err != nil {
		return nil, sqldb.Full(err)
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return nil, sqldb.Full(err)
	}
	return res, nil
}

// writeRow runs one statement that writes and returns a row (RETURNING),
// scans the row, and returns once the commit is durable. A statement that
// matched no row wrote nothing and waits for nothing.
func (db *DB) writeRow(ctx context.Context, scan func(*sql.Row) error, query string, args ...any) error {
	st, err := db.stmt(ctx, db.write, query)
	if err != nil {
		return sqldb.Full(err)
	}
	if err := scan(st.QueryRowContext(ctx, args...)); err != nil {
		return sqldb.Full(err)
	}
	return db.durable()
}

// durable returns once every commit made before it is on the disk
// (sqldb.WAL); with RelaxedSync at once.
func (db *DB) durable() error {
	if db.wal == nil {
		return nil
	}
	return db.wal.Sync()
}

// stmt returns a prepared statement for query on pool, preparing it once.
// database/sql re-prepares it per connection as needed.
func (db *DB) stmt(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	m := &db.stmts
	if pool == db.read {
		m = &db.readStmts
	}
	if st, ok := m.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := m.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// exec runs query inside tx, through a prepared statement when Open
// prepared one. It never prepares on db.write itself: the transaction holds
// the pool's only connection, so that would wait forever.
func (db *DB) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st, ok := db.stmts.Load(query); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt)).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// hotRow runs a cached statement that reads one row on the writer's
// connection, whose page cache holds what the writes left there (see the
// package comment). Only short reads belong here: a read waits for the
// write before it and holds up the writes after it.
func (db *DB) hotRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.stmt(ctx, db.write, query)
	if err != nil {
		return db.write.QueryRowContext(ctx, query, args...) // reports the same error through Scan
	}
	return st.QueryRowContext(ctx, args...)
}

// hotQuery is hotRow for a statement that reads a few rows.
func (db *DB) hotQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.stmt(ctx, db.write, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs a cached statement on the read pool.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.stmt(ctx, db.read, query)
	if err != nil {
		return db.read.QueryRowContext(ctx, query, args...) // reports the same error through Scan
	}
	return st.QueryRowContext(ctx, args...)
}

func micro(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicro(n int64) time.Time { return time.UnixMicro(n).UTC() }

// orgColumns are read FROM orgFrom: the organisation and the name of its
// logo, if any.
const orgColumns = `number, name, active, signature_types, created_at, contact_email, cert_subject, retention_days, brokers,
	COALESCE(org_logos.media_type, ''), COALESCE(org_logos.sha256, '')`

const orgFrom = `orgs LEFT JOIN org_logos ON org_logos.org = orgs.number`

func scanOrg(row interface{ Scan(...any) error }) (store.Org, error) {
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

// Org returns one organisation, kept (readCache) or read on the writer's
// connection (a hot read, see the package comment).
func (db *DB) Org(ctx context.Context, number string) (store.Org, error) {
	gen, err := db.checkCache(ctx)
	if err != nil {
		return store.Org{}, fmt.Errorf("sqlite: org: %w", err)
	}
	if o, ok := db.cache.org(number); ok {
		return o, nil
	}
	o, err := scanOrg(db.hotRow(ctx, `SELECT `+orgColumns+` FROM `+orgFrom+` WHERE number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return o, errs.E(errs.NotFound, store.CodeOrgNotFound, "no organisation %s", number)
	}
	if err != nil {
		return o, fmt.Errorf("sqlite: org: %w", err)
	}
	db.cache.putOrg(o, gen)
	return o, nil
}

// ListOrgs returns every organisation by number.
func (db *DB) ListOrgs(ctx context.Context) ([]store.Org, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+orgColumns+` FROM `+orgFrom+` ORDER BY number`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list orgs: %w", err)
	}
	defer rows.Close()
	var out []store.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list orgs: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CreateJob stores a new job, its events and its idempotency key atomically.
func (db *DB) CreateJob(ctx context.Context, j *job.Job, events []job.Event, idem *store.Idempotency) error {
	exits, _ := json.Marshal(j.ExitURLs)
	retention, _ := json.Marshal(j.Retention)
	var polling []byte
	if j.Polling != nil {
		polling, _ = json.Marshal(j.Polling)
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if idem != nil {
			_, err := db.exec(ctx, tx, insertIdempotency,
				j.Org, idem.Key, idem.RequestHash, j.ID, micro(j.CreatedAt))
			if isUniqueViolation(err) {
				return errs.E(errs.Conflict, store.CodeIdempotencyKeyUsed, "idempotency key %q was already used", idem.Key)
			}
			if err != nil {
				return err
			}
		}
		_, err := db.exec(ctx, tx, insertJob,
			j.Org, j.ID, j.Creator, j.Flow, j.SignatureType, j.Assurance, j.Title, j.Description, j.Reference,
			j.Identifier, j.CallbackURL, string(exits), string(retention), j.Status, micro(j.ActivatesAt),
			micro(j.ExpiresAt), micro(j.CreatedAt), micro(j.UpdatedAt), string(polling), j.RetainDays, j.AuditKey, j.Lang, j.SearchText())
		if err != nil {
			return err
		}
		for i, d := range j.Documents {
			_, err := db.exec(ctx, tx, insertDocument,
				j.Org, j.ID, d.ID, i, d.Title, d.FileName, d.MediaType, d.Size, d.SHA256, d.Pages, d.Role)
			if err != nil {
				return err
			}
		}
		for i, s := range j.Signers {
			_, err := db.exec(ctx, tx, insertSigner,
				j.Org, j.ID, s.ID, i, s.PID, s.Email, s.Mobile, s.Order, s.OnBehalfOf, s.Status, micro(s.UpdatedAt), s.Ref)
			if err != nil {
				return err
			}
		}
		return db.appendEvents(ctx, tx, j.Org, j.AuditKey, events)
	})
	var e *errs.Error
	if err != nil && !errors.As(err, &e) {
		return fmt.Errorf("sqlite: create job: %w", err)
	}
	return err
}

// SaveJob writes status changes with compare-and-swap on the version.
func (db *DB) SaveJob(ctx context.Context, j *job.Job, events []job.Event) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		db.cache.forgetJob(j.Org, j.ID)
		res, err := db.exec(ctx, tx, updateJob, micro(j.UpdatedAt), j.SearchText(), j.Org, j.ID, j.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errs.E(errs.Conflict, store.CodeJobChanged, "job %s was changed by someone else; reload it", j.ID)
		}
		if _, err := db.exec(ctx, tx, updateJobState, j.Status, microOrZero(j.EndedAt), microOrZero(j.DeleteAfter()), j.Org, j.ID); err != nil {
			return err
		}
		for _, s := range j.Signers {
			_, err := db.exec(ctx, tx, updateSigner,
				s.Status, micro(s.UpdatedAt), s.Name, s.Evidence, s.Notice, s.RejectionReason, j.Org, j.ID, s.ID,
				s.EvidenceAt, s.EvidenceSize, s.EvidenceSHA256)
			if err != nil {
				return err
			}
		}
		for _, d := range j.Documents {
			res, err := db.exec(ctx, tx, updateDocument, d.Signed.SHA256, d.Signed.Size, store.EncodeParts(d.Signed), j.Org, j.ID, d.ID)
			if err != nil {
				return err
			}
			// An unchanged revision's blobs were recorded by the save
			// that made it the document's.
			if n, err := res.RowsAffected(); err != nil || n == 0 || d.Signed.SHA256 == "" {
				if err != nil {
					return err
				}
				continue
			}
			for _, key := range d.Signed.Blobs() {
				if _, err := db.exec(ctx, tx, insertRevision, j.Org, j.ID, key); err != nil {
					return err
				}
			}
		}
		return db.appendEvents(ctx, tx, j.Org, j.AuditKey, events)
	})
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			return err
		}
		return fmt.Errorf("sqlite: save job: %w", err)
	}
	j.Version++
	return nil
}

// Statements run inside write transactions, prepared once by Open.
const (
	insertIdempotency = `INSERT INTO idempotency (org, key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?)`
	insertJob         = `INSERT INTO jobs (org, id, creator, flow, signature_type, assurance, title, description, reference, identifier, callback_url, exit_urls, retention, status, activates_at, expires_at, created_at, updated_at, version, polling, retain_days, audit_key, lang, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`
	insertDocument    = `INSERT INTO documents (org, job_id, id, position, title, file_name, media_type, size, sha256, pages, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertSigner      = `INSERT INTO signers (org, job_id, id, position, pid, email, mobile, ord, on_behalf_of, status, updated_at, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateJob         = `UPDATE jobs SET updated_at = ?, search = ?, version = version + 1 WHERE org = ? AND id = ? AND version = ?`
	// updateJobState sets the columns that indexes hold apart from
	// updateJob, and only when one of them changed: SQLite rewrites an
	// index entry of every assigned indexed column, changed or not, and
	// most saves (a signer's intent, an act that is not the last) leave
	// the job's state alone.
	updateJobState = `UPDATE jobs SET status = ?1, ended_at = ?2, delete_after = ?3
		WHERE org = ?4 AND id = ?5 AND (status, ended_at, delete_after) IS NOT (?1, ?2, ?3)`
	// updateSigner and updateDocument leave a row that already holds the
	// values alone: most saves change one signer or none, and a row
	// rewritten with the same values still costs a page in the WAL.
	updateSigner = `UPDATE signers SET status = ?1, updated_at = ?2, name = ?3, evidence = ?4, notice = ?5, rejection_reason = ?6,
			evidence_at = ?10, evidence_size = ?11, evidence_sha256 = ?12
		WHERE org = ?7 AND job_id = ?8 AND id = ?9 AND (status, updated_at, name, evidence, notice, rejection_reason,
			evidence_at, evidence_size, evidence_sha256) IS NOT (?1, ?2, ?3, ?4, ?5, ?6, ?10, ?11, ?12)`
	updateDocument = `UPDATE documents SET signed_sha256 = ?1, signed_size = ?2, signed_parts = ?3
		WHERE org = ?4 AND job_id = ?5 AND id = ?6 AND (signed_sha256, signed_size, signed_parts) IS NOT (?1, ?2, ?3)`
	insertRevision = `INSERT INTO revisions (org, job_id, sha256) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	insertFeed     = `INSERT INTO feed (org, job_id, signer_id, type, job_status, signer_status, at) VALUES (?, ?, ?, ?, ?, ?, ?)`
	insertAudit    = `INSERT INTO audit (seq, at, org, actor, action, job_id, signer_id, details, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

var writeStatements = []string{insertIdempotency, insertJob, insertDocument, insertSigner, updateJob, updateSigner,
	updateDocument, insertRevision, insertFeed, insertAudit, ackFeed, updateJobState}

const ackFeed = `UPDATE feed SET acked = 1 WHERE org = ? AND seq = ? AND acked = 0`

const auditHead = `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`

// appendEvents writes events to the feed and links them into the audit chain.
func (db *DB) appendEvents(ctx context.Context, tx *sql.Tx, org string, key []byte, events []job.Event) error {
	for _, ev := range events {
		_, err := db.exec(ctx, tx, insertFeed,
			org, ev.JobID, ev.SignerID, ev.Type, ev.JobStatus, ev.SignerStatus, micro(ev.At))
		if err != nil {
			return err
		}
	}
	return db.chain(ctx, tx, org, key, events)
}

// chain links events into the audit chain, naming people who act on a job
// by their pseudonym under the job's key (audit.Pseudonym).
func (db *DB) chain(ctx context.Context, tx *sql.Tx, org string, key []byte, events []job.Event) error {
	if len(events) == 0 {
		return nil
	}
	var prev *audit.Record
	var last audit.Record
	var err error
	if st, ok := db.stmts.Load(auditHead); ok {
		err = tx.StmtContext(ctx, st.(*sql.Stmt)).QueryRowContext(ctx).Scan(&last.Seq, &last.Hash)
	} else {
		err = tx.QueryRowContext(ctx, auditHead).Scan(&last.Seq, &last.Hash)
	}
	switch {
	case err == nil:
		prev = &last
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	for _, ev := range events {
		r := audit.Record{At: ev.At, Org: org, Actor: audit.Pseudonym(key, ev.Actor), Action: ev.Type, JobID: ev.JobID,
			SignerID: ev.SignerID, Details: store.AuditDetails(key, ev)}
		r.Seal(prev)
		_, err := db.exec(ctx, tx, insertAudit,
			r.Seq, micro(r.At), r.Org, r.Actor, r.Action, r.JobID, r.SignerID, r.Details, r.Prev, r.Hash)
		if err != nil {
			return err
		}
		prev = &r
	}
	return nil
}

const jobColumns = `org, id, creator, flow, signature_type, assurance, title, description, reference, identifier,
	callback_url, exit_urls, retention, status, activates_at, expires_at, created_at, updated_at, version, polling,
	retain_days, ended_at, deleted_at, audit_key, lang`

func scanJob(row interface{ Scan(...any) error }) (*job.Job, error) {
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

// Job returns one job of org with documents and signers, kept
// (readCache) or read in one transaction so the three parts are
// consistent.
func (db *DB) Job(ctx context.Context, org, id string) (*job.Job, error) {
	j, err := db.keptOrRead(ctx, db.cache.holdsJob(org, id), func() *job.Job { return db.cache.job(org, id) }, jobQuery, org, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, store.CodeJobNotFound, "no job %s", id)
	}
	return j, err
}

// SignerJob returns the job of a signer, found from the signer's id
// alone, as Job does. Only a signer link, already authenticated by its
// HMAC token, may lead here: it is the one lookup not scoped by
// organisation.
func (db *DB) SignerJob(ctx context.Context, signerID string) (*job.Job, error) {
	j, err := db.keptOrRead(ctx, db.cache.holdsSigner(signerID), func() *job.Job { return db.cache.signerJob(signerID) },
		signerJobQuery, signerID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, job.CodeSignerNotFound, "no signer %s", signerID)
	}
	return j, err
}

// keptOrRead answers with the kept job after a check if the cache held it
// (held, kept), or reads the job (readJob with first and args) and keeps
// it. A read makes its own check, in its transaction: one transaction
// rather than two.
func (db *DB) keptOrRead(ctx context.Context, held bool, kept func() *job.Job, first string, args ...any) (*job.Job, error) {
	if held {
		if _, err := db.checkCache(ctx); err != nil {
			return nil, fmt.Errorf("sqlite: job: %w", err)
		}
		if j := kept(); j != nil {
			return j, nil
		}
	}
	gen := db.cache.generation() // before the read: what is forgotten during it is not kept
	before := db.writerConns.Load()
	j, version, err := db.readJob(ctx, first, args...)
	if err != nil {
		return nil, err
	}
	db.cache.checked(before, db.writerConns.Load(), version)
	db.cache.putJob(j, gen)
	return j, nil
}

// readJob reads the job that first (jobQuery or signerJobQuery) selects
// with args, then its documents and signers, in one read transaction on
// the writer's connection (a hot read, see the package comment; readCache
// relies on it), with the data_version the transaction began at (the
// cache's check). No such job is sql.ErrNoRows, for the caller to name.
func (db *DB) readJob(ctx context.Context, first string, args ...any) (*job.Job, uint32, error) {
	// Prepare (once) before taking the connection for the transaction: a
	// prepare inside it would wait forever for the pool's only connection.
	var stmts [4]*sql.Stmt
	for i, query := range []string{dataVersion, first, documentsQuery, signersQuery} {
		st, err := db.stmt(ctx, db.write, query)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: job: %w", err)
		}
		stmts[i] = st
	}
	// Read-only, the driver begins it DEFERRED rather than IMMEDIATE: it
	// takes no write lock.
	tx, err := db.write.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: job: %w", err)
	}
	defer tx.Rollback()
	var version int64
	if err := tx.StmtContext(ctx, stmts[0]).QueryRowContext(ctx).Scan(&version); err != nil {
		return nil, 0, fmt.Errorf("sqlite: job: %w", err)
	}
	j, err := scanJob(tx.StmtContext(ctx, stmts[1]).QueryRowContext(ctx, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, err
	}
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: job: %w", err)
	}
	org, id := j.Org, j.ID
	rows, err := tx.StmtContext(ctx, stmts[2]).QueryContext(ctx, org, id)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: job documents: %w", err)
	}
	var pos []int
	for rows.Next() {
		var d job.Document
		var parts string
		var p int
		if err := rows.Scan(&p, &d.ID, &d.Title, &d.FileName, &d.MediaType, &d.Size, &d.SHA256, &d.Pages, &d.Role,
			&d.Signed.SHA256, &d.Signed.Size, &parts); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("sqlite: job documents: %w", err)
		}
		if err := store.DecodeParts(parts, &d.Signed); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("sqlite: job document %s: %w", d.ID, err)
		}
		j.Documents, pos = append(j.Documents, d), append(pos, p)
	}
	// A step that failed (an interrupt, a damaged page) ends the loop as
	// the last row would: without this, a job would read as having fewer
	// documents.
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, 0, fmt.Errorf("sqlite: job documents: %w", err)
	}
	rows.Close()
	inPositionOrder(j.Documents, pos)
	rows, err = tx.StmtContext(ctx, stmts[3]).QueryContext(ctx, org, id)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: job signers: %w", err)
	}
	defer rows.Close()
	pos = pos[:0]
	for rows.Next() {
		var s job.Signer
		var updated int64
		var p int
		if err := rows.Scan(&p, &s.ID, &s.PID, &s.Email, &s.Mobile, &s.Order, &s.OnBehalfOf, &s.Status, &updated,
			&s.Name, &s.Evidence, &s.Notice, &s.Ref, &s.RejectionReason, &s.EvidenceAt, &s.EvidenceSize, &s.EvidenceSHA256); err != nil {
			return nil, 0, fmt.Errorf("sqlite: job signers: %w", err)
		}
		s.UpdatedAt = fromMicro(updated)
		j.Signers, pos = append(j.Signers, s), append(pos, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: job signers: %w", err)
	}
	inPositionOrder(j.Signers, pos)
	return j, uint32(version), nil
}

// inPositionOrder sorts items by their positions (pos[i] is items[i]'s),
// which documentsQuery and signersQuery leave to Go: SQLite would sort
// the few rows in a temporary B-tree, which cost about a seventh of a
// job's read. Insertion sort, since the rows nearly always come in order
// already (ids are made in position order).
func inPositionOrder[T any](items []T, pos []int) {
	for i := 1; i < len(items); i++ {
		for k := i; k > 0 && pos[k] < pos[k-1]; k-- {
			items[k], items[k-1] = items[k-1], items[k]
			pos[k], pos[k-1] = pos[k-1], pos[k]
		}
	}
}

// The queries Job and SignerJob run, prepared once: parsing them cost
// more than running them. signerJobQuery finds the job through the
// signers_id index. The documents and signers come in primary-key order,
// put in position order by readJob.
const (
	jobQuery       = `SELECT ` + jobColumns + ` FROM jobs WHERE org = ? AND id = ?`
	signerJobQuery = `SELECT ` + jobColumns + ` FROM jobs WHERE (org, id) = (SELECT org, job_id FROM signers WHERE id = ?)`
	documentsQuery = `SELECT position, id, title, file_name, media_type, size, sha256, pages, role, signed_sha256, signed_size, signed_parts
		FROM documents WHERE org = ? AND job_id = ?`
	signersQuery = `SELECT position, id, pid, email, mobile, ord, on_behalf_of, status, updated_at, name, evidence, notice, ref, rejection_reason,
		evidence_at, evidence_size, evidence_sha256
		FROM signers WHERE org = ? AND job_id = ?`
)

// ListJobs pages through org's jobs newest first. Job ids sort by creation
// time, so the cursor is simply the last id seen.
func (db *DB) ListJobs(ctx context.Context, org string, q store.JobQuery) ([]job.Job, string, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 25
	}
	limit = min(limit, 100)
	query := `SELECT ` + jobColumns + ` FROM jobs WHERE org = ?`
	args := []any{org}
	if q.Cursor != "" {
		query += ` AND id < ?`
		args = append(args, q.Cursor)
	}
	if q.Status != "" {
		query += ` AND status = ?`
		args = append(args, q.Status)
	}
	if q.Creator != "" {
		query += ` AND creator = ?`
		args = append(args, q.Creator)
	}
	query += ` ORDER BY id DESC LIMIT ` + strconv.Itoa(limit+1)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list jobs: %w", err)
	}
	defer rows.Close()
	var out []job.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, "", fmt.Errorf("sqlite: list jobs: %w", err)
		}
		out = append(out, *j)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlite: list jobs: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// DueJobs lists jobs to expire or activate (the jobs_due index serves both).
func (db *DB) DueJobs(ctx context.Context, now time.Time, limit int) ([]store.JobRef, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT org, id FROM jobs WHERE status IN ('active', 'created') AND expires_at <= ?
		UNION
		SELECT org, id FROM jobs WHERE status = 'created' AND activates_at <= ?
		LIMIT ?`, micro(now), micro(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: due jobs: %w", err)
	}
	defer rows.Close()
	var out []store.JobRef
	for rows.Next() {
		var r store.JobRef
		if err := rows.Scan(&r.Org, &r.JobID); err != nil {
			return nil, fmt.Errorf("sqlite: due jobs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SignerTasks lists a person's unfinished signer entries.
func (db *DB) SignerTasks(ctx context.Context, pid string) ([]store.SignerRef, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT org, job_id, id FROM signers WHERE pid = ? AND status IN ('waiting', 'notified', 'reserved')
		ORDER BY job_id DESC LIMIT 200`, pid)
	if err != nil {
		return nil, fmt.Errorf("sqlite: signer tasks: %w", err)
	}
	defer rows.Close()
	var out []store.SignerRef
	for rows.Next() {
		var r store.SignerRef
		if err := rows.Scan(&r.Org, &r.JobID, &r.SignerID); err != nil {
			return nil, fmt.Errorf("sqlite: signer tasks: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Idempotency returns a stored idempotency key.
func (db *DB) Idempotency(ctx context.Context, org, key string) (store.Idempotency, error) {
	var i store.Idempotency
	var created int64
	err := db.queryRow(ctx, `SELECT key, request_hash, job_id, created_at FROM idempotency WHERE org = ? AND key = ?`,
		org, key).Scan(&i.Key, &i.RequestHash, &i.JobID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return i, errs.E(errs.NotFound, store.CodeIdempotencyKeyNotFound, "no such key")
	}
	if err != nil {
		return i, fmt.Errorf("sqlite: idempotency: %w", err)
	}
	i.CreatedAt = fromMicro(created)
	// A retry is answered from this key as if it had made the job: only
	// once the job's commit is on the disk, which the first request's
	// answer may still be waiting for (sqldb.WAL).
	if err := db.durable(); err != nil {
		return i, fmt.Errorf("sqlite: idempotency: %w", err)
	}
	return i, nil
}

// Changes returns unacknowledged feed entries.
func (db *DB) Changes(ctx context.Context, org string, after int64, limit int) ([]store.Change, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return db.changes(ctx, `WHERE org = ? AND acked = 0 AND seq > ? ORDER BY seq LIMIT ?`, org, after, limit)
}

// PolledChanges is Changes of the jobs of flow polled in queue alone.
func (db *DB) PolledChanges(ctx context.Context, org string, flow job.Flow, queue string, after int64, limit int) ([]store.Change, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return db.changes(ctx, `WHERE org = ? AND acked = 0 AND seq > ?
		AND EXISTS (SELECT 1 FROM jobs WHERE jobs.org = feed.org AND jobs.id = feed.job_id
			AND jobs.flow = ? AND jobs.polling <> '' AND json_extract(jobs.polling, '$.queue') = ?)
		ORDER BY seq LIMIT ?`, org, after, string(flow), queue, limit)
}

// ChangesAfter returns every organisation's changes after seq, for the
// background workers' outbox.
func (db *DB) ChangesAfter(ctx context.Context, after int64, limit int) ([]store.Change, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return db.changes(ctx, `WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
}

// changes reads up to its LIMIT of feed entries, a hot read.
func (db *DB) changes(ctx context.Context, where string, args ...any) ([]store.Change, error) {
	rows, err := db.hotQuery(ctx, `
		SELECT seq, org, job_id, signer_id, type, job_status, signer_status, at FROM feed `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var c store.Change
		var at int64
		if err := rows.Scan(&c.Seq, &c.Org, &c.JobID, &c.SignerID, &c.Type, &c.JobStatus, &c.SignerStatus, &at); err != nil {
			return nil, fmt.Errorf("sqlite: changes: %w", err)
		}
		c.At = fromMicro(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	// Let the writer's connection go before waiting for the disk.
	rows.Close()
	// A feed entry goes out (to the API's reader, to callbacks and
	// mailboxes) under its sequence number only once it is on the disk:
	// one a power failure took back would have its number given to
	// another event (sqldb.WAL).
	if err := db.durable(); err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	return out, nil
}

// Ack acknowledges feed entries of org.
func (db *DB) Ack(ctx context.Context, org string, seqs []int64) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, s := range seqs {
			res, err := db.exec(ctx, tx, ackFeed, org, s)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: ack: %w", err)
	}
	return n, nil
}

// AuditRecords streams the audit log in order.
func (db *DB) AuditRecords(ctx context.Context, after int64, fn func(audit.Record) error) error {
	rows, err := db.read.QueryContext(ctx, `
		SELECT seq, at, org, actor, action, job_id, signer_id, details, prev, hash FROM audit WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		return fmt.Errorf("sqlite: audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r audit.Record
		var at int64
		if err := rows.Scan(&r.Seq, &at, &r.Org, &r.Actor, &r.Action, &r.JobID, &r.SignerID, &r.Details, &r.Prev, &r.Hash); err != nil {
			return fmt.Errorf("sqlite: audit: %w", err)
		}
		r.At = fromMicro(at)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}

// JobTable reads one page of the portal's list and the number of matching
// jobs in one read transaction, then the page's signers. The filters use
// the primary key, jobs_creator or jobs_status; the search reads the
// organisation's rows' search column (folded by job.SearchKey, so instr
// compares bytes and needs no LIKE escaping).
func (db *DB) JobTable(ctx context.Context, org string, q store.TableQuery) (store.JobTable, error) {
	where, args := ` WHERE org = ?`, []any{org}
	if q.Creator != "" {
		where += ` AND creator = ?`
		args = append(args, q.Creator)
	}
	if q.Status != "" {
		where += ` AND status = ?`
		args = append(args, q.Status)
	}
	if key := job.SearchKey(q.Search); key != "" {
		where += ` AND (instr(search, ?) > 0`
		args = append(args, key)
		if store.SearchPID(key) {
			where += ` OR EXISTS (SELECT 1 FROM signers s WHERE s.pid = ? AND s.org = jobs.org AND s.job_id = jobs.id)`
			args = append(args, key)
		}
		where += `)`
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.JobTable{}, fmt.Errorf("sqlite: job table: %w", err)
	}
	defer tx.Rollback()
	var out store.JobTable
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM jobs`+where, args...).Scan(&out.Total); err != nil {
		return store.JobTable{}, fmt.Errorf("sqlite: job table: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, title, reference, creator, status, created_at, expires_at, deleted_at FROM jobs`+
		where+` ORDER BY `+store.TableOrder(q)+` LIMIT ? OFFSET ?`, append(args, q.TableLimit(), max(q.Offset, 0))...)
	if err != nil {
		return store.JobTable{}, fmt.Errorf("sqlite: job table: %w", err)
	}
	index := map[string]int{}
	for rows.Next() {
		var r store.TableRow
		var created, expires, deleted int64
		if err := rows.Scan(&r.ID, &r.Title, &r.Reference, &r.Creator, &r.Status, &created, &expires, &deleted); err != nil {
			rows.Close()
			return store.JobTable{}, fmt.Errorf("sqlite: job table: %w", err)
		}
		r.CreatedAt, r.ExpiresAt, r.Deleted = fromMicro(created), fromMicro(expires), deleted != 0
		index[r.ID] = len(out.Jobs)
		out.Jobs = append(out.Jobs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out.Jobs) == 0 {
		return out, err
	}
	ids := make([]any, 0, len(out.Jobs)+1)
	ids = append(ids, org)
	for _, r := range out.Jobs {
		ids = append(ids, r.ID)
	}
	rows, err = tx.QueryContext(ctx, `SELECT job_id, name, pid, email, mobile, status FROM signers WHERE org = ? AND job_id IN (?`+
		strings.Repeat(`, ?`, len(out.Jobs)-1)+`) ORDER BY job_id, position`, ids...)
	if err != nil {
		return store.JobTable{}, fmt.Errorf("sqlite: job table signers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var s store.TableSigner
		if err := rows.Scan(&id, &s.Name, &s.PID, &s.Email, &s.Mobile, &s.Status); err != nil {
			return store.JobTable{}, fmt.Errorf("sqlite: job table signers: %w", err)
		}
		r := &out.Jobs[index[id]]
		r.Signers = append(r.Signers, s)
	}
	return out, rows.Err()
}

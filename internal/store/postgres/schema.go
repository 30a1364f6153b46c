package postgres

// migrations is append-only: never edit an applied entry, add a new one.
// Each runs in its own transaction together with its version row, under
// the migration lock (internal/pgdb), so nodes starting together apply it
// once. Older nodes already running go on against the new schema: a step
// after which they would read what rows name wrongly is not rolling-safe
// and is listed in docs/operations.md (PostgreSQL, Migrations).
//
// The tables are SQLite's (store/sqlite/schema.go, all six steps) with
// PostgreSQL types. Times are BIGINT microseconds since the epoch in UTC, as
// there: the callers give UTC time truncated to microseconds and get it back
// equal. Ids compare bytewise (COLLATE "C"), as SQLite compares them, so
// that job ids (UUIDv7) list in creation order whatever the database's
// locale. audit_head is the chain's head in one row: a writer locks it
// FOR UPDATE before it takes feed sequence numbers and links audit records,
// so writers on every node form one chain, and feed numbers become visible
// in the order they were taken (the outbox follows them by cursor).
var migrations = []string{
	// 1: everything the SQLite store holds after its sixth step.
	`
CREATE TABLE orgs (
	number          TEXT COLLATE "C" PRIMARY KEY,
	name            TEXT NOT NULL,
	active          BOOLEAN NOT NULL,
	signature_types TEXT NOT NULL,
	created_at      BIGINT NOT NULL,
	contact_email   TEXT NOT NULL DEFAULT '',
	cert_subject    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE jobs (
	org            TEXT NOT NULL,
	id             TEXT COLLATE "C" NOT NULL,
	creator        TEXT NOT NULL,
	flow           TEXT NOT NULL,
	signature_type TEXT NOT NULL,
	assurance      TEXT NOT NULL,
	title          TEXT NOT NULL,
	description    TEXT NOT NULL,
	reference      TEXT NOT NULL,
	identifier     TEXT NOT NULL,
	callback_url   TEXT NOT NULL,
	exit_urls      TEXT NOT NULL,
	retention      TEXT NOT NULL,
	status         TEXT NOT NULL,
	activates_at   BIGINT NOT NULL,
	expires_at     BIGINT NOT NULL,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL,
	version        BIGINT NOT NULL,
	polling        TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (org, id)
);
CREATE INDEX jobs_due ON jobs (status, expires_at);
CREATE INDEX jobs_creator ON jobs (org, creator, id);
CREATE TABLE documents (
	org           TEXT NOT NULL,
	job_id        TEXT NOT NULL,
	id            TEXT NOT NULL,
	position      INTEGER NOT NULL,
	title         TEXT NOT NULL,
	file_name     TEXT NOT NULL,
	media_type    TEXT NOT NULL,
	size          BIGINT NOT NULL,
	sha256        TEXT NOT NULL,
	pages         INTEGER NOT NULL,
	signed_sha256 TEXT NOT NULL DEFAULT '',
	signed_size   BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (org, job_id, id)
);
CREATE INDEX documents_sha256 ON documents (sha256);
CREATE TABLE signers (
	org          TEXT NOT NULL,
	job_id       TEXT COLLATE "C" NOT NULL,
	id           TEXT NOT NULL,
	position     INTEGER NOT NULL,
	pid          TEXT NOT NULL,
	email        TEXT NOT NULL,
	mobile       TEXT NOT NULL,
	ord          INTEGER NOT NULL,
	on_behalf_of TEXT NOT NULL,
	status       TEXT NOT NULL,
	updated_at   BIGINT NOT NULL,
	name         TEXT NOT NULL DEFAULT '',
	evidence     TEXT NOT NULL DEFAULT '',
	notice       TEXT NOT NULL DEFAULT '',
	ref          TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (org, job_id, id)
);
CREATE UNIQUE INDEX signers_id ON signers (id);
CREATE INDEX signers_pid ON signers (pid) WHERE pid <> '';
CREATE TABLE feed (
	seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org           TEXT NOT NULL,
	job_id        TEXT NOT NULL,
	signer_id     TEXT NOT NULL,
	type          TEXT NOT NULL,
	job_status    TEXT NOT NULL,
	signer_status TEXT NOT NULL,
	at            BIGINT NOT NULL,
	acked         BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX feed_pending ON feed (org, seq) WHERE NOT acked;
CREATE TABLE audit (
	seq       BIGINT PRIMARY KEY,
	at        BIGINT NOT NULL,
	org       TEXT NOT NULL,
	actor     TEXT NOT NULL,
	action    TEXT NOT NULL,
	job_id    TEXT NOT NULL,
	signer_id TEXT NOT NULL,
	details   BYTEA,
	prev      BYTEA NOT NULL,
	hash      BYTEA NOT NULL
);
CREATE TABLE audit_head (
	one  BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
	seq  BIGINT NOT NULL,
	hash BYTEA NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, '\x');
CREATE TABLE idempotency (
	org          TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	job_id       TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (org, key)
);
CREATE TABLE users (
	org        TEXT COLLATE "C" NOT NULL,
	pid        TEXT COLLATE "C" NOT NULL,
	name       TEXT NOT NULL,
	email      TEXT NOT NULL,
	role       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	created_by TEXT NOT NULL,
	PRIMARY KEY (org, pid)
);
CREATE INDEX users_pid ON users (pid);
CREATE TABLE notices (
	key       TEXT COLLATE "C" PRIMARY KEY,
	org       TEXT NOT NULL,
	job_id    TEXT NOT NULL,
	signer_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	template  TEXT NOT NULL,
	at        BIGINT NOT NULL
);
CREATE INDEX notices_job ON notices (org, job_id);
CREATE INDEX notices_usage ON notices (at, org);
CREATE TABLE codes (
	signer_id  TEXT PRIMARY KEY,
	hash       BYTEA NOT NULL,
	expires_at BIGINT NOT NULL,
	attempts   INTEGER NOT NULL,
	sent_at    BIGINT NOT NULL,
	sent       INTEGER NOT NULL DEFAULT 1,
	guesses    INTEGER NOT NULL DEFAULT 0,
	locked_at  BIGINT
);
CREATE TABLE cursors (
	name TEXT PRIMARY KEY,
	seq  BIGINT NOT NULL
);
`,
	// 2: retention (MISSION L1): each organisation's default days after a
	// job ends (0: job.DefaultRetentionDays); each job's days (the default when it was created), end,
	// deletion time and deletion, and its key for the pseudonyms of its
	// signers' identity numbers in the audit log. Jobs that ended before
	// keep the default from their last change; archive years count as
	// 365.25 days here only. The indexes find the due deletions and every
	// reference to a blob.
	`
ALTER TABLE orgs ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN retain_days INTEGER NOT NULL DEFAULT 40;
ALTER TABLE jobs ADD COLUMN ended_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN delete_after BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN deleted_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN audit_key BYTEA;
UPDATE jobs SET ended_at = updated_at WHERE status IN ('completed', 'rejected', 'expired', 'cancelled', 'failed');
UPDATE jobs SET delete_after = ended_at + CASE WHEN (retention::jsonb ->> 'archive')::boolean
	THEN (retention::jsonb ->> 'years')::bigint * 31557600000000 ELSE retain_days * 86400000000::bigint END
	WHERE ended_at > 0;
CREATE INDEX jobs_retention ON jobs (delete_after) WHERE deleted_at = 0 AND delete_after > 0;
CREATE INDEX documents_signed ON documents (signed_sha256) WHERE signed_sha256 <> '';
CREATE INDEX signers_evidence ON signers (evidence) WHERE evidence <> '';
`,
	// 3: RFC 3161 time-stamps of the audit chain's head (audit.Anchor),
	// the SQLite store's eighth step.
	`
CREATE TABLE audit_anchors (
	seq   BIGINT PRIMARY KEY,
	head  BYTEA NOT NULL,
	token BYTEA NOT NULL,
	at    BIGINT NOT NULL
);
`,
	// 4: when each signed document of an archived job next needs a new
	// document time-stamp (store.Renewals), the SQLite store's ninth step.
	`
ALTER TABLE documents ADD COLUMN renew_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX documents_renew ON documents (renew_at);
`,
	// 5: every signed revision a job's documents had (SQLite's step 10).
	`
CREATE TABLE revisions (
	org    TEXT COLLATE "C" NOT NULL,
	job_id TEXT COLLATE "C" NOT NULL,
	sha256 TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (org, job_id, sha256)
);
CREATE INDEX revisions_sha256 ON revisions (sha256);
INSERT INTO revisions (org, job_id, sha256) SELECT org, job_id, signed_sha256 FROM documents WHERE signed_sha256 <> '';
`,
	// 6: what a signer wrote to the sender when rejecting (issue 14), the
	// SQLite store's eleventh step.
	`
ALTER TABLE signers ADD COLUMN rejection_reason TEXT NOT NULL DEFAULT '';
`,
	// 7: whether the sender was told of a job's coming deletion (SQLite's step 12).
	`
ALTER TABLE jobs ADD COLUMN deletion_noticed BOOLEAN NOT NULL DEFAULT false;
`,
	// 8: revisions stored in parts (SQLite's step 13): the spans of the
	// blobs whose concatenation is a document's newest signed revision
	// (store.EncodeParts; '' for one stored whole, as every revision before
	// was). signed_sha256 is the whole file's SHA-256, no longer always a
	// blob key; every blob a revision is made of is in revisions, which is
	// where references are found.
	`
ALTER TABLE documents ADD COLUMN signed_parts TEXT NOT NULL DEFAULT '';
DROP INDEX documents_signed;
`,
	// 9: brokers and the polling state of Posten's signature API (the
	// SQLite store's step 14).
	`
ALTER TABLE orgs ADD COLUMN brokers TEXT NOT NULL DEFAULT '';
CREATE TABLE poll_queues (
	org     TEXT COLLATE "C" NOT NULL,
	queue   TEXT COLLATE "C" NOT NULL,
	next_at BIGINT NOT NULL,
	PRIMARY KEY (org, queue)
);
CREATE TABLE poll_leases (
	org         TEXT COLLATE "C" NOT NULL,
	job_id      TEXT COLLATE "C" NOT NULL,
	lease_until BIGINT NOT NULL,
	through_seq BIGINT NOT NULL,
	PRIMARY KEY (org, job_id)
);
`,
	// 10: organisations' logos for the signer's pages (issue 14; SQLite's step 15).
	`
CREATE TABLE org_logos (
	org        TEXT COLLATE "C" PRIMARY KEY,
	media_type TEXT NOT NULL,
	data       BYTEA NOT NULL,
	sha256     TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);
`,
	// 11: each job's language (issue 14; SQLite's step 16).
	`
ALTER TABLE jobs ADD COLUMN lang TEXT NOT NULL DEFAULT '';
`,
	// 12: the blobs a deleted job referred to, until the deletion task has
	// deleted them (SQLite's step 17).
	`
CREATE TABLE deleted_blobs (
	org    TEXT COLLATE "C" NOT NULL,
	job_id TEXT COLLATE "C" NOT NULL,
	key    TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (org, job_id, key)
);
`,
	// 13: the portal's list of jobs (store.JobTable; SQLite's step 18):
	// what a search looks in, bytewise like SQLite's, and the indexes for
	// its status filter and deadline sort.
	`
ALTER TABLE jobs ADD COLUMN search TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE jobs SET search = lower(title || E'\n' || reference || coalesce(E'\n' || (SELECT string_agg(name, E'\n' ORDER BY position) FROM signers
	WHERE signers.org = jobs.org AND signers.job_id = jobs.id AND name <> ''), '')) WHERE deleted_at = 0;
CREATE INDEX jobs_status ON jobs (org, status, id);
CREATE INDEX jobs_deadline ON jobs (org, expires_at);
`,
	// 14: each document's role, "original" or "combined"
	// (job.DocumentRole; SQLite's step 19).
	`
ALTER TABLE documents ADD COLUMN role TEXT NOT NULL DEFAULT 'original';
`,
	// 15: step 13 filled the search text of the jobs stored before it with
	// lower(), which folds by the database's locale (only ASCII under
	// LC_CTYPE C) and keeps runs of spaces, so such a job was not found by
	// the words job.SearchKey folds a search to. The jobs listed here get
	// their search text again from job.Job.SearchText by refoldSearch
	// after the migrations, in batches (SQLite's step 20).
	`
CREATE TABLE search_refold (
	org TEXT COLLATE "C" NOT NULL,
	id  TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (org, id)
);
INSERT INTO search_refold (org, id) SELECT org, id FROM jobs WHERE deleted_at = 0;
`,
	// 16: where a signer's evidence is inside the blob evidence names,
	// and its own SHA-256 (job.Signer.EvidenceAt; SQLite's step 21). Not
	// rolling-safe: evidence now names the act's update blob, which an
	// older node would serve whole as the evidence.
	`
ALTER TABLE signers ADD COLUMN evidence_at BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN evidence_size BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN evidence_sha256 TEXT NOT NULL DEFAULT '';
`,
	// 17: changes no table; an older segl must not serve a signer's
	// evidence span, now deflated, as XML (SQLite's step 22). Not
	// rolling-safe, by design: older nodes refuse to start against it.
	`SELECT 1`,
}

package sqlite

// migrations is append-only: never edit an applied entry, add a new one.
// Each runs in its own transaction together with its version row.
var migrations = []string{
	// 1: organisations, jobs, documents, signers, feed, audit, idempotency.
	`
CREATE TABLE orgs (
	number          TEXT PRIMARY KEY,
	name            TEXT NOT NULL,
	active          INTEGER NOT NULL,
	signature_types TEXT NOT NULL,
	created_at      INTEGER NOT NULL
);
CREATE TABLE jobs (
	org            TEXT NOT NULL,
	id             TEXT NOT NULL,
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
	activates_at   INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	version        INTEGER NOT NULL,
	PRIMARY KEY (org, id)
) WITHOUT ROWID;
CREATE INDEX jobs_due ON jobs (status, expires_at);
CREATE TABLE documents (
	org        TEXT NOT NULL,
	job_id     TEXT NOT NULL,
	id         TEXT NOT NULL,
	position   INTEGER NOT NULL,
	title      TEXT NOT NULL,
	file_name  TEXT NOT NULL,
	media_type TEXT NOT NULL,
	size       INTEGER NOT NULL,
	sha256     TEXT NOT NULL,
	pages      INTEGER NOT NULL,
	PRIMARY KEY (org, job_id, id)
) WITHOUT ROWID;
CREATE INDEX documents_sha256 ON documents (sha256);
CREATE TABLE signers (
	org          TEXT NOT NULL,
	job_id       TEXT NOT NULL,
	id           TEXT NOT NULL,
	position     INTEGER NOT NULL,
	pid          TEXT NOT NULL,
	email        TEXT NOT NULL,
	mobile       TEXT NOT NULL,
	ord          INTEGER NOT NULL,
	on_behalf_of TEXT NOT NULL,
	status       TEXT NOT NULL,
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (org, job_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX signers_id ON signers (id);
CREATE INDEX signers_pid ON signers (pid) WHERE pid <> '';
CREATE TABLE feed (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	org           TEXT NOT NULL,
	job_id        TEXT NOT NULL,
	signer_id     TEXT NOT NULL,
	type          TEXT NOT NULL,
	job_status    TEXT NOT NULL,
	signer_status TEXT NOT NULL,
	at            INTEGER NOT NULL,
	acked         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX feed_pending ON feed (org, seq) WHERE acked = 0;
CREATE TABLE audit (
	seq       INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	org       TEXT NOT NULL,
	actor     TEXT NOT NULL,
	action    TEXT NOT NULL,
	job_id    TEXT NOT NULL,
	signer_id TEXT NOT NULL,
	details   BLOB,
	prev      BLOB NOT NULL,
	hash      BLOB NOT NULL
);
CREATE TABLE idempotency (
	org          TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	job_id       TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (org, key)
) WITHOUT ROWID;
`,
	// 2: what signing produces: each document's newest signed revision and
	// each signer's name and evidence.
	`
ALTER TABLE documents ADD COLUMN signed_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN signed_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signers ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE signers ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
`,
	// 3: senders and delivery: portal users, organisation contact and
	// certificate pinning, signers' notice state, the record of delivered
	// notices, one-time codes, and the background workers' cursors.
	`
ALTER TABLE orgs ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE orgs ADD COLUMN cert_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE signers ADD COLUMN notice TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_creator ON jobs (org, creator, id);
CREATE TABLE users (
	org        TEXT NOT NULL,
	pid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	email      TEXT NOT NULL,
	role       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	PRIMARY KEY (org, pid)
) WITHOUT ROWID;
CREATE INDEX users_pid ON users (pid);
CREATE TABLE notices (
	key       TEXT PRIMARY KEY,
	org       TEXT NOT NULL,
	job_id    TEXT NOT NULL,
	signer_id TEXT NOT NULL,
	channel   TEXT NOT NULL,
	template  TEXT NOT NULL,
	at        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX notices_job ON notices (org, job_id);
CREATE INDEX notices_usage ON notices (at, org);
CREATE TABLE codes (
	signer_id  TEXT PRIMARY KEY,
	hash       BLOB NOT NULL,
	expires_at INTEGER NOT NULL,
	attempts   INTEGER NOT NULL,
	sent_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE cursors (
	name TEXT PRIMARY KEY,
	seq  INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 4: a signer's allowance of one-time codes over the job's life: the
	// codes made and the guesses at them, and when the link was locked
	// for having used it up. A code stored before counted as one, with
	// its attempts as the guesses so far.
	`
ALTER TABLE codes ADD COLUMN sent INTEGER NOT NULL DEFAULT 1;
ALTER TABLE codes ADD COLUMN guesses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE codes ADD COLUMN locked_at INTEGER;
UPDATE codes SET guesses = attempts;
`,
	// 5: the polling queue of jobs made through Posten's signature API
	// (JSON of job.Polling; '' when the job is not polled).
	`
ALTER TABLE jobs ADD COLUMN polling TEXT NOT NULL DEFAULT '';
`,
	// 6: the sender's own reference of a direct-flow signer (Posten's
	// signer-identifier).
	`
ALTER TABLE signers ADD COLUMN ref TEXT NOT NULL DEFAULT '';
`,
	// 7: retention (MISSION L1): each organisation's default days after a
	// job ends (0: job.DefaultRetentionDays); each job's days (the default when it was created), end,
	// deletion time and deletion, and its key for the pseudonyms of its
	// signers' identity numbers in the audit log. Jobs that ended before
	// keep the default from their last change; archive years count as
	// 365.25 days here only. The indexes find the due deletions and every
	// reference to a blob.
	`
ALTER TABLE orgs ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN retain_days INTEGER NOT NULL DEFAULT 40;
ALTER TABLE jobs ADD COLUMN ended_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN delete_after INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN audit_key BLOB;
UPDATE jobs SET ended_at = updated_at WHERE status IN ('completed', 'rejected', 'expired', 'cancelled', 'failed');
UPDATE jobs SET delete_after = ended_at + CASE WHEN json_extract(retention, '$.archive')
	THEN json_extract(retention, '$.years') * 31557600000000 ELSE retain_days * 86400000000 END
	WHERE ended_at > 0;
CREATE INDEX jobs_retention ON jobs (delete_after) WHERE deleted_at = 0 AND delete_after > 0;
CREATE INDEX documents_signed ON documents (signed_sha256) WHERE signed_sha256 <> '';
CREATE INDEX signers_evidence ON signers (evidence) WHERE evidence <> '';
`,
	// 8: RFC 3161 time-stamps of the audit chain's head (audit.Anchor).
	`
CREATE TABLE audit_anchors (
	seq   INTEGER PRIMARY KEY,
	head  BLOB NOT NULL,
	token BLOB NOT NULL,
	at    INTEGER NOT NULL
);
`,
	// 9: when each signed document of an archived job next needs a new
	// document time-stamp (store.Renewals); 0: not scheduled yet.
	`
ALTER TABLE documents ADD COLUMN renew_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX documents_renew ON documents (renew_at);
`,
	// 10: every signed revision a job's documents had, not only the newest,
	// so that deleting the job finds them all and no blob a job refers to
	// is taken for unreferenced.
	`
CREATE TABLE revisions (
	org    TEXT NOT NULL,
	job_id TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	PRIMARY KEY (org, job_id, sha256)
) WITHOUT ROWID;
CREATE INDEX revisions_sha256 ON revisions (sha256);
INSERT INTO revisions (org, job_id, sha256) SELECT org, job_id, signed_sha256 FROM documents WHERE signed_sha256 <> '';
`,
	// 11: what a signer wrote to the sender when rejecting (issue 14).
	`
ALTER TABLE signers ADD COLUMN rejection_reason TEXT NOT NULL DEFAULT '';
`,
	// 12: whether the sender was told of a job's coming deletion.
	`
ALTER TABLE jobs ADD COLUMN deletion_noticed INTEGER NOT NULL DEFAULT 0;
`,
	// 13: revisions stored in parts: the spans of the blobs whose
	// concatenation is a document's newest signed revision
	// (store.EncodeParts; '' for one stored whole, as every revision before
	// was). signed_sha256 is the whole file's SHA-256, no longer always a
	// blob key; every blob a revision is made of is in revisions, which is
	// where references are found.
	`
ALTER TABLE documents ADD COLUMN signed_parts TEXT NOT NULL DEFAULT '';
DROP INDEX documents_signed;
`,
	// 14: brokers an organisation lets act for it through Posten's
	// signature API (comma-separated organisation numbers), and that API's
	// polling state, shared by every node (store.Polls): each queue's next
	// permitted poll and each delivered job's lease.
	`
ALTER TABLE orgs ADD COLUMN brokers TEXT NOT NULL DEFAULT '';
CREATE TABLE poll_queues (
	org     TEXT NOT NULL,
	queue   TEXT NOT NULL,
	next_at INTEGER NOT NULL,
	PRIMARY KEY (org, queue)
) WITHOUT ROWID;
CREATE TABLE poll_leases (
	org         TEXT NOT NULL,
	job_id      TEXT NOT NULL,
	lease_until INTEGER NOT NULL,
	through_seq INTEGER NOT NULL,
	PRIMARY KEY (org, job_id)
) WITHOUT ROWID;
`,
	// 15: organisations' logos for the signer's pages (issue 14).
	`
CREATE TABLE org_logos (
	org        TEXT PRIMARY KEY,
	media_type TEXT NOT NULL,
	data       BLOB NOT NULL,
	sha256     TEXT NOT NULL,
	updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 16: each job's language (issue 14: the signature page in Nynorsk).
	`
ALTER TABLE jobs ADD COLUMN lang TEXT NOT NULL DEFAULT '';
`,
	// 17: the blobs a deleted job referred to, recorded with its
	// tombstone and forgotten once the deletion task has deleted them
	// from the blob store (store.Retention.DeletedBlobs).
	`
CREATE TABLE deleted_blobs (
	org    TEXT NOT NULL,
	job_id TEXT NOT NULL,
	key    TEXT NOT NULL,
	PRIMARY KEY (org, job_id, key)
) WITHOUT ROWID;
`,
	// 18: the portal's list of jobs (JobTable): what a search looks in
	// (job.Job.SearchText, which the store writes with the job; here
	// lower() folds only ASCII, so jobs stored before matched other
	// letters in their exact case until step 20 refolded them), and the
	// indexes for
	// its status filter and its deadline sort within an organisation.
	`
ALTER TABLE jobs ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE jobs SET search = lower(title || char(10) || reference || coalesce(char(10) || (SELECT group_concat(name, char(10)) FROM signers
	WHERE signers.org = jobs.org AND signers.job_id = jobs.id AND name <> ''), '')) WHERE deleted_at = 0;
CREATE INDEX jobs_status ON jobs (org, status, id);
CREATE INDEX jobs_deadline ON jobs (org, expires_at);
`,
	// 19: each document's role (issue 13): "original" as the sender
	// uploaded it, or "combined", the one PDF segl made of a job's
	// originals for Posten's one PAdES per job (job.DocumentRole). Every
	// document stored before is an original.
	`
ALTER TABLE documents ADD COLUMN role TEXT NOT NULL DEFAULT 'original';
`,
	// 20: step 18 filled the search text of the jobs stored before it with
	// lower(), which folds only ASCII and keeps runs of spaces, so "ØRJAN"
	// in such a job was not found by "ørjan". The jobs listed here get
	// their search text again from job.Job.SearchText, as a job that is
	// saved does, by refoldSearch after the migrations, in batches, each
	// removed from the list in the transaction that refolds it.
	`
CREATE TABLE search_refold (
	org TEXT NOT NULL,
	id  TEXT NOT NULL,
	PRIMARY KEY (org, id)
) WITHOUT ROWID;
INSERT INTO search_refold (org, id) SELECT org, id FROM jobs WHERE deleted_at = 0;
`,
	// 21: a signer's evidence kept inside the blob of what their signing
	// act appended to a document (job.Signer.EvidenceAt): evidence then
	// names that blob, which every reference check already finds there,
	// and these columns say where in it the evidence is and its own
	// SHA-256. Zero and '' for an evidence recorded before this step,
	// stored alone under its SHA-256; one stored alone since has its span,
	// the whole blob, and its SHA-256 here too.
	`
ALTER TABLE signers ADD COLUMN evidence_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signers ADD COLUMN evidence_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signers ADD COLUMN evidence_sha256 TEXT NOT NULL DEFAULT '';
`,
	// 22: changes no table. From it on, a signing act embeds its XAdES
	// evidence deflated (/FlateDecode), so a signer's evidence span holds
	// the deflated stream (signing.OpenEvidence). An older segl would
	// serve those bytes as the evidence XML; this step is what makes it
	// refuse the file instead (sqldb.CheckVersion), after an upgrade and
	// on a rollback alike.
	`SELECT 1`,
}

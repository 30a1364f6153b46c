package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
)

// Reference is one blob a job refers to: a document's upload, a part of
// one of its signed revisions, or a signer's evidence.
type Reference struct {
	Org, JobID string
	Status     job.Status
	Key        string
}

// references selects every blob reference of every job not deleted: each
// document's upload, every blob of its signed revisions (a revision is
// stored in parts, and revisions lists each part's blob), and each
// signer's evidence. These are the tables the blob sweep asks
// (store.BlobReferenced), so a blob named nowhere here is one the sweep
// may delete. A deleted job (a tombstone) refers to none. The statement
// has no parameters and reads the same on SQLite and PostgreSQL.
const references = `SELECT j.org, j.id, j.status, d.sha256 FROM documents d JOIN jobs j ON j.org = d.org AND j.id = d.job_id
		WHERE j.deleted_at = 0
	UNION SELECT j.org, j.id, j.status, r.sha256 FROM revisions r JOIN jobs j ON j.org = r.org AND j.id = r.job_id
		WHERE j.deleted_at = 0
	UNION SELECT j.org, j.id, j.status, s.evidence FROM signers s JOIN jobs j ON j.org = s.org AND j.id = s.job_id
		WHERE j.deleted_at = 0 AND s.evidence <> ''
	ORDER BY 1, 2, 4`

// References calls fn with every blob reference of the store db (a
// database/sql handle on segl's SQLite store or its PostgreSQL database),
// ordered by job.
func References(ctx context.Context, db *sql.DB, fn func(Reference) error) error {
	rows, err := db.QueryContext(ctx, references)
	if err != nil {
		return fmt.Errorf("backup: blobs the store names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Reference
		if err := rows.Scan(&r.Org, &r.JobID, &r.Status, &r.Key); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backup: blobs the store names: %w", err)
	}
	return nil
}

// OpenStore opens segl's store read-only for References: the PostgreSQL
// database at databaseURL, or, when that is empty, the SQLite store of
// the data directory data.
func OpenStore(databaseURL, data string) (*sql.DB, error) {
	if databaseURL != "" {
		db, err := sql.Open("pgx", databaseURL)
		if err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		return db, nil
	}
	path := filepath.Join(data, Databases[0])
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("backup: no store: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return db, nil
}

// Fault is a blob a job refers to that the blob store lacks, or holds with
// content that no longer hashes to its name.
type Fault struct {
	Reference
	Damaged bool // present, but with other content; missing otherwise
}

func (f Fault) String() string {
	what := "missing"
	if f.Damaged {
		what = "damaged (its content does not hash to its name)"
	}
	return fmt.Sprintf("job %s of %s (%s) refers to blob %s, which is %s", f.JobID, f.Org, f.Status, f.Key, what)
}

// Report is what CheckBlobs found.
type Report struct {
	Jobs   int   // jobs that refer to blobs
	Blobs  int   // references to a blob found with its content
	Bytes  int64 // the size of those blobs
	Faults []Fault
}

// blobState is what reading a blob found.
type blobState int

const (
	blobOK blobState = iota
	blobMissing
	blobDamaged
)

// CheckBlobs checks that blobs holds every blob the store db refers to,
// each with the content its name (its SHA-256) says: what an operator
// checks after restoring the database and pointing segl at a copy of the
// object store (docs/operations.md, "Backup and restore"). Every job not
// deleted is checked, ended ones too, since a restore serves their signed
// documents. Only the blobs found at fault are remembered, so memory
// stays bounded however many blobs there are; a blob two jobs share (the
// same upload) is read for each. Faults are reported, not returned as the
// error; the error is for a store or blob store that could not be read.
func CheckBlobs(ctx context.Context, db *sql.DB, blobs blob.Store) (Report, error) {
	var rep Report
	bad := map[string]blobState{}
	var last Reference
	err := References(ctx, db, func(r Reference) error {
		if r.Org != last.Org || r.JobID != last.JobID {
			rep.Jobs++
			last = r
		}
		state, known := bad[r.Key]
		if !known {
			var size int64
			var err error
			if state, size, err = readBlob(ctx, blobs, r.Key); err != nil {
				return err
			}
			if state == blobOK {
				rep.Blobs++
				rep.Bytes += size
				return nil
			}
			bad[r.Key] = state
		}
		rep.Faults = append(rep.Faults, Fault{Reference: r, Damaged: state == blobDamaged})
		return nil
	})
	return rep, err
}

// readBlob reads key through and hashes it. A blob that is not there is
// blobMissing, not an error; any other failure to read is.
func readBlob(ctx context.Context, blobs blob.Store, key string) (blobState, int64, error) {
	o, err := blobs.Open(ctx, key)
	if errs.Is(err, errs.NotFound) {
		return blobMissing, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("backup: blob %s: %w", key, err)
	}
	defer o.Close()
	h := sha256.New()
	n, err := io.Copy(h, o)
	if err != nil {
		return 0, 0, fmt.Errorf("backup: blob %s: %w", key, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != key {
		return blobDamaged, n, nil
	}
	return blobOK, n, nil
}

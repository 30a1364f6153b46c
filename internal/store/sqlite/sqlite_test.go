package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/storetest"
	"github.com/segl/segl/internal/testtool"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := Open(filepath.Join(t.TempDir(), "segl.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestReopenKeepsSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "segl.db")
	for range 2 {
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

// TestPing: readiness reads the file; a database that cannot be read is
// Unavailable, which /readyz reports as not ready.
func TestPing(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "segl.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("ping an open database: %v", err)
	}
	db.Close()
	if err := db.Ping(context.Background()); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("ping a closed database: %v, want unavailable", err)
	}
}

// TestFullDisk fills the file system under the database: writes, in a
// transaction or not, fail with the storage-full kind, which the edges
// answer with 507, not with an untyped error they would answer with 500;
// once space is freed they succeed again.
func TestFullDisk(t *testing.T) {
	ctx := context.Background()
	writes := map[string]func(db *DB, i int) error{
		"transaction": func(db *DB, i int) error {
			return db.PutOrg(ctx, store.By{Actor: "test", At: time.Now()},
				store.Org{Number: fmt.Sprintf("9%08d", i), Name: strings.Repeat("n", 4000), Active: true})
		},
		"statement": func(db *DB, i int) error {
			_, err := db.RecordNotice(ctx, store.Notice{Key: fmt.Sprintf("%d/%s", i, strings.Repeat("k", 4000)),
				Org: "317510748", JobID: "j", SignerID: "s", Channel: "email", Template: "t", At: time.Now()})
			return err
		},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			dir := testtool.SmallFS(t, 2<<20)
			db, err := Open(filepath.Join(dir, "segl.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			free := testtool.Fill(t, dir)
			i := 0
			for ; err == nil && i < 10_000; i++ {
				err = write(db, i) // the write-ahead log grows until the disk refuses
			}
			if !errs.Is(err, errs.InsufficientStorage) || errs.From(err).Code != errs.CodeStorageFull {
				t.Fatalf("write %d on a full disk: %v, want %s", i, err, errs.CodeStorageFull)
			}
			free()
			if err := write(db, i); err != nil {
				t.Fatalf("write after space was freed: %v", err)
			}
		})
	}
}

// TestSearchRefold opens a database whose job has the search text that
// migration step 18 wrote with lower(), from before step 20: opening it
// again refolds the text with job.SearchKey (storetest.SearchRefold).
func TestSearchRefold(t *testing.T) {
	path := filepath.Join(t.TempDir(), "segl.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	oldWay := func(org, id string) {
		_, err := db.write.Exec(`UPDATE jobs SET search = lower(title || char(10) || reference || coalesce(char(10) || (SELECT group_concat(name, char(10)) FROM signers
			WHERE signers.org = jobs.org AND signers.job_id = jobs.id AND name <> ''), '')) WHERE org = ? AND id = ?`, org, id)
		if err != nil {
			t.Fatal(err)
		}
		// Back to before step 20: the steps after it undone too.
		if _, err := db.write.Exec(`DROP TABLE search_refold; ALTER TABLE signers DROP COLUMN evidence_at;
			ALTER TABLE signers DROP COLUMN evidence_size; ALTER TABLE signers DROP COLUMN evidence_sha256;
			DELETE FROM schema_migrations WHERE version >= 20`); err != nil {
			t.Fatal(err)
		}
	}
	reopen := func() store.Store {
		db.Close()
		again, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { again.Close() })
		return again
	}
	storetest.SearchRefold(t, db, oldWay, reopen)
}

// TestSaveJobWritesWhatChanged: a save rewrites the signers and documents
// whose values changed, not every row of the job, and records the blobs
// of a revision when it becomes the document's, not at every save after.
// SQLite's total_changes() on the one write connection counts the rows
// each save inserted or updated.
func TestSaveJobWritesWhatChanged(t *testing.T) {
	ctx := context.Background()
	db, j, t0 := relaxedWithJob(t, filepath.Join(t.TempDir(), "segl.db"), "21909825250", "03896127682")
	rows := func(events []job.Event) int64 {
		t.Helper()
		var before, after int64
		db.write.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before)
		if err := db.SaveJob(ctx, j, events); err != nil {
			t.Fatal(err)
		}
		db.write.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after)
		return after - before
	}
	intent := []job.Event{{Type: "signer.signing", JobID: j.ID, SignerID: j.Signers[0].ID, At: t0}}
	// The intent: the job's version, one feed entry, one audit record.
	if got := rows(intent); got != 3 {
		t.Fatalf("a save that changes no signer or document wrote %d rows, want 3", got)
	}
	// The act: the job, the signer, the document, its revision's two
	// blobs, the events.
	ev, err := j.SignBy(j.Signers[0].ID, "pid:21909825250", t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Documents[0].Signed = job.Revision{SHA256: strings.Repeat("c", 64), Size: 20,
		Parts: []blob.Span{{Key: strings.Repeat("a", 64), Size: 10}, {Key: strings.Repeat("b", 64), Size: 10}}}
	if got, want := rows(ev), int64(1+1+1+2+2*len(ev)); got != want {
		t.Fatalf("the act wrote %d rows, want %d", got, want)
	}
	// A notice to the next signer: the job, that signer, the event.
	j.Signers[1].Notice = "email"
	if got := rows(intent); got != 4 {
		t.Fatalf("a notice wrote %d rows, want 4", got)
	}
	got, err := db.Job(ctx, j.Org, j.ID)
	if err != nil || !reflect.DeepEqual(got, j) {
		t.Fatalf("read back: %v\n got %+v\nwant %+v", err, got, j)
	}
	if keys, err := db.JobBlobs(ctx, j.Org, j.ID); err != nil || len(keys) != 2 {
		t.Fatalf("JobBlobs = %v, %v", keys, err)
	}
}

// TestSaveLeavesTheJobIndexesAlone: a save that does not change the
// job's state (a signer's intent, an act that is not the last) writes no
// page of the indexes on the job's status (jobs_due, jobs_status), read
// from the page numbers of the frames the save appended to the
// write-ahead log (https://sqlite.org/fileformat.html#the_write_ahead_log);
// the save that changes the status writes them.
func TestSaveLeavesTheJobIndexesAlone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segl.db")
	db, j, t0 := relaxedWithJob(t, path, "21909825250")
	// One job: each index is its root page alone.
	indexes := map[int64]string{}
	rows, err := db.write.QueryContext(ctx, `SELECT name, rootpage FROM sqlite_schema WHERE name IN ('jobs_due', 'jobs_status')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var page int64
		rows.Scan(&name, &page)
		indexes[page] = name
	}
	rows.Close()
	if len(indexes) != 2 {
		t.Fatalf("index pages %v", indexes)
	}
	written := func(events []job.Event) []string {
		t.Helper()
		if _, err := db.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveJob(ctx, j, events); err != nil {
			t.Fatal(err)
		}
		wal, err := os.ReadFile(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		size := int(binary.BigEndian.Uint32(wal[8:12]))
		var hit []string
		for off := 32; off+24+size <= len(wal); off += 24 + size {
			if name, ok := indexes[int64(binary.BigEndian.Uint32(wal[off:off+4]))]; ok {
				hit = append(hit, name)
			}
		}
		return hit
	}
	intent := []job.Event{{Type: "signer.signing", JobID: j.ID, SignerID: j.Signers[0].ID, At: t0}}
	if hit := written(intent); len(hit) != 0 {
		t.Fatalf("a save that leaves the status alone wrote index pages %v", hit)
	}
	ev, err := j.SignBy(j.Signers[0].ID, "pid:21909825250", t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status == job.StatusActive {
		t.Fatal("the only signer's act left the job active")
	}
	if hit := written(ev); len(hit) != 2 {
		t.Fatalf("the save that changed the status wrote index pages %v, want both", hit)
	}
	got, err := db.Job(ctx, j.Org, j.ID)
	if err != nil || got.Status != j.Status || got.Version != j.Version {
		t.Fatalf("read back: %v, status %s version %d, want %s %d", err, got.Status, got.Version, j.Status, j.Version)
	}
}

// TestRefusesNewerSchema: a database migrated by a newer segl is not
// opened by an older one, which must not write to a schema it does not know.
func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "segl.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		if err == nil {
			db.Close()
		}
		t.Fatalf("opening a newer schema: %v, want refused", err)
	}
}

// relaxedWithJob opens a store at path with relaxed sync, closed when the
// test ends, holding one job with a 10-byte document (its blob key is
// 64 a's) and a signer for each identity number, made at the returned time.
func relaxedWithJob(t testing.TB, path string, pids ...string) (*DB, *job.Job, time.Time) {
	t.Helper()
	db, err := Open(path, Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := 0
	id := func() string { n++; return fmt.Sprintf("0193%012d", n) }
	t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	r := &job.Request{Title: "Avtale", Flow: job.Direct, SignatureType: job.Authenticated,
		Documents: []job.DocumentRequest{{Title: "Avtale", File: "doc1"}}}
	for i, pid := range pids {
		r.Signers = append(r.Signers, job.SignerRequest{PID: pid, Order: i + 1})
	}
	j, ev := job.New(r, "310000001", "cert:42", []job.Document{{ID: id(), Title: "Avtale", FileName: "a.pdf",
		MediaType: "application/pdf", Size: 10, SHA256: strings.Repeat("a", 64)}}, id, t0, job.DefaultLimits)
	j.AuditKey = make([]byte, 32) // as every job has one (its signers' pseudonyms)
	if err := db.CreateJob(context.Background(), j, ev, nil); err != nil {
		t.Fatal(err)
	}
	return db, j, t0
}

// TestBlobReferencedUsesIndexes: the check made for every blob of a
// deleted job reads no table whole; each branch searches its index.
func TestBlobReferencedUsesIndexes(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "segl.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rows, err := db.read.Query(`EXPLAIN QUERY PLAN `+blobReferenced, "k", "o", "j")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	searches := 0
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(detail, "SCAN ") && detail != "SCAN CONSTANT ROW" {
			t.Errorf("the plan reads a table whole: %s", detail)
		}
		if strings.HasPrefix(detail, "SEARCH ") {
			searches++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if searches != 3 {
		t.Errorf("%d index searches, want 3", searches)
	}
}

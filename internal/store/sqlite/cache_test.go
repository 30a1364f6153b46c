package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// TestCacheKeepsNoReadFromBeforeAChange: a read that missed must not keep
// what it read when a change of this process, or a check that saw another
// connection's commit, came between its check and its put.
func TestCacheKeepsNoReadFromBeforeAChange(t *testing.T) {
	var c readCache
	j := &job.Job{Org: "1", ID: "j", Signers: []job.Signer{{ID: "s"}}}
	o := store.Org{Number: "1", Active: true}
	gen := c.checked(1, 1, 5)
	c.forgetJob("1", "j") // this process's change begins after the read, before its result is kept
	c.putJob(j, gen)
	if c.signerJob("s") != nil {
		t.Fatal("a job read from before a change was kept")
	}
	gen = c.checked(1, 1, 5)
	c.forgetOrg("1")
	c.putOrg(o, gen)
	if _, ok := c.org("1"); ok {
		t.Fatal("an organisation read from before a change was kept")
	}
	gen = c.checked(1, 1, 5)
	c.checked(1, 1, 6) // another check saw another connection's commit
	c.putJob(j, gen)
	c.putOrg(o, gen)
	if _, ok := c.org("1"); ok || c.job("1", "j") != nil {
		t.Fatal("a read from before another connection's commit was kept")
	}

	gen = c.checked(1, 1, 6)
	c.forgetJob("1", "k") // another job's change
	c.forgetOrg("2")
	c.putJob(j, gen)
	c.putOrg(o, gen)
	if got := c.signerJob("s"); got == nil || got.ID != "j" {
		t.Fatalf("a read after the change was not kept: %+v", got)
	}
	if _, ok := c.org("1"); !ok {
		t.Fatal("another organisation's change kept a read out")
	}
	c.checked(1, 1, 5) // a check that began before the newest one, reporting late
	if _, ok := c.org("1"); !ok || c.job("1", "j") == nil {
		t.Fatal("an older check's version dropped what the newer check kept")
	}
	for _, check := range []struct {
		name                  string
		before, after, number uint64
		version               uint32
	}{
		{"another connection, its own count", 2, 2, 2, 6},
		{"a connection replaced during the check", 2, 3, 0, 6},
		{"the next check after it", 3, 3, 3, 6},
	} {
		gen = c.checked(check.before, check.after, check.version)
		if _, ok := c.org("1"); ok || c.job("1", "j") != nil || c.conn != check.number {
			t.Fatalf("%s: kept what it read before, or conn %d", check.name, c.conn)
		}
		c.putJob(j, gen)
		c.putOrg(o, gen)
	}
	c.forgetJob("1", "j")
	if c.signerJob("s") != nil {
		t.Fatal("a forgotten job is still found by its signer")
	}
}

// TestJobReadsSeeEveryChange: Job and SignerJob see each save and the
// deletion however often they read the job before, and a caller changing
// what they returned changes nothing for the next read.
func TestJobReadsSeeEveryChange(t *testing.T) {
	ctx := context.Background()
	db, j, t0 := relaxedWithJob(t, filepath.Join(t.TempDir(), "segl.db"), "21909825250", "03896127682")
	signer := j.Signers[1].ID
	read := func() (*job.Job, *job.Job) {
		t.Helper()
		var byID, bySigner *job.Job
		var err error
		for range 2 {
			if byID, err = db.Job(ctx, j.Org, j.ID); err != nil {
				t.Fatal(err)
			}
			if bySigner, err = db.SignerJob(ctx, signer); err != nil {
				t.Fatal(err)
			}
		}
		return byID, bySigner
	}
	got, _ := read()
	if db.cache.job(j.Org, j.ID) == nil {
		t.Fatal("the job was not kept: this test would prove nothing")
	}
	got.Signers[0].Status, got.AuditKey[0] = job.SignerSigned, 7
	got.Documents[0].Signed.Parts = append(got.Documents[0].Signed.Parts, blob.Span{Key: "x"})
	byID, bySigner := read()
	for _, r := range []*job.Job{byID, bySigner} {
		if r.Signers[0].Status == job.SignerSigned || r.AuditKey[0] != 0 || len(r.Documents[0].Signed.Parts) != 0 {
			t.Fatalf("a caller's change reached the cache: %+v", r)
		}
	}
	events, err := byID.SignBy(byID.Signers[0].ID, "pid:21909825250", t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	byID.Documents[0].Signed = job.Revision{SHA256: "b", Size: 20, Parts: []blob.Span{{Key: "a", Size: 10}, {Key: "c", Size: 10}}}
	if err := db.SaveJob(ctx, byID, events); err != nil {
		t.Fatal(err)
	}
	byID, bySigner = read()
	for _, r := range []*job.Job{byID, bySigner} {
		if r.Version != 1 || r.Signers[0].Status != job.SignerSigned || r.Documents[0].Signed.SHA256 != "b" {
			t.Fatalf("a read after a save: version %d, signer %s, revision %q", r.Version, r.Signers[0].Status, r.Documents[0].Signed.SHA256)
		}
	}
	if err := db.DeleteJob(ctx, store.By{Actor: "test", At: t0}, j.Org, j.ID, "test"); err != nil {
		t.Fatal(err)
	}
	byID, bySigner = read()
	for _, r := range []*job.Job{byID, bySigner} {
		if !r.Deleted() || r.Signers[0].PID != "" || len(r.Documents) != 0 {
			t.Fatalf("a read after the deletion: %+v", r)
		}
	}
}

// TestJobReadsDuringSaves: readers running while a writer saves the job
// again and again never see a version older than one a save has returned,
// nor an older one after a newer (run with -race). The writer is this
// process's store, or another store on the same file (another node).
func TestJobReadsDuringSaves(t *testing.T) {
	for _, otherNode := range []bool{false, true} {
		name := "same node"
		if otherNode {
			name = "other node"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "segl.db")
			db, j, t0 := relaxedWithJob(t, path, "21909825250")
			writer := db
			if otherNode {
				writer = openRelaxed(t, path)
			}
			var mu sync.Mutex
			saved := 0
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for range 4 {
				wg.Go(func() {
					last := 0
					for {
						select {
						case <-stop:
							return
						default:
						}
						mu.Lock()
						floor := saved
						mu.Unlock()
						r, err := db.SignerJob(ctx, j.Signers[0].ID)
						if err != nil {
							t.Error(err)
							return
						}
						if r.Version < floor || r.Version < last {
							t.Errorf("read version %d after version %d was saved and %d read", r.Version, floor, last)
							return
						}
						last = r.Version
					}
				})
			}
			for i := range 200 {
				cur, err := writer.Job(ctx, j.Org, j.ID)
				if err != nil {
					t.Fatal(err)
				}
				cur.UpdatedAt = t0.Add(1000 * time.Duration(i))
				if err := writer.SaveJob(ctx, cur, nil); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				saved = cur.Version // SaveJob counts it up
				mu.Unlock()
			}
			close(stop)
			wg.Wait()
		})
	}
}

// TestOrgChangesAreSeenAtOnce: every way an organisation changes is seen
// by the next Org, however often it was read before, and a caller that
// changes what Org returned changes nothing for the next.
func TestOrgChangesAreSeenAtOnce(t *testing.T) {
	ctx := context.Background()
	db := openRelaxed(t, filepath.Join(t.TempDir(), "segl.db"))
	by := store.By{Actor: "test"}
	read := func() store.Org {
		t.Helper()
		var o store.Org
		var err error
		for range 2 {
			if o, err = db.Org(ctx, "1"); err != nil {
				t.Fatal(err)
			}
		}
		return o
	}
	o := store.Org{Number: "1", Name: "A", Active: true, SignatureTypes: []job.SignatureType{job.Authenticated}}
	if err := db.Onboard(ctx, by, o, store.User{PID: "07839635529", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	got := read()
	if _, ok := db.cache.org("1"); !ok {
		t.Fatal("the organisation was not kept: this test would prove nothing")
	}
	got.SignatureTypes[0] = job.Advanced
	if got := read(); got.SignatureTypes[0] != job.Authenticated {
		t.Fatalf("a caller's change reached the cache: %v", got.SignatureTypes)
	}
	o.Active = false
	if err := db.PutOrg(ctx, by, o); err != nil {
		t.Fatal(err)
	}
	if read().Active {
		t.Fatal("a deactivated organisation reads as active")
	}
	logo := store.Logo{MediaType: "image/png", Data: []byte("\x89PNG"), SHA256: "aa"}
	if err := db.PutOrgLogo(ctx, by, "1", &logo); err != nil {
		t.Fatal(err)
	}
	if got := read().Logo; got != logo.Ref() {
		t.Fatalf("logo %+v after it was set", got)
	}
	if err := db.PutOrgLogo(ctx, by, "1", nil); err != nil {
		t.Fatal(err)
	}
	if got := read().Logo; got != (store.LogoRef{}) {
		t.Fatalf("logo %+v after it was removed", got)
	}
}

// TestCacheOnANewConnection: a writer's connection that database/sql
// replaces counts its data_version afresh, so the same number may follow
// another node's change; the cache must still see the change. Every use of
// the pool here takes a new connection.
func TestCacheOnANewConnection(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segl.db")
	a := openRelaxed(t, path)
	b := openRelaxed(t, path)
	a.write.SetConnMaxLifetime(time.Nanosecond)
	by := store.By{Actor: "test"}
	o := store.Org{Number: "1", Name: "A", Active: true, SignatureTypes: []job.SignatureType{job.Authenticated}}
	if err := b.PutOrg(ctx, by, o); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got, err := a.Org(ctx, "1"); err != nil || !got.Active {
			t.Fatalf("org before: %+v, %v", got, err)
		}
	}
	o.Active = false
	if err := b.PutOrg(ctx, by, o); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Org(ctx, "1"); err != nil || got.Active {
		t.Fatalf("an organisation deactivated by the other node reads as %+v, %v", got, err)
	}
}

func openRelaxed(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

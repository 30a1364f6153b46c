package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// TestOrgCacheKeepsNoReadFromBeforeAChange: a read that began before a
// change of an organisation and ends after it must not leave what it read
// in the cache, where it would answer for the changed organisation.
func TestOrgCacheKeepsNoReadFromBeforeAChange(t *testing.T) {
	var c orgCache
	_, gen, ok := c.get("1")
	if ok {
		t.Fatal("an empty cache answered")
	}
	c.forget() // the change commits while the read is under way
	c.put(store.Org{Number: "1", Active: true}, gen)
	if _, _, ok := c.get("1"); ok {
		t.Fatal("a read from before a change was kept")
	}
	_, gen, _ = c.get("1")
	c.put(store.Org{Number: "1"}, gen)
	if o, _, ok := c.get("1"); !ok || o.Active {
		t.Fatalf("a read after the change: %+v, %v", o, ok)
	}
}

// TestOrgChangesAreSeenAtOnce: every way an organisation changes is seen
// by the next Org, however often it was read before, and a caller that
// changes what Org returned changes nothing for the next.
func TestOrgChangesAreSeenAtOnce(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "segl.db"), Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	by := store.By{Actor: "test"}
	read := func() store.Org {
		t.Helper()
		var o store.Org
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

package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// TestTwoNodesOnOneFile: two stores open on one SQLite file (two nodes on
// one data directory, as TestPostenPollingAcrossNodes runs them) each see
// at once what the other changed, however often they read it before: a
// store answers from memory only what it checked no other process changed
// (readCache).
func TestTwoNodesOnOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segl.db")
	a, j, t0 := relaxedWithJob(t, path, "21909825250")
	b, err := Open(path, Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	by := store.By{Actor: "test", At: t0}
	o := store.Org{Number: j.Org, Name: "A", Active: true, SignatureTypes: []job.SignatureType{job.Authenticated}}
	if err := b.PutOrg(ctx, by, o); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got, err := a.Org(ctx, o.Number); err != nil || !got.Active {
			t.Fatalf("org before: %+v, %v", got, err)
		}
		if _, err := a.SignerJob(ctx, j.Signers[0].ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := a.cache.org(o.Number); !ok || a.cache.signerJob(j.Signers[0].ID) == nil {
		t.Fatal("the reads were not kept: this test would prove nothing")
	}
	o.Active = false
	if err := b.PutOrg(ctx, by, o); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Org(ctx, o.Number); err != nil || got.Active {
		t.Fatalf("an organisation deactivated by the other node reads as %+v, %v", got, err)
	}
	logo := store.Logo{MediaType: "image/png", Data: []byte("\x89PNG"), SHA256: "aa", UpdatedAt: t0}
	if err := b.PutOrgLogo(ctx, by, o.Number, &logo); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Org(ctx, o.Number); err != nil || got.Logo != logo.Ref() {
		t.Fatalf("a logo set by the other node reads as %+v, %v", got.Logo, err)
	}
	cur, err := b.Job(ctx, j.Org, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur.Signers[0].Notice = "email"
	if err := b.SaveJob(ctx, cur, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := a.SignerJob(ctx, j.Signers[0].ID); err != nil || got.Signers[0].Notice != "email" || got.Version != cur.Version {
		t.Fatalf("a job saved by the other node reads as version %d, notice %q, %v", got.Version, got.Signers[0].Notice, err)
	}
}

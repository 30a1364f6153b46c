package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/segl/segl/internal/store"
)

// SearchRefold checks the migration step that refolds the search text of
// the jobs stored before the jobs table had one. s is a fresh store; oldWay
// writes the job's search text as the backend's earlier migration did,
// with the database's lower(), and takes the schema back to before the
// refold step, as a database of that time was; reopen opens the same
// database again, as the next segl does. The job's title, reference and
// signer's name are in Norwegian capitals: the old text is not found by
// their lower-case words, the refolded one is.
func SearchRefold(t *testing.T, s store.Store, oldWay func(org, id string), reopen func() store.Store) {
	ctx := context.Background()
	j := tableJob(t, s, orgA, "ØRJANS  AVTALE", "SAK ÆØÅ-1", "cert:42", 24*time.Hour, "21909825250")
	ev, err := j.SignBy(j.Signers[0].ID, "pid:21909825250", t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Signers[0].Name = "ÅSE ØVRE"
	if err := s.SaveJob(ctx, j, ev); err != nil {
		t.Fatal(err)
	}
	searches := []string{"ørjans avtale", "æøå-1", "åse øvre"}
	oldWay(orgA, j.ID)
	if got, err := s.JobTable(ctx, orgA, store.TableQuery{Search: searches[0]}); err != nil || got.Total != 0 {
		t.Fatalf("search %q before the refold: %d jobs, %v; the old way was not reproduced", searches[0], got.Total, err)
	}
	s = reopen()
	for _, q := range searches {
		got, err := s.JobTable(ctx, orgA, store.TableQuery{Search: q})
		if err != nil || got.Total != 1 || len(got.Jobs) != 1 || got.Jobs[0].ID != j.ID {
			t.Errorf("search %q after the refold: %+v, %v; want job %s", q, got, err, j.ID)
		}
	}
}

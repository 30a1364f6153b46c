package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// tableJob creates a job of org for the portal's list with the given
// title, reference, creator and deadline.
func tableJob(t *testing.T, s store.Store, org, title, ref, creator string, deadline time.Duration, pid string) *job.Job {
	t.Helper()
	j, ev := newJob(org)
	j.Title, j.Reference, j.Creator, j.ExpiresAt = title, ref, creator, t0.Add(deadline)
	j.Signers[0].PID = pid
	if err := s.CreateJob(context.Background(), j, ev, nil); err != nil {
		t.Fatalf("create job: %v", err)
	}
	return j
}

func ids(rows []store.TableRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// The portal's list: the database filters, searches (in any case, also
// Norwegian letters, also a signer's name once it is known, never a
// deleted job's), sorts and pages, within one organisation, and says how
// many jobs match in all.
func testJobTable(t *testing.T, s store.Store) {
	ctx := context.Background()
	const kari, ola = "pid:03896127682", "pid:02859824113"
	const pid, other = "21909825250", "03896127682"
	a := tableJob(t, s, orgA, "Arbeidsavtale", "sak 2026/17", kari, 10*24*time.Hour, other)
	b := tableJob(t, s, orgA, "Arbeidsavtale", "sak 2026/18", ola, 3*24*time.Hour, pid)
	c := tableJob(t, s, orgA, "Øvelse i beredskap", "", kari, 20*24*time.Hour, other)
	d := tableJob(t, s, orgA, "leieavtale", "ØK-9", kari, 5*24*time.Hour, pid)
	tableJob(t, s, orgB, "Arbeidsavtale", "sak 2026/17", kari, time.Hour, pid)

	// Ærlig Øvre signs b; a is cancelled; d is signed by Dag Slettes,
	// cancelled and deleted.
	ev, err := b.SignBy(b.Signers[0].ID, "pid:21909825250", t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Signers[0].Name = "Ærlig Øvre Ås"
	if err := s.SaveJob(ctx, b, ev); err != nil {
		t.Fatal(err)
	}
	ev, _ = a.Cancel("cert:42", t0)
	if err := s.SaveJob(ctx, a, ev); err != nil {
		t.Fatal(err)
	}
	ev, _ = d.SignBy(d.Signers[0].ID, "pid:21909825250", t0, nil)
	d.Signers[0].Name = "Dag Slettes"
	if err := s.SaveJob(ctx, d, ev); err != nil {
		t.Fatal(err)
	}
	ev, _ = d.Cancel("cert:42", t0)
	if err := s.SaveJob(ctx, d, ev); err != nil {
		t.Fatal(err)
	}
	if got, err := s.JobTable(ctx, orgA, store.TableQuery{Search: "slettes"}); err != nil || got.Total != 1 {
		t.Fatalf("before deletion: %+v, %v", got, err)
	}
	if err := s.DeleteJob(ctx, store.By{Actor: "system", At: t0}, orgA, d.ID, "test"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		q    store.TableQuery
		want []*job.Job
	}{
		{"all/newest-first", store.TableQuery{}, []*job.Job{d, c, b, a}},
		{"created/oldest-first", store.TableQuery{Sort: store.SortCreated}, []*job.Job{a, b, c, d}},
		{"created/newest-first", store.TableQuery{Sort: store.SortCreated, Desc: true}, []*job.Job{d, c, b, a}},
		{"deadline/soonest-first", store.TableQuery{Sort: store.SortDeadline}, []*job.Job{b, d, a, c}},
		{"deadline/latest-first", store.TableQuery{Sort: store.SortDeadline, Desc: true}, []*job.Job{c, a, d, b}},
		// Folded titles, the deleted job's empty one first; equal titles
		// by their reference.
		{"title/a-z", store.TableQuery{Sort: store.SortTitle}, []*job.Job{d, a, b, c}},
		{"title/z-a", store.TableQuery{Sort: store.SortTitle, Desc: true}, []*job.Job{c, b, a, d}},
		// In the order of a job's life: waiting, then signed-by-one
		// (active), then ended.
		{"status/life", store.TableQuery{Sort: store.SortStatus}, []*job.Job{c, b, d, a}},
		{"status/ended-first", store.TableQuery{Sort: store.SortStatus, Desc: true}, []*job.Job{d, a, c, b}},
		{"filter/status", store.TableQuery{Status: job.StatusCancelled}, []*job.Job{d, a}},
		{"filter/creator", store.TableQuery{Creator: ola}, []*job.Job{b}},
		{"search/title-any-case", store.TableQuery{Search: "ARBEIDSavtale"}, []*job.Job{b, a}},
		{"search/norwegian-letters", store.TableQuery{Search: "øVELSE"}, []*job.Job{c}},
		{"search/reference", store.TableQuery{Search: "2026/18"}, []*job.Job{b}},
		{"search/signer-name", store.TableQuery{Search: " ærlig  ØVRE "}, []*job.Job{b}},
		{"search/signer-pid-whole", store.TableQuery{Search: pid}, []*job.Job{b}},
		{"search/not-a-pid-substring", store.TableQuery{Search: "2190982525"}, nil},
		{"search/not-across-fields", store.TableQuery{Search: "avtale sak"}, nil},
		{"search/deleted-job-forgotten", store.TableQuery{Search: "slettes"}, nil},
		{"search/like-wildcards-are-text", store.TableQuery{Search: "%"}, nil},
		{"search-and-filter", store.TableQuery{Search: "arbeid", Status: job.StatusCancelled}, []*job.Job{a}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.JobTable(ctx, orgA, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]string, len(tc.want))
			for i, j := range tc.want {
				want[i] = j.ID
			}
			if !slices.Equal(ids(got.Jobs), want) || got.Total != len(want) {
				t.Fatalf("got %v (total %d), want %v", ids(got.Jobs), got.Total, want)
			}
		})
	}

	// A row holds what the table shows, signers in order.
	got, err := s.JobTable(ctx, orgA, store.TableQuery{Creator: ola})
	if err != nil || len(got.Jobs) != 1 {
		t.Fatalf("one row: %+v, %v", got, err)
	}
	r := got.Jobs[0]
	if r.Title != "Arbeidsavtale" || r.Reference != "sak 2026/18" || r.Creator != ola || r.Status != job.StatusActive ||
		!r.CreatedAt.Equal(t0) || !r.ExpiresAt.Equal(t0.Add(3*24*time.Hour)) || r.Deleted || len(r.Signers) != 2 ||
		r.Signers[0] != (store.TableSigner{Name: "Ærlig Øvre Ås", PID: pid, Status: job.SignerSigned}) ||
		r.Signers[1].Email != "kari@example.test" {
		t.Fatalf("row %+v", r)
	}

	// Pages: the total counts every match, each page its part of them.
	page1, _ := s.JobTable(ctx, orgA, store.TableQuery{Limit: 3})
	page2, _ := s.JobTable(ctx, orgA, store.TableQuery{Limit: 3, Offset: 3})
	if page1.Total != 4 || page2.Total != 4 || !slices.Equal(append(ids(page1.Jobs), ids(page2.Jobs)...),
		[]string{d.ID, c.ID, b.ID, a.ID}) {
		t.Fatalf("pages %v %v of %d", ids(page1.Jobs), ids(page2.Jobs), page1.Total)
	}
	if other, _ := s.JobTable(ctx, orgB, store.TableQuery{Search: "sak 2026/18"}); other.Total != 0 {
		t.Fatalf("another organisation's list finds %+v", other)
	}
}

// A page holds at most store.MaxTableLimit jobs, whatever is asked.
func testJobTableBound(t *testing.T, s store.Store) {
	for range store.MaxTableLimit + 1 {
		mustCreate(t, s, orgA)
	}
	got, err := s.JobTable(context.Background(), orgA, store.TableQuery{Limit: 10_000})
	if err != nil || len(got.Jobs) != store.MaxTableLimit || got.Total != store.MaxTableLimit+1 {
		t.Fatalf("%d jobs of %d, %v", len(got.Jobs), got.Total, err)
	}
}

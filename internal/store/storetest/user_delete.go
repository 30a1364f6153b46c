package storetest

import (
	"context"
	"testing"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// testDeleteUserForgetsThem: removing a portal user takes their identity
// number out of the organisation's rows: the jobs they created (running
// and deleted alike) and the users they granted access name them as
// store.FormerUser. Their jobs and grants in another organisation, where
// they are still a user, keep naming them.
func testDeleteUserForgetsThem(t *testing.T, s store.Store) {
	ctx := context.Background()
	const sara, ola, kari = "10856606428", "21909825250", "03896127682"
	for _, org := range []string{orgA, orgB} {
		if err := s.PutOrg(ctx, by, store.Org{Number: org, Name: "Org " + org, Active: true,
			SignatureTypes: []job.SignatureType{job.Authenticated}}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []store.User{
			{Org: org, PID: sara, Name: "Sara Dahl", Role: store.RoleAdmin, CreatedAt: t0, CreatedBy: "pid:" + ola},
			{Org: org, PID: kari, Name: "Kari Nordmann", Role: store.RoleSender, CreatedAt: t0, CreatedBy: "pid:" + sara},
		} {
			if err := s.PutUser(ctx, by, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	created := func(org string) *job.Job {
		j, ev := newJob(org)
		j.Creator = "pid:" + sara
		if err := s.CreateJob(ctx, j, ev, nil); err != nil {
			t.Fatal(err)
		}
		return j
	}
	running, other := created(orgA), created(orgB)
	deleted := created(orgA)
	ev, err := deleted.Cancel("pid:"+sara, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveJob(ctx, deleted, ev); err != nil {
		t.Fatal(err)
	}
	// The job's read, as a cache would keep it, before the removal.
	if _, err := s.Job(ctx, orgA, running.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteJob(ctx, store.By{Actor: "system", At: t0}, orgA, deleted.ID, "sender"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, by, orgA, sara); err != nil {
		t.Fatal(err)
	}
	creator := func(org, id string) string {
		j, err := s.Job(ctx, org, id)
		if err != nil {
			t.Fatal(err)
		}
		return j.Creator
	}
	grantor := func(org string) string {
		u, err := s.User(ctx, org, kari)
		if err != nil {
			t.Fatal(err)
		}
		return u.CreatedBy
	}
	for what, got := range map[string]string{
		"running job's creator":  creator(orgA, running.ID),
		"deleted job's creator":  creator(orgA, deleted.ID),
		"granter of a colleague": grantor(orgA),
	} {
		if got != store.FormerUser {
			t.Errorf("%s after the removal: %q, want %q", what, got, store.FormerUser)
		}
	}
	if got := creator(orgB, other.ID); got != "pid:"+sara {
		t.Errorf("creator in the other organisation: %q", got)
	}
	if got := grantor(orgB); got != "pid:"+sara {
		t.Errorf("granter in the other organisation: %q", got)
	}
	// A sender's own list no longer holds the removed user's jobs.
	list, _, err := s.ListJobs(ctx, orgA, store.JobQuery{Creator: "pid:" + sara})
	if err != nil || len(list) != 0 {
		t.Fatalf("jobs listed for the removed user: %d, %v", len(list), err)
	}
}

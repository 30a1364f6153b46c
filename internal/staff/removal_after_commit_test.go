package staff_test

import (
	"context"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/staff"
	"github.com/segl/segl/internal/store"
)

// committedButFailed removes a user and then reports a failure, as the
// SQLite store does when the log truncation after the commit gives up.
type committedButFailed struct{ staff.Store }

func (s committedButFailed) DeleteUser(ctx context.Context, by store.By, org, pid string) error {
	if err := s.Store.DeleteUser(ctx, by, org, pid); err != nil {
		return err
	}
	return errs.E(errs.Unavailable, errs.CodeDatabaseUnavailable, "sqlite: readers kept the write-ahead log from being truncated")
}

// TestSessionGenerationGoesWhenRemovalReportsFailure: a removal that
// committed but reported an error still takes the person's session
// counter (named after their identity number) with their last role; a
// retry finds no user, so nothing else would.
func TestSessionGenerationGoesWhenRemovalReportsFailure(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.svc.Store = committedButFailed{e.db}
	ola := e.portal(t, orgA, olaPID)
	if err := e.svc.EndSessions(ctx, kariPID, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.EndSessions(ctx, larsPID, 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, pid string
		remove    func(pid string) error
	}{
		{"RemoveUser", kariPID, func(pid string) error { return e.svc.RemoveUser(ctx, ola, pid) }},
		{"RemoveOrgUser", larsPID, func(pid string) error { return e.svc.RemoveOrgUser(ctx, e.admin, orgB, pid) }},
	} {
		name, pid, remove := c.name, c.pid, c.remove
		if err := remove(pid); !errs.Is(err, errs.Unavailable) {
			t.Fatalf("%s: %v, want the store's error", name, err)
		}
		if g, err := e.svc.SessionGeneration(ctx, pid); err != nil || g != 0 {
			t.Fatalf("%s: generation %d (%v) after the last role went, want no counter", name, g, err)
		}
	}
}

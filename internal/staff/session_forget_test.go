package staff_test

import (
	"context"
	"testing"

	"github.com/segl/segl/internal/staff"
	"github.com/segl/segl/internal/store"
)

// TestSessionGenerationGoesWithLastRole: the counter of a person's staff
// sessions is named after their identity number, so it goes when their
// last role does, and not before: a person who still acts for another
// organisation keeps it, and so does a central administrator.
func TestSessionGenerationGoesWithLastRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ola, lars := e.portal(t, orgA, olaPID), e.portal(t, orgB, larsPID)
	if _, err := e.svc.Grant(ctx, lars, staff.Person{PID: kariPID, Name: "Kari Nordmann"}, store.RoleSender); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Grant(ctx, ola, staff.Person{PID: centralPID, Name: "Sentral"}, store.RoleSender); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []string{kariPID, centralPID} {
		if err := e.svc.EndSessions(ctx, pid, 0); err != nil {
			t.Fatal(err)
		}
	}
	generation := func(pid string) int64 {
		t.Helper()
		g, err := e.svc.SessionGeneration(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	if err := e.svc.RemoveUser(ctx, ola, kariPID); err != nil {
		t.Fatal(err)
	}
	if g := generation(kariPID); g != 1 {
		t.Fatalf("with a role left in %s: generation %d, want 1", orgB, g)
	}
	if err := e.svc.RemoveUser(ctx, lars, kariPID); err != nil {
		t.Fatal(err)
	}
	// EndSessions set it to 1; 0 is what Cursor reads for no row.
	if g := generation(kariPID); g != 0 {
		t.Fatalf("after the last role went: generation %d, want no counter", g)
	}
	if err := e.svc.RemoveUser(ctx, ola, centralPID); err != nil {
		t.Fatal(err)
	}
	if g := generation(centralPID); g != 1 {
		t.Fatalf("a central administrator's generation %d, want 1", g)
	}
}

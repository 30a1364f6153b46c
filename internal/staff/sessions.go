package staff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// The staff pages' sessions are sealed cookies that any node opens without
// asking anybody (internal/web), so logging out cannot delete a session
// where it lives: a copy of the cookie would stay good until its idle or
// absolute limit. Instead each person has a session generation, a counter
// in the store that only grows: a staff session carries the generation it
// was made in, logging out moves the counter past it, and every staff
// page refuses a session of an earlier generation, on every node (ASVS
// 7.4.1: "disallowing tokens produced before a per-user date"). One
// counter per person: logging out ends all their staff sessions, the
// portal's and the administration's, in every browser.

// Counters are named numbers that only grow: the store's cursors
// (store.Outbox), which SetCursor never moves back.
type Counters interface {
	Cursor(ctx context.Context, name string) (int64, error)
	SetCursor(ctx context.Context, name string, seq int64) error
	DeleteCursor(ctx context.Context, name string) error
}

// generationName is the counter of a person's staff sessions. The hash
// keeps the identity number out of the name only in the clear: there are
// few enough numbers to try them all, so the name is personal data all
// the same, and the counter goes with the person's last role
// (forgetSessions).
func generationName(pid string) string {
	sum := sha256.Sum256([]byte("segl staff sessions\x00" + pid))
	return "staff-sessions/" + hex.EncodeToString(sum[:16])
}

// SessionGeneration is the person's current session generation: their
// sessions of an earlier one have ended.
func (s *Service) SessionGeneration(ctx context.Context, pid string) (int64, error) {
	return s.Store.Cursor(ctx, generationName(pid))
}

// SessionEnded reports whether the person's staff session of generation
// gen, made at made and acting for org ("" before one is chosen), has
// ended: they logged out of it (EndSessions), or it is older than their
// role in org, or than every role they hold when org is "": they were
// removed and given the role again since. A removal itself ends nothing
// (every page reads the roles anew), and the generation that would count
// it goes with the last role (forgetSessions), so without this a session
// of before the removal worked again once the role was given back. A
// role is given anew only that way (a change of role keeps its time). A
// central administrator's sessions are ended by logging out only.
func (s *Service) SessionEnded(ctx context.Context, pid string, gen int64, made time.Time, org string) (bool, error) {
	current, err := s.SessionGeneration(ctx, pid)
	if err != nil || gen < current {
		return err == nil, err
	}
	if s.IsAdmin(pid) {
		return false, nil
	}
	roles, err := s.Store.UserOrgs(ctx, pid)
	if err != nil {
		return false, err
	}
	older := 0 // roles given no later than the session was made
	for _, u := range roles {
		if u.Org == org && u.CreatedAt.After(made) {
			return true, nil
		}
		if !u.CreatedAt.After(made) {
			older++
		}
	}
	return org == "" && len(roles) > 0 && older == 0, nil
}

// EndSessions ends the person's staff sessions of generation gen and
// earlier (their logout from a session of generation gen). On SQLite the
// change is not waited for on disk (store.Outbox.SetCursor): a logout lost
// to a power failure right after it leaves those sessions to their idle
// and absolute limits.
func (s *Service) EndSessions(ctx context.Context, pid string, gen int64) error {
	return s.Store.SetCursor(ctx, generationName(pid), gen+1)
}

// forgetSessions deletes the person's session generation once they hold
// no role in any organisation and are not a central administrator, so no
// trace of their number outlives their access. Their sessions open no
// staff page meanwhile: every one reads the person's roles from the store.
func (s *Service) forgetSessions(ctx context.Context, pid string) error {
	if s.IsAdmin(pid) {
		return nil
	}
	roles, err := s.Store.UserOrgs(ctx, pid)
	if err != nil || len(roles) > 0 {
		return err
	}
	return s.Store.DeleteCursor(ctx, generationName(pid))
}

package staff

import (
	"context"
	"time"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/store"
)

// An organisation's portal users (MISSION I4): its administrators grant
// colleagues access to the portal, as senders or administrators, change
// their role and take access away. Nobody changes or removes themselves,
// so an organisation always keeps the administrator who is acting.
//
// The caller is the portal's (ceremony.Service.PortalCaller): a person
// acting for one active organisation. Whether they administer it is read
// from the store on every call, not taken from the caller, so an API
// client or a sender is refused here whatever an edge passes on. Another
// organisation's users are NotFound, as everything of another
// organisation is.

// Memberships lists the organisations pid is a portal user of, ordered by
// number: whom they may act for after logging in.
func (s *Service) Memberships(ctx context.Context, pid string) ([]store.Org, error) {
	users, err := s.Store.UserOrgs(ctx, pid)
	if err != nil {
		return nil, err
	}
	orgs := make([]store.Org, 0, len(users))
	for _, u := range users {
		o, err := s.Store.Org(ctx, u.Org)
		if err != nil {
			return nil, err
		}
		orgs = append(orgs, o)
	}
	return orgs, nil
}

// Users lists the caller's organisation's users, ordered by name, for one
// of its administrators.
func (s *Service) Users(ctx context.Context, c ceremony.Caller) ([]store.User, error) {
	if err := s.checkOrgAdmin(ctx, c); err != nil {
		return nil, err
	}
	return s.Store.ListUsers(ctx, c.Org)
}

// Grant gives a person access to the portal for the caller's
// organisation. The input is checked whole: an Invalid error lists every
// bad field ("pid", "name", "email", "role"), and nothing is stored.
func (s *Service) Grant(ctx context.Context, c ceremony.Caller, p Person, role store.Role) (store.User, error) {
	if err := s.checkOrgAdmin(ctx, c); err != nil {
		return store.User{}, err
	}
	bad := checkPerson("", p, false)
	if len(bad) == 0 || bad[0].Field != "pid" {
		_, err := s.Store.User(ctx, c.Org, p.PID)
		if err == nil {
			bad = append([]*errs.Error{errs.Field("pid", CodeUserExists, "the person is a user already")}, bad...)
		} else if !errs.Is(err, errs.NotFound) {
			return store.User{}, err
		}
	}
	if !role.Valid() {
		bad = append(bad, roleUnknown(role))
	}
	if err := errs.Join(bad); err != nil {
		return store.User{}, err
	}
	now := s.now()
	u := store.User{Org: c.Org, PID: p.PID, Name: p.Name, Email: p.Email, Role: role, CreatedAt: now, CreatedBy: "pid:" + c.PID}
	if err := s.Store.PutUser(ctx, byPortal(c, now), u); err != nil {
		return store.User{}, err
	}
	return u, nil
}

// ChangeRole makes another user of the caller's organisation an
// administrator or a sender.
func (s *Service) ChangeRole(ctx context.Context, c ceremony.Caller, pid string, role store.Role) error {
	u, err := s.otherUser(ctx, c, pid)
	if err != nil {
		return err
	}
	if !role.Valid() {
		return roleUnknown(role)
	}
	u.Role = role
	return s.Store.PutUser(ctx, byPortal(c, s.now()), u)
}

// RemoveUser takes another user's access away. Their jobs stay with the
// organisation, as a former user's (store.Users.DeleteUser); with their
// last role goes their session generation.
func (s *Service) RemoveUser(ctx context.Context, c ceremony.Caller, pid string) error {
	u, err := s.otherUser(ctx, c, pid)
	if err != nil {
		return err
	}
	return s.forgetAfterRemoval(ctx, u.PID, s.Store.DeleteUser(ctx, byPortal(c, s.now()), c.Org, u.PID))
}

// RemoveOrgUser takes a portal user's access to an organisation away, for
// a central administrator: an organisation's last administrator cannot
// remove themselves, and a deactivated organisation has no portal, so this
// is how offboarding one ends (docs/operations.md, "Personal data and
// retention"). As with RemoveUser, their jobs stay as a former user's and
// their session generation goes with their last role.
func (s *Service) RemoveOrgUser(ctx context.Context, a Admin, number, pid string) error {
	if err := s.checkAdmin(a); err != nil {
		return err
	}
	if _, err := s.org(ctx, number); err != nil {
		return err
	}
	err := s.Store.DeleteUser(ctx, a.by(s.now()), number, pid)
	if errs.Is(err, errs.NotFound) {
		return errs.Wrap(err, errs.NotFound, CodeUserNotFound, "no such user of organisation %s", number)
	}
	return s.forgetAfterRemoval(ctx, pid, err)
}

// forgetAfterRemoval ends pid's session generation after DeleteUser
// returned removed, whatever that says: a removal that committed can still
// report an error (SQLite's log truncation after it gave up), and a retry
// then finds no user. forgetSessions keeps the counter while a role is left.
func (s *Service) forgetAfterRemoval(ctx context.Context, pid string, removed error) error {
	if errs.Is(removed, errs.NotFound) {
		return removed
	}
	forgot := s.forgetSessions(ctx, pid)
	if removed == nil {
		return forgot
	}
	if forgot != nil {
		s.log().Error("staff: session generation of a removed user kept", "err", forgot)
	}
	return removed
}

// otherUser is the user of the caller's organisation a change is about:
// never the administrator making it.
func (s *Service) otherUser(ctx context.Context, c ceremony.Caller, pid string) (store.User, error) {
	if err := s.checkOrgAdmin(ctx, c); err != nil {
		return store.User{}, err
	}
	if pid == c.PID {
		return store.User{}, errs.E(errs.Forbidden, CodeSelf, "administrators cannot change or remove themselves")
	}
	u, err := s.Store.User(ctx, c.Org, pid)
	if errs.Is(err, errs.NotFound) {
		return u, errs.Wrap(err, errs.NotFound, CodeUserNotFound, "no such user of organisation %s", c.Org)
	}
	return u, err
}

// checkOrgAdmin refuses a caller who is not, as the store says now, an
// administrator among the portal users of the caller's organisation.
func (s *Service) checkOrgAdmin(ctx context.Context, c ceremony.Caller) error {
	notAdmin := errs.E(errs.Forbidden, CodeNotAnAdmin, "only the organisation's administrators manage its users")
	if c.PID == "" || c.Org == "" {
		return notAdmin // an API client, or nobody
	}
	u, err := s.Store.User(ctx, c.Org, c.PID)
	if errs.Is(err, errs.NotFound) || err == nil && u.Role != store.RoleAdmin {
		return notAdmin
	}
	return err
}

func roleUnknown(r store.Role) *errs.Error {
	return errs.Field("role", CodeRoleUnknown, "there is no role %q", r)
}

// byPortal names the portal administrator c for the audit log.
func byPortal(c ceremony.Caller, at time.Time) store.By {
	return store.By{Actor: "pid:" + c.PID, At: at}
}

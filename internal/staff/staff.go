// Package staff holds the use cases of the people who run segl and its
// organisations (MISSION I4, P1): the central administrators onboard,
// change, deactivate and reactivate organisations and read the usage
// report; an organisation's portal administrators grant, change and remove
// its portal users. The senders' and signers' use cases are in ceremony.
//
// Every use case authorises its caller itself, against the configuration
// (admin-pids) or the store as they are now, so an edge cannot forget to,
// and a person who lost their rights is refused at their next request. It
// validates the whole input before writing anything and returns *errs.Error
// kinds: one Invalid error listing every bad field (errs.Join), Forbidden
// for a caller without the right, NotFound across organisations.
package staff

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/store"
)

// Store is what the staff use cases keep: organisations, their users, the
// usage counts, and the generations of the staff's sessions (sessions.go).
type Store interface {
	store.Orgs
	store.Users
	store.Usage
	store.Renewals
	Counters
}

// Service runs the staff use cases. Store and Clock are required.
type Service struct {
	Store Store
	Clock clock.Clock
	// AdminPIDs are the central administrators' identity numbers
	// (admin-pids). Empty: nobody administers the service.
	AdminPIDs []string
	// Queue is the background task queue, whose dead letter the central
	// administrators read; nil has none to show.
	Queue queue.Queue
	Log   *slog.Logger
}

// Admin is a person acting in the central administration, by their
// verified identity number (a login on level high). Every use case that
// takes an Admin checks the number against Service.AdminPIDs, so
// removing someone from the configuration locks them out at their next
// request.
type Admin struct {
	PID string
}

// IsAdmin reports whether pid is a central administrator: for the edge to
// choose a page; the use cases check again.
func (s *Service) IsAdmin(pid string) bool {
	return pid != "" && slices.Contains(s.AdminPIDs, pid)
}

// checkAdmin refuses a caller who is not a central administrator.
func (s *Service) checkAdmin(a Admin) error {
	if !s.IsAdmin(a.PID) {
		return errs.E(errs.Forbidden, CodeNotAnAdmin, "only the service's central administrators may do this")
	}
	return nil
}

// by names the central administrator a for the audit log.
func (a Admin) by(at time.Time) store.By { return store.By{Actor: "admin:" + a.PID, At: at} }

// now is the clock in UTC, truncated to what storage keeps, so what is
// returned equals what is read back.
func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// DueRenewals lists up to limit archived documents whose renewal (a new
// document time-stamp, internal/renewal) is due within the coming period,
// soonest first, for a central administrator: documents overdue are
// waiting for a task or failing (see FailedTasks); a zero time means the
// schedule is not computed yet.
func (s *Service) DueRenewals(ctx context.Context, a Admin, within time.Duration, limit int) ([]store.DocRef, error) {
	if err := s.checkAdmin(a); err != nil {
		return nil, err
	}
	return s.Store.DueRenewals(ctx, s.now().Add(within), limit)
}

// FailedTasks lists up to limit background tasks that gave up, newest
// first, for a central administrator; nil without a queue.
func (s *Service) FailedTasks(ctx context.Context, a Admin, limit int) ([]queue.Job, error) {
	if err := s.checkAdmin(a); err != nil {
		return nil, err
	}
	if s.Queue == nil {
		return nil, nil
	}
	return s.Queue.Dead(ctx, limit)
}

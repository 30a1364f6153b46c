package metrics

import (
	"context"
	"time"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// Store is a store.Store whose failures are counted as database errors
// (segl_storage_errors_total{store="database"}) and whose job writes are
// counted as status transitions and signing acts. It learns both from the
// events each write carries (job.Event: "job.<status>", "signer.signed"),
// after the write committed, so a rolled-back write counts nothing and no
// use case needs to know about metrics.
//
// Methods added to store.Store later pass through uncounted until they are
// added here; AuditRecords and AuditAnchors pass through on purpose,
// because the errors they return include their callback's (a broken chain
// is not a database failure).
type Store struct {
	store.Store
	m *Metrics
}

var _ store.Store = (*Store)(nil)

// Store wraps s; with a nil m it returns s itself.
func (m *Metrics) Store(s store.Store) store.Store {
	if m == nil {
		return s
	}
	return &Store{Store: s, m: m}
}

func (s *Store) note(err error) error {
	s.m.storageError("database", err)
	return err
}

// observe counts what the committed events of j say happened.
func (s *Store) observe(j *job.Job, events []job.Event) {
	for _, e := range events {
		switch {
		case e.Type == "signer."+string(job.SignerSigned):
			s.m.signingActs.WithLabelValues(string(j.SignatureType)).Inc()
		case e.SignerID == "" && e.Type == "job."+string(e.JobStatus):
			s.m.transitions.WithLabelValues(string(e.JobStatus)).Inc()
		}
	}
}

func (s *Store) CreateJob(ctx context.Context, j *job.Job, events []job.Event, idem *store.Idempotency) error {
	err := s.Store.CreateJob(ctx, j, events, idem)
	if err == nil {
		s.observe(j, events)
	}
	return s.note(err)
}

func (s *Store) SaveJob(ctx context.Context, j *job.Job, events []job.Event) error {
	err := s.Store.SaveJob(ctx, j, events)
	if err == nil {
		s.observe(j, events)
	}
	return s.note(err)
}

func (s *Store) PutOrg(ctx context.Context, by store.By, o store.Org) error {
	return s.note(s.Store.PutOrg(ctx, by, o))
}

func (s *Store) Onboard(ctx context.Context, by store.By, o store.Org, admin store.User) error {
	return s.note(s.Store.Onboard(ctx, by, o, admin))
}

func (s *Store) Org(ctx context.Context, number string) (store.Org, error) {
	v, err := s.Store.Org(ctx, number)
	return v, s.note(err)
}

func (s *Store) OrgLogo(ctx context.Context, number string) (store.Logo, error) {
	v, err := s.Store.OrgLogo(ctx, number)
	return v, s.note(err)
}

func (s *Store) PutOrgLogo(ctx context.Context, by store.By, number string, l *store.Logo) error {
	return s.note(s.Store.PutOrgLogo(ctx, by, number, l))
}

func (s *Store) ListOrgs(ctx context.Context) ([]store.Org, error) {
	v, err := s.Store.ListOrgs(ctx)
	return v, s.note(err)
}

func (s *Store) Job(ctx context.Context, org, id string) (*job.Job, error) {
	v, err := s.Store.Job(ctx, org, id)
	return v, s.note(err)
}

func (s *Store) ListJobs(ctx context.Context, org string, q store.JobQuery) ([]job.Job, string, error) {
	v, w, err := s.Store.ListJobs(ctx, org, q)
	return v, w, s.note(err)
}

func (s *Store) JobTable(ctx context.Context, org string, q store.TableQuery) (store.JobTable, error) {
	v, err := s.Store.JobTable(ctx, org, q)
	return v, s.note(err)
}

func (s *Store) Idempotency(ctx context.Context, org, key string) (store.Idempotency, error) {
	v, err := s.Store.Idempotency(ctx, org, key)
	return v, s.note(err)
}

func (s *Store) SignerJob(ctx context.Context, signerID string) (*job.Job, error) {
	v, err := s.Store.SignerJob(ctx, signerID)
	return v, s.note(err)
}

func (s *Store) SignerTasks(ctx context.Context, pid string) ([]store.SignerRef, error) {
	v, err := s.Store.SignerTasks(ctx, pid)
	return v, s.note(err)
}

func (s *Store) DueJobs(ctx context.Context, now time.Time, limit int) ([]store.JobRef, error) {
	v, err := s.Store.DueJobs(ctx, now, limit)
	return v, s.note(err)
}

func (s *Store) Changes(ctx context.Context, org string, after int64, limit int) ([]store.Change, error) {
	v, err := s.Store.Changes(ctx, org, after, limit)
	return v, s.note(err)
}

func (s *Store) PolledChanges(ctx context.Context, org string, flow job.Flow, queue string, after int64, limit int) ([]store.Change, error) {
	v, err := s.Store.PolledChanges(ctx, org, flow, queue, after, limit)
	return v, s.note(err)
}

func (s *Store) Ack(ctx context.Context, org string, seqs []int64) (int, error) {
	v, err := s.Store.Ack(ctx, org, seqs)
	return v, s.note(err)
}

func (s *Store) PutUser(ctx context.Context, by store.By, u store.User) error {
	return s.note(s.Store.PutUser(ctx, by, u))
}

func (s *Store) User(ctx context.Context, org, pid string) (store.User, error) {
	v, err := s.Store.User(ctx, org, pid)
	return v, s.note(err)
}

func (s *Store) UserOrgs(ctx context.Context, pid string) ([]store.User, error) {
	v, err := s.Store.UserOrgs(ctx, pid)
	return v, s.note(err)
}

func (s *Store) ListUsers(ctx context.Context, org string) ([]store.User, error) {
	v, err := s.Store.ListUsers(ctx, org)
	return v, s.note(err)
}

func (s *Store) DeleteUser(ctx context.Context, by store.By, org, pid string) error {
	return s.note(s.Store.DeleteUser(ctx, by, org, pid))
}

func (s *Store) ChangesAfter(ctx context.Context, after int64, limit int) ([]store.Change, error) {
	v, err := s.Store.ChangesAfter(ctx, after, limit)
	return v, s.note(err)
}

func (s *Store) Cursor(ctx context.Context, name string) (int64, error) {
	v, err := s.Store.Cursor(ctx, name)
	return v, s.note(err)
}

func (s *Store) SetCursor(ctx context.Context, name string, seq int64) error {
	return s.note(s.Store.SetCursor(ctx, name, seq))
}

func (s *Store) DeleteCursor(ctx context.Context, name string) error {
	return s.note(s.Store.DeleteCursor(ctx, name))
}

func (s *Store) RecordNotice(ctx context.Context, n store.Notice) (bool, error) {
	v, err := s.Store.RecordNotice(ctx, n)
	return v, s.note(err)
}

func (s *Store) RecordNotices(ctx context.Context, ns []store.Notice) error {
	return s.note(s.Store.RecordNotices(ctx, ns))
}

func (s *Store) HasNotice(ctx context.Context, key string) (bool, error) {
	v, err := s.Store.HasNotice(ctx, key)
	return v, s.note(err)
}

func (s *Store) JobNotices(ctx context.Context, org, jobID string) ([]store.Notice, error) {
	v, err := s.Store.JobNotices(ctx, org, jobID)
	return v, s.note(err)
}

func (s *Store) PutCode(ctx context.Context, c store.Code, maxCodes int) error {
	return s.note(s.Store.PutCode(ctx, c, maxCodes))
}

func (s *Store) Code(ctx context.Context, signerID string) (store.Code, error) {
	v, err := s.Store.Code(ctx, signerID)
	return v, s.note(err)
}

func (s *Store) GuessCode(ctx context.Context, signerID string, now time.Time, perCode, total int) (store.Code, error) {
	v, err := s.Store.GuessCode(ctx, signerID, now, perCode, total)
	return v, s.note(err)
}

func (s *Store) SpendCode(ctx context.Context, signerID string, hash []byte) error {
	return s.note(s.Store.SpendCode(ctx, signerID, hash))
}

func (s *Store) LockCode(ctx context.Context, signerID string, at time.Time) error {
	return s.note(s.Store.LockCode(ctx, signerID, at))
}

func (s *Store) UsageRows(ctx context.Context, from, to time.Time, loc *time.Location) ([]store.UsageRow, error) {
	v, err := s.Store.UsageRows(ctx, from, to, loc)
	return v, s.note(err)
}

func (s *Store) NextPoll(ctx context.Context, org, queue string) (time.Time, error) {
	v, err := s.Store.NextPoll(ctx, org, queue)
	return v, s.note(err)
}

func (s *Store) SetNextPoll(ctx context.Context, org, queue string, at, now time.Time, limit int) error {
	return s.note(s.Store.SetNextPoll(ctx, org, queue, at, now, limit))
}

func (s *Store) LeaseDelivery(ctx context.Context, org, jobID string, through int64, now, until time.Time) (bool, error) {
	v, err := s.Store.LeaseDelivery(ctx, org, jobID, through, now, until)
	return v, s.note(err)
}

func (s *Store) Leased(ctx context.Context, org string, now time.Time) ([]string, error) {
	v, err := s.Store.Leased(ctx, org, now)
	return v, s.note(err)
}

func (s *Store) EndDelivery(ctx context.Context, org, jobID string) (int64, error) {
	v, err := s.Store.EndDelivery(ctx, org, jobID)
	return v, s.note(err)
}

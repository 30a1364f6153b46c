package staff

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// Organisations: onboarding with the first portal administrator, changes,
// deactivation and reactivation, by the central administrators. The
// ceremony use cases check store.Org.Active on every call, so a
// deactivation takes effect at the organisation's next request.

// SignatureTypes are the types an organisation may be allowed, in the
// order forms show them.
var SignatureTypes = []job.SignatureType{job.Authenticated, job.Advanced}

// Field limits: generous for real names, small enough for a page.
const (
	maxName        = 200
	maxCertSubject = 1000
	maxBrokers     = 20
)

// OrgInput is an organisation as an administrator enters it, trimmed.
// Invalid errors name its fields "number", "name", "signature_types",
// "contact_email", "cert_subject", "retention_days" and "brokers".
type OrgInput struct {
	Number         string // ignored by ChangeOrg: a number never changes
	Name           string
	SignatureTypes []job.SignatureType
	// ContactEmail receives the sender's notices of API jobs. Required.
	ContactEmail string
	// CertSubject, when set, is the one API client certificate subject the
	// organisation may use (RFC 2253).
	CertSubject string
	// RetentionDays is how long the organisation's jobs are kept after
	// they end unless archived: job.MinRetentionDays to
	// job.MaxRetentionDays, or 0 for job.DefaultRetentionDays.
	RetentionDays int
	// Brokers are the organisations that may act for this one through
	// Posten's signature API (store.Org.Brokers): at most 20 onboarded
	// organisations other than itself. Taking one out revokes it at its
	// next request.
	Brokers []string
}

// Person is a portal user as an administrator names them, trimmed.
// Invalid errors name its fields "pid", "name" and "email", prefixed by
// "first_admin." for the first administrator at onboarding.
type Person struct {
	PID, Name, Email string
}

// Orgs lists every organisation.
func (s *Service) Orgs(ctx context.Context, a Admin) ([]store.Org, error) {
	if err := s.checkAdmin(a); err != nil {
		return nil, err
	}
	return s.Store.ListOrgs(ctx)
}

// Org returns an organisation with its portal users.
func (s *Service) Org(ctx context.Context, a Admin, number string) (store.Org, []store.User, error) {
	if err := s.checkAdmin(a); err != nil {
		return store.Org{}, nil, err
	}
	org, err := s.org(ctx, number)
	if err != nil {
		return org, nil, err
	}
	users, err := s.Store.ListUsers(ctx, number)
	return org, users, err
}

// Onboard adds an organisation, active, with its first portal
// administrator (who must have an e-mail address). The input is checked
// whole first: an Invalid error lists every bad field, and nothing is
// stored.
func (s *Service) Onboard(ctx context.Context, a Admin, o OrgInput, first Person) (store.Org, error) {
	if err := s.checkAdmin(a); err != nil {
		return store.Org{}, err
	}
	var bad []*errs.Error
	switch {
	case o.Number == "":
		bad = append(bad, errs.Field("number", CodeMissing, "the organisation number is missing"))
	case !job.ValidOrgNumber(o.Number):
		bad = append(bad, errs.Field("number", CodeInvalid, "%q is not an organisation number", o.Number))
	default:
		_, err := s.Store.Org(ctx, o.Number)
		if err == nil {
			bad = append(bad, orgExists(o.Number))
		} else if !errs.Is(err, errs.NotFound) {
			return store.Org{}, err
		}
	}
	bad = append(bad, checkOrg(o)...)
	brokers, err := s.checkBrokers(ctx, o.Number, o.Brokers)
	if err != nil {
		return store.Org{}, err
	}
	bad = append(bad, brokers...)
	bad = append(bad, checkPerson("first_admin.", first, true)...)
	if err := errs.Join(bad); err != nil {
		return store.Org{}, err
	}
	now := s.now()
	org := store.Org{Number: o.Number, Name: o.Name, Active: true, SignatureTypes: o.SignatureTypes, CreatedAt: now,
		ContactEmail: o.ContactEmail, CertSubject: o.CertSubject, RetentionDays: o.RetentionDays, Brokers: o.Brokers}
	admin := store.User{Org: o.Number, PID: first.PID, Name: first.Name, Email: first.Email, Role: store.RoleAdmin,
		CreatedAt: now, CreatedBy: "admin:" + a.PID}
	err = s.Store.Onboard(ctx, a.by(now), org, admin)
	if errs.Is(err, errs.Conflict) { // onboarded by someone else since the check above
		return store.Org{}, orgExists(o.Number)
	}
	if err != nil {
		return store.Org{}, err
	}
	s.log().Info("staff: organisation onboarded", "org", o.Number)
	return org, nil
}

func orgExists(number string) *errs.Error {
	return errs.Field("number", CodeOrgExists, "organisation %s is onboarded already", number)
}

// ChangeOrg changes an organisation's name, signature types, contact
// e-mail, certificate subject, retention and brokers; its number, state
// and creation stay.
func (s *Service) ChangeOrg(ctx context.Context, a Admin, number string, o OrgInput) (store.Org, error) {
	if err := s.checkAdmin(a); err != nil {
		return store.Org{}, err
	}
	org, err := s.org(ctx, number)
	if err != nil {
		return org, err
	}
	brokers, err := s.checkBrokers(ctx, number, o.Brokers)
	if err != nil {
		return org, err
	}
	if err := errs.Join(append(checkOrg(o), brokers...)); err != nil {
		return org, err
	}
	org.Name, org.SignatureTypes, org.ContactEmail, org.CertSubject = o.Name, o.SignatureTypes, o.ContactEmail, o.CertSubject
	org.Brokers = o.Brokers
	org.RetentionDays = o.RetentionDays // for jobs created from now on: each job keeps its own
	if err := s.Store.PutOrg(ctx, a.by(s.now()), org); err != nil {
		return org, err
	}
	s.log().Info("staff: organisation changed", "org", number)
	return org, nil
}

// SetOrgActive deactivates or reactivates an organisation. A deactivated
// organisation's requests are refused until it is reactivated; its jobs
// and their signers are left as they are.
func (s *Service) SetOrgActive(ctx context.Context, a Admin, number string, active bool) error {
	if err := s.checkAdmin(a); err != nil {
		return err
	}
	org, err := s.org(ctx, number)
	if err != nil {
		return err
	}
	org.Active = active
	if err := s.Store.PutOrg(ctx, a.by(s.now()), org); err != nil {
		return err
	}
	s.log().Info("staff: organisation active changed", "org", number, "active", active)
	return nil
}

// org reads an organisation, NotFound with a code of its own.
func (s *Service) org(ctx context.Context, number string) (store.Org, error) {
	org, err := s.Store.Org(ctx, number)
	if errs.Is(err, errs.NotFound) {
		return org, errs.Wrap(err, errs.NotFound, CodeOrgNotFound, "no organisation %s", number)
	}
	return org, err
}

// checkOrg returns what is wrong with an organisation's own fields (all
// but its number), in the order forms show them.
func checkOrg(o OrgInput) []*errs.Error {
	var bad []*errs.Error
	bad = append(bad, checkName("name", o.Name)...)
	if len(o.SignatureTypes) == 0 {
		bad = append(bad, errs.Field("signature_types", CodeMissing, "allow at least one signature type"))
	}
	for _, t := range o.SignatureTypes {
		if !slices.Contains(SignatureTypes, t) {
			bad = append(bad, errs.Field("signature_types", CodeUnknownType, "there is no signature type %q", t))
			break
		}
	}
	bad = append(bad, checkEmail("contact_email", o.ContactEmail, true)...)
	if utf8.RuneCountInString(o.CertSubject) > maxCertSubject || strings.IndexFunc(o.CertSubject, unicode.IsControl) >= 0 {
		bad = append(bad, errs.Field("cert_subject", CodeInvalid, "the certificate subject is too long or holds control characters"))
	}
	if o.RetentionDays != 0 {
		if err := job.CheckRetentionDays(o.RetentionDays); err != nil {
			bad = append(bad, errs.From(err))
		}
	}
	return bad
}

// checkBrokers returns what is wrong with the brokers named for
// organisation number: each must be another onboarded organisation, named
// once, and there may be at most maxBrokers. A broker acts for the
// organisation with its own enterprise certificate, which authenticates
// it as itself first, so it must be onboarded (and may be deactivated).
func (s *Service) checkBrokers(ctx context.Context, number string, brokers []string) ([]*errs.Error, error) {
	if len(brokers) > maxBrokers {
		return []*errs.Error{errs.Field("brokers", CodeTooMany, "at most %d brokers may act for an organisation", maxBrokers)}, nil
	}
	var bad []*errs.Error
	for i, b := range brokers {
		switch {
		case !job.ValidOrgNumber(b):
			bad = append(bad, errs.Field("brokers", CodeInvalid, "%q is not an organisation number", b))
		case b == number:
			bad = append(bad, errs.Field("brokers", CodeBrokerSelf, "an organisation acts for itself without being its own broker"))
		case slices.Contains(brokers[:i], b):
			continue
		default:
			_, err := s.Store.Org(ctx, b)
			if errs.Is(err, errs.NotFound) {
				bad = append(bad, errs.Field("brokers", CodeNotOnboarded, "broker %s is not an onboarded organisation", b))
			} else if err != nil {
				return nil, err
			}
		}
	}
	return bad, nil
}

// checkPerson returns what is wrong with a person named as a portal user,
// fields prefixed by prefix. An administrator named at onboarding must
// have an e-mail address: the organisation's first contact.
func checkPerson(prefix string, p Person, needEmail bool) []*errs.Error {
	var bad []*errs.Error
	switch {
	case p.PID == "":
		bad = append(bad, errs.Field(prefix+"pid", CodeMissing, "the identity number is missing"))
	case !job.ValidPID(p.PID):
		bad = append(bad, errs.Field(prefix+"pid", CodeInvalid, "%q is not an identity number", p.PID))
	}
	bad = append(bad, checkName(prefix+"name", p.Name)...)
	return append(bad, checkEmail(prefix+"email", p.Email, needEmail)...)
}

// checkName checks a name that signers, senders and notices show: text
// without control characters (a terminal escape in a log, a line break in
// a mail header) or bidirectional overrides (job.IsBidiControl), in UTF-8,
// which PostgreSQL's text columns also require.
func checkName(field, name string) []*errs.Error {
	switch {
	case name == "":
		return []*errs.Error{errs.Field(field, CodeMissing, "the name is missing")}
	case utf8.RuneCountInString(name) > maxName:
		return []*errs.Error{errs.Field(field, CodeTooLong, "the name is longer than %d characters", maxName)}
	case !utf8.ValidString(name) || strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || job.IsBidiControl(r) }) >= 0:
		return []*errs.Error{errs.Field(field, CodeInvalid, "the name holds characters that are not text")}
	}
	return nil
}

func checkEmail(field, email string, required bool) []*errs.Error {
	switch {
	case email == "" && required:
		return []*errs.Error{errs.Field(field, CodeMissing, "the e-mail address is missing")}
	case email != "" && !job.ValidEmail(email):
		return []*errs.Error{errs.Field(field, CodeInvalid, "%q is not an e-mail address", email)}
	}
	return nil
}

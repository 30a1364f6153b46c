package ceremony

import (
	"context"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/registry"
)

// Authority is what the business register says of a person's right to
// sign for an organisation (MISSION S10), shown to a signer who signs in a
// role and kept in the audit log with the act. It informs; it does not
// decide: a proxy may hold a power of attorney the register does not show.
type Authority struct {
	Checked bool     // the register answered
	MaySign bool     // general manager or signature right (registry.MaySignFor)
	Roles   []string // the person's role codes in the organisation
}

// authorityTimeout bounds the business register lookup.
const authorityTimeout = 5 * time.Second

// Authority looks the person up among the organisation's roles. Without a
// register, or when it does not answer, Checked is false.
func (s *Service) Authority(ctx context.Context, orgnr, pid string) Authority {
	if s.Roles == nil {
		return Authority{}
	}
	// It only informs, so a slow register must not hold up the signer.
	ctx, cancel := context.WithTimeout(ctx, authorityTimeout)
	defer cancel()
	roles, err := s.Roles.Roles(ctx, orgnr)
	if err != nil {
		s.log().Warn("business register lookup failed", "org", orgnr, "err", err)
		return Authority{}
	}
	a := Authority{Checked: true, MaySign: registry.MaySignFor(roles, pid)}
	for _, r := range roles {
		if r.PID == pid {
			a.Roles = append(a.Roles, r.Code)
		}
	}
	return a
}

// details are the audit log's facts of a.
func (a Authority) details() map[string]any {
	if !a.Checked {
		return map[string]any{"register_checked": false}
	}
	return map[string]any{"register_checked": true, "register_may_sign": a.MaySign, "register_roles": a.Roles}
}

// OrgName is the name segl knows an organisation by, or "" when it is not
// one of the service's organisations (a signer may sign for any): shown
// with the Authority to a signer who signs in a role.
func (s *Service) OrgName(ctx context.Context, number string) (string, error) {
	o, err := s.Store.Org(ctx, number)
	if errs.Is(err, errs.NotFound) {
		return "", nil
	}
	return o.Name, err
}

package staff

import (
	"context"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/usage"
)

// Usage prices what each organisation used in the months from to to
// (inclusive, "2026-11"; "" is the current month) on usage.Standard, for
// a central administrator (MISSION P1). A month that is not one, or a
// period that ends before it starts, is Invalid on field "from" or "to".
func (s *Service) Usage(ctx context.Context, a Admin, from, to string) (usage.Report, usage.Period, error) {
	if err := s.checkAdmin(a); err != nil {
		return usage.Report{}, usage.Period{}, err
	}
	p, err := usage.ParsePeriod(from, to, s.Clock.Now())
	if err != nil {
		return usage.Report{}, p, err
	}
	rows, err := s.Store.UsageRows(ctx, p.From, p.To, clock.Norway)
	if err != nil {
		return usage.Report{}, p, err
	}
	orgs, err := s.Store.ListOrgs(ctx)
	if err != nil {
		return usage.Report{}, p, err
	}
	names := make(map[string]string, len(orgs))
	for _, o := range orgs {
		names[o.Number] = o.Name
	}
	return usage.NewReport(rows, names, usage.Standard), p, nil
}

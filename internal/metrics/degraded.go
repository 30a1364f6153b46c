package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/segl/segl/internal/health"
)

// degradedCollector runs the degrading checks at every scrape, so that
// the gauge is as fresh as /readyz whether or not anything asks /readyz.
type degradedCollector struct {
	r    *health.Readiness
	desc *prometheus.Desc
}

// Degraded reports r's degrading checks at each scrape as
// segl_degraded{check} (1 while the check fails, else 0): what an
// operator alerts on, since a degraded node stays ready and keeps its
// traffic.
func (m *Metrics) Degraded(r *health.Readiness) error {
	if m == nil {
		return nil
	}
	return m.Register(&degradedCollector{r: r, desc: prometheus.NewDesc("segl_degraded",
		"1 while a degrading health check (hsm, tsa, ocsp) fails: the node serves, but what needs that part is refused with 503.",
		[]string{"check"}, nil)})
}

func (c *degradedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *degradedCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), health.CheckTimeout)
	defer cancel()
	for name, code := range c.r.Degrading(ctx) {
		v := 0.0
		if code != "" {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, name)
	}
}

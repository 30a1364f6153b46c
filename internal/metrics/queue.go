package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/segl/segl/internal/queue"
)

// queueCollector asks the queue for its depth at every scrape: the queue
// is shared by all nodes, so any node reports the same numbers, and a
// gauge kept in memory would be wrong on every node but the one that
// changed it.
type queueCollector struct {
	m       *Metrics
	q       queue.Inspector
	now     func() time.Time
	tasks   *prometheus.Desc
	oldest  *prometheus.Desc
	timeout time.Duration
}

// Queue reports the depth of q at each scrape: segl_queue_tasks{kind,
// state} (pending, due, dead) and segl_queue_oldest_due_seconds{kind}, how
// long the oldest due task has waited. A queue that cannot report its
// depth adds nothing.
func (m *Metrics) Queue(q queue.Queue, now func() time.Time) error {
	in, ok := q.(queue.Inspector)
	if m == nil || !ok {
		return nil
	}
	return m.Register(&queueCollector{m: m, q: in, now: now, timeout: 2 * time.Second,
		tasks: prometheus.NewDesc("segl_queue_tasks",
			"Background tasks by kind and state: pending (not finished), due (pending and due now), dead (given up, for an operator).",
			[]string{"kind", "state"}, nil),
		oldest: prometheus.NewDesc("segl_queue_oldest_due_seconds",
			"How long the oldest due task of a kind has waited to run; 0 when none is due.",
			[]string{"kind"}, nil),
	})
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tasks
	ch <- c.oldest
}

// Collect runs one grouped query, bounded so that a slow database delays
// a scrape rather than holding it; a failure is counted as a database
// error and the scrape goes on without the queue's series.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	now := c.now()
	depths, err := c.q.Depths(ctx, now)
	if err != nil {
		c.m.storageError("database", err)
		return
	}
	for _, d := range depths {
		ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(d.Pending), d.Kind, "pending")
		ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(d.Due), d.Kind, "due")
		ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(d.Dead), d.Kind, "dead")
		age := 0.0
		if !d.OldestDue.IsZero() {
			age = max(now.Sub(d.OldestDue).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, d.Kind)
	}
}

package metrics

import (
	"context"
	"time"

	"github.com/segl/segl/internal/notify"
)

// Mailer measures the messages sent through next as calls to peer
// ("smtp"): SMTP is not HTTP, so the transport wrapper cannot see it.
func (m *Metrics) Mailer(peer string, next notify.Mailer) notify.Mailer {
	if m == nil || next == nil {
		return next
	}
	return &mailer{m: m, peer: peer, next: next}
}

type mailer struct {
	m    *Metrics
	peer string
	next notify.Mailer
}

func (s *mailer) Send(ctx context.Context, msg notify.Message) error {
	start := time.Now()
	err := s.next.Send(ctx, msg)
	s.m.PeerCall(s.peer, time.Since(start), err)
	return err
}

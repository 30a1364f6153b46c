package queue

import "sync"

// Notifier is the optional capability of a Queue to tell the runners of
// this process that a job was queued through it, so that a task queued by
// a request (a completion after the last signature, a one-time code) starts
// at once instead of at the runner's next poll. It is local by design: a job
// queued on another node is found by polling (RunnerOptions.Poll), so the
// queue needs nothing shared beyond its table.
type Notifier interface {
	// Enqueued returns a channel that is closed the next time a job is
	// queued through this Queue. Take it before looking for work, so that
	// a job queued while looking is not missed.
	Enqueued() <-chan struct{}
}

// Signal is the broadcast a Notifier is built on: every channel handed out
// by Next is closed by the following Notify, so all waiting runners wake.
// The zero value is ready to use.
type Signal struct {
	mu sync.Mutex
	c  chan struct{}
}

// Next returns the channel the next Notify closes.
func (s *Signal) Next() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		s.c = make(chan struct{})
	}
	return s.c
}

// Notify wakes everyone waiting on Next.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		close(s.c)
		s.c = nil
	}
}

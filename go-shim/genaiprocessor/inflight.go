package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"context"
	"sync"
)

// defaultMaxInflightBytes is max_inflight_bytes when the configuration does
// not set it: 32 MiB of OTLP input inside the Rust core at once. The core's
// peak heap per call is a bounded multiple of its input, largest for legacy
// OpenLIT counters, which it decodes whole and answers larger
// (tests/call_memory.rs holds the bound; README.md gives the factor). At
// this default one batch of issue 24's 19 MB runs at a time while
// plain-sized batches (a few MB) run side by side on every core; twice
// the budget lets three such batches in at once, which took the collector
// past 1.5 times the peak RSS of one without the processor
// (docs/benchmarks.md, "Memory").
const defaultMaxInflightBytes = 32 << 20

// inflight bounds the bytes of batches inside the Rust core at once. The
// core's memory is invisible to memory_limiter, which reads the Go heap
// alone; holding batches back here, before they are marshaled, keeps what
// the core may hold proportional to this budget, while batches that wait
// stay in the Go heap where the limiter sees them. Waiters are served in
// arrival order, so a large batch is not starved by a stream of small ones;
// a batch larger than the whole budget takes all of it and runs alone.
type inflight struct {
	limit int64 // 0: no bound

	mu      sync.Mutex
	used    int64
	waiters []*inflightWaiter
}

type inflightWaiter struct {
	n     int64
	ready chan struct{} // closed when the bytes are granted
}

func newInflight(limit int64) *inflight {
	return &inflight{limit: limit}
}

// weight is what a batch of n bytes takes from the budget: n, at most the
// whole budget, so that a batch larger than the budget still runs (alone).
func (s *inflight) weight(n int) int64 {
	return min(int64(n), s.limit)
}

// acquire waits until a batch of n bytes fits in the budget, or until ctx is
// done (then ctx's error, and nothing is held). release(n) gives it back.
func (s *inflight) acquire(ctx context.Context, n int) error {
	if s.limit <= 0 {
		return nil
	}
	w := s.weight(n)
	s.mu.Lock()
	if len(s.waiters) == 0 && s.used+w <= s.limit {
		s.used += w
		s.mu.Unlock()
		return nil
	}
	waiter := &inflightWaiter{n: w, ready: make(chan struct{})}
	s.waiters = append(s.waiters, waiter)
	s.mu.Unlock()

	select {
	case <-waiter.ready:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-waiter.ready:
		// Granted while ctx was being cancelled: hand the bytes back, the
		// batch goes on without the core as a cancelled one should.
		s.used -= w
	default:
		for i, q := range s.waiters {
			if q == waiter {
				s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
				break
			}
		}
	}
	// The waiter may have held up smaller batches queued behind it.
	s.grant()
	return ctx.Err()
}

// release gives back what acquire(ctx, n) took.
func (s *inflight) release(n int) {
	if s.limit <= 0 {
		return
	}
	s.mu.Lock()
	s.used -= s.weight(n)
	s.grant()
	s.mu.Unlock()
}

// grant wakes the waiters at the front of the queue that now fit; under mu.
func (s *inflight) grant() {
	for len(s.waiters) > 0 {
		w := s.waiters[0]
		if s.used+w.n > s.limit {
			return
		}
		s.used += w.n
		close(w.ready)
		s.waiters[0] = nil
		s.waiters = s.waiters[1:]
	}
}

package genaiprocessor

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
)

// The bytes held at once never exceed the budget, whatever the interleaving:
// each holder adds its weight to a counter while it holds, and the highest
// value the counter reached is checked (counted, not timed).
func TestInflightBoundsConcurrentBytes(t *testing.T) {
	const limit = 100
	s := newInflight(limit)
	var held, peak atomic.Int64
	sizes := []int{10, 30, 60, 99, 1, 45, 70}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				n := sizes[(g+i)%len(sizes)]
				require.NoError(t, s.acquire(context.Background(), n))
				now := held.Add(int64(n))
				for {
					p := peak.Load()
					if now <= p || peak.CompareAndSwap(p, now) {
						break
					}
				}
				held.Add(-int64(n))
				s.release(n)
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int64(limit))
	assert.Positive(t, peak.Load())
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Zero(t, s.used, "every byte given back")
	assert.Empty(t, s.waiters)
}

// A batch larger than the whole budget takes all of it: it waits for the
// others to finish, runs alone, and never deadlocks.
func TestInflightBatchLargerThanTheBudgetRunsAlone(t *testing.T) {
	s := newInflight(100)
	require.NoError(t, s.acquire(context.Background(), 40))

	granted := make(chan struct{})
	go func() {
		assert.NoError(t, s.acquire(context.Background(), 1000))
		close(granted)
	}()
	waitForWaiters(t, s, 1)
	select {
	case <-granted:
		t.Fatal("granted while 40 bytes were held")
	default:
	}
	// A small batch arriving now queues behind the large one.
	small := make(chan struct{})
	go func() {
		assert.NoError(t, s.acquire(context.Background(), 1))
		close(small)
	}()
	waitForWaiters(t, s, 2)

	s.release(40)
	<-granted
	s.mu.Lock()
	assert.Equal(t, int64(100), s.used, "the large batch holds the whole budget")
	s.mu.Unlock()
	select {
	case <-small:
		t.Fatal("a batch ran beside the one larger than the budget")
	default:
	}
	s.release(1000)
	<-small
	s.release(1)
	assert.Zero(t, s.used)
}

// A waiter whose context ends gives up its place, holds nothing, and lets the
// smaller waiters queued behind it through.
func TestInflightCancelledWaiterHoldsNothing(t *testing.T) {
	s := newInflight(100)
	require.NoError(t, s.acquire(context.Background(), 50))
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error)
	go func() { gaveUp <- s.acquire(ctx, 80) }()
	waitForWaiters(t, s, 1)
	behind := make(chan struct{})
	go func() {
		assert.NoError(t, s.acquire(context.Background(), 30))
		close(behind)
	}()
	waitForWaiters(t, s, 2)

	cancel()
	assert.ErrorIs(t, <-gaveUp, context.Canceled)
	<-behind
	s.release(30)
	s.release(50)
	assert.Zero(t, s.used)
	assert.Empty(t, s.waiters)
}

func TestInflightZeroLimitIsUnbounded(t *testing.T) {
	s := newInflight(0)
	for range 10 {
		require.NoError(t, s.acquire(context.Background(), 1<<30))
	}
	assert.Zero(t, s.used)
}

// Through the processor: a batch waiting for the budget whose context ends
// goes on unchanged and is counted as an error with reason "canceled"; in
// propagate mode the error is returned.
func TestProcessorBatchCancelledWhileWaitingPassesUnchanged(t *testing.T) {
	for _, mode := range []ErrorMode{ErrorModeIgnore, ErrorModePropagate} {
		t.Run(string(mode), func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
			cfg := &Config{ErrorMode: mode, MaxInflightBytes: 1}
			p, err := newGenaiProcessor(metadatatest.NewSettings(tel), cfg)
			require.NoError(t, err)
			require.NoError(t, p.start(context.Background(), nil))
			defer func() { require.NoError(t, p.shutdown(context.Background())) }()

			// Another batch holds the whole budget.
			require.NoError(t, p.budget.acquire(context.Background(), 1))
			defer p.budget.release(1)

			md := legacyCounterMetrics()
			before := pmetric.NewMetrics()
			md.CopyTo(before)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			out, err := p.processMetrics(ctx, md)
			if mode == ErrorModePropagate {
				require.ErrorIs(t, err, context.Canceled)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, before, out, "the batch goes on unchanged")
			metadatatest.AssertEqualProcessorGenaiErrors(t, tel, []metricdata.DataPoint[int64]{
				{Attributes: attribute.NewSet(attribute.String("signal", "metrics"), attribute.String("reason", "canceled")), Value: 1},
			}, metricdatatest.IgnoreTimestamp())
		})
	}
}

// A batch larger than max_inflight_bytes is processed (alone).
func TestProcessorBatchLargerThanTheBudgetIsProcessed(t *testing.T) {
	cfg := &Config{ErrorMode: ErrorModePropagate, MaxInflightBytes: 1}
	p, err := newGenaiProcessor(processortest.NewNopSettings(processortest.NopType), cfg)
	require.NoError(t, err)
	require.NoError(t, p.start(context.Background(), nil))
	defer func() { require.NoError(t, p.shutdown(context.Background())) }()

	md := legacyCounterMetrics()
	require.Greater(t, (&pmetric.ProtoMarshaler{}).MetricsSize(md), 1)
	out, err := p.processMetrics(context.Background(), md)
	require.NoError(t, err)
	names := map[string]bool{}
	ms := out.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := range ms.Len() {
		names[ms.At(i).Name()] = true
	}
	assert.True(t, names["gen_ai_client_operation_duration_seconds"], "legacy counters upgraded: %v", names)
	assert.Zero(t, p.budget.used)
}

// OpenLIT's legacy request counter, one point: the batch the core decodes
// whole and answers whole.
func legacyCounterMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	m := sm.Metrics().AppendEmpty()
	m.SetName("gen_ai.total.requests")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := sum.DataPoints().AppendEmpty()
	dp.Attributes().PutStr("gen_ai.system", "openai")
	dp.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
	dp.SetIntValue(3)
	return md
}

// waitForWaiters returns once n acquirers are queued.
func waitForWaiters(t *testing.T, s *inflight, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.waiters) == n
	}, 10*time.Second, time.Millisecond)
}

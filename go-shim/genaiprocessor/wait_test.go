package genaiprocessor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// slowTraces is one span whose OpenInference message content is 16 MB of
// characters JSON escapes: the core works on it for hundreds of
// milliseconds, while its pdata is one string.
func slowTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	a := llmSpan(td).Attributes()
	a.PutStr("llm.input_messages.0.message.role", "user")
	a.PutStr("llm.input_messages.0.message.content", strings.Repeat("\x01\"", 8<<20))
	return td
}

// waitProcessor is a started processor in propagate mode.
func waitProcessor(t *testing.T, tel *componenttest.Telemetry) *genaiProcessor {
	p, err := newGenaiProcessor(metadatatest.NewSettings(tel), &Config{ErrorMode: ErrorModePropagate})
	require.NoError(t, err)
	require.NoError(t, p.start(context.Background(), nil))
	return p
}

// timed is processTraces on slowTraces, with its time.
func timed(p *genaiProcessor) (ptrace.Traces, error, time.Duration) {
	td := slowTraces()
	start := time.Now()
	out, err := p.processTraces(context.Background(), td)
	return out, err, time.Since(start)
}

// coreTime is how long processTraces takes on slowTraces when nothing ends
// its wait.
func coreTime(t *testing.T) time.Duration {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	p := waitProcessor(t, tel)
	defer func() { require.NoError(t, p.shutdown(context.Background())) }()
	out, err, took := timed(p)
	require.NoError(t, err)
	assert.True(t, hasMessages(out), "the messages were rebuilt")
	require.Greater(t, took, 100*time.Millisecond, "a call long enough to tell")
	return took
}

// hasMessages says whether the span got the messages the core rebuilds.
func hasMessages(td ptrace.Traces) bool {
	_, ok := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().Get("gen_ai.input.messages")
	return ok
}

func assertFailure(t *testing.T, tel *componenttest.Telemetry, reason string) {
	metadatatest.AssertEqualProcessorGenaiErrors(t, tel, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("signal", "traces"), attribute.String("reason", reason)), Value: 1},
	}, metricdatatest.IgnoreTimestamp())
}

// A batch waits for the core at most maxWait, then goes on unchanged,
// counted as "timeout"; in propagate mode its error is permanent, as the
// batch would take as long again. Its bytes stay in max_inflight_bytes
// until the core's call ends.
func TestABatchWaitsForTheCoreAtMostMaxWait(t *testing.T) {
	full := coreTime(t)
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	p := waitProcessor(t, tel)
	defer func() { require.NoError(t, p.shutdown(context.Background())) }()
	p.maxWait = 10 * time.Millisecond
	p.budget = newInflight(1 << 30)

	out, err, took := timed(p)
	t.Logf("the batch took %v; with a 10 ms wait, %v", full, took)
	var abandoned *ffi.Abandoned
	require.ErrorAs(t, err, &abandoned)
	assert.True(t, consumererror.IsPermanent(err), "%v", err)
	assert.Less(t, took, p.maxWait+full/2)
	assert.False(t, hasMessages(out), "the batch went on unchanged")
	assertFailure(t, tel, "timeout")
	p.budget.mu.Lock()
	held := p.budget.used
	p.budget.mu.Unlock()
	assert.Positive(t, held, "the call given up on keeps its bytes while the core works")
	<-abandoned.Finished
	assert.Eventually(t, func() bool {
		p.budget.mu.Lock()
		defer p.budget.mu.Unlock()
		return p.budget.used == 0
	}, 5*time.Second, time.Millisecond, "and gives them back when it ends")
}

// Shutting down ends the wait of a batch in the core at once: the batch
// goes on unchanged, counted as "shutdown", with a retryable error in
// propagate mode; shutdown itself does not wait for the core's call.
func TestShutdownDoesNotWaitForTheCore(t *testing.T) {
	full := coreTime(t)
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	p := waitProcessor(t, tel)
	p.budget = newInflight(1 << 30) // counted, so the test sees the batch take its bytes

	type result struct {
		out ptrace.Traces
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err, _ := timed(p)
		done <- result{out, err}
	}()
	// Once the batch holds its bytes it is marshaled within milliseconds
	// and then inside the core's call, which takes most of full (on a
	// machine that got three times faster since coreTime, still over
	// full/3): a tenth of full later it is there.
	require.Eventually(t, func() bool {
		p.budget.mu.Lock()
		defer p.budget.mu.Unlock()
		return p.budget.used > 0
	}, full, time.Millisecond, "the batch took its bytes")
	time.Sleep(full / 10)
	start := time.Now()
	require.NoError(t, p.shutdown(context.Background()))
	stopped := time.Since(start)
	r := <-done
	released := time.Since(start)
	t.Logf("the batch took %v; shutdown took %v, the batch was let go after %v", full, stopped, released)
	assert.Less(t, stopped, full/4, "shutdown waited for the core")
	assert.Less(t, released, full/2, "the batch waited for the core")
	var abandoned *ffi.Abandoned
	require.ErrorAs(t, r.err, &abandoned)
	require.ErrorIs(t, r.err, errShutdown)
	assert.False(t, consumererror.IsPermanent(r.err), "%v", r.err)
	assert.False(t, hasMessages(r.out), "the batch went on unchanged")
	assertFailure(t, tel, "shutdown")
	<-abandoned.Finished
}

// A batch held up behind others for max_inflight_bytes past maxWait goes
// on unchanged, counted as "timeout", with a retryable error: it did not
// cause the wait.
func TestABatchWaitingBehindOthersTooLongIsRetryable(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	p := waitProcessor(t, tel)
	defer func() { require.NoError(t, p.shutdown(context.Background())) }()
	p.maxWait = 10 * time.Millisecond
	p.budget = newInflight(1)
	require.NoError(t, p.budget.acquire(context.Background(), 1))
	defer p.budget.release(1)

	out, err := p.processTraces(context.Background(), genaiTraces())
	require.ErrorIs(t, err, errWaitedTooLong)
	assert.False(t, consumererror.IsPermanent(err), "%v", err)
	_, priced := out.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().Get("gen_ai.usage.cost")
	assert.False(t, priced, "the batch went on unchanged")
	assertFailure(t, tel, "timeout")
}

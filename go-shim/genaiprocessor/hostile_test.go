package genaiprocessor

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// Hostile batches through the Go component (the Rust side of each case is
// in tests/hostile*.rs): what the core cannot decode goes on unchanged and
// is counted as a decode error; what it can is processed with nothing lost;
// bad token counts price nothing and are counted.

// secret stands for prompt content: it must never reach the log.
const secret = "SECRET-PROMPT-7f3a"

// llmSpan is a priced LLM call span with the prompt attribute set.
func llmSpan(td ptrace.Traces) ptrace.Span {
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("chat gpt-4o")
	a := span.Attributes()
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutInt("gen_ai.usage.input_tokens", 1000)
	a.PutInt("gen_ai.usage.output_tokens", 500)
	a.PutStr("gen_ai.prompt", secret)
	return span
}

// invalidUTF8Traces carries bytes that are not UTF-8 in a string value:
// pdata passes them through; the core's protobuf decoder refuses them.
func invalidUTF8Traces() ptrace.Traces {
	td := ptrace.NewTraces()
	llmSpan(td).Attributes().PutStr("gen_ai.completion", secret+"\xff\xfe")
	return td
}

// deepTraces nests a kvlist 10,000 levels deep in one attribute.
func deepTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	m := llmSpan(td).Attributes().PutEmptyMap("gen_ai.deep")
	for i := 0; i < 10_000; i++ {
		m = m.PutEmptyMap("k")
	}
	m.PutStr("leaf", secret)
	return td
}

func newObservedTraces(t *testing.T, tel *componenttest.Telemetry, sink *consumertest.TracesSink) (processor.Traces, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	set := metadatatest.NewSettings(tel)
	set.Logger = zap.New(core)
	p, err := NewFactory().CreateTraces(context.Background(), set, defaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return p, logs
}

func TestUndecodableBatchesPassUnchangedAndAreCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	sink := new(consumertest.TracesSink)
	p, _ := newObservedTraces(t, tel, sink)

	for name, make := range map[string]func() ptrace.Traces{
		"invalid UTF-8":         invalidUTF8Traces,
		"10,000 nested kvlists": deepTraces,
	} {
		sink.Reset()
		require.NoError(t, p.ConsumeTraces(context.Background(), make()), name)
		require.Len(t, sink.AllTraces(), 1, name)
		require.NoError(t, ptracetest.CompareTraces(make(), sink.AllTraces()[0]), "%s: the batch changed", name)
	}
	metadatatest.AssertEqualProcessorGenaiErrors(t, tel, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("signal", "traces"), attribute.String("reason", "decode_error")), Value: 2},
	}, metricdatatest.IgnoreTimestamp())
}

func TestHugeBatchesAreProcessedWithNothingLost(t *testing.T) {
	h := newHarness(t, defaultConfig(), true)
	td := ptrace.NewTraces()
	span := llmSpan(td)
	// FromRaw: Put* checks for an existing key each time (quadratic here).
	raw := span.Attributes().AsRaw()
	for i := 0; i < 100_000; i++ {
		raw["app.attr."+strconv.Itoa(i)] = int64(i)
	}
	big := strings.Repeat("x", 10<<20)
	raw["gen_ai.completion"] = big
	require.NoError(t, span.Attributes().FromRaw(raw))
	before := span.Attributes().Len()
	require.NoError(t, h.traces.ConsumeTraces(context.Background(), td))

	got := h.tSink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
	cost, ok := got.Get("gen_ai.usage.cost")
	require.True(t, ok, "the span was priced")
	require.Greater(t, cost.Double(), 0.0)
	v, _ := got.Get("gen_ai.completion")
	require.True(t, v.Str() == big, "the 10 MB value changed")
	require.Equal(t, before+1, got.Len(), "every attribute kept, the cost added")
	_, err := h.tel.GetMetric("otelcol_processor_genai_errors")
	require.Error(t, err, "no error was counted")
}

func TestBadTokenCountsPriceNothingAndAreCounted(t *testing.T) {
	h := newHarness(t, defaultConfig(), true)
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	bad := []func(pcommon.Map){
		func(m pcommon.Map) { m.PutInt("gen_ai.usage.input_tokens", -5) },
		func(m pcommon.Map) { m.PutDouble("gen_ai.usage.input_tokens", math.NaN()) },
		func(m pcommon.Map) { m.PutDouble("gen_ai.usage.input_tokens", math.Inf(1)) },
		func(m pcommon.Map) { m.PutStr("gen_ai.usage.input_tokens", "lots") },
		func(m pcommon.Map) { m.PutStr("gen_ai.usage.input_tokens", "1e400") },
	}
	for _, set := range bad {
		a := spans.AppendEmpty().Attributes()
		a.PutStr("gen_ai.provider.name", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o")
		a.PutInt("gen_ai.usage.output_tokens", 10)
		set(a)
	}
	require.NoError(t, h.traces.ConsumeTraces(context.Background(), td))

	out := h.tSink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := 0; i < out.Len(); i++ {
		_, ok := out.At(i).Attributes().Get("gen_ai.usage.cost")
		require.False(t, ok, "span %d was priced", i)
	}
	metadatatest.AssertEqualProcessorGenaiCostSkipped(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("reason", "non_numeric_tokens")), Value: int64(len(bad))},
	}, metricdatatest.IgnoreTimestamp())
}

// Prompts and completions may hold personal data: neither a processed nor
// a refused batch puts attribute content in the log, at any level.
func TestAttributeContentIsNeverLogged(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	p, logs := newObservedTraces(t, tel, new(consumertest.TracesSink))
	unknown := ptrace.NewTraces()
	llmSpan(unknown).Attributes().PutStr("gen_ai.request.model", "model-not-priced")
	for _, td := range []ptrace.Traces{unknown, invalidUTF8Traces(), deepTraces()} {
		require.NoError(t, p.ConsumeTraces(context.Background(), td))
	}
	require.NotZero(t, logs.Len(), "the refused batches were logged")
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += fmt.Sprintf(" %s=%v", k, v)
		}
		require.NotContains(t, line, secret, "logged at %s: %s", e.Level, line)
		if e.Level < zapcore.WarnLevel {
			continue
		}
		require.NotContains(t, line, "model-not-priced", "a model name above debug level")
	}
}

// With error_mode: propagate, a batch whose failure comes from its content
// (here one span with invalid UTF-8 in a GenAI key among five valid ones)
// is refused as permanent, so that no sender retries it forever; a
// failure that may pass (no live core) stays retryable.
func TestContentFailuresArePermanentInPropagateMode(t *testing.T) {
	cfg := defaultConfig()
	cfg.ErrorMode = ErrorModePropagate
	h := newHarness(t, cfg, true)
	td := ptrace.NewTraces()
	for range 5 {
		llmSpan(td)
	}
	llmSpan(td).Attributes().PutStr("gen_ai.\xff\xfe", "bad key")
	err := h.traces.ConsumeTraces(context.Background(), td)
	require.Error(t, err)
	require.Equal(t, ffi.StatusDecode, ffi.StatusOf(err), "%v", err)
	require.True(t, consumererror.IsPermanent(err), "%v", err)
	require.Empty(t, h.tSink.AllTraces())

	h.shutdown()
	err = h.traces.ConsumeTraces(context.Background(), genaiTraces())
	require.Equal(t, ffi.StatusInvalidHandle, ffi.StatusOf(err), "%v", err)
	require.False(t, consumererror.IsPermanent(err), "no live core: %v", err)
}

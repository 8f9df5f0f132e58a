package genaiprocessor

import (
	"context"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/testdata"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// harness is one processor per signal, all sharing a config and telemetry,
// each feeding a sink.
type harness struct {
	tel     *componenttest.Telemetry
	traces  processor.Traces
	metrics processor.Metrics
	logs    processor.Logs
	tSink   *consumertest.TracesSink
	mSink   *consumertest.MetricsSink
	lSink   *consumertest.LogsSink
}

func newHarness(t *testing.T, cfg *Config, start bool) *harness {
	t.Helper()
	h := &harness{
		tel:   componenttest.NewTelemetry(),
		tSink: new(consumertest.TracesSink),
		mSink: new(consumertest.MetricsSink),
		lSink: new(consumertest.LogsSink),
	}
	t.Cleanup(func() { require.NoError(t, h.tel.Shutdown(context.Background())) })
	ctx := context.Background()
	f := NewFactory()
	var err error
	h.traces, err = f.CreateTraces(ctx, metadatatest.NewSettings(h.tel), cfg, h.tSink)
	require.NoError(t, err)
	h.metrics, err = f.CreateMetrics(ctx, metadatatest.NewSettings(h.tel), cfg, h.mSink)
	require.NoError(t, err)
	h.logs, err = f.CreateLogs(ctx, metadatatest.NewSettings(h.tel), cfg, h.lSink)
	require.NoError(t, err)
	if start {
		host := componenttest.NewNopHost()
		require.NoError(t, h.traces.Start(ctx, host))
		require.NoError(t, h.metrics.Start(ctx, host))
		require.NoError(t, h.logs.Start(ctx, host))
		t.Cleanup(h.shutdown)
	}
	return h
}

func (h *harness) shutdown() {
	ctx := context.Background()
	_ = h.traces.Shutdown(ctx)
	_ = h.metrics.Shutdown(ctx)
	_ = h.logs.Shutdown(ctx)
}

func defaultConfig() *Config { return createDefaultConfig().(*Config) }

// GenAI-shaped inputs: legacy attribute names, token counts and a token
// usage metric, i.e. what the core's stages react to.
func genaiTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "chat-app")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("chat gpt-4o")
	span.SetTraceID([16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	span.SetSpanID([8]byte{1, 2, 3, 4, 5, 6, 7, 8})
	a := span.Attributes()
	a.PutStr("gen_ai.system", "openai")
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutInt("gen_ai.usage.prompt_tokens", 100)
	a.PutInt("gen_ai.usage.completion_tokens", 50)
	return td
}

func genaiMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "chat-app")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("gen_ai.client.token.usage")
	m.SetUnit("{token}")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, typ := range []string{"input", "output"} {
		dp := h.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("gen_ai.system", "openai")
		dp.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
		dp.Attributes().PutStr("gen_ai.token.type", typ)
		dp.SetCount(1)
		dp.SetSum(100)
		dp.ExplicitBounds().FromRaw([]float64{10, 100, 1000})
		dp.BucketCounts().FromRaw([]uint64{0, 1, 0, 0})
	}
	return md
}

func genaiLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "chat-app")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("gen_ai.client.inference.operation.details")
	lr.Body().SetStr("chat completion")
	a := lr.Attributes()
	a.PutStr("gen_ai.system", "openai")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutInt("gen_ai.usage.prompt_tokens", 100)
	a.PutInt("gen_ai.usage.completion_tokens", 50)
	return ld
}

func TestNonGenAIBatchesPassUnchanged(t *testing.T) {
	h := newHarness(t, defaultConfig(), true)
	ctx := context.Background()

	td, md, ld := testdata.GenerateTraces(5), testdata.GenerateMetrics(5), testdata.GenerateLogs(5)
	require.NoError(t, h.traces.ConsumeTraces(ctx, td))
	require.NoError(t, h.metrics.ConsumeMetrics(ctx, md))
	require.NoError(t, h.logs.ConsumeLogs(ctx, ld))

	require.Len(t, h.tSink.AllTraces(), 1)
	require.Len(t, h.mSink.AllMetrics(), 1)
	require.Len(t, h.lSink.AllLogs(), 1)
	require.NoError(t, ptracetest.CompareTraces(testdata.GenerateTraces(5), h.tSink.AllTraces()[0]))
	require.NoError(t, pmetrictest.CompareMetrics(testdata.GenerateMetrics(5), h.mSink.AllMetrics()[0]))
	require.NoError(t, plogtest.CompareLogs(testdata.GenerateLogs(5), h.lSink.AllLogs()[0]))

	for sig, n := range map[string]int64{"traces": 5, "metrics": int64(md.DataPointCount()), "logs": 5} {
		assertSignalSum(t, h.tel, "otelcol_processor_genai_batches", sig, 1)
		assertSignalSum(t, h.tel, "otelcol_processor_genai_items", sig, n)
	}
	_, err := h.tel.GetMetric("otelcol_processor_genai_errors")
	require.Error(t, err, "no error was counted")
}

func TestChangedMetricInputIsEditedInPlace(t *testing.T) {
	h := newHarness(t, defaultConfig(), true)
	md := genaiMetrics()
	require.NoError(t, h.metrics.ConsumeMetrics(context.Background(), md))
	// What went on is the input, edited: renamed, relabeled, cost added.
	require.NoError(t, pmetrictest.CompareMetrics(h.mSink.AllMetrics()[0], md))
	require.Error(t, pmetrictest.CompareMetrics(genaiMetrics(), md), "the input was not edited")
	// So every signal declares that it mutates its input: the collector
	// copies it for us when a pipeline fans out.
	assert.True(t, h.metrics.Capabilities().MutatesData)
	assert.True(t, h.traces.Capabilities().MutatesData)
	assert.True(t, h.logs.Capabilities().MutatesData)
}

// After Shutdown the handle is destroyed in Rust; the core refuses it with
// invalid_handle, a real core error.
func TestCoreErrorPassesBatchOnAndIsCounted(t *testing.T) {
	h := newHarness(t, defaultConfig(), true)
	h.shutdown()
	ctx := context.Background()

	require.NoError(t, h.traces.ConsumeTraces(ctx, genaiTraces()))
	require.NoError(t, h.metrics.ConsumeMetrics(ctx, genaiMetrics()))
	require.NoError(t, h.logs.ConsumeLogs(ctx, genaiLogs()))

	require.NoError(t, ptracetest.CompareTraces(genaiTraces(), h.tSink.AllTraces()[0]))
	require.NoError(t, pmetrictest.CompareMetrics(genaiMetrics(), h.mSink.AllMetrics()[0]))
	require.NoError(t, plogtest.CompareLogs(genaiLogs(), h.lSink.AllLogs()[0]))
	metadatatest.AssertEqualProcessorGenaiErrors(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("signal", "logs"), attribute.String("reason", "invalid_handle")), Value: 1},
		{Attributes: attribute.NewSet(attribute.String("signal", "metrics"), attribute.String("reason", "invalid_handle")), Value: 1},
		{Attributes: attribute.NewSet(attribute.String("signal", "traces"), attribute.String("reason", "invalid_handle")), Value: 1},
	}, metricdatatest.IgnoreTimestamp())
}

func TestPropagateModeReturnsTheCoreError(t *testing.T) {
	cfg := defaultConfig()
	cfg.ErrorMode = ErrorModePropagate
	h := newHarness(t, cfg, true)
	h.shutdown()
	ctx := context.Background()

	err := h.metrics.ConsumeMetrics(ctx, genaiMetrics())
	require.Error(t, err)
	assert.Equal(t, ffi.StatusInvalidHandle, ffi.StatusOf(err), "%v", err)
	assert.Empty(t, h.mSink.AllMetrics(), "a propagated error stops the batch here")
	metadatatest.AssertEqualProcessorGenaiErrors(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("signal", "metrics"), attribute.String("reason", "invalid_handle")), Value: 1},
	}, metricdatatest.IgnoreTimestamp())
}

func TestFailedStartIsSafe(t *testing.T) {
	// Validate would refuse this config; Start must refuse it as well, any
	// number of times, and batches must still pass (counted as errors).
	cfg := defaultConfig()
	cfg.Normalize = map[string]any{"overwrite": "yes"}
	h := newHarness(t, cfg, false)
	ctx := context.Background()
	host := componenttest.NewNopHost()
	for range 2 {
		err := h.traces.Start(ctx, host)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "normalize.overwrite")
	}
	require.NoError(t, h.traces.ConsumeTraces(ctx, genaiTraces()))
	require.NoError(t, ptracetest.CompareTraces(genaiTraces(), h.tSink.AllTraces()[0]))
	require.NoError(t, h.traces.Shutdown(ctx))
	require.NoError(t, h.traces.Shutdown(ctx), "double shutdown")
	metadatatest.AssertEqualProcessorGenaiErrors(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("signal", "traces"), attribute.String("reason", "invalid_handle")), Value: 1},
	}, metricdatatest.IgnoreTimestamp())
}

func TestRestartCreatesAFreshHandle(t *testing.T) {
	h := newHarness(t, defaultConfig(), true)
	ctx := context.Background()
	require.NoError(t, h.metrics.Shutdown(ctx))
	require.NoError(t, h.metrics.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, h.metrics.ConsumeMetrics(ctx, testdata.GenerateMetrics(2)))
	_, err := h.tel.GetMetric("otelcol_processor_genai_errors")
	require.Error(t, err, "the restarted processor has a live handle")
}

// pdata must copy what it decodes: the processor decodes from a Rust-owned
// buffer that is freed right after.
func TestUnmarshalDoesNotAliasInput(t *testing.T) {
	td := genaiTraces()
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutEmptyBytes("blob").FromRaw([]byte("payload"))
	buf, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	got, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(buf)
	require.NoError(t, err)
	for i := range buf {
		buf[i] = 0xff
	}
	require.NoError(t, ptracetest.CompareTraces(td, got))
}

func assertSignalSum(t *testing.T, tel *componenttest.Telemetry, name, signal string, want int64) {
	t.Helper()
	m, err := tel.GetMetric(name)
	require.NoError(t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int sum", name)
	for _, dp := range sum.DataPoints {
		if v, _ := dp.Attributes.Value("signal"); v.AsString() == signal {
			assert.Equal(t, want, dp.Value, "%s{signal=%s}", name, signal)
			return
		}
	}
	t.Errorf("%s has no point for signal %s", name, signal)
}

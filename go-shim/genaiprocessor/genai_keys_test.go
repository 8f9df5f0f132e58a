package genaiprocessor

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/testdata"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// withDefaultCore is a processor holding only a core of the default
// config, for the key checks; the caller closes the core.
func withDefaultCore(t *testing.T) (*genaiProcessor, *ffi.Processor) {
	t.Helper()
	doc, err := defaultConfig().coreJSON()
	require.NoError(t, err)
	core, err := ffi.New(doc)
	require.NoError(t, err)
	p := &genaiProcessor{}
	p.core.Store(core)
	return p, core
}

// rustCalls is how many batches of each signal reached the core.
func rustCalls(t *testing.T, h *harness) map[string]uint64 {
	t.Helper()
	calls := map[string]uint64{}
	m, err := h.tel.GetMetric("otelcol_processor_genai_rust_call_duration")
	if err != nil {
		return calls
	}
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		sig, _ := dp.Attributes.Value("signal")
		calls[sig.AsString()] += dp.Count
	}
	return calls
}

func TestBatchesWithoutGenAIKeysSkipTheCore(t *testing.T) {
	h := newHarness(t, defaultConfig(), true)
	ctx := context.Background()
	require.NoError(t, h.traces.ConsumeTraces(ctx, testdata.GenerateTraces(20)))
	require.NoError(t, h.logs.ConsumeLogs(ctx, testdata.GenerateLogs(20)))
	require.NoError(t, h.metrics.ConsumeMetrics(ctx, testdata.GenerateMetrics(20)))
	assert.Empty(t, rustCalls(t, h), "plain batches are not marshaled for the core")
	assertSignalSum(t, h.tel, "otelcol_processor_genai_batches", "traces", 1)
	assertSignalSum(t, h.tel, "otelcol_processor_genai_items", "logs", 20)
	metadatatest.AssertEqualProcessorGenaiBatchesSkipped(t, h.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("signal", "traces"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("signal", "logs"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("signal", "metrics"))},
	}, metricdatatest.IgnoreTimestamp())

	require.NoError(t, h.traces.ConsumeTraces(ctx, genaiTraces()))
	require.NoError(t, h.logs.ConsumeLogs(ctx, genaiLogs()))
	require.NoError(t, h.metrics.ConsumeMetrics(ctx, genaiMetrics()))
	assert.Equal(t, map[string]uint64{"traces": 1, "logs": 1, "metrics": 1}, rustCalls(t, h))
	assertSignalSum(t, h.tel, "otelcol_processor_genai_batches_skipped", "traces", 1)
}

// The skip must never change what comes out: on every batch it would skip,
// the core itself leaves the batch unchanged. Batches: plain traffic,
// GenAI words outside attribute keys and metric names, keys normalization
// reads but which do not make a GenAI batch, and the captured output of
// real instrumentation libraries (which must not be skipped).
func TestSkippedBatchesAreOnesTheCoreLeavesUnchanged(t *testing.T) {
	p, core := withDefaultCore(t)
	defer core.Close()

	words := testdata.GenerateTraces(10)
	rs := words.ResourceSpans().At(0)
	rs.Resource().Attributes().PutStr("deployment.environment.name", "prod")
	rs.ScopeSpans().At(0).Scope().Attributes().PutStr("gen_ai.system", "openai")
	for i := 0; i < rs.ScopeSpans().At(0).Spans().Len(); i++ {
		span := rs.ScopeSpans().At(0).Spans().At(i)
		span.SetName("chat gen_ai.request.model")
		span.Attributes().PutStr("note", "gen_ai.usage.input_tokens=5")
	}
	bodies := testdata.GenerateLogs(10)
	for i := 0; i < bodies.LogRecordCount(); i++ {
		bodies.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(i).Body().SetStr("llm.usage.total_tokens 7")
	}

	metricWords := testdata.GenerateMetrics(10)
	rm := metricWords.ResourceMetrics().At(0)
	rm.Resource().Attributes().PutStr("deployment.environment", "gen_ai.prod")
	rm.ScopeMetrics().At(0).Scope().SetName("gen_ai.instrumentation")
	for i := 0; i < rm.ScopeMetrics().At(0).Metrics().Len(); i++ {
		metric := rm.ScopeMetrics().At(0).Metrics().At(i)
		metric.SetDescription("gen_ai.client.token.usage")
		for n := 0; ; n++ {
			attrs, ok := pointAttributes(metric, n)
			if !ok {
				break
			}
			attrs.PutStr("note", "gen_ai.usage.input_tokens")
		}
	}

	// The captured batches of real instrumentations, and genai's own.
	traces, logs, metrics := capturedBatches(t)
	traces["plain"], traces["genai words"] = testdata.GenerateTraces(10), words
	logs["plain"], logs["genai words in bodies"] = testdata.GenerateLogs(10), bodies
	metrics["plain"], metrics["genai words"] = testdata.GenerateMetrics(10), metricWords

	skipped := map[string]bool{}
	for name, td := range traces {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		require.NoError(t, err)
		outcome, err := core.Edit(context.Background(), ffi.Traces, b, func([]byte, bool) error { return nil })
		require.NoError(t, err)
		if !p.mayChangeTraces(td) {
			skipped["traces "+name] = true
			assert.False(t, outcome.Changed, "traces %s: skipped, yet the core changes it", name)
		}
	}
	for name, ld := range logs {
		b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		require.NoError(t, err)
		outcome, err := core.Edit(context.Background(), ffi.Logs, b, func([]byte, bool) error { return nil })
		require.NoError(t, err)
		if !p.mayChangeLogs(ld) {
			skipped["logs "+name] = true
			assert.False(t, outcome.Changed, "logs %s: skipped, yet the core changes it", name)
		}
	}
	for name, md := range metrics {
		b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
		require.NoError(t, err)
		outcome, err := core.Edit(context.Background(), ffi.Metrics, b, func([]byte, bool) error { return nil })
		require.NoError(t, err)
		if !p.mayChangeMetrics(md) {
			skipped["metrics "+name] = true
			assert.False(t, outcome.Changed, "metrics %s: skipped, yet the core changes it", name)
		}
	}
	assert.Equal(t, map[string]bool{
		"traces plain": true, "traces genai words": true,
		"logs plain": true, "logs genai words in bodies": true,
		"metrics plain": true, "metrics genai words": true,
	}, skipped, "exactly the non-GenAI batches are skipped")
}

// The check remembers the plain keys met at each position of a map; a
// GenAI key later taking a plain key's place (one of the same length, so
// that only the bytes tell them apart), in each kind of map and past the
// positions remembered, must still be found.
func TestAGenAIKeyInAPlainKeysPlaceIsFound(t *testing.T) {
	p, core := withDefaultCore(t)
	defer core.Close()

	const plain, genai = "http.response", "gen_ai.system"
	require.Len(t, plain, len(genai))
	// Three maps of 20 keys (the check remembers 16 positions), with the
	// plain key at `at` in the first two and the GenAI key there in the last.
	maps := func(at int) [][]string {
		var ms [][]string
		for _, k := range []string{plain, plain, genai} {
			m := make([]string, 20)
			for i := range m {
				m[i] = fmt.Sprintf("plain.key.%02d", i)
			}
			m[at] = k
			ms = append(ms, m)
		}
		return ms
	}
	put := func(m pcommon.Map, keys []string) {
		for _, k := range keys {
			m.PutStr(k, "v")
		}
	}
	for _, at := range []int{0, 7, 15, 16, 19} {
		for _, n := range []int{2, 3} {
			ms, want := maps(at)[:n], n == 3
			msg := fmt.Sprintf("%d maps, GenAI key at %d in the third", n, at)

			td := ptrace.NewTraces()
			spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
			for _, m := range ms {
				put(spans.AppendEmpty().Attributes(), m)
			}
			assert.Equal(t, want, p.mayChangeTraces(td), "spans: %s", msg)

			td = ptrace.NewTraces()
			span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			for _, m := range ms {
				put(span.Events().AppendEmpty().Attributes(), m)
			}
			assert.Equal(t, want, p.mayChangeTraces(td), "span events: %s", msg)

			td = ptrace.NewTraces()
			for _, m := range ms {
				put(td.ResourceSpans().AppendEmpty().Resource().Attributes(), m)
			}
			assert.Equal(t, want, p.mayChangeTraces(td), "resources: %s", msg)

			ld := plog.NewLogs()
			records := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			for _, m := range ms {
				put(records.AppendEmpty().Attributes(), m)
			}
			assert.Equal(t, want, p.mayChangeLogs(ld), "log records: %s", msg)

			md := pmetric.NewMetrics()
			metric := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
			metric.SetName("queue.length")
			points := metric.SetEmptyGauge().DataPoints()
			for _, m := range ms {
				put(points.AppendEmpty().Attributes(), m)
			}
			assert.Equal(t, want, p.mayChangeMetrics(md), "data points: %s", msg)
		}
	}
}

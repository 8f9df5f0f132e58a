//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/testdata"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"
)

const exportTimeout = 30 * time.Second

// TestExamplePipeline runs the built collector with examples/otelcol-genai.yaml,
// its exporters pointed at loopback sinks (metrics, logs) and a temporary
// file (traces). It sends a plain and a GenAI-shaped batch of each signal,
// one over OTLP/HTTP and one over OTLP/gRPC, and checks that exactly what
// the genai component produces in-process (same default config, same Rust
// core) comes out of the distribution: item counts and content.
func TestExamplePipeline(t *testing.T) {
	vm, vl := NewSink(t), NewSink(t)
	tracesFile := filepath.Join(t.TempDir(), "traces.jsonl")
	col := Start(t, Options{Env: map[string]string{
		EnvVictoriaMetrics: vm.URL + "/opentelemetry",
		EnvVictoriaLogs:    vl.URL + "/insert/opentelemetry",
		EnvTracesFile:      tracesFile,
		// The genai connector's metrics would come on top of the
		// processor's: it flushes at shutdown only, after the comparison.
		EnvConnectorFlushInterval: "1h",
	},
		// Each request its own batch, as the comparison and the batch
		// counts below take them (batch runs before genai in traces).
		Overlays: []string{"yaml:processors::batch::timeout: 0s"},
	})

	plainM, aiM := testdata.GenerateMetrics(4), genaiMetrics()
	plainT, aiT := testdata.GenerateTraces(4), genaiTraces()
	plainL, aiL := testdata.GenerateLogs(4), genaiLogs()
	want := inProcess(t, []pmetric.Metrics{plainM, aiM}, []ptrace.Traces{plainT, aiT}, []plog.Logs{plainL, aiL})

	// The component must change the GenAI batches, or the comparison below
	// would not show that the Rust core ran inside the binary.
	require.Error(t, pmetrictest.CompareMetrics(aiM, want.aiMetrics), "genai left the GenAI metrics unchanged")
	require.Error(t, ptracetest.CompareTraces(aiT, want.aiTraces), "genai left the GenAI spans unchanged")
	require.Error(t, plogtest.CompareLogs(aiL, want.aiLogs), "genai left the GenAI logs unchanged")

	SendMetricsHTTP(t, col.HTTPEndpoint, plainM)
	SendMetricsGRPC(t, col.GRPCEndpoint, aiM)
	SendTracesHTTP(t, col.HTTPEndpoint, aiT)
	SendTracesGRPC(t, col.GRPCEndpoint, plainT)
	SendLogsHTTP(t, col.HTTPEndpoint, aiL)
	SendLogsGRPC(t, col.GRPCEndpoint, plainL)

	wantPoints := want.metrics.DataPointCount()
	WaitFor(t, exportTimeout, "metrics at the VictoriaMetrics sink", func() bool { return vm.Metrics().DataPointCount() >= wantPoints })
	wantRecords := want.logs.LogRecordCount()
	WaitFor(t, exportTimeout, "logs at the VictoriaLogs sink", func() bool { return vl.Logs().LogRecordCount() >= wantRecords })
	wantSpans := want.traces.SpanCount()
	WaitFor(t, exportTimeout, "spans in the traces file", func() bool { return readTracesFile(t, tracesFile).SpanCount() >= wantSpans })

	gotM, gotL, gotT := vm.Metrics(), vl.Logs(), readTracesFile(t, tracesFile)
	require.Equal(t, wantPoints, gotM.DataPointCount())
	require.Equal(t, wantRecords, gotL.LogRecordCount())
	require.Equal(t, wantSpans, gotT.SpanCount())
	require.Empty(t, vm.Logs().ResourceLogs().Len()+vm.Traces().ResourceSpans().Len(), "only metrics go to VictoriaMetrics")
	require.Empty(t, vl.Metrics().ResourceMetrics().Len()+vl.Traces().ResourceSpans().Len(), "only logs go to VictoriaLogs")

	require.NoError(t, pmetrictest.CompareMetrics(want.metrics, gotM,
		pmetrictest.IgnoreResourceMetricsOrder(), pmetrictest.IgnoreMetricsOrder(), pmetrictest.IgnoreMetricDataPointsOrder()))
	require.NoError(t, ptracetest.CompareTraces(want.traces, gotT,
		ptracetest.IgnoreResourceSpansOrder(), ptracetest.IgnoreSpansOrder()))
	require.NoError(t, plogtest.CompareLogs(want.logs, gotL,
		plogtest.IgnoreResourceLogsOrder(), plogtest.IgnoreLogRecordsOrder()))

	// The component's self-telemetry reaches the collector's own metrics.
	tel := col.Telemetry(t)
	for _, sig := range []string{"traces", "metrics", "logs"} {
		require.Equal(t, "2", promValue(tel, "otelcol_processor_genai_batches", `signal="`+sig+`"`), "self-telemetry:\n%s", tel)
	}
	// The plain trace and log batches never reached the core.
	for _, sig := range []string{"traces", "logs"} {
		require.Equal(t, "1", promValue(tel, "otelcol_processor_genai_batches_skipped", `signal="`+sig+`"`), "self-telemetry:\n%s", tel)
	}
	require.NotContains(t, tel, "otelcol_processor_genai_errors", "no batch failed in the core")
}

// promValue finds the sample of metric whose labels contain label in a
// Prometheus text exposition, or "" (with or without the _total suffix).
func promValue(text, metric, label string) string {
	for _, line := range strings.Split(text, "\n") {
		name, rest, ok := strings.Cut(line, "{")
		if !ok || (name != metric && name != metric+"_total") || !strings.Contains(rest, label) {
			continue
		}
		if i := strings.LastIndex(rest, "} "); i >= 0 {
			return strings.TrimSpace(rest[i+2:])
		}
	}
	return ""
}

type expected struct {
	metrics, aiMetrics pmetric.Metrics
	traces, aiTraces   ptrace.Traces
	logs, aiLogs       plog.Logs
}

// inProcess runs the batches through the genai component with its default
// config, in this test process, and concatenates the outputs. The last batch
// of each signal's output is also returned on its own.
func inProcess(t *testing.T, ms []pmetric.Metrics, ts []ptrace.Traces, ls []plog.Logs) expected {
	t.Helper()
	ctx := context.Background()
	f := genaiprocessor.NewFactory()
	cfg := f.CreateDefaultConfig()
	set := processortest.NewNopSettings(f.Type())
	mSink, tSink, lSink := new(consumertest.MetricsSink), new(consumertest.TracesSink), new(consumertest.LogsSink)
	mp, err := f.CreateMetrics(ctx, set, cfg, mSink)
	require.NoError(t, err)
	tp, err := f.CreateTraces(ctx, set, cfg, tSink)
	require.NoError(t, err)
	lp, err := f.CreateLogs(ctx, set, cfg, lSink)
	require.NoError(t, err)
	host := componenttest.NewNopHost()
	require.NoError(t, mp.Start(ctx, host))
	require.NoError(t, tp.Start(ctx, host))
	require.NoError(t, lp.Start(ctx, host))
	// The processors edit their input in place (MutatesData): they get
	// copies, as a collector's fan-out gives them, so the caller's batches
	// can still be sent to the binary.
	for _, md := range ms {
		c := pmetric.NewMetrics()
		md.CopyTo(c)
		require.NoError(t, mp.ConsumeMetrics(ctx, c))
	}
	for _, td := range ts {
		c := ptrace.NewTraces()
		td.CopyTo(c)
		require.NoError(t, tp.ConsumeTraces(ctx, c))
	}
	for _, ld := range ls {
		c := plog.NewLogs()
		ld.CopyTo(c)
		require.NoError(t, lp.ConsumeLogs(ctx, c))
	}
	require.NoError(t, mp.Shutdown(ctx))
	require.NoError(t, tp.Shutdown(ctx))
	require.NoError(t, lp.Shutdown(ctx))

	var e expected
	e.metrics, e.traces, e.logs = pmetric.NewMetrics(), ptrace.NewTraces(), plog.NewLogs()
	// Copied, not moved: an unchanged batch is the caller's own object.
	for _, md := range mSink.AllMetrics() {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			md.ResourceMetrics().At(i).CopyTo(e.metrics.ResourceMetrics().AppendEmpty())
		}
	}
	for _, td := range tSink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			td.ResourceSpans().At(i).CopyTo(e.traces.ResourceSpans().AppendEmpty())
		}
	}
	for _, ld := range lSink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			ld.ResourceLogs().At(i).CopyTo(e.logs.ResourceLogs().AppendEmpty())
		}
	}
	e.aiMetrics = lastResource(e.metrics)
	e.aiTraces = lastResourceSpans(e.traces)
	e.aiLogs = lastResourceLogs(e.logs)
	return e
}

func lastResource(md pmetric.Metrics) pmetric.Metrics {
	out := pmetric.NewMetrics()
	rms := md.ResourceMetrics()
	rms.At(rms.Len() - 1).CopyTo(out.ResourceMetrics().AppendEmpty())
	return out
}

func lastResourceSpans(td ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	rss := td.ResourceSpans()
	rss.At(rss.Len() - 1).CopyTo(out.ResourceSpans().AppendEmpty())
	return out
}

func lastResourceLogs(ld plog.Logs) plog.Logs {
	out := plog.NewLogs()
	rls := ld.ResourceLogs()
	rls.At(rls.Len() - 1).CopyTo(out.ResourceLogs().AppendEmpty())
	return out
}

// readTracesFile decodes the file exporter's output: one OTLP/JSON
// ExportTraceServiceRequest per line. A line still being written is skipped.
func readTracesFile(t *testing.T, path string) ptrace.Traces {
	t.Helper()
	out := ptrace.NewTraces()
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(line))
		if err != nil {
			continue
		}
		td.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}

// GenAI-shaped batches: legacy attribute names and token counts (normalized,
// priced) and a token usage histogram (renamed, cost derived).
func genaiMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "e2e-chat")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("gen_ai.client.token.usage")
	m.SetUnit("{token}")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, typ := range []string{"input", "output"} {
		dp := h.DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000))
		dp.Attributes().PutStr("gen_ai.system", "openai")
		dp.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
		dp.Attributes().PutStr("gen_ai.token.type", typ)
		dp.SetCount(2)
		dp.SetSum(300)
		dp.ExplicitBounds().FromRaw([]float64{100, 1000})
		dp.BucketCounts().FromRaw([]uint64{0, 2, 0})
	}
	return md
}

func genaiTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "e2e-chat")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("chat gpt-4o")
	span.SetTraceID([16]byte{0xe2, 0xe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
	span.SetSpanID([8]byte{0xe2, 0xe, 1, 2, 3, 4, 5, 6})
	span.SetStartTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000))
	span.SetEndTimestamp(pcommon.Timestamp(1_700_000_001_000_000_000))
	a := span.Attributes()
	a.PutStr("gen_ai.system", "openai")
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutInt("gen_ai.usage.prompt_tokens", 1200)
	a.PutInt("gen_ai.usage.completion_tokens", 300)
	return td
}

func genaiLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "e2e-chat")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000))
	lr.SetEventName("gen_ai.client.inference.operation.details")
	lr.Body().SetStr("chat completion")
	a := lr.Attributes()
	a.PutStr("gen_ai.system", "openai")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutInt("gen_ai.usage.prompt_tokens", 1200)
	a.PutInt("gen_ai.usage.completion_tokens", 300)
	return ld
}

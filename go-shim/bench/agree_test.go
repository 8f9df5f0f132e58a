package bench

import (
	"context"
	"strconv"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"
)

// run sends one workload batch through stages and returns what came out.
func run(t *testing.T, w Workload, stages []Stage) any {
	t.Helper()
	ctx := context.Background()
	ts, ms, ls := new(consumertest.TracesSink), new(consumertest.MetricsSink), new(consumertest.LogsSink)
	next := map[Signal]any{Traces: ts, Metrics: ms, Logs: ls}[w.Signal]
	c, err := NewChain(ctx, w.Signal, stages, next)
	require.NoError(t, err)
	defer c.Shutdown(ctx)
	in, err := c.Decode(w.Bytes)
	require.NoError(t, err)
	require.NoError(t, c.Consume(ctx, in))
	switch w.Signal {
	case Traces:
		require.Len(t, ts.AllTraces(), 1)
		return ts.AllTraces()[0]
	case Metrics:
		require.Len(t, ms.AllMetrics(), 1)
		return ms.AllMetrics()[0]
	default:
		require.Len(t, ls.AllLogs(), 1)
		return ls.AllLogs()[0]
	}
}

// GenaiStages is the genai processor with the given core configuration.
// genaiStages is the genai processor with cfg, its zero_start points off:
// the pure-Go pipelines have no counterpart (it keeps state across
// batches, which OTTL cannot), so the comparisons leave it out and
// BenchmarkZeroStarts (go-shim/genaiprocessor) measures it alone.
func genaiStages(cfg map[string]any) []Stage {
	withOff := map[string]any{"zero_start": map[string]any{"enabled": false}}
	for k, v := range cfg {
		withOff[k] = v
	}
	return []Stage{{Factory: genaiprocessor.NewFactory(), Config: withOff}}
}

// roundCosts rounds every gen_ai.usage.cost to 12 significant digits and
// counts them: the core and OTTL sum the same two products, possibly in a
// different floating-point order.
func roundCosts(attrs pcommon.Map) int {
	v, ok := attrs.Get("gen_ai.usage.cost")
	if !ok || v.Type() != pcommon.ValueTypeDouble {
		return 0
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v.Double(), 'g', 12, 64), 64)
	v.SetDouble(r)
	return 1
}

func costsOfTraces(td ptrace.Traces) int {
	n := 0
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				n += roundCosts(s.Attributes())
			}
		}
	}
	return n
}

func costsOfLogs(ld plog.Logs) int {
	n := 0
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, l := range sl.LogRecords().All() {
				n += roundCosts(l.Attributes())
			}
		}
	}
	return n
}

// The pure-Go pipeline is the baseline of the 3x bar only if it does the
// same work: on workloads 1-3 its output must equal genai's. "Equal" is
// pdatatest's comparison of the whole batch (resources, scopes with schema
// URL, every span / log record / data point with every attribute key, type
// and value, metric names, units, types and values; attribute order is not
// compared), with gen_ai.usage.cost rounded to 12 significant digits on
// both sides.
func TestPureGoPipelineAgreesWithGenai(t *testing.T) {
	prices, err := LoadPrices()
	require.NoError(t, err)
	require.Len(t, prices, 50)
	for _, name := range Names[:3] {
		t.Run(name, func(t *testing.T) {
			w, err := Load(TestdataDir(), name, 100)
			require.NoError(t, err)
			require.Equal(t, 100, w.Items)
			want := run(t, w, genaiStages(nil))
			got := run(t, w, PureGoStages(w.Signal, PureGoOptions{Normalize: true, Cost: true, Naming: true}, prices))
			input, err := (&Chain{Signal: w.Signal}).Decode(w.Bytes)
			require.NoError(t, err)
			switch w.Signal {
			case Traces:
				wantCosts := costsOfTraces(want.(ptrace.Traces))
				require.Positive(t, wantCosts, "genai priced no span: the comparison would not cover cost")
				require.Equal(t, wantCosts, costsOfTraces(got.(ptrace.Traces)), "priced spans")
				require.Error(t, ptracetest.CompareTraces(input.(ptrace.Traces), want.(ptrace.Traces)), "genai changed nothing")
				require.NoError(t, ptracetest.CompareTraces(want.(ptrace.Traces), got.(ptrace.Traces)))
			case Logs:
				wantCosts := costsOfLogs(want.(plog.Logs))
				require.Positive(t, wantCosts, "genai priced no log record")
				require.Equal(t, wantCosts, costsOfLogs(got.(plog.Logs)), "priced log records")
				require.Error(t, plogtest.CompareLogs(input.(plog.Logs), want.(plog.Logs)), "genai changed nothing")
				require.NoError(t, plogtest.CompareLogs(want.(plog.Logs), got.(plog.Logs)))
			case Metrics:
				require.Error(t, pmetrictest.CompareMetrics(input.(pmetric.Metrics), want.(pmetric.Metrics)), "genai changed nothing")
				require.NoError(t, pmetrictest.CompareMetrics(want.(pmetric.Metrics), got.(pmetric.Metrics)))
			}
		})
	}
}

// Normalization alone (the gen_ai_normalizer comparison) must agree too.
func TestPureGoNormalizationAgreesWithGenai(t *testing.T) {
	for _, name := range []string{"genai_spans", "genai_logs"} {
		t.Run(name, func(t *testing.T) {
			w, err := Load(TestdataDir(), name, 100)
			require.NoError(t, err)
			want := run(t, w, genaiStages(NormalizeOnly))
			got := run(t, w, PureGoStages(w.Signal, PureGoOptions{Normalize: true}, nil))
			if w.Signal == Traces {
				require.Zero(t, costsOfTraces(want.(ptrace.Traces)))
				require.NoError(t, ptracetest.CompareTraces(want.(ptrace.Traces), got.(ptrace.Traces)))
			} else {
				require.Zero(t, costsOfLogs(want.(plog.Logs)))
				require.NoError(t, plogtest.CompareLogs(want.(plog.Logs), got.(plog.Logs)))
			}
		})
	}
}

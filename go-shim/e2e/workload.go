//go:build e2e

package e2e

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Shape is how an instrumentation shapes its GenAI metrics.
type Shape int

const (
	// ShapeOpenLIT is current OpenLIT: semconv histograms with
	// gen_ai.provider.name, plus its own gen_ai.usage.cost histogram (USD).
	ShapeOpenLIT Shape = iota
	// ShapeOfficial is the official OpenTelemetry instrumentation: semconv
	// histograms with the older gen_ai.system attribute and no cost, so the
	// processor derives the cost.
	ShapeOfficial
	// ShapeLegacyOpenLIT is OpenLIT before its semconv histograms: counters
	// gen_ai.total.requests and gen_ai.usage.{input,output,total}_tokens
	// with gen_ai.system, plus its gen_ai.usage.cost histogram.
	ShapeLegacyOpenLIT
)

// Group is a set of identical LLM calls (one attribute set), with totals.
type Group struct {
	Provider, Model, Operation string
	ErrorType                  string // non-empty: the calls failed
	Calls                      int
	InputTokens, OutputTokens  int     // totals over the calls
	Seconds                    float64 // total duration
	TTFTSeconds                float64 // total time to first token; 0: not streaming
	CostUSD                    float64 // the instrumentation's own cost (OpenLIT shapes)
}

// Source is one instrumented service.
type Source struct {
	Service, Environment, SDK string
	Shape                     Shape
	Groups                    []Group
	Logs                      int // GenAI log records the service emits
}

// Workload is the deterministic synthetic traffic of the dashboard test.
type Workload struct {
	Sources []Source
	// Start is the time of the first of the three cumulative snapshots
	// each series is sent as (Start, Start+Step, Start+2*Step).
	Start time.Time
	Step  time.Duration
}

// NewWorkload is the test's fixed workload, its first snapshot at start.
func NewWorkload(start time.Time) Workload {
	return Workload{
		Start: start.Truncate(time.Second),
		Step:  time.Minute,
		Sources: []Source{
			{Service: "chatbot", Environment: "production", SDK: "openlit", Shape: ShapeOpenLIT, Logs: 3, Groups: []Group{
				{Provider: "openai", Model: "gpt-4o", Operation: "chat", Calls: 40, InputTokens: 12000, OutputTokens: 6000, Seconds: 48, TTFTSeconds: 10, CostUSD: 0.09},
				{Provider: "openai", Model: "gpt-4o-mini", Operation: "chat", Calls: 60, InputTokens: 9000, OutputTokens: 3000, Seconds: 30, CostUSD: 0.00315},
				{Provider: "openai", Model: "gpt-4o", Operation: "chat", ErrorType: "timeout", Calls: 4, Seconds: 40},
			}},
			{Service: "summarizer", Environment: "staging", SDK: "openlit", Shape: ShapeOpenLIT, Logs: 2, Groups: []Group{
				{Provider: "anthropic", Model: "claude-3-5-sonnet-20241022", Operation: "chat", Calls: 20, InputTokens: 30000, OutputTokens: 4000, Seconds: 60, TTFTSeconds: 8, CostUSD: 0.15},
				{Provider: "openai", Model: "text-embedding-3-small", Operation: "embeddings", Calls: 50, InputTokens: 5000, Seconds: 5, CostUSD: 0.0001},
				{Provider: "anthropic", Model: "claude-3-5-sonnet-20241022", Operation: "chat", ErrorType: "rate_limit_exceeded", Calls: 2, Seconds: 1},
			}},
			{Service: "search", Environment: "production", SDK: "opentelemetry", Shape: ShapeOfficial, Logs: 2, Groups: []Group{
				{Provider: "openai", Model: "gpt-4o-mini", Operation: "chat", Calls: 30, InputTokens: 6000, OutputTokens: 1500, Seconds: 24},
				{Provider: "openai", Model: "gpt-4o-mini", Operation: "chat", ErrorType: "APIConnectionError", Calls: 3, Seconds: 3},
			}},
			{Service: "legacy-bot", Environment: "staging", SDK: "openlit", Shape: ShapeLegacyOpenLIT, Logs: 1, Groups: []Group{
				{Provider: "cohere", Model: "command-r", Operation: "chat", Calls: 10, InputTokens: 2000, OutputTokens: 500, Seconds: 0, CostUSD: 0.00105},
			}},
		},
	}
}

// snapshotTime is the time of snapshot k (0, 1, 2).
func (w Workload) snapshotTime(k int) pcommon.Timestamp {
	return pcommon.NewTimestampFromTime(w.Start.Add(time.Duration(k) * w.Step))
}

// End is the time of the last snapshot.
func (w Workload) End() time.Time { return w.Start.Add(2 * w.Step) }

// part is snapshot k's share of a cumulative total: 0, half, all.
func part(total int, k int) uint64 { return uint64(total * k / 2) }
func partf(total float64, k int) float64 {
	if k == 2 {
		return total
	}
	return total * float64(k) / 2
}

var (
	durationBounds = []float64{0.5, 1, 2, 5, 10}
	tokenBounds    = []float64{64, 256, 1024, 4096, 16384}
	ttftBounds     = []float64{0.1, 0.25, 0.5, 1, 2.5}
	costBounds     = []float64{0.0001, 0.001, 0.01, 0.1}
)

// bucketsFor puts n observations of mean value mean into the bucket of bounds it falls in.
func bucketsFor(bounds []float64, mean float64, n uint64) []uint64 {
	counts := make([]uint64, len(bounds)+1)
	i := 0
	for i < len(bounds) && mean > bounds[i] {
		i++
	}
	counts[i] = n
	return counts
}

func mean(total float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return total / float64(n)
}

// Metrics is snapshot k (0, 1, 2) of every source, as one request per source.
func (w Workload) Metrics(k int) []pmetric.Metrics {
	var out []pmetric.Metrics
	for _, s := range w.Sources {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		s.resource(rm.Resource().Attributes())
		sm := rm.ScopeMetrics().AppendEmpty()
		switch s.Shape {
		case ShapeOpenLIT:
			sm.Scope().SetName("openlit.otel.metrics")
			sm.Scope().SetVersion("1.38.0")
		case ShapeOfficial:
			sm.Scope().SetName("opentelemetry.instrumentation.openai_v2")
			sm.Scope().SetVersion("2.1b0")
		case ShapeLegacyOpenLIT:
			sm.Scope().SetName("openlit.otel.metrics")
			sm.Scope().SetVersion("0.1.0")
		}
		w.sourceMetrics(s, k, sm.Metrics())
		out = append(out, md)
	}
	return out
}

func (s Source) resource(attrs pcommon.Map) {
	attrs.PutStr("service.name", s.Service)
	attrs.PutStr("deployment.environment", s.Environment)
	attrs.PutStr("telemetry.sdk.name", s.SDK)
	attrs.PutStr("telemetry.sdk.language", "python")
}

// callAttrs are a group's data point attributes as the source spells them.
func (s Source) callAttrs(g Group, attrs pcommon.Map) {
	if s.Shape == ShapeOpenLIT {
		attrs.PutStr("gen_ai.provider.name", g.Provider)
	} else {
		attrs.PutStr("gen_ai.system", g.Provider)
	}
	attrs.PutStr("gen_ai.operation.name", g.Operation)
	attrs.PutStr("gen_ai.request.model", g.Model)
	attrs.PutStr("server.address", "api.example.com")
	attrs.PutInt("server.port", 443)
	if g.ErrorType != "" {
		attrs.PutStr("error.type", g.ErrorType)
	}
}

func newHistogram(ms pmetric.MetricSlice, name, unit string) pmetric.HistogramDataPointSlice {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	return h.DataPoints()
}

func newCounter(ms pmetric.MetricSlice, name string) pmetric.NumberDataPointSlice {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetUnit("1")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	return sum.DataPoints()
}

func (w Workload) histPoint(dps pmetric.HistogramDataPointSlice, k int, bounds []float64, n int, total float64) pmetric.HistogramDataPoint {
	dp := dps.AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(w.Start.Add(-time.Second)))
	dp.SetTimestamp(w.snapshotTime(k))
	cnt := part(n, k)
	dp.SetCount(cnt)
	dp.SetSum(partf(total, k))
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(bucketsFor(bounds, mean(total, n), cnt))
	return dp
}

func (w Workload) sourceMetrics(s Source, k int, ms pmetric.MetricSlice) {
	if s.Shape == ShapeLegacyOpenLIT {
		w.legacyMetrics(s, k, ms)
		return
	}
	dur := newHistogram(ms, "gen_ai.client.operation.duration", "s")
	tok := newHistogram(ms, "gen_ai.client.token.usage", "{token}")
	var ttft, cost pmetric.HistogramDataPointSlice
	if s.Shape == ShapeOpenLIT {
		ttft = newHistogram(ms, "gen_ai.server.time_to_first_token", "s")
		cost = newHistogram(ms, "gen_ai.usage.cost", "USD")
	}
	for _, g := range s.Groups {
		s.callAttrs(g, w.histPoint(dur, k, durationBounds, g.Calls, g.Seconds).Attributes())
		if g.ErrorType != "" {
			continue
		}
		for _, tt := range []struct {
			kind   string
			tokens int
		}{{"input", g.InputTokens}, {"output", g.OutputTokens}} {
			if tt.tokens == 0 {
				continue
			}
			a := w.histPoint(tok, k, tokenBounds, g.Calls, float64(tt.tokens)).Attributes()
			s.callAttrs(g, a)
			a.PutStr("gen_ai.token.type", tt.kind)
		}
		if s.Shape != ShapeOpenLIT {
			continue
		}
		if g.TTFTSeconds > 0 {
			s.callAttrs(g, w.histPoint(ttft, k, ttftBounds, g.Calls, g.TTFTSeconds).Attributes())
		}
		s.callAttrs(g, w.histPoint(cost, k, costBounds, g.Calls, g.CostUSD).Attributes())
	}
}

func (w Workload) counterPoint(dps pmetric.NumberDataPointSlice, k int, total int) pmetric.NumberDataPoint {
	dp := dps.AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(w.Start.Add(-time.Second)))
	dp.SetTimestamp(w.snapshotTime(k))
	dp.SetIntValue(int64(part(total, k)))
	return dp
}

func (w Workload) legacyMetrics(s Source, k int, ms pmetric.MetricSlice) {
	req := newCounter(ms, "gen_ai.total.requests")
	in := newCounter(ms, "gen_ai.usage.input_tokens")
	out := newCounter(ms, "gen_ai.usage.output_tokens")
	total := newCounter(ms, "gen_ai.usage.total_tokens")
	cost := newHistogram(ms, "gen_ai.usage.cost", "USD")
	for _, g := range s.Groups {
		s.callAttrs(g, w.counterPoint(req, k, g.Calls).Attributes())
		s.callAttrs(g, w.counterPoint(in, k, g.InputTokens).Attributes())
		s.callAttrs(g, w.counterPoint(out, k, g.OutputTokens).Attributes())
		s.callAttrs(g, w.counterPoint(total, k, g.InputTokens+g.OutputTokens).Attributes())
		s.callAttrs(g, w.histPoint(cost, k, costBounds, g.Calls, g.CostUSD).Attributes())
	}
}

// Logs are the sources' GenAI log records (one request).
func (w Workload) Logs() plog.Logs {
	ld := plog.NewLogs()
	for _, s := range w.Sources {
		rl := ld.ResourceLogs().AppendEmpty()
		s.resource(rl.Resource().Attributes())
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("openlit")
		for i := 0; i < s.Logs; i++ {
			g := s.Groups[i%len(s.Groups)]
			lr := sl.LogRecords().AppendEmpty()
			lr.SetTimestamp(w.snapshotTime(2))
			lr.SetObservedTimestamp(w.snapshotTime(2))
			lr.SetSeverityNumber(plog.SeverityNumberInfo)
			lr.SetEventName("gen_ai.client.inference.operation.details")
			lr.Body().SetStr(fmt.Sprintf("%s call %d of %s to %s", g.Operation, i, s.Service, g.Model))
			s.callAttrs(g, lr.Attributes())
		}
	}
	return ld
}

// Traces are one LLM-call span per group.
func (w Workload) Traces() ptrace.Traces {
	td := ptrace.NewTraces()
	n := byte(0)
	for _, s := range w.Sources {
		rs := td.ResourceSpans().AppendEmpty()
		s.resource(rs.Resource().Attributes())
		ss := rs.ScopeSpans().AppendEmpty()
		// The instrumentation's tracer, as the real libraries name it:
		// each source sends GenAI metrics of its own, so the genai
		// connector (derive: auto) leaves its spans' calls to them.
		switch s.Shape {
		case ShapeOpenLIT, ShapeLegacyOpenLIT:
			ss.Scope().SetName("openlit.otel.tracing")
		case ShapeOfficial:
			ss.Scope().SetName("opentelemetry.instrumentation.openai_v2")
			ss.Scope().SetVersion("2.1b0")
		}
		for _, g := range s.Groups {
			n++
			sp := ss.Spans().AppendEmpty()
			sp.SetTraceID(pcommon.TraceID{1, n})
			sp.SetSpanID(pcommon.SpanID{2, n})
			sp.SetName(g.Operation + " " + g.Model)
			sp.SetKind(ptrace.SpanKindClient)
			sp.SetStartTimestamp(w.snapshotTime(1))
			sp.SetEndTimestamp(w.snapshotTime(2))
			s.callAttrs(g, sp.Attributes())
			sp.Attributes().PutInt("gen_ai.usage.input_tokens", int64(g.InputTokens))
			sp.Attributes().PutInt("gen_ai.usage.output_tokens", int64(g.OutputTokens))
		}
	}
	return td
}

// SpanCount is the number of spans Traces makes.
func (w Workload) SpanCount() int {
	n := 0
	for _, s := range w.Sources {
		n += len(s.Groups)
	}
	return n
}

// Totals are what the dashboard's stat and table panels must show.
type Totals struct {
	Requests      float64
	Tokens        float64
	ByModel       map[string]float64 // requests
	ByProvider    map[string]float64 // requests
	ByEnvironment map[string]float64 // requests
	ByOperation   map[string]float64 // requests
	Logs          int
}

// Expect sums the workload over the sources include selects.
func (w Workload) Expect(include func(Source) bool) Totals {
	t := Totals{
		ByModel: map[string]float64{}, ByProvider: map[string]float64{},
		ByEnvironment: map[string]float64{}, ByOperation: map[string]float64{},
	}
	for _, s := range w.Sources {
		if !include(s) {
			continue
		}
		t.Logs += s.Logs
		for _, g := range s.Groups {
			c := float64(g.Calls)
			t.Requests += c
			t.ByModel[g.Model] += c
			t.ByProvider[g.Provider] += c
			t.ByEnvironment[s.Environment] += c
			t.ByOperation[g.Operation] += c
			t.Tokens += float64(g.InputTokens + g.OutputTokens)
		}
	}
	return t
}

//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// LiteLLM with LITELLM_OTEL_INTEGRATION_ENABLE_METRICS=true puts the
// per-request hidden_params JSON (and metadata.*) on every metric point,
// so its SDK keeps one cumulative stream per request and exports them all,
// every time (tests/fixtures/captured/litellm-1.110.2-metrics). These are
// that shape: scope litellm.integrations.opentelemetry, the SDK's default
// buckets, the point attributes in LiteLLM's order.
const (
	cardCalls   = 10_000
	cardExports = 3
	cardScope   = "litellm.integrations.opentelemetry"
	// cardAttrsDropped: hidden_params and metadata.applied_guardrails, per
	// point (naming.drop_point_attributes' defaults).
	cardAttrsDropped = 2
)

// cardBounds are the OpenTelemetry SDK's default histogram bounds, which
// LiteLLM's histograms have.
var cardBounds = []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}

// cardCombo is one (service, model, provider, operation, error type)
// combination; calls cycle through them. A failed call has a duration
// point with error.type and no token or cost point.
type cardCombo struct {
	service, model, system, operation, errorType string
}

var cardCombos = []cardCombo{
	{"e2e-litellm-card-a", "gpt-4o-mini", "openai", "chat", ""},
	{"e2e-litellm-card-a", "gpt-4o", "openai", "chat", ""},
	{"e2e-litellm-card-a", "gpt-4o", "openai", "chat", "RateLimitError"},
	{"e2e-litellm-card-a", "text-embedding-3-small", "openai", "embeddings", ""},
	{"e2e-litellm-card-b", "claude-3-5-haiku-20241022", "anthropic", "chat", ""},
	{"e2e-litellm-card-b", "gpt-4o-mini", "openai", "chat", ""},
}

// cardCall is what LiteLLM records of call i.
type cardCall struct {
	combo          cardCombo
	input, output  float64
	cost, duration float64
	start          pcommon.Timestamp
	hiddenParams   string
}

func cardCallAt(i int, t0 time.Time) cardCall {
	c := cardCall{combo: cardCombos[i%len(cardCombos)]}
	c.input = float64(10 + i%97)
	if c.combo.operation == "chat" {
		c.output = float64(5 + i%31)
	}
	c.cost = c.input*1.5e-7 + c.output*6e-7
	c.duration = 0.1 + float64(i%50)/100
	c.start = pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * time.Millisecond))
	c.hiddenParams = fmt.Sprintf(`{"model_id": null, "cache_key": null, "api_base": "https://api.example.com/v1", "response_cost": %v, `+
		`"additional_headers": {"llm_provider-x-request-id": "req_%08d", "llm_provider-date": "%s"}, "litellm_overhead_time_ms": %d, `+
		`"batch_models": null, "litellm_model_name": "%s/%s", "usage_object": null}`,
		c.cost, i, t0.Add(time.Duration(i)*time.Millisecond).UTC().Format(time.RFC1123), i%7, c.combo.system, c.combo.model)
	return c
}

// cardExport is LiteLLM's SDK export at time at: every stream of the calls
// made so far (calls[:n]), one point per call and metric, all with the
// export's time.
func cardExport(calls []cardCall, at pcommon.Timestamp) (pmetric.Metrics, int) {
	md := pmetric.NewMetrics()
	points := 0
	for _, service := range []string{"e2e-litellm-card-a", "e2e-litellm-card-b"} {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("telemetry.sdk.language", "python")
		rm.Resource().Attributes().PutStr("telemetry.sdk.name", "opentelemetry")
		rm.Resource().Attributes().PutStr("service.name", service)
		rm.Resource().Attributes().PutStr("deployment.environment", "card")
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(cardScope)
		hist := func(name, unit string) pmetric.HistogramDataPointSlice {
			m := sm.Metrics().AppendEmpty()
			m.SetName(name)
			m.SetUnit(unit)
			h := m.SetEmptyHistogram()
			h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			return h.DataPoints()
		}
		duration := hist("gen_ai.client.operation.duration", "s")
		tokens := hist("gen_ai.client.token.usage", "{token}")
		cost := hist("gen_ai.usage.cost", "USD")
		for _, c := range calls {
			if c.combo.service != service {
				continue
			}
			add := func(ps pmetric.HistogramDataPointSlice, v float64, tokenType string) {
				p := ps.AppendEmpty()
				a := p.Attributes()
				a.PutStr("gen_ai.operation.name", c.combo.operation)
				a.PutStr("gen_ai.system", c.combo.system)
				a.PutStr("gen_ai.request.model", c.combo.model)
				a.PutStr("gen_ai.framework", "litellm")
				a.PutStr("metadata.applied_guardrails", "[]")
				a.PutStr("hidden_params", c.hiddenParams)
				if c.combo.errorType != "" {
					a.PutStr("error.type", c.combo.errorType)
				}
				if tokenType != "" {
					a.PutStr("gen_ai.token.type", tokenType)
				}
				p.SetStartTimestamp(c.start)
				p.SetTimestamp(at)
				p.SetCount(1)
				p.SetSum(v)
				p.SetMin(v)
				p.SetMax(v)
				p.ExplicitBounds().FromRaw(cardBounds)
				buckets := make([]uint64, len(cardBounds)+1)
				k := 0
				for k < len(cardBounds) && v > cardBounds[k] {
					k++
				}
				buckets[k] = 1
				p.BucketCounts().FromRaw(buckets)
				points++
			}
			add(duration, c.duration, "")
			if c.combo.errorType != "" {
				continue // LiteLLM records no usage of a failed call
			}
			add(tokens, c.input, "input")
			if c.combo.operation == "chat" {
				add(tokens, c.output, "output")
			}
			add(cost, c.cost, "")
		}
	}
	return md, points
}

// TestLiteLLMMetricsCardinality sends 10,000 LiteLLM calls' metrics, as
// its SDK exports them (one stream per call and metric, each with its own
// hidden_params; every stream in every export; three exports), through
// the collector into VictoriaMetrics: the processor's cardinality guard
// drops the per-request attributes and adds up the streams left in one
// series, so VictoriaMetrics holds one series per (service, model,
// provider, operation, token type, error type) combination and metric,
// not per request, with the calls, tokens and cost that were sent.
func TestLiteLLMMetricsCardinality(t *testing.T) {
	bin := VictoriaBinDir(t)
	vm := StartServer(t, filepath.Join(bin, "victoria-metrics"), "-search.disableCache", "-search.latencyOffset=0s")
	// One export holds 10,000 calls' streams (34 MB of OTLP): past the
	// receiver's 20 MiB request limit and the processor's 32 MiB in flight.
	col := Start(t, Options{
		Env: map[string]string{
			EnvVictoriaMetrics: vm.URL + "/opentelemetry",
			EnvTracesFile:      filepath.Join(t.TempDir(), "traces.jsonl"),
		},
		Overlays: []string{"yaml:receivers::otlp::protocols::http::max_request_body_size: 268435456",
			"yaml:processors::genai::max_inflight_bytes: 268435456"},
	})

	now := time.Now().Truncate(time.Second)
	t0 := now.Add(-2 * time.Minute)
	calls := make([]cardCall, cardCalls)
	for i := range calls {
		calls[i] = cardCallAt(i, t0)
	}
	sentPoints := 0
	for e := 1; e <= cardExports; e++ {
		// The calls made by the e-th export: all streams so far.
		made := calls[:cardCalls*e/cardExports]
		at := pcommon.NewTimestampFromTime(t0.Add(time.Duration(cardCalls)*time.Millisecond + time.Duration(e)*5*time.Second))
		md, points := cardExport(made, at)
		sentPoints += points
		start := time.Now()
		SendMetricsHTTP(t, col.HTTPEndpoint, md)
		t.Logf("export %d: %d calls, %d points, in %.2fs", e, len(made), points, time.Since(start).Seconds())
	}
	dropped, found := telemetryCounter(col.Telemetry(t), "otelcol_processor_genai_point_attributes_dropped")
	col.Stop(t)

	// What was sent, per combination and in total.
	type key struct{ metric, service, model, provider, operation, tokenType, errorType string }
	want := map[key]float64{} // _count per series
	var sentCalls, inTokens, outTokens, cost float64
	for _, c := range calls {
		k := key{service: c.combo.service, model: c.combo.model, provider: c.combo.system, operation: c.combo.operation, errorType: c.combo.errorType}
		d := k
		d.metric = "gen_ai_client_operation_duration_seconds_count"
		want[d]++
		sentCalls++
		if c.combo.errorType != "" {
			continue
		}
		in := k
		in.metric, in.tokenType = "gen_ai_client_token_usage_count", "input"
		want[in]++
		inTokens += c.input
		if c.combo.operation == "chat" {
			out := k
			out.metric, out.tokenType = "gen_ai_client_token_usage_count", "output"
			want[out]++
			outTokens += c.output
		}
		cs := k
		cs.metric = "gen_ai_usage_cost_USD_count"
		want[cs]++
		cost += c.cost
	}
	sel := `service_name=~"e2e-litellm-card-.+"`
	countsExpr := fmt.Sprintf(`last_over_time({__name__=~"gen_ai_.+_count", %s}[10m])`, sel)
	var got []Sample
	WaitFor(t, 60*time.Second, "VictoriaMetrics to serve every call", func() bool {
		var err error
		got, err = Query(t, vm, fmt.Sprintf(`sum(last_over_time(gen_ai_client_operation_duration_seconds_count{%s}[10m]))`, sel), now)
		return err == nil && len(got) == 1 && got[0].Value == sentCalls
	})
	at := time.Now()

	// One series per combination and metric: the same label sets as sent
	// (but hidden_params and metadata.*), with every call counted.
	got, err := Query(t, vm, countsExpr, at)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[key]float64{}
	for _, s := range got {
		l := s.Labels
		k := key{l["__name__"], l["service_name"], l["gen_ai_request_model"], l["gen_ai_provider_name"], l["gen_ai_operation_name"], l["gen_ai_token_type"], l["error_type"]}
		if _, dup := seen[k]; dup {
			t.Errorf("two series for %+v: %v", k, l)
		}
		seen[k] = s.Value
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("series and their counts:\n got  %v\n want %v", seen, want)
	}
	t.Logf("%d calls (%d combinations): %d series of counts in VictoriaMetrics, want %d", cardCalls, len(cardCombos), len(got), len(want))

	// Every series, buckets included: per histogram series its _sum,
	// _count and one _bucket per bound and +Inf, nothing per request.
	all, err := Query(t, vm, fmt.Sprintf(`count(last_over_time({%s}[10m]))`, sel), at)
	if err != nil {
		t.Fatal(err)
	}
	wantAll := float64(len(want) * (len(cardBounds) + 1 + 2))
	if len(all) != 1 || all[0].Value != wantAll {
		t.Errorf("series in VictoriaMetrics: %v, want %v (%d histogram series x (%d buckets + _sum + _count))", all, wantAll, len(want), len(cardBounds)+1)
	}
	names, err := LabelNames(vm, fmt.Sprintf(`{%s}`, sel))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n == "hidden_params" || strings.HasPrefix(n, "metadata") {
			t.Errorf("label %s reached VictoriaMetrics: %v", n, names)
		}
	}
	t.Logf("%v series in all; labels %v", all, names)

	// The totals are what was sent.
	totals := map[string]float64{
		fmt.Sprintf(`sum(last_over_time(gen_ai_client_token_usage_sum{gen_ai_token_type="input", %s}[10m]))`, sel):  inTokens,
		fmt.Sprintf(`sum(last_over_time(gen_ai_client_token_usage_sum{gen_ai_token_type="output", %s}[10m]))`, sel): outTokens,
		fmt.Sprintf(`sum(last_over_time(gen_ai_usage_cost_USD_sum{%s}[10m]))`, sel):                                 cost,
		fmt.Sprintf(`sum(last_over_time(gen_ai_client_operation_duration_seconds_count{%s}[10m]))`, sel):            sentCalls,
	}
	for expr, v := range totals {
		got, err := Query(t, vm, expr, at)
		if err != nil || len(got) != 1 || !near(got[0].Value, v) {
			t.Errorf("%s = %v (%v), want %v", expr, got, err, v)
		} else {
			t.Logf("%s = %.9g", expr, got[0].Value)
		}
	}

	// The processor counts what its guard removed: two attributes a point.
	if !found {
		t.Logf("the collector reports no otelcol_processor_genai_point_attributes_dropped: not checked")
		return
	}
	if wantDropped := float64(sentPoints * cardAttrsDropped); dropped != wantDropped {
		t.Errorf("otelcol_processor_genai_point_attributes_dropped = %v, want %v (%d points x %d)", dropped, wantDropped, sentPoints, cardAttrsDropped)
	} else {
		t.Logf("otelcol_processor_genai_point_attributes_dropped = %v", dropped)
	}
}

// telemetryCounter sums every sample of a counter in the collector's own
// Prometheus metrics (name, or name_total); found is false when there is
// none.
func telemetryCounter(text, name string) (sum float64, found bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, name) {
			continue
		}
		metric, value, ok := strings.Cut(line, " ")
		if rest := strings.TrimPrefix(strings.TrimPrefix(metric, name), "_total"); !ok || (rest != "" && rest[0] != '{') {
			continue
		}
		if v, err := strconv.ParseFloat(strings.Fields(value)[0], 64); err == nil && !math.IsNaN(v) {
			sum += v
			found = true
		}
	}
	return sum, found
}

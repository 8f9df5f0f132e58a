//go:build e2e

package e2e

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The dashboard's time variables for the test window: the workload's three
// snapshots lie 2.5, 1.5 and 0.5 minutes before the evaluation time.
var testWindow = Window{Range: "10m", Interval: "1m", RateInterval: "5m"}

// TestDashboardOnVictoriaMetrics sends the synthetic workload through the
// collector into real VictoriaMetrics and VictoriaLogs and checks every
// query of the seed dashboard and of the project's own dashboard, once with
// VictoriaMetrics' default flags and once with
// -opentelemetry.usePrometheusNaming (plus the processor's dashboard
// compatibility option, so that the seed's telemetry_sdk_name="openlit"
// filter sees every instrumentation). The pipelines are the example's:
// the genai connector reads the spans too, and leaves every call to the
// metrics its source sends.
func TestDashboardOnVictoriaMetrics(t *testing.T) {
	bin := VictoriaBinDir(t)
	for _, mode := range []struct {
		name    string
		vmFlags []string
		compat  bool
	}{
		{name: "default_flags"},
		{name: "prometheus_naming", vmFlags: []string{"-opentelemetry.usePrometheusNaming"}, compat: true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			runDashboard(t, bin, mode.vmFlags, mode.compat)
		})
	}
}

func collectorConfig(t *testing.T, vm, vl *Server, sink *Sink, compat bool) string {
	naming := "{}"
	if compat {
		naming = "\n      compat_sdk_name: openlit"
	}
	cfg := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:OTLP_GRPC_ENDPOINT}
      http:
        endpoint: ${env:OTLP_HTTP_ENDPOINT}
processors:
  genai:
    error_mode: propagate
    naming: %s
  batch:
connectors:
  genai:
    flush_interval: 1s
exporters:
  otlphttp/victoriametrics:
    endpoint: %s/opentelemetry
  otlphttp/victorialogs:
    endpoint: %s/insert/opentelemetry
  otlphttp/sink:
    endpoint: %s
    compression: none
extensions:
  health_check:
    endpoint: ${env:HEALTH_CHECK_ENDPOINT}
service:
  extensions: [health_check]
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${env:OTELCOL_METRICS_PORT}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch, genai]
      exporters: [otlphttp/sink, genai]
    metrics:
      receivers: [otlp, genai]
      processors: [genai, batch]
      exporters: [otlphttp/victoriametrics, otlphttp/sink]
    logs:
      receivers: [otlp]
      processors: [genai, batch]
      exporters: [otlphttp/victorialogs, otlphttp/sink]
`, naming, vm.URL, vl.URL, sink.URL)
	path := filepath.Join(t.TempDir(), "otelcol-genai.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runDashboard(t *testing.T, bin string, vmFlags []string, compat bool) {
	vm := StartServer(t, filepath.Join(bin, "victoria-metrics"), append([]string{"-search.disableCache", "-retentionPeriod=30d"}, vmFlags...)...)
	vl := StartServer(t, filepath.Join(bin, "victoria-logs"))
	sink := NewSink(t)
	col := Start(t, Options{Config: collectorConfig(t, vm, vl, sink, compat)})

	w := NewWorkload(time.Now().Add(-3*time.Minute - 30*time.Second))
	at := w.End().Add(30 * time.Second)
	for k := 0; k < 3; k++ {
		for i, md := range w.Metrics(k) {
			if i%2 == 0 {
				SendMetricsHTTP(t, col.HTTPEndpoint, md)
			} else {
				SendMetricsGRPC(t, col.GRPCEndpoint, md)
			}
		}
	}
	SendLogsHTTP(t, col.HTTPEndpoint, w.Logs())
	SendTracesGRPC(t, col.GRPCEndpoint, w.Traces())

	// Everything the collector exports also reaches the sink: wait for the
	// last snapshot there, then for VictoriaMetrics to serve it.
	final := pcommon.NewTimestampFromTime(w.End())
	WaitFor(t, 60*time.Second, "the last snapshot at the sink", func() bool {
		return countPointsAt(sink.Metrics(), final) >= w.SpanCount()
	})
	WaitFor(t, 60*time.Second, "the spans at the sink", func() bool {
		return sink.Traces().SpanCount() == w.SpanCount()
	})
	all := func(Source) bool { return true }
	everything := w.Expect(all)
	WaitFor(t, 60*time.Second, "VictoriaMetrics to serve every request", func() bool {
		s, err := Query(t, vm, `sum(last_over_time(gen_ai_client_operation_duration_seconds_count[10m]))`, at)
		return err == nil && len(s) == 1 && s[0].Value == everything.Requests
	})

	checkMetricNames(t, vm)
	checkConnectorSkipped(t, col, w.SpanCount())
	cost := sinkCosts(t, sink.Metrics(), final)
	checkOpenLITCosts(t, w, cost)

	// The seed filters telemetry_sdk_name="openlit": without the compat
	// option that is the OpenLIT-shaped sources only.
	seedSources := all
	if !compat {
		seedSources = func(s Source) bool { return s.SDK == "openlit" }
	}
	dashboards := []struct {
		name    string
		doc     []byte
		include func(Source) bool
	}{
		{"own", readRepoFile(t, OwnDashboardPath), all},
	}
	if seed := seedDashboard(t); seed != nil {
		dashboards = append(dashboards, struct {
			name    string
			doc     []byte
			include func(Source) bool
		}{"seed", seed, seedSources})
	} else {
		t.Logf("seed dashboard %s absent: checking the own dashboard only", SeedDashboardPath)
	}
	for _, d := range dashboards {
		t.Run(d.name, func(t *testing.T) {
			queries, err := ParseQueries(d.doc)
			if err != nil {
				t.Fatal(err)
			}
			want := w.Expect(d.include)
			sdkOK := func(sdk string) bool { return d.include(Source{SDK: sdk}) || compat || d.name == "own" }
			c := cost.filter(sdkOK)
			for _, q := range queries {
				if q.Logs {
					checkLogs(t, vl, w, q, everything) // the logs panel has no SDK filter
					continue
				}
				checkMetricQuery(t, vm, q, at, want, c)
			}
		})
	}
}

// checkConnectorSkipped: the genai connector left every span's call to
// the metrics of its source and derived none, each span's source sending GenAI metrics of its own
// (derive: auto), so the dashboard's numbers are the sources' alone.
func checkConnectorSkipped(t *testing.T, col *Collector, spans int) {
	tel := col.Telemetry(t)
	defer func() {
		if t.Failed() {
			for _, l := range strings.Split(tel, "\n") {
				if strings.HasPrefix(l, "otelcol_connector_genai") {
					t.Log(l)
				}
			}
		}
	}()
	want := fmt.Sprint(spans)
	if got := promValue(tel, "otelcol_connector_genai_spans_skipped", `reason="source_metrics"`); got != want {
		t.Errorf("connector skipped %q spans as source_metrics, want %s", got, want)
	}
	if got := promValue(tel, "otelcol_connector_genai_calls", ""); got != "" && got != "0" {
		t.Errorf("connector counted %s calls, want none", got)
	}
}

// countPointsAt counts operation-duration points at ts: one per workload
// group once the snapshot arrived.
func countPointsAt(md pmetric.Metrics, ts pcommon.Timestamp) int {
	n := 0
	forEachHistogramPoint(md, func(_ pcommon.Map, name string, dp pmetric.HistogramDataPoint) {
		if name == "gen_ai_client_operation_duration_seconds" && dp.Timestamp() == ts {
			n++
		}
	})
	return n
}

func forEachHistogramPoint(md pmetric.Metrics, f func(res pcommon.Map, name string, dp pmetric.HistogramDataPoint)) {
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		for j := 0; j < rm.ScopeMetrics().Len(); j++ {
			ms := rm.ScopeMetrics().At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if m.Type() != pmetric.MetricTypeHistogram {
					continue
				}
				dps := m.Histogram().DataPoints()
				for l := 0; l < dps.Len(); l++ {
					f(rm.Resource().Attributes(), m.Name(), dps.At(l))
				}
			}
		}
	}
}

// costSeries is one cost series' final point as the collector exported it.
type costSeries struct {
	sdk, service, provider, model, operation string
	sum                                      float64
	count                                    uint64
}

type costs []costSeries

// sinkCosts reads the final cost of every gen_ai_usage_cost_USD series the
// collector exported (its own OpenLIT costs and the ones it derived).
func sinkCosts(t *testing.T, md pmetric.Metrics, final pcommon.Timestamp) costs {
	var out costs
	forEachHistogramPoint(md, func(res pcommon.Map, name string, dp pmetric.HistogramDataPoint) {
		if name != "gen_ai_usage_cost_USD" || dp.Timestamp() != final {
			return
		}
		get := func(k string) string {
			if v, ok := dp.Attributes().Get(k); ok {
				return v.AsString()
			}
			return ""
		}
		out = append(out, costSeries{
			sdk: get("telemetry_sdk_original_name"), service: get("service_name"),
			provider: get("gen_ai_provider_name"), model: get("gen_ai_request_model"),
			operation: get("gen_ai_operation_name"), sum: dp.Sum(), count: dp.Count(),
		})
		if out[len(out)-1].sdk == "" {
			out[len(out)-1].sdk = get("telemetry_sdk_name")
		}
	})
	if len(out) == 0 {
		t.Fatal("the collector exported no gen_ai_usage_cost_USD points")
	}
	return out
}

func (c costs) filter(keep func(sdk string) bool) costs {
	var out costs
	for _, s := range c {
		if keep(s.sdk) {
			out = append(out, s)
		}
	}
	return out
}

func (c costs) total() (sum float64, count float64) {
	for _, s := range c {
		sum += s.sum
		count += float64(s.count)
	}
	return
}

func (c costs) by(key func(costSeries) string) map[string]float64 {
	m := map[string]float64{}
	for _, s := range c {
		m[key(s)] += s.sum
	}
	return m
}

// checkOpenLITCosts: an instrumentation's own cost passes unchanged, once;
// a source without cost gets a derived, positive one.
func checkOpenLITCosts(t *testing.T, w Workload, c costs) {
	for _, s := range w.Sources {
		for _, g := range s.Groups {
			if g.ErrorType != "" {
				continue
			}
			var found []costSeries
			for _, cs := range c {
				if cs.service == s.Service && cs.model == g.Model && cs.operation == g.Operation {
					found = append(found, cs)
				}
			}
			switch {
			case len(found) != 1:
				t.Errorf("%s %s: %d cost series, want 1: %+v", s.Service, g.Model, len(found), found)
			case g.CostUSD > 0 && (found[0].sum != g.CostUSD || found[0].count != uint64(g.Calls)):
				t.Errorf("%s %s: cost %v over %d calls, want the instrumentation's %v over %d",
					s.Service, g.Model, found[0].sum, found[0].count, g.CostUSD, g.Calls)
			case g.CostUSD == 0 && !(found[0].sum > 0):
				t.Errorf("%s %s: derived cost %v, want > 0", s.Service, g.Model, found[0].sum)
			}
		}
	}
}

// checkMetricQuery runs one dashboard query: it must return data, and the
// totals and splits must be exactly the workload's.
func checkMetricQuery(t *testing.T, vm *Server, q PanelQuery, at time.Time, want Totals, c costs) {
	expr := Substitute(q, testWindow)
	got, err := Query(t, vm, expr, at)
	if err != nil {
		t.Errorf("%s: %v\n%s", q, err, expr)
		return
	}
	finite := got[:0:0]
	for _, s := range got {
		if !math.IsNaN(s.Value) {
			finite = append(finite, s)
		}
	}
	if len(finite) == 0 {
		t.Errorf("%s returned no data:\n%s", q, expr)
		return
	}
	t.Logf("%s: %d series, first %v", q, len(finite), finite[0].Value)
	costSum, costCount := c.total()
	scalar := func(v float64) { expectScalar(t, q, finite, v) }
	split := func(label string, m map[string]float64) { expectSplit(t, q, finite, label, m) }
	switch q.PanelID {
	case 22: // Total Requests
		scalar(want.Requests)
	case 3: // Total Usage Tokens
		scalar(want.Tokens)
	case 2: // Total Usage Cost
		scalar(costSum)
	case 5: // Avg Usage Cost
		scalar(costSum / costCount)
	case 65: // Top 5 Models by Requests
		split("gen_ai_request_model", want.ByModel)
	case 70: // Requests by Environment
		split("deployment_environment", want.ByEnvironment)
	case 69: // Requests by Platform
		split("gen_ai_provider_name", want.ByProvider)
	case 68: // Requests by Type
		split("gen_ai_operation_name", want.ByOperation)
	case 67, 29: // Top 5 Providers by Cost, Total Cost By System
		split("gen_ai_provider_name", c.by(func(s costSeries) string { return s.provider }))
	case 66: // Top 5 Models by Cost
		split("gen_ai_request_model", c.by(func(s costSeries) string { return s.model }))
	}
}

func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

func expectScalar(t *testing.T, q PanelQuery, got []Sample, want float64) {
	if len(got) != 1 || !near(got[0].Value, want) {
		t.Errorf("%s = %v, want %v", q, got, want)
	}
}

func expectSplit(t *testing.T, q PanelQuery, got []Sample, label string, want map[string]float64) {
	m := map[string]float64{}
	for _, s := range got {
		m[s.Labels[label]] = s.Value
	}
	keys := func(m map[string]float64) string {
		var ks []string
		for k, v := range m {
			ks = append(ks, fmt.Sprintf("%s=%v", k, v))
		}
		sort.Strings(ks)
		return strings.Join(ks, " ")
	}
	ok := len(m) == len(want)
	for k, v := range want {
		if !near(m[k], v) {
			ok = false
		}
	}
	if !ok {
		t.Errorf("%s by %s:\n got  %s\n want %s", q, label, keys(m), keys(want))
	}
}

// checkLogs runs the logs panel's LogsQL query against VictoriaLogs.
func checkLogs(t *testing.T, vl *Server, w Workload, q PanelQuery, want Totals) {
	expr := Substitute(q, testWindow)
	var got []map[string]any
	WaitFor(t, 60*time.Second, "VictoriaLogs to serve the logs", func() bool {
		var err error
		got, err = QueryLogs(t, vl, expr, w.Start.Add(-time.Minute), time.Now().Add(time.Minute))
		return err == nil && len(got) >= want.Logs
	})
	t.Logf("%s: %d log entries", q, len(got))
	if len(got) != want.Logs {
		t.Errorf("%s returned %d logs, want %d", q, len(got), want.Logs)
	}
	for _, e := range got {
		if e["service.name"] == nil || e["_msg"] == nil {
			t.Errorf("%s: log entry without service.name or _msg: %v", q, e)
		}
	}
}

// wantNames are the GenAI metric names VictoriaMetrics must hold in both
// modes: the processor's names are fixed points of its conversion.
var wantNames = []string{
	"gen_ai_client_operation_duration_seconds_bucket",
	"gen_ai_client_operation_duration_seconds_count",
	"gen_ai_client_operation_duration_seconds_sum",
	"gen_ai_client_token_usage_bucket",
	"gen_ai_client_token_usage_count",
	"gen_ai_client_token_usage_sum",
	"gen_ai_server_time_to_first_token_seconds_bucket",
	"gen_ai_server_time_to_first_token_seconds_count",
	"gen_ai_server_time_to_first_token_seconds_sum",
	"gen_ai_usage_cost_USD_bucket",
	"gen_ai_usage_cost_USD_count",
	"gen_ai_usage_cost_USD_sum",
	// OpenLIT's legacy gen_ai.usage.total_tokens counter has no current
	// equivalent; VictoriaMetrics moves the first "total" token to the end.
	"gen_ai_usage_tokens_total",
}

// checkMetricNames compares the metric names VictoriaMetrics stored with
// wantNames, and checks that the only label names outside [a-zA-Z0-9_] on
// GenAI series are the ones VictoriaMetrics itself makes from resource
// attributes and the scope (without -opentelemetry.usePrometheusNaming).
func checkMetricNames(t *testing.T, vm *Server) {
	labels, err := LabelNames(vm, `{__name__=~"gen_ai.*"}`)
	if err != nil {
		t.Fatal(err)
	}
	ownByVM := map[string]bool{"service.name": true, "deployment.environment": true, "telemetry.sdk.name": true,
		"telemetry.sdk.language": true, "scope.name": true, "scope.version": true}
	for _, l := range labels {
		if strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" && !ownByVM[l] {
			t.Errorf("label %q on GenAI series is not Prometheus-style", l)
		}
	}
	t.Logf("label names on GenAI series: %v", labels)

	s, err := Query(t, vm, `count by (__name__) ({__name__=~"gen_ai.*"})`, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range s {
		got = append(got, x.Labels["__name__"])
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(wantNames, " ") {
		t.Errorf("metric names in VictoriaMetrics:\n got  %v\n want %v", got, wantNames)
	}
	t.Logf("metric names in VictoriaMetrics: %v", got)
}

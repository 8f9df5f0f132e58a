//go:build e2e

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// realLibrary is one instrumentation library under test and what it
// cannot show on the dashboard (each exception is a fact of the library,
// recorded in docs/instrumentation.md, and asserted: the panel must then
// stay empty).
type realLibrary struct {
	name string // run_app.py --library (tests/realinstr/harness.py LIBRARIES)
	venv string
	// compat sets the processor's naming.compat_sdk_name: openlit, so the
	// seed's telemetry_sdk_name="openlit" filter sees a library whose SDK
	// name is "opentelemetry".
	compat bool
	// noTTFT: the library records no time-to-first-token histogram.
	noTTFT bool
	// noErrorMetrics: failed calls are in no metric.
	noErrorMetrics bool
	// untypedTokens: the token histogram has no gen_ai.token.type (input
	// and output in one series; OpenLIT <= 1.36).
	untypedTokens bool
	// noLogs: the library emits no log events (content capture off).
	noLogs bool
	// tracesOnly: the library sends spans only; every metric on the
	// dashboards is the genai connector's, derived from them
	// (ExpectDerivedTotals), and the dashboards must show data on at least
	// minTracesOnlyPanels of their queries.
	tracesOnly bool
	// node: the app runs on Node (scripts/setup-node.sh), not in a venv.
	node bool
	// ownMetrics: what the collector does with the metrics a library
	// sends besides its spans, which it must not count twice.
	// ownMetricsDropped (LiteLLM with its metrics on, configuration A of
	// docs/connector.md): contrib's filter processor drops them and the
	// connector derives every call from the spans, as for a traces-only
	// library.
	ownMetrics string
	// spanCostIsTable: the library's own span cost is the built-in table's
	// price (LiteLLM: the table is LiteLLM's), so every span's cost is
	// checked against table x tokens although the library wrote it.
	spanCostIsTable bool
	// minPanels, when set, replaces minTracesOnlyPanels: the queries a
	// derived library's spans can answer at all (LiteLLM's spans carry no
	// time to first token, so the three TTFT queries stay empty: 27;
	// OpenLLMetry's every metrics query: 30).
	minPanels int
	// ttftFromChunks: the spans state the time to first token by an event
	// per streamed chunk (OpenLLMetry). Every successful stream's span has
	// one, its first no sooner than the delay the app asked the fake server
	// for (checkFirstChunks), and the TTFT queries answer what the
	// connector's buckets give for the spans' first-chunk times
	// (checkTTFTQuantiles).
	ttftFromChunks bool
	// variant names a second configuration of the same app (subtest,
	// service and environment get it as a suffix).
	variant string
	// dropOverlay (with ownMetricsDropped) is the collector overlay that
	// drops the library's own metrics and has the connector derive every
	// call from its spans.
	dropOverlay string
	// quirks: where the library's own metrics put a call (ExpectRealTotals).
	quirks MetricQuirks
	// whyNot: the library's own metrics cannot make every panel exact;
	// each panel is also compared with what the spans say of every call
	// (comparePanels), and every panel that differs, or has no exact
	// answer, must have its reason here (key: panel and ref, e.g. "56A",
	// or the panel alone; the seed's wrong expressions: seedWhyNot).
	whyNot map[string]string
}

// id is the library's subtest name and the suffix of its service.
func (l realLibrary) id() string {
	if l.variant != "" {
		return l.name + "-" + l.variant
	}
	return l.name
}

// ownMetrics values: see realLibrary.ownMetrics.
// ownMetricsErrorsDerived (configuration B): LiteLLM's metrics are kept
// and the connector derives only the failed calls they leave out
// (derive.scopes: {litellm: errors}); checkConfigurationB.
const (
	ownMetricsDropped       = "dropped"
	ownMetricsErrorsDerived = "errors"
)

// derived: every metric on the dashboards is the genai connector's.
func (l realLibrary) derived() bool { return l.tracesOnly || l.ownMetrics == ownMetricsDropped }

// sendsMetrics: the library sends metrics of its own (run_app.py's
// sends_metrics).
func (l realLibrary) sendsMetrics() bool { return !l.tracesOnly }

// minTracesOnlyPanels: issue 26's bar for a traces-only library, of the
// dashboards' 31 queries.
const minTracesOnlyPanels = 28

// tracesOnlyRounds: a traces-only library's app runs this often against
// one collector, realRoundPause apart (more than the connector's flush
// interval, realFlushInterval), so the derived series change after their
// first sample.
const (
	tracesOnlyRounds  = 2
	realRoundPause    = 3 * time.Second
	realFlushInterval = "1s"
)

var realLibraries = []realLibrary{
	{name: "openlit-1.45.0", venv: "openlit-1.45.0"},
	{name: "openlit-1.33.23", venv: "openlit-1.33.23", noErrorMetrics: true, untypedTokens: true},
	{name: "otel-openai-v2-2.4b0", venv: "otel-openai-v2-2.4b0", compat: true, noTTFT: true, noLogs: true},
	{name: "otel-openai-v2-2.1b0", venv: "otel-openai-v2-2.1b0", compat: true, noTTFT: true},
	// Traces only: the genai connector derives their metrics.
	{name: "openinference-0.1.66", venv: "openinference-0.1.66", compat: true, noLogs: true, tracesOnly: true},
	{name: "vercel-ai-6.0.333", venv: "node", node: true, compat: true, noLogs: true, tracesOnly: true},
	// LiteLLM's OpenTelemetry callback: spans only by default; with its
	// metrics on, they are dropped (configuration A, litellmDropOverlay)
	// and the connector derives every call from the same spans.
	// Their spans state no time to first token (no attribute, no event;
	// only LiteLLM's own metric has it, in the SDK's default buckets).
	{name: "litellm-1.110.2", venv: "litellm-1.110.2", compat: true, noLogs: true, noTTFT: true, tracesOnly: true,
		spanCostIsTable: true, minPanels: 27},
	{name: "litellm-1.110.2-metrics", venv: "litellm-1.110.2", compat: true, noLogs: true, noTTFT: true,
		ownMetrics: ownMetricsDropped, dropOverlay: litellmDropOverlay, spanCostIsTable: true, minPanels: 27},
	// Configuration B: LiteLLM's own metrics kept, the connector adds its
	// failed calls; one round (a second app process restarts LiteLLM's
	// cumulative streams in the same series).
	{name: "litellm-1.110.2-metrics", variant: "config-b", venv: "litellm-1.110.2", compat: true, noLogs: true,
		ownMetrics: ownMetricsErrorsDerived, spanCostIsTable: true},
	// OpenLLMetry (traceloop-sdk, metrics on) as it comes: its own
	// metrics; under derive: auto the connector leaves its calls to them
	// (scopes opentelemetry.instrumentation.*). Exact where its data allow;
	// the rest compared with its spans and reported (openllmetryWhyNot).
	{name: "openllmetry-0.62.4", venv: "openllmetry-0.62.4", compat: true, noLogs: true,
		quirks: MetricQuirks{ErrorsWithoutModel: true, NoOperationFor: []string{"anthropic"}, AnthropicInputIncludesCache: true},
		whyNot: openllmetryWhyNot},
	// The exact configuration: its own GenAI metrics dropped, every call
	// derived from its spans (openllmetryDeriveOverlay). Its spans state
	// the time to first token by their chunk events.
	{name: "openllmetry-0.62.4", variant: "derived", venv: "openllmetry-0.62.4", compat: true, noLogs: true,
		ownMetrics: ownMetricsDropped, dropOverlay: openllmetryDeriveOverlay, minPanels: 30, ttftFromChunks: true},
}

// openllmetryDeriveOverlay is the configuration that makes the dashboards
// exact for OpenLLMetry with its metrics on (docs/instrumentation.md): its
// own GenAI metrics (scopes opentelemetry.instrumentation.openai.v1 and
// .anthropic, metrics gen_ai.* and llm.*) are dropped by contrib's filter
// processor, and the connector derives every call from its spans, which
// derive: auto would leave to those metrics.
const openllmetryDeriveOverlay = `processors:
  filter/openllmetry_own_metrics:
    error_mode: ignore
    metrics:
      metric:
        - '(instrumentation_scope.name == "opentelemetry.instrumentation.openai.v1" or instrumentation_scope.name == "opentelemetry.instrumentation.anthropic") and IsMatch(name, "^(gen_ai|llm)[.]")'
connectors:
  genai:
    derive:
      scopes:
        opentelemetry.instrumentation.openai.v1: always
        opentelemetry.instrumentation.anthropic: always
service:
  pipelines:
    metrics:
      processors: [memory_limiter, filter/openllmetry_own_metrics, genai, batch]
`

// openllmetryWhyNot: why a panel fed by OpenLLMetry's own metrics is not
// what its spans say of every call (docs/instrumentation.md).
var openllmetryWhyNot = map[string]string{
	"65":  "its failed calls' duration points carry error.type alone: they count under no model",
	"69":  "its failed calls' duration points carry error.type alone: they count under no provider",
	"68":  "its failed calls' duration points carry error.type alone, its Anthropic points no operation: they count under no operation",
	"64":  "per model and provider: its failed calls under none; rates of a seconds-long run, not compared",
	"56A": "a ratio of rate()s of series that span different times in the window (each of its series starts at its first call)",
	"56D": "its seconds histograms have the metrics SDK's default buckets (0, 5, 10, ...): a quantile reads 4.75 s",
	"57":  "default buckets (0, 5, 10, ... s): the 95th percentile reads 4.75 s",
	"53":  "default buckets (0, 5, 10, ... s): the 95th percentile reads 4.75 s",
	"37":  "default buckets (0, 5, 10, ... s): the 95th percentile reads 4.75 s",
	"38":  "default buckets (0, 5, 10, ... s): the 95th percentile reads 4.75 s",
	"39":  "default buckets (0, 5, 10, ... s): the 95th percentile reads 4.75 s",
	"43":  "default buckets (0, 5, 10, ... s): the 95th percentile reads 4.75 s",
	"58":  "time to first token in the default buckets (0, 5, 10, ... s): reads 4.75 s",
	"41":  "time to first token in the default buckets (0, 5, 10, ... s): reads 4.75 s",
	"42":  "time to first token in the default buckets (0, 5, 10, ... s): reads 4.75 s",
	// cost: the processor prices its token metric (its spans carry no cost)
	"2":  openllmetryCostWhy,
	"5":  openllmetryCostWhy,
	"6C": openllmetryCostWhy,
	"55": openllmetryCostWhy,
	"66": openllmetryCostWhy,
	"32": openllmetryCostWhy,
	"29": openllmetryCostWhy,
	"67": openllmetryCostWhy,
}

const openllmetryCostWhy = "the processor prices its token metric, which has no cache split: the cached calls' cache reads at the input price (the metric's cost >= the spans')"

// seedWhyNot: the seed dashboard's expressions that cannot be exact for
// any library (docs/dashboards.md, DashboardFixes).
var seedWhyNot = map[string]string{
	"6A":  "the seed averages bucket counters",
	"6B":  "the seed averages bucket counters",
	"6C":  "the seed averages bucket counters",
	"56A": "the seed filters http_status_code, which no instrumentation sends",
}

// litellmErrorsOverlay is configuration B of docs/connector.md.
const litellmErrorsOverlay = "yaml:connectors::genai::derive::scopes::litellm: errors"

// litellmDropOverlay is configuration A of docs/connector.md for LiteLLM
// with its metrics on: its own metrics (scope
// litellm.integrations.opentelemetry) are dropped by contrib's filter
// processor, so the connector's, derived from its spans, are the only
// ones.
const litellmDropOverlay = `processors:
  filter/litellm_own_metrics:
    error_mode: ignore
    metrics:
      metric:
        - 'instrumentation_scope.name == "litellm.integrations.opentelemetry"'
service:
  pipelines:
    metrics:
      processors: [memory_limiter, filter/litellm_own_metrics, genai, batch]
`

// realWindow: the apps run for seconds, so the dashboard's ranges all
// cover the whole run; $__interval must still reach the last export.
var realWindow = Window{Range: "10m", Interval: "1m", RateInterval: "5m"}

// TestRealInstrumentationOnDashboard runs each real instrumentation
// library's app (tests/realinstr) against the fake OpenAI server, through
// otelcol-genai with examples/otelcol-genai.yaml, into VictoriaMetrics
// and VictoriaLogs, and checks every query of the seed dashboard (when
// ../shared/seed exists) and of the project's own dashboard against what
// the app did: every library with VictoriaMetrics' default flags, the
// traces-only ones (whose every metric is the genai connector's) also with
// -opentelemetry.usePrometheusNaming (the libraries' own metrics are
// checked in that mode by TestDashboardOnVictoriaMetrics).
func TestRealInstrumentationOnDashboard(t *testing.T) {
	began := time.Now()
	bin := VictoriaBinDir(t)
	var dashboards []realDashboard
	if seed := seedDashboard(t); seed != nil {
		dashboards = append(dashboards, parseRealDashboard(t, "seed", seed))
	} else {
		t.Logf("seed dashboard %s absent: checking %s only", SeedDashboardPath, OwnDashboardPath)
	}
	dashboards = append(dashboards, parseRealDashboard(t, "own", readRepoFile(t, OwnDashboardPath)))
	prices := LoadPriceTable(t)
	for _, mode := range []struct {
		name           string
		vmFlags        []string
		tracesOnlyOnly bool
	}{
		{name: "default_flags"},
		{name: "prometheus_naming", vmFlags: []string{"-opentelemetry.usePrometheusNaming"}, tracesOnlyOnly: true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			// Query-side flags only: no response cache, fresh samples visible at once.
			flags := append([]string{"-search.disableCache", "-search.latencyOffset=0s"}, mode.vmFlags...)
			vm := StartServer(t, filepath.Join(bin, "victoria-metrics"), flags...)
			vl := StartServer(t, filepath.Join(bin, "victoria-logs"))
			for _, lib := range realLibraries {
				if mode.tracesOnlyOnly && !lib.derived() {
					continue
				}
				t.Run(lib.id(), func(t *testing.T) {
					start := time.Now()
					runRealLibrary(t, lib, mode.name, vm, vl, dashboards, prices)
					t.Logf("%s: %.1fs", lib.id(), time.Since(start).Seconds())
				})
			}
		})
	}
	t.Logf("whole test: %.1fs", time.Since(began).Seconds())
}

// realDashboard is a dashboard's queries.
type realDashboard struct {
	name    string
	queries []PanelQuery
}

func parseRealDashboard(t *testing.T, name string, doc []byte) realDashboard {
	queries, err := ParseQueries(doc)
	if err != nil {
		t.Fatalf("%s dashboard: %v", name, err)
	}
	return realDashboard{name: name, queries: queries}
}

// realOverlay is merged over examples/otelcol-genai.yaml: a file exporter
// tapping the logs pipeline (what VictoriaLogs must return), a second
// traces pipeline without the processor (the library's own span costs),
// and, for libraries that need it, the dashboard compatibility option.
func realOverlay(t *testing.T, dir string, compat bool) string {
	naming := ""
	if compat {
		naming = "processors:\n  genai:\n    naming:\n      compat_sdk_name: openlit\n"
	}
	cfg := naming + fmt.Sprintf(`exporters:
  file/realinstr_raw_traces:
    path: %s
  file/realinstr_logs:
    path: %s
service:
  pipelines:
    traces/realinstr_raw:
      receivers: [otlp]
      exporters: [file/realinstr_raw_traces]
    logs:
      exporters: [otlp_http/victorialogs, file/realinstr_logs]
`, filepath.Join(dir, "raw-traces.jsonl"), filepath.Join(dir, "logs.jsonl"))
	path := filepath.Join(dir, "overlay.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runRealLibrary(t *testing.T, lib realLibrary, mode string, vm, vl *Server, dashboards []realDashboard, prices PriceTable) {
	if lib.node {
		if err := SetUpNode(t); err != nil {
			t.Skipf("%s: the Node packages cannot be set up here (scripts/setup-node.sh): %v", lib.name, err)
		}
	} else if err := SetUpVenv(t, lib.venv); err != nil {
		t.Skipf("%s: venv %s cannot be set up here (scripts/setup-pyenv.sh %s): %v", lib.name, lib.venv, lib.venv, err)
	}
	dir := t.TempDir()
	// Service and environment are the library's own, so the dashboard
	// variables select one run in the shared VictoriaMetrics.
	service := "e2e-" + strings.ReplaceAll(lib.id(), ".", "-")
	environment := "env-" + strings.ReplaceAll(lib.id(), ".", "-")
	overlays := []string{realOverlay(t, dir, lib.compat)}
	if lib.ownMetrics == ownMetricsDropped {
		path := filepath.Join(dir, "own-metrics.yaml")
		if err := os.WriteFile(path, []byte(lib.dropOverlay), 0o644); err != nil {
			t.Fatal(err)
		}
		overlays = append(overlays, path)
	}
	if lib.ownMetrics == ownMetricsErrorsDerived {
		overlays = append(overlays, litellmErrorsOverlay)
	}
	col := Start(t, Options{
		Env: map[string]string{
			EnvVictoriaMetrics: vm.URL + "/opentelemetry",
			EnvVictoriaLogs:    vl.URL + "/insert/opentelemetry",
			EnvTracesFile:      filepath.Join(dir, "traces.jsonl"),
			// The connector's series reach VictoriaMetrics within a second.
			EnvConnectorFlushInterval: realFlushInterval,
		},
		Overlays: overlays,
	})
	rounds := 1
	if lib.derived() {
		rounds = tracesOnlyRounds
	}
	run, err := RunRealAppRounds(t, lib.name, "http://"+col.HTTPEndpoint, service, environment, rounds, realRoundPause)
	if errors.Is(err, errVenvMissing) {
		t.Skipf("%s: %v", lib.name, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if run.SendsMetrics != lib.sendsMetrics() {
		t.Fatalf("run_app.py says the library sends metrics: %v; realLibraries says traces only: %v", run.SendsMetrics, lib.tracesOnly)
	}
	// The app flushed everything before it exited; stopping the collector
	// flushes the batch processor and the connector and closes the files.
	col.Stop(t)
	if lines := errorLines(col.Output()); len(lines) > 0 {
		t.Errorf("collector logged errors:\n%s", strings.Join(lines, "\n"))
	}
	t.Logf("%s %s %s: %d calls in %d rounds, summary of the last %v", lib.name, run.Package, run.Version, len(run.Calls), run.Rounds, run.Summary)

	raw := LLMSpans(ReadTracesFile(t, filepath.Join(dir, "raw-traces.jsonl")))
	processed := LLMSpans(ReadTracesFile(t, filepath.Join(dir, "traces.jsonl")))
	logs := ReadLogsFile(t, filepath.Join(dir, "logs.jsonl")).LogRecordCount()
	var want RealTotals
	if lib.derived() {
		want = ExpectDerivedTotals(t, run, processed, prices)
	} else {
		want = ExpectRealTotals(t, run, raw, processed, prices, lib.quirks)
	}
	t.Logf("expected:\n%s", want.Report())
	checkOurSpanCosts(t, run, processed, prices, lib.spanCostIsTable)
	if lib.ttftFromChunks {
		checkFirstChunks(t, run, processed)
	}
	checkLibraryCostKept(t, raw, processed)
	if lib.ownMetrics == ownMetricsErrorsDerived {
		checkConfigurationB(t, lib, vm, dashboards, run, processed, prices)
		return
	}

	at := waitForRun(t, vm, service, want)
	checkTokenTotals(t, vm, lib, service, want, at)
	if emits := logs > 0; emits == lib.noLogs {
		t.Errorf("the collector passed on %d log records; the library emits logs: %v", logs, !lib.noLogs)
	}
	report := map[string]any{}
	for _, d := range dashboards {
		t.Run(d.name, func(t *testing.T) {
			withData, empty := checkRealDashboard(t, lib, vm, vl, d, run, want, logs, at)
			least := minTracesOnlyPanels
			if lib.minPanels > 0 {
				least = lib.minPanels
			}
			if n := len(withData) + len(empty); lib.derived() && len(withData) < least {
				t.Errorf("%s dashboard: data on %d of %d queries, want at least %d", d.name, len(withData), n, least)
			}
			t.Logf("%s dashboard: %d queries with data: %s", d.name, len(withData), strings.Join(withData, " "))
			t.Logf("%s dashboard: %d empty as expected: %s", d.name, len(empty), strings.Join(empty, "; "))
			report[d.name] = map[string]any{"queries_with_data": withData, "queries_empty_as_expected": empty}
		})
	}
	if lib.whyNot != nil {
		report["against_spans"] = checkAgainstSpans(t, lib, vm, dashboards, run, want, processed, prices, at)
	}
	writeRealReport(t, lib, mode, run, want, report)
}

// checkRealDashboard runs every query of d for the run (its service
// selected) and returns the queries that returned data and those empty as
// the library requires.
func checkRealDashboard(t *testing.T, lib realLibrary, vm, vl *Server, d realDashboard, run RealRun, want RealTotals, logs int, at time.Time) (withData, empty []string) {
	for _, q := range d.queries {
		v := run.Service
		if q.Logs {
			v = `"` + run.Service + `"`
		}
		q.Expr = strings.ReplaceAll(q.Expr, "$service_name", v)
		if q.Logs {
			checkRealLogs(t, vl, q, logs, run)
			if logs > 0 {
				withData = append(withData, fmt.Sprintf("%d%s", q.PanelID, q.RefID))
			} else {
				empty = append(empty, fmt.Sprintf("%d%s (the library emits no log records)", q.PanelID, q.RefID))
			}
			continue
		}
		needed := realPanelNeeds(lib, q)
		got := realQuery(t, vm, q, at)
		switch {
		case needed == "" && len(got) == 0:
			t.Errorf("%s returned no data:\n%s", q, Substitute(q, realWindow))
			continue
		case needed != "" && len(got) > 0:
			t.Errorf("%s returned data %v, but %s", q, got, needed)
			continue
		case needed != "":
			empty = append(empty, fmt.Sprintf("%d%s (%s)", q.PanelID, q.RefID, needed))
			continue
		}
		withData = append(withData, fmt.Sprintf("%d%s", q.PanelID, q.RefID))
		checkRealPanel(t, d.name, q, got, want)
		if lib.ttftFromChunks && isTTFTQuery(q) {
			checkTTFTQuantiles(t, vm, q, got, run.Service, want, at)
		}
	}
	return withData, empty
}

func isTTFTQuery(q PanelQuery) bool {
	return strings.Contains(q.Expr, "gen_ai_server_time_to_first_token")
}

// checkFirstChunks: every successful streamed call has a span with a first
// chunk, and each first chunk comes no sooner than the delay the app asked
// the fake server for before its first byte (the calls' and the spans'
// times paired in order: the longest delay with the latest first chunk).
func checkFirstChunks(t *testing.T, run RealRun, processed []RealSpan) {
	var delays, firsts []float64
	for _, c := range run.Calls {
		if c.Stream && !c.Failed() {
			delays = append(delays, c.TTFTMs/1000)
		}
	}
	for _, s := range processed {
		if s.HasFirstChunk {
			firsts = append(firsts, s.FirstChunk)
		}
	}
	sort.Float64s(delays)
	sort.Float64s(firsts)
	if len(firsts) != len(delays) {
		t.Fatalf("%d spans with a first chunk, want one per successful streamed call: %d", len(firsts), len(delays))
	}
	for i := range firsts {
		if firsts[i] < delays[i] {
			t.Errorf("first chunks %v s after their spans' start, sooner than the fake server's delays %v s", firsts, delays)
			break
		}
	}
	t.Logf("streams: the fake server's delay before the first chunk %v s; the spans' first chunk %v s after their start", delays, firsts)
}

// checkTTFTQuantiles: a time-to-first-token query (the 95th percentile per
// provider: 58A, 41A; per model: 42A) answers what the connector's buckets
// (their bounds read from VictoriaMetrics) give for the spans' own
// first-chunk times, interpolated as VictoriaMetrics' histogram_quantile
// does. Exact because the rates of every derived series are their
// increases over one time span (RealTotals.SameSpan).
func checkTTFTQuantiles(t *testing.T, vm *Server, q PanelQuery, got []Sample, service string, w RealTotals, at time.Time) {
	label, firsts := "gen_ai_provider_name", w.FirstChunksByProvider
	if strings.Contains(q.Expr, "gen_ai_request_model") {
		label, firsts = "gen_ai_request_model", w.FirstChunksByModel
	}
	bounds := firstTokenBuckets(t, vm, service, at)
	want := map[string]float64{}
	for k, v := range firsts {
		want[k] = bucketQuantile(0.95, bounds, v)
	}
	expectSplit(t, q, got, label, want)
	t.Logf("%s: 95th percentile by %s %s; the spans' first chunks %v s in buckets %v", q, label, samplesString(got), firsts, bounds)
}

// TestBucketQuantile: bucketQuantile reads buckets as VictoriaMetrics'
// histogram_quantile does (no stack needed: go test -tags e2e -run
// TestBucketQuantile ./e2e/).
func TestBucketQuantile(t *testing.T) {
	bounds := []float64{0.001, 0.005, 0.1, 0.25, 1, math.Inf(1)}
	for _, c := range []struct {
		phi    float64
		values []float64
		want   float64
	}{
		// Rank 3.8 of 4 in (0.1, 0.25], 2 below: 0.1 + 0.15 * 1.8 / 2.
		{0.95, []float64{0.0025, 0.0027, 0.125, 0.1255}, 0.235},
		// The empty buckets below move the lower bound up: from 0.1.
		{0.5, []float64{0.2, 0.2}, 0.175},
		// The rank in +Inf: the largest finite bound.
		{0.95, []float64{0.5, 3}, 1},
		{0.95, []float64{3}, 1},
	} {
		if got := bucketQuantile(c.phi, bounds, c.values); !near(got, c.want) {
			t.Errorf("bucketQuantile(%v, %v) = %v, want %v", c.phi, c.values, got, c.want)
		}
	}
}

// firstTokenBuckets are the upper bounds of the run's time-to-first-token
// buckets in VictoriaMetrics (their le labels, +Inf last).
func firstTokenBuckets(t *testing.T, vm *Server, service string, at time.Time) []float64 {
	expr := fmt.Sprintf(`count by (le) (last_over_time(gen_ai_server_time_to_first_token_seconds_bucket{service_name=%q}[10m]))`, service)
	got, err := Query(t, vm, expr, at)
	if err != nil {
		t.Fatal(err)
	}
	var bounds []float64
	for _, s := range got {
		le, err := strconv.ParseFloat(s.Labels["le"], 64)
		if err != nil {
			t.Fatalf("le %q: %v", s.Labels["le"], err)
		}
		bounds = append(bounds, le)
	}
	sort.Float64s(bounds)
	if len(bounds) < 2 || !math.IsInf(bounds[len(bounds)-1], 1) {
		t.Fatalf("%s: bucket bounds %v, want finite ones and +Inf", expr, bounds)
	}
	return bounds
}

// bucketQuantile is the phi-quantile VictoriaMetrics' histogram_quantile
// gives for values counted in buckets with upper bounds bounds (+Inf
// last): linear within the bucket the rank falls in, from the bound below
// it (the last empty bucket's, or the one holding fewer than the rank);
// the largest finite bound when the rank falls in +Inf
// (app/vmselect/promql/transform.go, transformHistogramQuantile).
func bucketQuantile(phi float64, bounds, values []float64) float64 {
	largestFinite := bounds[len(bounds)-2]
	counts := make([]float64, len(bounds))
	for _, v := range values {
		for i, le := range bounds {
			if v <= le {
				counts[i]++
			}
		}
	}
	rank := counts[len(counts)-1] * phi
	below, prev := 0.0, 0.0
	for i, le := range bounds {
		switch c := counts[i]; {
		case c <= 0:
			below = le
		case c < rank:
			below, prev = le, c
		case math.IsInf(le, 1):
			return largestFinite
		case c == prev:
			return below
		default:
			return below + (le-below)*(rank-prev)/(c-prev)
		}
	}
	return largestFinite
}

// errorLines are the collector's error-level log lines.
func errorLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "\terror\t") || strings.Contains(l, `"level":"error"`) {
			lines = append(lines, l)
		}
	}
	return lines
}

// realPanelNeeds says why a query must return no data for lib, or "" when
// it must return data.
func realPanelNeeds(lib realLibrary, q PanelQuery) string {
	if lib.noTTFT && strings.Contains(q.Expr, "gen_ai_server_time_to_first_token") {
		if lib.derived() {
			return "the library's spans state no time to first token"
		}
		return "the library records no time-to-first-token metric"
	}
	if lib.noErrorMetrics && q.PanelID == 56 && q.RefID == "C" {
		return "the library records failed calls in no metric"
	}
	if lib.untypedTokens && strings.Contains(q.Expr, `gen_ai_token_type="`) {
		return "the library's token histogram has no gen_ai.token.type"
	}
	return ""
}

// realQuery runs a dashboard query for the run; NaN samples are dropped.
func realQuery(t *testing.T, vm *Server, q PanelQuery, at time.Time) []Sample {
	expr := Substitute(q, realWindow)
	got, err := Query(t, vm, expr, at)
	if err != nil {
		t.Errorf("%s: %v\n%s", q, err, expr)
		return nil
	}
	var finite []Sample
	for _, s := range got {
		if !math.IsNaN(s.Value) {
			finite = append(finite, s)
		}
	}
	return finite
}

// waitForRun polls VictoriaMetrics until the run's requests and tokens
// are all served (the collector has flushed and stopped by then) and
// returns the time to evaluate the dashboard at.
func waitForRun(t *testing.T, vm *Server, service string, want RealTotals) time.Time {
	exprs := map[string]float64{
		fmt.Sprintf(`sum(last_over_time(gen_ai_client_operation_duration_seconds_count{service_name=%q}[10m]))`, service): want.Requests,
		fmt.Sprintf(`sum(last_over_time(gen_ai_client_token_usage_sum{service_name=%q}[10m]))`, service):                  want.InputTokens + want.OutputTokens,
	}
	deadline := time.Now().Add(60 * time.Second)
	for expr, v := range exprs {
		for {
			got, err := Query(t, vm, expr, time.Now())
			if err == nil && len(got) == 1 && got[0].Value == v {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("after 60s VictoriaMetrics answers %v (%v), want %v:\n%s", got, err, v, expr)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return time.Now()
}

// checkTokenTotals: the input and output tokens VictoriaMetrics holds for
// the run are the app's, per token type, read from the series' last
// samples (panel 3 reads their increase() over the range, checked in
// checkRealPanel).
func checkTokenTotals(t *testing.T, vm *Server, lib realLibrary, service string, w RealTotals, at time.Time) {
	expr := fmt.Sprintf(`sum by (gen_ai_token_type) (last_over_time(gen_ai_client_token_usage_sum{service_name=%q}[10m]))`, service)
	got, err := Query(t, vm, expr, at)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"input": w.InputTokens, "output": w.OutputTokens}
	if lib.untypedTokens {
		want = map[string]float64{"": w.InputTokens + w.OutputTokens}
	}
	expectSplit(t, PanelQuery{Title: "token totals", Expr: expr}, got, "gen_ai_token_type", want)
	t.Logf("token totals by type: %s", samplesString(got))
}

// checkRealPanel compares a query's answer on dashboard ("seed" or "own")
// with the run's totals. Where the seed's expression is wrong
// (DashboardFixes: 6ABC, 32A, 55A, 56A), the seed is checked for what its
// expression computes, or for data only, and the shipped dashboard for the
// right answer.
func checkRealPanel(t *testing.T, dashboard string, q PanelQuery, got []Sample, w RealTotals) {
	t.Logf("%s: %s", q, samplesString(got))
	scalar := func(v float64) { expectScalar(t, q, got, v) }
	split := func(label string, m map[string]float64) { expectSplit(t, q, got, label, m) }
	seed := dashboard == "seed"
	// The seed divides sums of USD by 1000 (32A, 55A).
	usd := func(v float64) float64 {
		if seed {
			return v / 1000
		}
		return v
	}
	perModel := func(m map[string]float64) map[string]float64 {
		out := map[string]float64{}
		for k, v := range m {
			out[k] = usd(v)
		}
		return out
	}
	switch q.PanelID {
	case 22: // Total Requests
		scalar(w.Requests)
	case 3: // Total Usage Tokens: increase() of token sums
		// Exact: every series starts with a zero point (the connector's
		// for derived metrics, the processor's zero_start for a library's
		// own), so VictoriaMetrics' increase() counts its first sample.
		scalar(w.InputTokens + w.OutputTokens)
	case 2: // Total Usage Cost
		scalar(w.Cost)
	case 5: // Avg Usage Cost
		scalar(w.Cost / w.CostCount)
	case 6: // Average tokens (A input, B output) and cost (C) per call
		if seed || !w.Derived {
			// The seed averages bucket counters (data only); a library's
			// own series born in the range are not counted whole by
			// increase() (checkTokenTotals).
			break
		}
		switch q.RefID {
		case "A":
			scalar(w.InputTokens / w.InputCount)
		case "B":
			scalar(w.OutputTokens / w.OutputCount)
		case "C":
			scalar(w.Cost / w.CostCount)
		}
	case 55: // Cost Trend Analysis: increase over 1h, per series
		var sum float64
		for _, s := range got {
			sum += s.Value
		}
		if !near(sum, usd(w.Cost)) {
			t.Errorf("%s sums to %v, want %v", q, sum, usd(w.Cost))
		}
	case 56:
		switch q.RefID {
		case "A":
			if !seed && w.Derived && w.SameSpan {
				// The connector's series start at zero and all span the
				// same time: the ratio of the rate() sums is the success
				// rate.
				scalar((w.Requests - w.Errors) / w.Requests * 100)
				break
			}
			// The seed's filter (http_status_code) matches every series;
			// a library's own error series born in the range show no
			// increase to rate() (checkTokenTotals); series spanning
			// different times weigh differently in a ratio of rates.
			if len(got) != 1 || got[0].Value < 0 || got[0].Value > 100 && !near(got[0].Value, 100) {
				t.Errorf("%s = %s, want one value in [0, 100]", q, samplesString(got))
			} else if w.Errors == 0 && got[0].Value != 100 {
				t.Errorf("%s = %v, want 100 (no call failed)", q, got[0].Value)
			}
		case "B": // success rate %
			scalar((w.Requests - w.Errors) / w.Requests * 100)
		case "C": // error rate %
			scalar(w.Errors / w.Requests * 100)
		}
	case 65: // Top 5 Models by Requests
		expectTopK(t, q, got, "gen_ai_request_model", w.ByModel)
	case 70: // Requests by Environment
		split("deployment_environment", w.ByEnvironment)
	case 69: // Requests by Platform
		split("gen_ai_provider_name", w.ByProvider)
	case 68: // Requests by Type
		split("gen_ai_operation_name", w.ByOperation)
	case 67: // Top 5 Providers by Cost
		expectTopK(t, q, got, "gen_ai_provider_name", w.CostByProvider)
	case 29: // Total Cost By System
		split("gen_ai_provider_name", w.CostByProvider)
	case 66: // Top 5 Models by Cost
		expectTopK(t, q, got, "gen_ai_request_model", w.CostByModel)
	case 32: // Total Cost By Model (increase over the rate interval; the seed / 1000)
		split("gen_ai_request_model", perModel(w.CostByModel))
	}
}

// expectTopK checks a topk(5, ...) answer: at most five series, each with
// its value from want, and no left-out key above the smallest shown.
func expectTopK(t *testing.T, q PanelQuery, got []Sample, label string, want map[string]float64) {
	n := len(want)
	if n > 5 {
		n = 5
	}
	shown := map[string]bool{}
	least := math.Inf(1)
	ok := len(got) == n
	for _, s := range got {
		k := s.Labels[label]
		shown[k] = true
		least = math.Min(least, s.Value)
		if w, found := want[k]; !found || !near(s.Value, w) {
			ok = false
		}
	}
	for k, v := range want {
		if !shown[k] && v > least && !near(v, least) {
			ok = false
		}
	}
	if !ok {
		t.Errorf("%s by %s (top 5):\n got  %s\n want %v", q, label, samplesString(got), want)
	}
}

func samplesString(ss []Sample) string {
	var parts []string
	for _, s := range ss {
		var ls []string
		for k, v := range s.Labels {
			ls = append(ls, k+"="+v)
		}
		sort.Strings(ls)
		parts = append(parts, fmt.Sprintf("{%s} %.9g", strings.Join(ls, ","), s.Value))
	}
	return strings.Join(parts, " ")
}

// checkOurSpanCosts: on the spans the collector exported, the cost of
// every successful call the library did not price itself is the built-in
// table's price x the tokens on the span (docs/pricing.md accounting),
// computed here independently of the processor; and every such call has
// its span.
func checkOurSpanCosts(t *testing.T, run RealRun, processed []RealSpan, prices PriceTable, costIsTable bool) {
	if run.ComputesCost && !costIsTable {
		return // the library's own cost is kept (cost.override: false)
	}
	provider := map[string]string{}
	calls := 0
	for _, c := range run.Calls {
		provider[c.Model] = c.Provider
		if !c.Failed() && (c.InMetrics || !run.SendsMetrics) {
			calls++
		}
	}
	spans := 0
	for _, s := range processed {
		if s.Failed || !s.HasTokens || !s.ModelCall() {
			continue
		}
		spans++
		p, err := prices.Lookup(s.Model, provider[s.Model])
		if err != nil {
			// Not in the table by its exact name: the processor's
			// approximate matching is not this helper's business
			// (PriceTable.Lookup), so a cost cannot be checked here.
			t.Logf("span of %s: %v; cost on the span: %v (present %v)", s.Model, err, s.Cost, s.HasCost)
			continue
		}
		want := p.CallCost(s.Call(provider[s.Model]))
		if !s.HasCost || !near(s.Cost, want) {
			t.Errorf("span of %s (%v in, %v out): cost %v (present %v), want %v", s.Model, s.Input, s.Output, s.Cost, s.HasCost, want)
		}
	}
	if spans != calls {
		t.Errorf("%d successful LLM spans with tokens, want one per successful instrumented call: %d", spans, calls)
	}
	t.Logf("span costs equal to table x tokens for %d calls", spans)
}

// checkLibraryCostKept: where the library priced its spans itself, the
// exported spans carry its cost unchanged (cost.override: false), per
// model, to 1e-9 relative (LiteLLM: gen_ai.cost.total_cost, which
// normalization maps to gen_ai.usage.cost).
func checkLibraryCostKept(t *testing.T, raw, processed []RealSpan) {
	own, exported := map[string]float64{}, map[string]float64{}
	for _, s := range raw {
		if s.HasCost && !s.Failed {
			own[s.Model] += s.Cost
		}
	}
	for _, s := range processed {
		if s.HasCost && !s.Failed {
			exported[s.Model] += s.Cost
		}
	}
	for m, v := range own {
		if !near(exported[m], v) {
			t.Errorf("%s: the library's own span cost %.12g, the exported spans' %.12g: not kept", m, v, exported[m])
		}
	}
	if len(own) > 0 {
		t.Logf("the library's own span costs kept for %d models", len(own))
	}
}

// checkRealLogs runs the logs panel's query: it returns exactly the log
// records the collector passed on for the run (none when the library emits
// none).
func checkRealLogs(t *testing.T, vl *Server, q PanelQuery, want int, run RealRun) {
	expr := Substitute(q, realWindow)
	var got []map[string]any
	start, end := time.Now().Add(-10*time.Minute), time.Now().Add(time.Minute)
	WaitFor(t, 60*time.Second, fmt.Sprintf("VictoriaLogs to serve %d log records", want), func() bool {
		var err error
		got, err = QueryLogs(t, vl, expr, start, end)
		return err == nil && len(got) >= want
	})
	if len(got) != want {
		t.Errorf("%s returned %d log records, want %d:\n%s", q, len(got), want, expr)
	}
	for _, e := range got {
		if e["service.name"] != run.Service || e["deployment.environment"] != run.Environment {
			t.Errorf("%s: log record of another run: %v", q, e)
			break
		}
	}
	t.Logf("%s: %d log records", q, len(got))
}

// writeRealReport records the comparison in
// build/realinstr/e2e-<library>.json (e2e-<library>-<mode>.json but with
// VictoriaMetrics' default flags).
func writeRealReport(t *testing.T, lib realLibrary, mode string, run RealRun, w RealTotals, dashboards map[string]any) {
	doc := map[string]any{
		"library": lib.name, "victoriametrics_mode": mode, "rounds": run.Rounds, "derived_by_connector": w.Derived, "package": run.Package, "version": run.Version, "compat_sdk_name": lib.compat,
		"dashboards": dashboards,
		"requests":   w.Requests, "errors": w.Errors, "by_model": w.ByModel, "by_provider": w.ByProvider,
		"by_operation": w.ByOperation, "by_environment": w.ByEnvironment,
		"input_tokens": w.InputTokens, "output_tokens": w.OutputTokens, "estimated_models": w.EstimatedModels,
		"dashboard_cost": w.Cost, "dashboard_cost_by_model": w.CostByModel,
		"library_cost": w.LibraryCost, "library_cost_total": w.LibraryCostTotal,
		"our_cost": w.OurCost, "our_cost_total": w.OurCostTotal, "unpriced_by_helper": w.Unpriced,
		"exported_span_cost": w.ProcessorCost, "api_usage_cost": w.APICost,
	}
	b, _ := json.MarshalIndent(doc, "", " ")
	name := "e2e-" + lib.id()
	if mode != "default_flags" {
		name += "-" + mode
	}
	path := filepath.Join(RepoRoot(t), "build", "realinstr", name+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
		_ = os.WriteFile(path, append(b, '\n'), 0o644)
	}
}

// checkConfigurationB runs the dashboards for LiteLLM with its metrics on
// and configuration B (its metrics kept, the connector deriving only the
// failed calls they leave out) and compares every panel with what the
// spans say of every call (ExpectDerivedTotals: what configuration A
// shows). Total Requests must be exact: LiteLLM's metrics count the
// successful calls, the connector the failed ones, each call once. The
// other panels are reported exact or not (build/realinstr/e2e-<id>.json);
// docs/instrumentation.md says why each is not.
func checkConfigurationB(t *testing.T, lib realLibrary, vm *Server, dashboards []realDashboard, run RealRun, processed []RealSpan, prices PriceTable) {
	truth := ExpectDerivedTotals(t, run, processed, prices)
	// Every call is in VictoriaMetrics once: successful ones from LiteLLM,
	// failed ones from the connector.
	WaitFor(t, 60*time.Second, "VictoriaMetrics to serve every call", func() bool {
		got, err := Query(t, vm, fmt.Sprintf(`sum(last_over_time(gen_ai_client_operation_duration_seconds_count{service_name=%q}[10m]))`, run.Service), time.Now())
		return err == nil && len(got) == 1 && got[0].Value == truth.Requests
	})
	at := time.Now()
	report := map[string]any{}
	for _, d := range dashboards {
		exact, differs, empty := comparePanels(t, vm, d, run, truth, at)
		var inexact []string
		for _, p := range differs {
			inexact = append(inexact, p.String())
		}
		if !slices.Contains(exact, "22A") {
			t.Errorf("%s dashboard: Total Requests not %v (every call once): %v", d.name, truth.Requests, inexact)
		}
		t.Logf("%s dashboard, configuration B: %d exact: %s", d.name, len(exact), strings.Join(exact, " "))
		t.Logf("%s dashboard, configuration B: %d not exact: %s", d.name, len(inexact), strings.Join(inexact, "; "))
		t.Logf("%s dashboard, configuration B: %d empty: %s", d.name, len(empty), strings.Join(empty, " "))
		report[d.name] = map[string]any{"exact": exact, "not_exact": inexact, "empty": empty}
	}
	writeRealReport(t, lib, "default_flags", run, truth, report)
}

// configBWant is what the spans say panel q should show (a description)
// and a test of an answer against it; "" where the panel has no exact
// answer (quantiles, rates of a seconds-long run, the seed's wrong
// expressions).
func configBWant(dashboard string, q PanelQuery, w RealTotals) (string, func([]Sample) bool) {
	seed := dashboard == "seed"
	scalar := func(v float64) (string, func([]Sample) bool) {
		return fmt.Sprint(v), func(got []Sample) bool { return len(got) == 1 && near(got[0].Value, v) }
	}
	split := func(label string, m map[string]float64, top bool) (string, func([]Sample) bool) {
		return fmt.Sprint(m), func(got []Sample) bool {
			if !top && len(got) != len(m) || top && len(got) != min(5, len(m)) {
				return false
			}
			for _, s := range got {
				if v, ok := m[s.Labels[label]]; !ok || !near(v, s.Value) {
					return false
				}
			}
			return true
		}
	}
	usd := 1.0
	if seed {
		usd = 1000
	}
	switch q.PanelID {
	case 22:
		return scalar(w.Requests)
	case 3:
		return scalar(w.InputTokens + w.OutputTokens)
	case 2:
		return scalar(w.Cost)
	case 5:
		return scalar(w.Cost / w.CostCount)
	case 6:
		if seed {
			return "", nil
		}
		switch q.RefID {
		case "A":
			return scalar(w.InputTokens / w.InputCount)
		case "B":
			return scalar(w.OutputTokens / w.OutputCount)
		case "C":
			return scalar(w.Cost / w.CostCount)
		}
	case 55:
		return fmt.Sprint(w.Cost / usd), func(got []Sample) bool {
			var sum float64
			for _, s := range got {
				sum += s.Value
			}
			return near(sum, w.Cost/usd)
		}
	case 56:
		switch q.RefID {
		case "A":
			if !seed {
				return scalar((w.Requests - w.Errors) / w.Requests * 100)
			}
		case "B":
			return scalar((w.Requests - w.Errors) / w.Requests * 100)
		case "C":
			return scalar(w.Errors / w.Requests * 100)
		}
	case 65:
		return split("gen_ai_request_model", w.ByModel, true)
	case 70:
		return split("deployment_environment", w.ByEnvironment, false)
	case 69:
		return split("gen_ai_provider_name", w.ByProvider, false)
	case 68:
		return split("gen_ai_operation_name", w.ByOperation, false)
	case 67:
		return split("gen_ai_provider_name", w.CostByProvider, true)
	case 29:
		return split("gen_ai_provider_name", w.CostByProvider, false)
	case 66:
		return split("gen_ai_request_model", w.CostByModel, true)
	case 32:
		m := map[string]float64{}
		for k, v := range w.CostByModel {
			m[k] = v / usd
		}
		return split("gen_ai_request_model", m, false)
	}
	return "", nil
}

// panelDiff is a metrics query whose answer is not what the spans say.
type panelDiff struct {
	id   string // panel and ref, e.g. 56A
	got  string
	want string // "": no exact answer to compare (configBWant)
}

func (p panelDiff) String() string {
	if p.want == "" {
		return fmt.Sprintf("%s (data, no exact answer to compare: %s)", p.id, p.got)
	}
	return fmt.Sprintf("%s (%s, the spans say %s)", p.id, p.got, p.want)
}

// comparePanels runs every metrics query of d for the run at time at and
// compares its answer with what the spans say of every call (truth, from
// ExpectDerivedTotals; configBWant): the ids of the exact queries, those
// with data that differ or have no exact answer, and the empty ones.
func comparePanels(t *testing.T, vm *Server, d realDashboard, run RealRun, truth RealTotals, at time.Time) (exact []string, differs []panelDiff, empty []string) {
	for _, q := range d.queries {
		if q.Logs {
			continue
		}
		q.Expr = strings.ReplaceAll(q.Expr, "$service_name", run.Service)
		got := realQuery(t, vm, q, at)
		id := fmt.Sprintf("%d%s", q.PanelID, q.RefID)
		if len(got) == 0 {
			empty = append(empty, id)
			continue
		}
		want, ok := configBWant(d.name, q, truth)
		switch {
		case want == "":
			differs = append(differs, panelDiff{id: id, got: samplesString(got)})
		case ok(got):
			exact = append(exact, id)
		default:
			differs = append(differs, panelDiff{id: id, got: samplesString(got), want: want})
		}
	}
	return exact, differs, empty
}

// checkAgainstSpans compares every panel fed by a library's own metrics
// (already checked against what those metrics must show, want) with what
// its spans say of every call (ExpectDerivedTotals: what the derived
// configuration shows): every query has data, each one that is not exact
// has its reason in lib.whyNot (or seedWhyNot), and the library's cost is
// at least the spans' per model (its token metric has no cache split).
// Returns the per-dashboard report.
func checkAgainstSpans(t *testing.T, lib realLibrary, vm *Server, dashboards []realDashboard, run RealRun, want RealTotals, processed []RealSpan, prices PriceTable, at time.Time) map[string]any {
	truth := ExpectDerivedTotals(t, run, processed, prices)
	for m, v := range truth.CostByModel {
		if w := want.CostByModel[m]; w < v && !near(w, v) {
			t.Errorf("%s: the dashboard's cost %.9g is below the spans' %.9g", m, w, v)
		} else {
			t.Logf("cost of %s: the dashboard's %.9g, the spans' %.9g", m, w, v)
		}
	}
	report := map[string]any{}
	for _, d := range dashboards {
		exact, differs, empty := comparePanels(t, vm, d, run, truth, at)
		if len(empty) > 0 {
			t.Errorf("%s dashboard: no data on %v", d.name, empty)
		}
		var notExact []string
		for _, p := range differs {
			why := ""
			if d.name == "seed" {
				why = seedWhyNot[p.id]
			}
			if why == "" {
				why = lib.whyNot[p.id]
			}
			if why == "" {
				why = lib.whyNot[strings.TrimRight(p.id, "ABCDEFGH")]
			}
			if why == "" {
				t.Errorf("%s dashboard: %s is not what the spans say and no reason is known", d.name, p)
				continue
			}
			notExact = append(notExact, fmt.Sprintf("%s: %s", p, why))
		}
		t.Logf("%s dashboard against the spans: %d exact: %s", d.name, len(exact), strings.Join(exact, " "))
		t.Logf("%s dashboard against the spans: %d not exact:\n  %s", d.name, len(notExact), strings.Join(notExact, "\n  "))
		report[d.name] = map[string]any{"exact": exact, "not_exact": notExact, "empty": empty}
	}
	return report
}

//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// tokenExport is one cumulative export of a token usage series that
// started at start: calls and tokens so far.
func tokenExport(service string, start, at time.Time, calls uint64, tokens float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", service)
	rm.Resource().Attributes().PutStr("telemetry.sdk.name", "openlit")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("gen_ai.client.token.usage")
	m.SetUnit("{token}")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	p := h.DataPoints().AppendEmpty()
	p.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
	p.Attributes().PutStr("gen_ai.token.type", "input")
	p.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	p.SetTimestamp(pcommon.NewTimestampFromTime(at))
	p.SetCount(calls)
	p.SetSum(tokens)
	p.ExplicitBounds().FromRaw([]float64{100, 1000})
	p.BucketCounts().FromRaw([]uint64{calls - 1, 1, 0})
	return md
}

// TestZeroStartMakesIncreaseExact: a series whose first export is large
// against the next delta (500 tokens, then 10 more) loses its first export
// from VictoriaMetrics' increase() over a range that starts before it,
// unless the processor adds the series' zero point at its start time.
func TestZeroStartMakesIncreaseExact(t *testing.T) {
	bin := VictoriaBinDir(t)
	vm := StartServer(t, filepath.Join(bin, "victoria-metrics"), "-search.disableCache", "-search.latencyOffset=0s")
	now := time.Now().Truncate(time.Second)
	start := now.Add(-5 * time.Minute)
	for _, tc := range []struct {
		service string
		overlay string
		want    float64
	}{
		{"zero-start-on", "", 510},
		// Without the zero point: what VictoriaMetrics makes of the series.
		{"zero-start-off", "yaml:processors::genai::zero_start::enabled: false", 10},
	} {
		t.Run(tc.service, func(t *testing.T) {
			opts := Options{Env: map[string]string{
				EnvVictoriaMetrics: vm.URL + "/opentelemetry",
				EnvTracesFile:      filepath.Join(t.TempDir(), "traces.jsonl"),
			}}
			if tc.overlay != "" {
				opts.Overlays = []string{tc.overlay}
			}
			col := Start(t, opts)
			SendMetricsHTTP(t, col.HTTPEndpoint, tokenExport(tc.service, start, now.Add(-4*time.Minute), 1, 500))
			SendMetricsHTTP(t, col.HTTPEndpoint, tokenExport(tc.service, start, now.Add(-3*time.Minute), 2, 510))
			col.Stop(t)
			expr := fmt.Sprintf(`sum(increase(gen_ai_client_token_usage_sum{service_name=%q}[10m]))`, tc.service)
			var got []Sample
			WaitFor(t, 30*time.Second, "VictoriaMetrics to serve the series", func() bool {
				var err error
				got, err = Query(t, vm, fmt.Sprintf(`count_over_time(gen_ai_client_token_usage_count{service_name=%q}[10m])`, tc.service), now)
				return err == nil && len(got) == 1 && got[0].Value >= 2
			})
			got, err := Query(t, vm, expr, now)
			if err != nil || len(got) != 1 || got[0].Value != tc.want {
				t.Errorf("%s = %v (%v), want %v", expr, got, err, tc.want)
			}
		})
	}
}

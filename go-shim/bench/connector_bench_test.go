package bench

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"
)

// connectorBatches is how many distinct 100-span batches
// BenchmarkConnector cycles through.
const connectorBatches = 64

// cpuTime is the process's user + system CPU time: every goroutine and
// thread, so a connector's flushes on its own ticker and the garbage
// collector's work count too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConnector measures ConsumeTraces per span (issue 26):
//
//   - genai_spans/{genai,spanmetrics}: ConnectorBatches (100 GenAI
//     model-call spans a batch, 100 attribute sets) through the genai
//     connector and through spanmetrics configured with the same
//     dimensions (SpanmetricsConfig);
//   - plain_spans/{genai,drop}: the reference plain workload (100 HTTP
//     spans, no GenAI key; testdata/plain_spans_100.pb) through the genai
//     connector and through a connector that drops them;
//   - plain_spans_decoded/{genai,drop}: the same, each batch first decoded
//     from its OTLP bytes inside the timed loop, as a receiver does for
//     every batch the connector then gets;
//
// BenchmarkConnectorAfterProcessor measures them where the distribution
// runs them, after the genai processor.
//
// Neither connector modifies its input, so the batches are built once and
// reused. Both connectors flush on their own tickers every FlushInterval
// during the run (to a no-op consumer): the flushes run on other
// goroutines, so ns/span (wall) holds ConsumeTraces only, and cpu-ns/span
// (the process's CPU time over the loop, divided by spans) holds the
// flushes and the garbage collection each one causes too.
func BenchmarkConnector(b *testing.B) {
	ctx := context.Background()
	genaiBatches := ConnectorBatches(connectorBatches, 100)
	plainWL, err := Load(TestdataDir(), "plain_spans", 100)
	if err != nil {
		b.Fatal(err)
	}
	plain, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(plainWL.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		workload, connector string
		cfg                 map[string]any
	}{
		{"genai_spans", "genai", GenaiConnectorConfig(FlushInterval, 0)},
		{"genai_spans", "spanmetrics", SpanmetricsConfig(FlushInterval)},
		{"plain_spans", "genai", GenaiConnectorConfig(FlushInterval, 0)},
		{"plain_spans", "drop", nil},
		{"plain_spans_decoded", "genai", GenaiConnectorConfig(FlushInterval, 0)},
		{"plain_spans_decoded", "drop", nil},
	}
	for _, tc := range cases {
		b.Run(tc.workload+"/"+tc.connector, func(b *testing.B) {
			conn, err := NewTracesConnector(ctx, tc.connector, tc.cfg, consumertest.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Shutdown(ctx)
			target := conn
			var batch func(i int) (ptrace.Traces, error)
			spans := 100
			switch tc.workload {
			case "genai_spans":
				batch = func(i int) (ptrace.Traces, error) { return genaiBatches[i%len(genaiBatches)], nil }
			case "plain_spans":
				spans = plain.SpanCount()
				batch = func(int) (ptrace.Traces, error) { return plain, nil }
			default:
				spans = plainWL.Items
				var u ptrace.ProtoUnmarshaler
				batch = func(int) (ptrace.Traces, error) { return u.UnmarshalTraces(plainWL.Bytes) }
			}
			// One warm-up pass creates the series and fills the caches.
			for i := range len(genaiBatches) {
				td, _ := batch(i)
				if err := target.ConsumeTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := range b.N {
				td, err := batch(i)
				if err != nil {
					b.Fatal(err)
				}
				if err := target.ConsumeTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
			cpu = cpuTime() - cpu
			b.StopTimer()
			n := float64(b.N) * float64(spans)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/span")
			b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/span")
		})
	}
}

// BenchmarkConnectorAfterProcessor measures each connector where the
// distribution runs it: three traces pipelines, the genai processor then
// nothing ("none"), the genai connector, or spanmetrics (configured as in
// BenchmarkConnector), each fed its own copy of the ConnectorBatches, one
// batch each in turn, so that the machine's drift falls on all three
// alike. The processor reads each batch for the genai connector
// (internal/sharedread) and stops reading for the pipelines whose readings
// nobody records, as in a collector. Reported: each pipeline's wall
// ns/span, each connector's over none's (for genai: the processor's reading
// plus the connector's record), and their ratio (speedup).
func BenchmarkConnectorAfterProcessor(b *testing.B) {
	ctx := context.Background()
	names := [3]string{"none", "genai", "spanmetrics"}
	cfgs := map[string]map[string]any{
		"genai":       GenaiConnectorConfig(FlushInterval, 0),
		"spanmetrics": SpanmetricsConfig(FlushInterval),
	}
	var (
		targets [3]consumer.Traces
		batches [3][]ptrace.Traces
	)
	for k, name := range names {
		var next consumer.Traces = consumertest.NewNop()
		if name != "none" {
			conn, err := NewTracesConnector(ctx, name, cfgs[name], consumertest.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Shutdown(ctx)
			next = conn
		}
		chain, err := NewChain(ctx, Traces, []Stage{{Factory: genaiprocessor.NewFactory()}}, next)
		if err != nil {
			b.Fatal(err)
		}
		defer chain.Shutdown(ctx)
		targets[k] = chain.traces
		// Copies of their own: the processor prices them in place.
		batches[k] = ConnectorBatches(connectorBatches, 100)
	}
	// Two warm-up passes: the first prices the batches, and the pipelines
	// that do not lead to the genai connector stop reading for it.
	for range 2 {
		for k := range targets {
			for _, td := range batches[k] {
				if err := targets[k].ConsumeTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	var elapsed [3]time.Duration
	b.ResetTimer()
	for i := range b.N {
		for k := range targets {
			td := batches[k][i%connectorBatches]
			start := time.Now()
			if err := targets[k].ConsumeTraces(ctx, td); err != nil {
				b.Fatal(err)
			}
			elapsed[k] += time.Since(start)
		}
	}
	b.StopTimer()
	spans := float64(b.N) * 100
	ns := func(k int) float64 { return float64(elapsed[k].Nanoseconds()) / spans }
	for k, name := range names {
		b.ReportMetric(ns(k), name+"-ns/span")
	}
	b.ReportMetric(ns(1)-ns(0), "genai-over-none-ns/span")
	b.ReportMetric(ns(2)-ns(0), "spanmetrics-over-none-ns/span")
	b.ReportMetric((ns(2)-ns(0))/(ns(1)-ns(0)), "speedup")
}

// TestConnectorWorkload checks the connector workload and configurations:
// both connectors count every call, into the same number of attribute sets.
func TestConnectorWorkload(t *testing.T) {
	ctx := context.Background()
	batches := ConnectorBatches(8, 100)
	if got := batches[0].SpanCount(); got != 100 {
		t.Fatalf("spans per batch: %d", got)
	}
	sets := map[string]int{}
	for _, name := range []string{"genai", "spanmetrics"} {
		sink := new(consumertest.MetricsSink)
		every := 50 * time.Millisecond
		cfg := map[string]map[string]any{"genai": GenaiConnectorConfig(every, 0), "spanmetrics": SpanmetricsConfig(every)}[name]
		conn, err := NewTracesConnector(ctx, name, cfg, sink)
		if err != nil {
			t.Fatal(err)
		}
		for _, td := range batches {
			if err := conn.ConsumeTraces(ctx, td); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			all := sink.AllMetrics()
			if len(all) > 0 {
				calls, n := durationPoints(all[len(all)-1])
				if calls == 800 {
					sets[name] = n
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no flush with the 800 calls", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
		conn.Shutdown(ctx)
	}
	if sets["genai"] != sets["spanmetrics"] || sets["genai"] > ConnectorSpanSets || sets["genai"] < ConnectorSpanSets/2 {
		t.Fatalf("attribute sets: %v (workload: at most %d)", sets, ConnectorSpanSets)
	}
	t.Logf("attribute sets after 800 spans: %v", sets)
}

// durationPoints sums the calls of the duration histogram in md and counts
// its points that hold any (genai's zero start points left out).
func durationPoints(md pmetric.Metrics) (calls uint64, points int) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for s := 0; s < sms.Len(); s++ {
			ms := sms.At(s).Metrics()
			for j := 0; j < ms.Len(); j++ {
				if !strings.HasSuffix(ms.At(j).Name(), "duration") {
					continue
				}
				dps := ms.At(j).Histogram().DataPoints()
				for k := 0; k < dps.Len(); k++ {
					if c := dps.At(k).Count(); c > 0 {
						calls += c
						points++
					}
				}
			}
		}
	}
	return calls, points
}

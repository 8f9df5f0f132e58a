// Command seriesmem measures a connector's memory per active series (issue
// 26): it starts one connector (-connector genai or spanmetrics, configured
// as in BenchmarkConnector, bench.GenaiConnectorConfig and
// bench.SpanmetricsConfig, with no flush during the run), sends it one
// warm-up batch, settles the heap, then sends -series spans with distinct
// model names (bench.SeriesBatches: one attribute set each, -batch spans a
// batch, each batch built, sent and dropped) and settles again. Prints one
// JSON line with, per series:
//
//   - the RSS delta (VmRSS of /proc/self/status, after runtime.GC and
//     debug.FreeOSMemory): the same measure for both, whichever heap holds
//     the series;
//   - the Go heap delta (runtime.MemStats.HeapInuse after GC): spanmetrics'
//     series live there, genai's do not (they are in the Rust core's heap);
//   - for genai, the core's own estimate (otelcol_connector_genai_state_bytes)
//     and its active series count.
//
// Run one connector per process, so that neither's freed memory counts for
// the other:
//
//	go run ./bench/cmd/seriesmem -connector genai -series 10000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"runtime"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/go-shim/bench"
)

// settle collects the Go heap twice, returns what it freed to the OS and
// gives the core's allocator a moment to purge its freed pages.
func settle() (heapInuse, rss int64) {
	for range 2 {
		runtime.GC()
	}
	debug.FreeOSMemory()
	time.Sleep(200 * time.Millisecond)
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse), bench.RSSKiB() * 1024
}

// Report is the JSON line printed.
type Report struct {
	Connector        string  `json:"connector"`
	Series           int     `json:"series"`
	SeriesActive     int64   `json:"series_active,omitempty"`
	HeapDelta        int64   `json:"go_heap_delta_bytes"`
	RSSDelta         int64   `json:"rss_delta_bytes"`
	StateBytes       int64   `json:"state_bytes,omitempty"`
	HeapPerSeries    float64 `json:"go_heap_bytes_per_series"`
	RSSPerSeries     float64 `json:"rss_bytes_per_series"`
	StatePerSeries   float64 `json:"state_bytes_per_series,omitempty"`
	RSSBeforeBytes   int64   `json:"rss_before_bytes"`
	HeapBeforeBytes  int64   `json:"go_heap_before_bytes"`
	SecondsToConsume float64 `json:"seconds"`
}

func gauge(m metricdata.Metrics) int64 {
	if g, ok := m.Data.(metricdata.Gauge[int64]); ok && len(g.DataPoints) > 0 {
		return g.DataPoints[len(g.DataPoints)-1].Value
	}
	return 0
}

func main() {
	name := flag.String("connector", "genai", "genai or spanmetrics")
	series := flag.Int("series", 10000, "distinct attribute sets (model names)")
	batch := flag.Int("batch", 100, "spans per batch")
	flag.Parse()
	ctx := context.Background()
	var cfg map[string]any
	switch *name {
	case "genai":
		// The limit must hold every series (core default 2000).
		cfg = bench.GenaiConnectorConfig(time.Hour, *series+100)
	case "spanmetrics":
		cfg = bench.SpanmetricsConfig(time.Hour)
	default:
		log.Fatalf("-connector: genai or spanmetrics, not %q", *name)
	}
	conn, err := bench.NewTracesConnector(ctx, *name, cfg, consumertest.NewNop())
	if err != nil {
		log.Fatal(err)
	}
	// Warm-up: one span of a model outside the measured ones, so that
	// both heaps and the core's caches are set up before the baseline.
	if err := conn.ConsumeTraces(ctx, bench.SeriesBatch(*series, 1)); err != nil {
		log.Fatal(err)
	}
	heap0, rss0 := settle()
	// Each batch is built, sent and dropped: built up front, the batches
	// would count in one reading and not the other.
	start := time.Now()
	for first := 0; first < *series; first += *batch {
		td := bench.SeriesBatch(first, min(*batch, *series-first))
		if err := conn.ConsumeTraces(ctx, td); err != nil {
			log.Fatal(err)
		}
	}
	took := time.Since(start)
	heap1, rss1 := settle()
	r := Report{
		Connector: *name, Series: *series,
		HeapDelta: heap1 - heap0, RSSDelta: rss1 - rss0,
		RSSBeforeBytes: rss0, HeapBeforeBytes: heap0, SecondsToConsume: took.Seconds(),
	}
	if *name == "genai" {
		if m, err := conn.Tel.GetMetric("otelcol_connector_genai_state_bytes"); err == nil {
			r.StateBytes = gauge(m)
		}
		if m, err := conn.Tel.GetMetric("otelcol_connector_genai_series_active"); err == nil {
			r.SeriesActive = gauge(m)
		}
		// The warm-up's series is in the state but not in the deltas:
		// the state is divided by the series it holds.
		if r.SeriesActive > 0 {
			r.StatePerSeries = float64(r.StateBytes) / float64(r.SeriesActive)
		}
	}
	n := float64(*series)
	r.HeapPerSeries = float64(r.HeapDelta) / n
	r.RSSPerSeries = float64(r.RSSDelta) / n
	runtime.KeepAlive(conn)
	conn.Shutdown(ctx)
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

// Command ffirss checks that memory stays flat over many FFI round trips:
// it sends -batches small batches (the 16-item GenAI workloads, spans,
// metrics and logs in turn) through the genai processor (pdata -> marshal ->
// Rust -> unmarshal -> pdata) and samples the process RSS after a warm-up.
// Before each sample the Go heap is collected and returned to the OS, so
// what remains is live memory on both sides of the boundary: a leak in Rust
// or in Go shows as growth. Prints one JSON line.
//
//	go run ./bench/cmd/ffirss -batches 1000000
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

	"github.com/otelcol-genai/otelcol-genai/go-shim/bench"
	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"
)

func settledRSS() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return bench.RSSKiB()
}

// Report is the JSON line printed.
type Report struct {
	Batches       int     `json:"batches"`
	Seconds       float64 `json:"seconds"`
	WarmupBatches int     `json:"warmup_batches"`
	RSSAfterWarm  int64   `json:"rss_after_warmup_kib"`
	RSSMin        int64   `json:"rss_min_kib"`
	RSSMax        int64   `json:"rss_max_kib"`
	RSSLast       int64   `json:"rss_last_kib"`
	GrowthKiB     int64   `json:"growth_kib"`
	Samples       []int64 `json:"samples_kib"`
}

func main() {
	batches := flag.Int("batches", 100000, "batches to send (the issue's check is 1000000)")
	samples := flag.Int("samples", 20, "RSS samples after warm-up")
	flag.Parse()
	ctx := context.Background()
	type lane struct {
		w bench.Workload
		c *bench.Chain
	}
	var lanes []lane
	for _, name := range []string{"genai_spans", "genai_metrics", "genai_logs"} {
		w, err := bench.Load(bench.WorkloadDir(), name, 16)
		if err != nil {
			log.Fatal(err)
		}
		c, err := bench.NewChain(ctx, w.Signal, []bench.Stage{{Factory: genaiprocessor.NewFactory()}},
			map[bench.Signal]any{bench.Traces: consumertest.NewNop(), bench.Metrics: consumertest.NewNop(), bench.Logs: consumertest.NewNop()}[w.Signal])
		if err != nil {
			log.Fatal(err)
		}
		defer c.Shutdown(ctx)
		lanes = append(lanes, lane{w, c})
	}
	warm := *batches / 10
	every := max((*batches-warm) / *samples, 1)
	rep := Report{Batches: *batches, WarmupBatches: warm}
	start := time.Now()
	for i := 1; i <= *batches; i++ {
		l := lanes[i%len(lanes)]
		in, err := l.c.Decode(l.w.Bytes)
		if err != nil {
			log.Fatal(err)
		}
		if err := l.c.Consume(ctx, in); err != nil {
			log.Fatal(err)
		}
		if i == warm {
			rep.RSSAfterWarm = settledRSS()
		} else if i > warm && (i-warm)%every == 0 {
			rep.Samples = append(rep.Samples, settledRSS())
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	if len(rep.Samples) == 0 {
		rep.Samples = append(rep.Samples, settledRSS())
	}
	rep.RSSMin, rep.RSSMax = rep.Samples[0], rep.Samples[0]
	for _, s := range rep.Samples {
		rep.RSSMin, rep.RSSMax = min(rep.RSSMin, s), max(rep.RSSMax, s)
	}
	rep.RSSLast = rep.Samples[len(rep.Samples)-1]
	rep.GrowthKiB = rep.RSSLast - rep.RSSAfterWarm
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
}

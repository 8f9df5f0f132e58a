package bench

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
)

// Configs are the processor chains measured on every workload, in report
// order: the two floors, genai, and the pure-Go pipeline.
func configs(sig Signal, prices []ModelPrice) []struct {
	name   string
	stages []Stage
} {
	return []struct {
		name   string
		stages []Stage
	}{
		{"noop", []Stage{{Factory: NoopFactory()}}},
		{"roundtrip", []Stage{{Factory: RoundTripFactory()}}},
		{"genai", genaiStages(nil)},
		{"genai_normalize", genaiStages(NormalizeOnly)},
		{"purego", PureGoStages(sig, PureGoOptions{Normalize: true, Cost: true, Naming: true}, prices)},
		{"purego_normalize", PureGoStages(sig, PureGoOptions{Normalize: true}, prices)},
	}
}

// BenchmarkProcessor measures pdata in -> pdata out for every workload and
// chain. Each iteration gets a freshly decoded batch (untimed), because the
// contrib processors modify theirs in place; since that decoding is untimed,
// run with a fixed -benchtime (scripts/bench.sh: -benchtime 100x), or the
// framework sizes b.N for the microsecond no-op and decodes for minutes.
// Needs the 1,000-item workloads in build/bench/workloads (scripts/bench.sh).
func BenchmarkProcessor(b *testing.B) {
	prices, err := LoadPrices()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range Names {
		w, err := Load(WorkloadDir(), name, 1000)
		if err != nil {
			b.Fatal(err)
		}
		for _, cfg := range configs(w.Signal, prices) {
			if w.Signal == Metrics && strings.HasSuffix(cfg.name, "_normalize") {
				continue // metric points carry canonical keys: nothing to normalize
			}
			b.Run(name+"/"+cfg.name, func(b *testing.B) {
				sink := map[Signal]any{Traces: consumertest.NewNop(), Metrics: consumertest.NewNop(), Logs: consumertest.NewNop()}[w.Signal]
				c, err := NewChain(ctx, w.Signal, cfg.stages, sink)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Shutdown(ctx)
				b.SetBytes(int64(len(w.Bytes)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					in, err := c.Decode(w.Bytes)
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if err := c.Consume(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(w.Items)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
			})
		}
	}
}

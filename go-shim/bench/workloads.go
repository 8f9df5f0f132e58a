// Package bench measures the genai processor against its baselines (issue
// #6): the full processor (pdata in -> pdata out, marshal and cgo included)
// next to a no-op processor, a pdata marshal + unmarshal round trip and the
// equivalent pure-Go pipeline of contrib processors, all on the reference
// workloads generated in Rust (tests/support/workloads.rs) and read here as
// OTLP protobuf files. cmd/loadtest drives the real collector binary.
// scripts/bench.sh runs everything and writes BENCHMARKS.md.
package bench // import "github.com/otelcol-genai/otelcol-genai/go-shim/bench"

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Signal is the OTLP signal of a workload.
type Signal string

// The three OTLP signals.
const (
	Traces  Signal = "traces"
	Metrics Signal = "metrics"
	Logs    Signal = "logs"
)

// Workload is one reference batch as OTLP protobuf bytes.
type Workload struct {
	// Name is the file stem without size: genai_metrics, plain_spans, ...
	Name   string
	Signal Signal
	// Items is the number of spans, data points or log records.
	Items int
	Bytes []byte
}

// Names of the reference workloads, in the order (1-3 GenAI, 4 plain).
var Names = []string{"genai_metrics", "genai_spans", "genai_logs", "plain_spans", "plain_metrics", "plain_logs"}

// SignalOf tells the signal of a workload by its name.
func SignalOf(name string) Signal {
	switch {
	case name == "genai_metrics" || name == "plain_metrics":
		return Metrics
	case name == "genai_logs" || name == "plain_logs":
		return Logs
	default:
		return Traces
	}
}

// RepoRoot is the repository root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// WorkloadDir is where scripts/bench.sh writes the 1,000- and 16-item
// batches ($GENAI_BENCH_WORKLOADS, else build/bench/workloads).
func WorkloadDir() string {
	if d := os.Getenv("GENAI_BENCH_WORKLOADS"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "build", "bench", "workloads")
}

// TestdataDir holds the committed 100-item batches and the generated price
// list (tests/bench_workloads.rs writes both).
func TestdataDir() string { return filepath.Join(RepoRoot(), "go-shim", "bench", "testdata") }

// Load reads workload name at the given size from dir and counts its items.
func Load(dir, name string, size int) (Workload, error) {
	path := filepath.Join(dir, fmt.Sprintf("%s_%d.pb", name, size))
	b, err := os.ReadFile(path)
	if err != nil {
		return Workload{}, fmt.Errorf("%w (scripts/bench.sh writes the workloads)", err)
	}
	w := Workload{Name: name, Signal: SignalOf(name), Bytes: b}
	switch w.Signal {
	case Traces:
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(b)
		if err != nil {
			return w, fmt.Errorf("%s: %w", path, err)
		}
		w.Items = td.SpanCount()
	case Metrics:
		md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(b)
		if err != nil {
			return w, fmt.Errorf("%s: %w", path, err)
		}
		w.Items = md.DataPointCount()
	case Logs:
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(b)
		if err != nil {
			return w, fmt.Errorf("%s: %w", path, err)
		}
		w.Items = ld.LogRecordCount()
	}
	return w, nil
}

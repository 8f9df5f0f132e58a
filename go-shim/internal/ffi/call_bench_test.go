package ffi

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// BenchmarkEdit times the core's edits call alone, as the processor makes
// it, on the 1,000-item GenAI workloads marshaled by pdata. "warm" calls it
// on one buffer again and again, as criterion does; "fresh" on a new copy
// each time, as the processor does (every batch is marshaled into a new
// buffer). The copy is timed too; it is a memmove of under 1 MB. The two
// together say how much of the call's cost in the processor, beyond
// criterion's, is cold memory rather than the core's work.
// Needs the workloads in build/bench/workloads (scripts/bench.sh writes
// them; $GENAI_BENCH_WORKLOADS points elsewhere).
func BenchmarkEdit(b *testing.B) {
	dir := os.Getenv("GENAI_BENCH_WORKLOADS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "build", "bench", "workloads")
	}
	core, err := New([]byte(`{}`))
	if err != nil {
		b.Fatal(err)
	}
	defer core.Close()
	for _, w := range []struct {
		name string
		sig  Signal
	}{{"genai_metrics", Metrics}, {"genai_spans", Traces}, {"genai_logs", Logs}} {
		raw, err := os.ReadFile(filepath.Join(dir, w.name+"_1000.pb"))
		if err != nil {
			b.Skipf("%v (scripts/bench.sh writes the workloads)", err)
		}
		in, err := pdataBytes(w.sig, raw)
		if err != nil {
			b.Fatal(err)
		}
		call := func(b *testing.B, batch []byte) {
			out, err := core.Edit(context.Background(), w.sig, batch, func([]byte, bool) error { return nil })
			if err != nil || !out.Changed {
				b.Fatalf("edit: changed %v, %v", out.Changed, err)
			}
		}
		b.Run(w.name+"/warm", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				call(b, in)
			}
		})
		b.Run(w.name+"/fresh", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				call(b, append([]byte(nil), in...))
			}
		})
	}
}

// pdataBytes is raw decoded and marshaled again by pdata: the bytes the
// processor hands the core.
func pdataBytes(sig Signal, raw []byte) ([]byte, error) {
	switch sig {
	case Metrics:
		md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(raw)
		if err != nil {
			return nil, err
		}
		return (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	case Traces:
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(raw)
		if err != nil {
			return nil, err
		}
		return (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	default:
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(raw)
		if err != nil {
			return nil, err
		}
		return (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	}
}

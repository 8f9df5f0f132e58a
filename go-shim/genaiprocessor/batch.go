package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"context"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// codec is what processBatch needs to know of one signal's pdata type.
type codec[T any] struct {
	signal ffi.Signal
	// items counts spans, data points or log records.
	items func(T) int
	// mayChange is false for a batch the core would answer "unchanged".
	mayChange func(*genaiProcessor, T) bool
	size      func(T) int
	marshal   func(T) ([]byte, error)
	unmarshal func([]byte) (T, error)
	// applyEdits changes the batch in place (edits.go).
	applyEdits func(T, []byte) error
}

var (
	tracesCodec = codec[ptrace.Traces]{
		signal:     ffi.Traces,
		items:      ptrace.Traces.SpanCount,
		mayChange:  (*genaiProcessor).mayChangeTraces,
		size:       (&ptrace.ProtoMarshaler{}).TracesSize,
		marshal:    (&ptrace.ProtoMarshaler{}).MarshalTraces,
		unmarshal:  (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces,
		applyEdits: applyTraceEdits,
	}
	metricsCodec = codec[pmetric.Metrics]{
		signal:     ffi.Metrics,
		items:      pmetric.Metrics.DataPointCount,
		mayChange:  (*genaiProcessor).mayChangeMetrics,
		size:       (&pmetric.ProtoMarshaler{}).MetricsSize,
		marshal:    (&pmetric.ProtoMarshaler{}).MarshalMetrics,
		unmarshal:  (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics,
		applyEdits: applyMetricEdits,
	}
	logsCodec = codec[plog.Logs]{
		signal:     ffi.Logs,
		items:      plog.Logs.LogRecordCount,
		mayChange:  (*genaiProcessor).mayChangeLogs,
		size:       (&plog.ProtoMarshaler{}).LogsSize,
		marshal:    (&plog.ProtoMarshaler{}).MarshalLogs,
		unmarshal:  (&plog.ProtoUnmarshaler{}).UnmarshalLogs,
		applyEdits: applyLogEdits,
	}
)

// editFunc is one call of the core on a marshaled batch (ffi.Processor.Edit
// when nil).
type editFunc func(ctx context.Context, core *ffi.Processor, b []byte, use func(out []byte, edits bool) error) (ffi.Outcome, error)

// processBatch is the processor's work on one batch of any signal: passed
// on at once when it has nothing GenAI; otherwise marshaled and run
// through the core (process) with edit, whose answer edits the batch in
// place or replaces it with the batch the core returned whole.
func processBatch[T any](ctx context.Context, p *genaiProcessor, c *codec[T], in T, edit editFunc) (T, error) {
	if edit == nil {
		edit = func(ctx context.Context, core *ffi.Processor, b []byte, use func([]byte, bool) error) (ffi.Outcome, error) {
			return core.Edit(ctx, c.signal, b, use)
		}
	}
	if !c.mayChange(p, in) {
		p.tel.batch(ctx, c.signal, c.items(in))
		p.tel.skipped(ctx, c.signal)
		return in, nil
	}
	out := in
	err := p.process(ctx, c.signal, c.items(in),
		func() int { return c.size(in) },
		func() ([]byte, error) { return c.marshal(in) },
		func(ctx context.Context, core *ffi.Processor, b []byte) (ffi.Outcome, error) {
			return edit(ctx, core, b, func(res []byte, edits bool) error {
				if edits {
					return c.applyEdits(in, res)
				}
				decoded, err := c.unmarshal(res)
				if err == nil {
					out = decoded
				}
				return err
			})
		})
	if err != nil {
		return in, err
	}
	return out, nil
}

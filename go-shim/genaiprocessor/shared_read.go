package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/sharedread"
)

// readings holds the core's reading of each trace batch for the genai
// connector (internal/sharedread) from processTraces until the batch is
// passed on: processorhelper calls the next consumer with the context it
// got, so the reading reaches the batch's context in sharingNext.
type readings struct {
	mu      sync.Mutex
	pending map[ptrace.Traces]pendingReading
}

type pendingReading struct {
	conn    *ffi.Connector
	counted *ffi.Counted
}

func (r *readings) put(td ptrace.Traces, conn *ffi.Connector, counted *ffi.Counted) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = make(map[ptrace.Traces]pendingReading)
	}
	if old, ok := r.pending[td]; ok {
		old.counted.Free()
	}
	r.pending[td] = pendingReading{conn, counted}
}

func (r *readings) take(td ptrace.Traces) (pendingReading, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pending[td]
	delete(r.pending, td)
	return p, ok
}

// sharingNext is the traces processor's next consumer: a batch with a
// reading goes on with it in its context, and the reading is freed once
// the pipeline after the processor is done with the batch (the genai
// connector records it synchronously, in its ConsumeTraces).
type sharingNext struct {
	consumer.Traces
	readings *readings
}

func (n sharingNext) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	r, ok := n.readings.take(td)
	if !ok {
		return n.Traces.ConsumeTraces(ctx, td)
	}
	defer r.counted.Free()
	return n.Traces.ConsumeTraces(sharedread.With(ctx, td, r.conn, r.counted), td)
}

// processTraces runs a trace batch through the core, which, when one
// genai connector runs in the collector, also reads it for that connector.
func (p *genaiProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	conn := sharedread.Only()
	if conn == nil {
		return processBatch(ctx, p, &tracesCodec, td, nil)
	}
	var counted *ffi.Counted
	out, err := processBatch(ctx, p, &tracesCodec, td, func(ctx context.Context, core *ffi.Processor, b []byte, use func([]byte, bool) error) (ffi.Outcome, error) {
		o, c, err := core.EditTracesCounting(ctx, b, conn, use)
		counted = c
		return o, err
	})
	if counted == nil {
		return out, err
	}
	if err != nil {
		counted.Free()
		return out, err
	}
	p.readings.put(out, conn, counted)
	return out, nil
}

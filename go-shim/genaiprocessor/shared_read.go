package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"context"
	"sync"
	"sync/atomic"

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
	// unused counts the readings in a row no connector recorded (this
	// processor's output does not reach the connector); past
	// maxUnusedReadings only one batch in probeEvery is read, to notice
	// when they are recorded again.
	unused atomic.Int64
	probes atomic.Uint64
}

const (
	maxUnusedReadings = 8
	probeEvery        = 64
)

// wanted says whether to read the next batch for the connector.
func (r *readings) wanted() bool {
	return r.unused.Load() < maxUnusedReadings || r.probes.Add(1)%probeEvery == 0
}

// done notes whether a reading was recorded.
func (r *readings) done(counted *ffi.Counted) {
	if counted.Recorded() {
		r.unused.Store(0)
	} else {
		r.unused.Add(1)
	}
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
	defer func() {
		n.readings.done(r.counted)
		r.counted.Free()
	}()
	return n.Traces.ConsumeTraces(sharedread.With(ctx, td, r.conn, r.counted), td)
}

// processTraces runs a trace batch through the core, which, when one
// genai connector runs in the collector and this processor's readings are
// recorded (or probed for), also reads it for that connector.
func (p *genaiProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	conn := sharedread.Only()
	if conn == nil || !p.readings.wanted() {
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

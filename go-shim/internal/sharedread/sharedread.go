// Package sharedread hands the genai processor's reading of a span batch
// to the genai connector that receives the same batch, so that a pipeline
// with the processor before the connector reads each batch once
// (docs/connector.md, "One reading per batch").
//
// A started connector registers its core; while exactly one is
// registered, the processor has the core read each trace batch for it too
// (ffi.Processor.EditTracesCounting) and passes the reading down the
// pipeline in the batch's context, tied to the batch it returned. The
// connector takes it only for that very batch (the same ptrace.Traces
// with the same span count); any other batch, such as one a later
// processor replaced or merged, carries none and the connector reads it
// itself.
package sharedread // import "github.com/otelcol-genai/otelcol-genai/go-shim/internal/sharedread"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

var (
	mu   sync.Mutex
	live []*ffi.Connector
)

// Register adds a started connector's core; the returned function removes
// it (call it before closing the core).
func Register(c *ffi.Connector) (unregister func()) {
	mu.Lock()
	defer mu.Unlock()
	live = append(live, c)
	return func() {
		mu.Lock()
		defer mu.Unlock()
		for i, l := range live {
			if l == c {
				live = append(live[:i], live[i+1:]...)
				return
			}
		}
	}
}

// Only is the one registered connector, or nil when there are none or
// several (each would need a reading of its own).
func Only() *ffi.Connector {
	mu.Lock()
	defer mu.Unlock()
	if len(live) != 1 {
		return nil
	}
	return live[0]
}

type key struct{}

type reading struct {
	td      ptrace.Traces
	spans   int
	conn    *ffi.Connector
	counted *ffi.Counted
}

// With is ctx carrying counted, conn's reading of td.
func With(ctx context.Context, td ptrace.Traces, conn *ffi.Connector, counted *ffi.Counted) context.Context {
	return context.WithValue(ctx, key{}, &reading{td: td, spans: td.SpanCount(), conn: conn, counted: counted})
}

// Take is the reading ctx carries for conn of td, or nil.
func Take(ctx context.Context, td ptrace.Traces, conn *ffi.Connector) *ffi.Counted {
	r, ok := ctx.Value(key{}).(*reading)
	if !ok || r.conn != conn || r.td != td || r.spans != td.SpanCount() {
		return nil
	}
	return r.counted
}

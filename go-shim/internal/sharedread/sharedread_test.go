package sharedread

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

func TestOnlyOneRegisteredConnectorIsShared(t *testing.T) {
	a, b := &ffi.Connector{}, &ffi.Connector{}
	assert.Nil(t, Only())
	unA := Register(a)
	assert.Same(t, a, Only())
	unB := Register(b)
	assert.Nil(t, Only(), "two connectors: neither")
	unA()
	assert.Same(t, b, Only())
	unB()
	assert.Nil(t, Only())
}

func TestAReadingIsTakenForItsBatchAndConnectorOnly(t *testing.T) {
	conn, other := &ffi.Connector{}, &ffi.Connector{}
	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	r := &ffi.Counted{}
	ctx := With(context.Background(), td, conn, r)
	assert.Same(t, r, Take(ctx, td, conn))
	assert.Nil(t, Take(ctx, td, other), "another connector")
	assert.Nil(t, Take(ctx, ptrace.NewTraces(), conn), "another batch")
	copied := ptrace.NewTraces()
	td.CopyTo(copied)
	assert.Nil(t, Take(ctx, copied, conn), "a copy")
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
	assert.Nil(t, Take(ctx, td, conn), "spans added or removed since")
	assert.Nil(t, Take(context.Background(), td, conn), "none")
}

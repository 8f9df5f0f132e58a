package genaiprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// A processor whose readings no connector records (its output does not
// reach the connector) reads only one batch in probeEvery after a few,
// and reads every batch again once one is recorded.
func TestUnrecordedReadingsStopAfterAFew(t *testing.T) {
	var r readings
	for range maxUnusedReadings {
		require.True(t, r.wanted())
		r.done(nil)
	}
	read := 0
	for range 10 * probeEvery {
		if r.wanted() {
			read++
			r.done(nil)
		}
	}
	assert.Equal(t, 10, read, "one probe in probeEvery")

	r.done(recordedReading(t))
	for range 2 * maxUnusedReadings {
		assert.True(t, r.wanted(), "recorded: every batch is read")
	}
}

// recordedReading is a reading a connector recorded.
func recordedReading(t *testing.T) *ffi.Counted {
	t.Helper()
	p, err := ffi.New([]byte(`{}`))
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	c, err := ffi.NewConnector([]byte(`{}`))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.Attributes().PutStr("gen_ai.operation.name", "chat")
	s.Attributes().PutStr("gen_ai.request.model", "gpt-4o-mini")
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	_, counted, err := p.EditTracesCounting(context.Background(), b, c, func([]byte, bool) error { return nil })
	require.NoError(t, err)
	require.NotNil(t, counted)
	t.Cleanup(counted.Free)
	_, err = c.Record(counted, time.Now())
	require.NoError(t, err)
	require.True(t, counted.Recorded())
	return counted
}

package ffi

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestValidateConnectorConfig(t *testing.T) {
	require.NoError(t, ValidateConnectorConfig([]byte(`{}`)))
	err := ValidateConnectorConfig([]byte(`{"cardinality_limit": 0}`))
	require.Error(t, err)
	assert.Equal(t, StatusInvalidConfig, StatusOf(err))
	assert.Contains(t, err.Error(), "cardinality_limit")

	c, err := NewConnector([]byte(`{"derive": {"default": "sometimes"}}`))
	require.Error(t, err)
	assert.Nil(t, c)
	assert.Contains(t, err.Error(), "derive.default")
}

func TestConnectorCountsAndFlushes(t *testing.T) {
	c, err := NewConnector([]byte(`{"instance_id": "i-1"}`))
	require.NoError(t, err)
	defer c.Close()

	is, err := c.IsGenAIKey("gen_ai.request.model")
	require.NoError(t, err)
	assert.True(t, is)
	is, err = c.IsGenAIKey("http.method")
	require.NoError(t, err)
	assert.False(t, is)
	assert.Equal(t, 2, c.genaiKeys.size(), "answers are remembered")

	// Nothing counted yet: the flush has no metrics and calls no decode.
	stats, err := c.Flush(time.Now(), func([]byte) error { t.Fatal("decode called"); return nil })
	require.NoError(t, err)
	assert.Zero(t, stats.Points)

	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	now := time.Now()
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Second)))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
	s.Attributes().PutStr("gen_ai.operation.name", "chat")
	s.Attributes().PutStr("gen_ai.request.model", "gpt-4o-mini")
	s.Attributes().PutInt("gen_ai.usage.input_tokens", 12)
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	stats, err = c.Consume(b, now)
	require.NoError(t, err)
	assert.Equal(t, SpanMetricsStats{Spans: 1, Calls: 1, SeriesCreated: 1, SeriesActive: 1, StateBytes: stats.StateBytes}, stats)
	assert.NotZero(t, stats.StateBytes)

	var md pmetric.Metrics
	stats, err = c.Flush(now.Add(time.Second), func(out []byte) error {
		md, err = (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(out)
		return err
	})
	require.NoError(t, err)
	assert.NotZero(t, stats.Points)
	assert.Equal(t, int(stats.Points+stats.ZeroPoints), md.DataPointCount())

	_, err = c.Consume([]byte("gen_ai\xff\xff\xff"), now)
	assert.Equal(t, StatusDecode, StatusOf(err))
}

func TestClosedAndNilConnectorsAreRefusedByTheCore(t *testing.T) {
	c, err := NewConnector([]byte(`{}`))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "closing twice is a no-op")
	_, err = c.Consume(nil, time.Now())
	assert.Equal(t, StatusInvalidHandle, StatusOf(err))
	_, err = c.Flush(time.Now(), func([]byte) error { return nil })
	assert.Equal(t, StatusInvalidHandle, StatusOf(err))
	_, err = c.IsGenAIKey("gen_ai.system")
	assert.Equal(t, StatusInvalidHandle, StatusOf(err))

	var nilConn *Connector
	_, err = nilConn.Consume(nil, time.Now())
	assert.Equal(t, StatusInvalidHandle, StatusOf(err))
	_, err = nilConn.IsGenAIKey("gen_ai.system")
	assert.Equal(t, StatusInvalidHandle, StatusOf(err))
	assert.NoError(t, nilConn.Close())
}

// A processor's reading of a batch is recorded once, by the connector it
// was made for; a connector whose pricing differs from the processor's
// gets none.
func TestAReadingIsRecordedOnceByItsConnector(t *testing.T) {
	p, err := New([]byte(`{}`))
	require.NoError(t, err)
	defer p.Close()
	c, err := NewConnector([]byte(`{}`))
	require.NoError(t, err)
	defer c.Close()
	other, err := NewConnector([]byte(`{}`))
	require.NoError(t, err)
	defer other.Close()

	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.Attributes().PutStr("gen_ai.operation.name", "chat")
	s.Attributes().PutStr("gen_ai.request.model", "gpt-4o-mini")
	s.Attributes().PutInt("gen_ai.usage.input_tokens", 12)
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)

	_, r, err := p.EditTracesCounting(context.Background(), b, c, func([]byte, bool) error { return nil })
	require.NoError(t, err)
	require.NotNil(t, r)
	defer r.Free()
	_, err = other.Record(r, time.Now())
	assert.Equal(t, StatusInvalidArgument, StatusOf(err), "another connector's reading")
	stats, err := c.Record(r, time.Now())
	require.NoError(t, err)
	assert.Equal(t, uint64(1), stats.Calls)
	_, err = c.Record(r, time.Now())
	assert.Equal(t, StatusInvalidArgument, StatusOf(err), "recorded already")
	r.Free()
	_, err = c.Record(r, time.Now())
	assert.Equal(t, StatusInvalidHandle, StatusOf(err), "freed")

	unpriced, err := NewConnector([]byte(`{"cost": {"enabled": false}}`))
	require.NoError(t, err)
	defer unpriced.Close()
	_, r, err = p.EditTracesCounting(context.Background(), b, unpriced, func([]byte, bool) error { return nil })
	require.NoError(t, err)
	assert.Nil(t, r, "its stages differ from the processor's: it reads the batch itself")
}

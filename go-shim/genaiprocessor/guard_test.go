package genaiprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
)

// Two requests' streams that differ only in LiteLLM's per-request
// hidden_params leave the processor as one series holding both calls,
// and the dropped attributes are counted.
func TestPerRequestAttributesAreDroppedAndTheirSeriesAddedUp(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	sink := new(consumertest.MetricsSink)
	cfg := defaultConfig()
	cfg.ZeroStart.Enabled = false
	p, err := NewFactory().CreateMetrics(context.Background(), metadatatest.NewSettings(tel), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()

	md := pmetric.NewMetrics()
	h := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	h.SetName("gen_ai.client.operation.duration")
	h.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i, params := range []string{`{"response_cost": 0.1}`, `{"response_cost": 0.2}`} {
		dp := h.Histogram().DataPoints().AppendEmpty()
		dp.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
		dp.Attributes().PutStr("hidden_params", params)
		dp.SetStartTimestamp(100)
		dp.SetTimestamp(200)
		dp.SetCount(1)
		dp.SetSum(float64(i + 1))
	}
	require.NoError(t, p.ConsumeMetrics(context.Background(), md))

	out := sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints()
	require.Equal(t, 1, out.Len(), "one series")
	assert.Equal(t, uint64(2), out.At(0).Count())
	assert.Equal(t, 3.0, out.At(0).Sum())
	_, kept := out.At(0).Attributes().Get("hidden_params")
	assert.False(t, kept)
	metadatatest.AssertEqualProcessorGenaiPointAttributesDropped(t, tel, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: attribute.NewSet(attribute.String("signal", "metrics"))},
	}, metricdatatest.IgnoreTimestamp())
}

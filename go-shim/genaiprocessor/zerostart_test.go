package genaiprocessor

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
)

// cumulative builds one resource with one scope holding a cumulative
// histogram, a monotonic cumulative sum and a delta histogram, each with
// one point per model, started at start and taken at at.
func cumulative(scope string, start, at pcommon.Timestamp, models ...string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "app")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(scope)
	h := sm.Metrics().AppendEmpty()
	h.SetName("gen_ai.client.token.usage")
	h.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	s := sm.Metrics().AppendEmpty()
	s.SetName("gen_ai.requests")
	s.SetEmptySum().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	s.Sum().SetIsMonotonic(true)
	d := sm.Metrics().AppendEmpty()
	d.SetName("gen_ai.client.operation.duration")
	d.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	for _, m := range models {
		p := h.Histogram().DataPoints().AppendEmpty()
		p.Attributes().PutStr("gen_ai.request.model", m)
		p.SetStartTimestamp(start)
		p.SetTimestamp(at)
		p.SetCount(3)
		p.SetSum(300)
		p.ExplicitBounds().FromRaw([]float64{1, 10, 100})
		p.BucketCounts().FromRaw([]uint64{0, 0, 1, 2})
		q := s.Sum().DataPoints().AppendEmpty()
		q.Attributes().PutStr("gen_ai.request.model", m)
		q.SetStartTimestamp(start)
		q.SetTimestamp(at)
		q.SetIntValue(3)
		r := d.Histogram().DataPoints().AppendEmpty()
		r.Attributes().PutStr("gen_ai.request.model", m)
		r.SetStartTimestamp(start)
		r.SetTimestamp(at)
		r.SetCount(1)
	}
	return md
}

func TestZeroPointsOncePerCumulativeSeries(t *testing.T) {
	z := newZeroStarts(100)
	md := cumulative("sdk", 100, 200, "a", "b")
	assert.Equal(t, 4, z.add(md), "histogram and sum, two models each; delta gets none")
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	hps := ms.At(0).Histogram().DataPoints()
	require.Equal(t, 4, hps.Len())
	zp := hps.At(2)
	assert.Equal(t, pcommon.Timestamp(100), zp.Timestamp())
	assert.Equal(t, pcommon.Timestamp(100), zp.StartTimestamp())
	assert.Equal(t, uint64(0), zp.Count())
	assert.Equal(t, 0.0, zp.Sum())
	assert.Equal(t, []float64{1, 10, 100}, zp.ExplicitBounds().AsRaw())
	assert.Equal(t, []uint64{0, 0, 0, 0}, zp.BucketCounts().AsRaw())
	assert.Equal(t, "a", zp.Attributes().AsRaw()["gen_ai.request.model"])
	sps := ms.At(1).Sum().DataPoints()
	require.Equal(t, 4, sps.Len())
	assert.Equal(t, int64(0), sps.At(2).IntValue())
	assert.Equal(t, 2, ms.At(2).Histogram().DataPoints().Len(), "delta points are left alone")

	// The next export of the same series: no zero point again; a new start
	// time (the SDK restarted) is a new series.
	assert.Equal(t, 0, z.add(cumulative("sdk", 100, 300, "a", "b")))
	assert.Equal(t, 2, z.add(cumulative("sdk", 250, 300, "a")))
}

func TestZeroPointsSkipTheConnectorsAndUnstartedSeries(t *testing.T) {
	z := newZeroStarts(100)
	assert.Equal(t, 0, z.add(cumulative(connectorScope, 100, 200, "a")), "the connector sends its own")
	assert.Equal(t, 0, z.add(cumulative("sdk", 0, 200, "a")), "no start time")
	assert.Equal(t, 0, z.add(cumulative("sdk", 200, 200, "a")), "start = time: the point is its own zero")
	md := cumulative("sdk", 100, 200, "a")
	md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).SetName("http.server.duration")
	assert.Equal(t, 1, z.add(md), "only GenAI metrics (the sum here)")
}

func TestZeroStartMemoryIsBounded(t *testing.T) {
	z := newZeroStarts(3)
	for _, m := range []string{"a", "b", "c", "d"} {
		md := cumulative("sdk", 100, 200, m)
		md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(1).SetName("x") // histogram only
		assert.Equal(t, 1, z.add(md), m)
	}
	assert.Len(t, z.seen, 3)
	assert.Len(t, z.order, 3)
	// "a" was forgotten first: it gets its zero point again, harmless.
	md := cumulative("sdk", 100, 200, "a")
	md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(1).SetName("x")
	assert.Equal(t, 1, z.add(md))
	for i := 0; i < 100_000; i++ {
		z.remember(uint64(i) + 1<<40)
	}
	assert.Len(t, z.seen, 3, "100k series, memory still 3 keys")
}

func TestTheProcessorAddsZeroPointsAndCountsThem(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	sink := new(consumertest.MetricsSink)
	p, err := NewFactory().CreateMetrics(context.Background(), metadatatest.NewSettings(tel), defaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
	require.NoError(t, p.ConsumeMetrics(context.Background(), cumulative("sdk", 100, 200, "a")))
	require.NoError(t, p.ConsumeMetrics(context.Background(), cumulative("sdk", 100, 300, "a")))
	// Histogram and sum points of the first export, once each: 2 + 2 + 1
	// (delta) in the first batch, 1 + 1 + 1 in the second.
	assert.Equal(t, 8, sink.DataPointCount())
	metadatatest.AssertEqualProcessorGenaiZeroStartPoints(t, tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
}

// BenchmarkZeroStarts: the stage's cost per point of a GenAI metric batch
// (1,000 models, a cumulative histogram and a sum each), in the steady
// state (every series remembered: the common case) and when every series
// is new (a zero point appended per point); docs/benchmarks.md has the
// figures.
func BenchmarkZeroStarts(b *testing.B) {
	models := make([]string, 1000)
	for i := range models {
		models[i] = fmt.Sprintf("model-%04d", i)
	}
	batch := cumulative("sdk", 100, 200, models...)
	points := batch.DataPointCount()
	b.Run("remembered", func(b *testing.B) {
		z := newZeroStarts(defaultZeroStartSeries)
		z.add(cumulative("sdk", 100, 200, models...))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			z.add(batch)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*points), "ns/point")
	})
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		added := 0
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			z := newZeroStarts(defaultZeroStartSeries)
			md := cumulative("sdk", 100, 200, models...)
			b.StartTimer()
			added += z.add(md)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*points), "ns/point")
		b.ReportMetric(float64(added)/float64(b.N), "zero-points/batch")
	})
}

package genaiprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadatatest"
)

func TestCoreErrorIsLoggedWithStatusAndMessage(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	set := processortest.NewNopSettings(typ)
	set.Logger = zap.New(core)
	p, err := NewFactory().CreateTraces(context.Background(), set, defaultConfig(), new(consumertest.TracesSink))
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.Shutdown(context.Background()))
	require.NoError(t, p.ConsumeTraces(context.Background(), genaiTraces()))

	require.Equal(t, 1, logs.Len())
	fields := logs.All()[0].ContextMap()
	assert.Equal(t, "invalid_handle", fields["reason"])
	assert.Equal(t, "traces", fields["signal"])
	assert.Contains(t, fields["error"], "unknown genai handle", "the core's own message")
}

func TestUnknownModelsAreLoggedAtDebug(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	set := processortest.NewNopSettings(typ)
	set.Logger = zap.New(core)
	p, err := NewFactory().CreateTraces(context.Background(), set, defaultConfig(), new(consumertest.TracesSink))
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()

	td := genaiTraces()
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutStr("gen_ai.request.model", "no-such-model-anywhere")
	require.NoError(t, p.ConsumeTraces(context.Background(), td))

	found := logs.FilterMessage("genai: models without pricing").All()
	require.Len(t, found, 1)
	assert.Equal(t, zapcore.DebugLevel, found[0].Level)
	assert.Contains(t, found[0].ContextMap()["models"], "no-such-model-anywhere")
}

func TestMetricNameCollisionsAreCountedAndLoggedOnce(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	tel := componenttest.NewTelemetry()
	set := metadatatest.NewSettings(tel)
	set.Logger = zap.New(core)
	p, err := NewFactory().CreateMetrics(context.Background(), set, defaultConfig(), new(consumertest.MetricsSink))
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()

	batch := func() pmetric.Metrics {
		md := pmetric.NewMetrics()
		ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
		for _, name := range []string{"gen_ai.a.b", "gen_ai_a_b"} {
			m := ms.AppendEmpty()
			m.SetName(name)
			m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
		}
		return md
	}
	require.NoError(t, p.ConsumeMetrics(context.Background(), batch()))
	require.NoError(t, p.ConsumeMetrics(context.Background(), batch()))

	require.Len(t, logs.FilterMessageSnippet("same VictoriaMetrics name").All(), 1)
	metadatatest.AssertEqualProcessorGenaiMetricNameCollisions(t, tel, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: attribute.NewSet(attribute.String("signal", "metrics"))},
	}, metricdatatest.IgnoreTimestamp())
}

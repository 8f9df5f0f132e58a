package genaiconnector

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/testdata"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector/internal/metadatatest"
)

// A test connector: its sink, its self-telemetry and the batches it
// marshaled for the core.
type fixture struct {
	conn      connector.Traces
	sink      *consumertest.MetricsSink
	tel       *componenttest.Telemetry
	marshaled *atomic.Int64
}

func newFixture(t *testing.T, cfg *Config, instance string) fixture {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	if instance != "" {
		set.Resource = pcommon.NewResource()
		set.Resource.Attributes().PutStr("service.instance.id", instance)
	}
	sink := new(consumertest.MetricsSink)
	c, err := NewFactory().CreateTracesToMetrics(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	marshaled := new(atomic.Int64)
	gc := c.(*genaiConnector)
	encode := gc.marshal
	gc.marshal = func(td ptrace.Traces) ([]byte, error) {
		marshaled.Add(1)
		return encode(td)
	}
	return fixture{conn: c, sink: sink, tel: tel, marshaled: marshaled}
}

func hourly() *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.FlushInterval = time.Hour // flushed by Shutdown only
	return cfg
}

var t0 = time.Now().Add(-time.Minute)

func span(ss ptrace.ScopeSpans, name string, seconds float64, attrs map[string]any) ptrace.Span {
	s := ss.Spans().AppendEmpty()
	s.SetName(name)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(seconds * float64(time.Second)))))
	require := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	require(s.Attributes().FromRaw(attrs))
	return s
}

func scope(td ptrace.Traces, service, sdk, scopeName string) ptrace.ScopeSpans {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	if sdk != "" {
		rs.Resource().Attributes().PutStr("telemetry.sdk.name", sdk)
	}
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(scopeName)
	return ss
}

// genaiBatch: an OpenInference LLM call (2 s, 100 + 50 tokens) and a
// failed one (0.5 s, RateLimitError), a Vercel AI SDK outer span with its
// inner doGenerate call (1 s, 200 + 20 tokens), and an OpenLIT call, which
// derive: auto leaves to OpenLIT's own metrics.
func genaiBatch() ptrace.Traces {
	td := ptrace.NewTraces()
	oi := scope(td, "oi-app", "opentelemetry", "openinference.instrumentation.openai")
	span(oi, "ChatCompletion", 2, map[string]any{
		"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", "llm.provider": "openai",
		"llm.token_count.prompt": 100, "llm.token_count.completion": 50,
	})
	failed := span(oi, "ChatCompletion", 0.5, map[string]any{
		"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", "llm.provider": "openai",
	})
	failed.Status().SetCode(ptrace.StatusCodeError)
	ev := failed.Events().AppendEmpty()
	ev.SetName("exception")
	ev.Attributes().PutStr("exception.type", "RateLimitError")

	vercel := scope(td, "vercel-app", "opentelemetry", "ai")
	vercelAttrs := func(op string) map[string]any {
		return map[string]any{
			"ai.operationId": op, "ai.model.id": "gpt-4o-mini", "ai.model.provider": "openai.chat",
			"ai.usage.promptTokens": 200, "ai.usage.completionTokens": 20,
		}
	}
	span(vercel, "ai.generateText", 1.5, vercelAttrs("ai.generateText"))
	span(vercel, "ai.generateText.doGenerate", 1, vercelAttrs("ai.generateText.doGenerate"))

	openlit := scope(td, "openlit-app", "openlit", "openlit.otel.tracing")
	span(openlit, "chat gpt-4o-mini", 1, map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.system": "openai",
		"gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 3,
	})
	return td
}

// point is one histogram data point with its resource's service.
type point struct {
	service, instance string
	dp                pmetric.HistogramDataPoint
}

// points groups the histogram points of all flushed metrics by metric name
// and point attributes ("k=v,k=v", sorted).
func points(t *testing.T, all []pmetric.Metrics) map[string][]point {
	t.Helper()
	out := map[string][]point{}
	for _, md := range all {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			rm := md.ResourceMetrics().At(i)
			service, _ := rm.Resource().Attributes().Get("service.name")
			instance, _ := rm.Resource().Attributes().Get("otelcol.instance.id")
			for j := 0; j < rm.ScopeMetrics().Len(); j++ {
				ms := rm.ScopeMetrics().At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					m := ms.At(k)
					require.Equal(t, pmetric.MetricTypeHistogram, m.Type(), m.Name())
					dps := m.Histogram().DataPoints()
					for n := 0; n < dps.Len(); n++ {
						key := m.Name() + " " + service.AsString() + " " + attrString(dps.At(n).Attributes())
						out[key] = append(out[key], point{service.AsString(), instance.AsString(), dps.At(n)})
					}
				}
			}
		}
	}
	return out
}

func attrString(m pcommon.Map) string {
	var kv []string
	for k, v := range m.All() {
		kv = append(kv, k+"="+v.AsString())
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

const chatOpenAI = "gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=gpt-4o-mini"

// gpt-4o-mini in the built-in table (LiteLLM): USD 0.15 / 0.60 per 1M tokens.
func cost(in, out float64) float64 { return (in*0.15 + out*0.60) / 1e6 }

func TestGenAISpansBecomeTheSemconvHistograms(t *testing.T) {
	f := newFixture(t, hourly(), "collector-7")
	ctx := context.Background()
	require.NoError(t, f.conn.Start(ctx, componenttest.NewNopHost()))
	td := genaiBatch()
	td.MarkReadOnly() // MutatesData is false: the connector must not write
	require.NoError(t, f.conn.ConsumeTraces(ctx, td))
	assert.Empty(t, f.sink.AllMetrics(), "nothing before the flush")
	require.NoError(t, f.conn.Shutdown(ctx))
	require.Len(t, f.sink.AllMetrics(), 1, "one flush at shutdown")

	got := points(t, f.sink.AllMetrics())
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Equal(t, []string{
		"gen_ai.client.operation.duration oi-app error.type=RateLimitError," + chatOpenAI,
		"gen_ai.client.operation.duration oi-app " + chatOpenAI,
		"gen_ai.client.operation.duration vercel-app " + chatOpenAI,
		"gen_ai.client.token.usage oi-app " + chatOpenAI + ",gen_ai.token.type=input",
		"gen_ai.client.token.usage oi-app " + chatOpenAI + ",gen_ai.token.type=output",
		"gen_ai.client.token.usage vercel-app " + chatOpenAI + ",gen_ai.token.type=input",
		"gen_ai.client.token.usage vercel-app " + chatOpenAI + ",gen_ai.token.type=output",
		"gen_ai.usage.cost oi-app " + chatOpenAI,
		"gen_ai.usage.cost vercel-app " + chatOpenAI,
	}, keys, "the outer Vercel span and the OpenLIT call are not counted")

	want := map[string]struct {
		count uint64
		sum   float64
	}{
		"gen_ai.client.operation.duration oi-app " + chatOpenAI:                            {1, 2},
		"gen_ai.client.operation.duration oi-app error.type=RateLimitError," + chatOpenAI:  {1, 0.5},
		"gen_ai.client.operation.duration vercel-app " + chatOpenAI:                        {1, 1},
		"gen_ai.client.token.usage oi-app " + chatOpenAI + ",gen_ai.token.type=input":      {1, 100},
		"gen_ai.client.token.usage oi-app " + chatOpenAI + ",gen_ai.token.type=output":     {1, 50},
		"gen_ai.client.token.usage vercel-app " + chatOpenAI + ",gen_ai.token.type=input":  {1, 200},
		"gen_ai.client.token.usage vercel-app " + chatOpenAI + ",gen_ai.token.type=output": {1, 20},
		"gen_ai.usage.cost oi-app " + chatOpenAI:                                           {1, cost(100, 50)},
		"gen_ai.usage.cost vercel-app " + chatOpenAI:                                       {1, cost(200, 20)},
	}
	for key, w := range want {
		ps := got[key]
		require.Len(t, ps, 2, "%s: a zero start point, then the total", key)
		zero, total := ps[0].dp, ps[1].dp
		assert.Equal(t, "collector-7", ps[0].instance, "%s: the collector's service.instance.id", key)
		assert.Equal(t, uint64(0), zero.Count(), key)
		assert.Equal(t, 0.0, zero.Sum(), key)
		assert.Equal(t, zero.StartTimestamp(), zero.Timestamp(), "%s: the zero point is at the series' start", key)
		assert.Equal(t, zero.StartTimestamp(), total.StartTimestamp(), key)
		assert.Greater(t, total.Timestamp(), total.StartTimestamp(), key)
		assert.Equal(t, w.count, total.Count(), key)
		assert.InDelta(t, w.sum, total.Sum(), 1e-12, key)
		if strings.HasPrefix(key, "gen_ai.usage.cost") {
			assert.Greater(t, total.Sum(), 0.0, key)
		}
	}

	// Self-telemetry: 5 spans, 3 calls, the outer Vercel span no call, the
	// OpenLIT call left to OpenLIT's metrics.
	metadatatest.AssertEqualConnectorGenaiSpans(t, f.tel, []metricdata.DataPoint[int64]{{Value: 5}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorGenaiCalls(t, f.tel, []metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorGenaiSpansSkipped(t, f.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("reason", "not_model_call"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("reason", "source_metrics"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorGenaiSeriesCreated(t, f.tel, []metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorGenaiSeriesActive(t, f.tel, []metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualConnectorGenaiPointsExported(t, f.tel, []metricdata.DataPoint[int64]{{Value: 18}}, metricdatatest.IgnoreTimestamp())
	_, err := f.tel.GetMetric("otelcol_connector_genai_consume_errors")
	assert.Error(t, err, "no failure")
	_, err = f.tel.GetMetric("otelcol_connector_genai_flush_duration")
	assert.NoError(t, err)
}

func TestInstanceIDFromConfigAndAttributeOff(t *testing.T) {
	cfg := hourly()
	cfg.InstanceID = "gateway-1"
	f := newFixture(t, cfg, "ignored")
	ctx := context.Background()
	require.NoError(t, f.conn.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, f.conn.ConsumeTraces(ctx, genaiBatch()))
	require.NoError(t, f.conn.Shutdown(ctx))
	for _, ps := range points(t, f.sink.AllMetrics()) {
		assert.Equal(t, "gateway-1", ps[0].instance)
	}

	cfg = hourly()
	cfg.InstanceAttribute = ptr("")
	f = newFixture(t, cfg, "collector-7")
	require.NoError(t, f.conn.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, f.conn.ConsumeTraces(ctx, genaiBatch()))
	require.NoError(t, f.conn.Shutdown(ctx))
	md := f.sink.AllMetrics()[0]
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		_, ok := md.ResourceMetrics().At(i).Resource().Attributes().Get("otelcol.instance.id")
		assert.False(t, ok, "instance_attribute \"\" leaves it out")
	}
}

func TestInstanceIDFallsBackToHostAndPID(t *testing.T) {
	id := instanceID(&Config{}, connectortest.NewNopSettings(typ).TelemetrySettings)
	assert.Regexp(t, `^.+-\d+$`, id)
}

func TestPlainSpansAreNeitherMarshaledNorCounted(t *testing.T) {
	f := newFixture(t, hourly(), "")
	ctx := context.Background()
	require.NoError(t, f.conn.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, f.conn.ConsumeTraces(ctx, testdata.GenerateTraces(10)))
	require.NoError(t, f.conn.Shutdown(ctx))
	assert.Equal(t, int64(0), f.marshaled.Load(), "no GenAI key: not marshaled")
	assert.Empty(t, f.sink.AllMetrics(), "no series, no metrics")
	metadatatest.AssertEqualConnectorGenaiSpansSkipped(t, f.tel, []metricdata.DataPoint[int64]{
		{Value: 10, Attributes: attribute.NewSet(attribute.String("reason", "not_model_call"))},
	}, metricdatatest.IgnoreTimestamp())
}

func TestConcurrentBatchesAreCountedExactly(t *testing.T) {
	f := newFixture(t, hourly(), "")
	ctx := context.Background()
	require.NoError(t, f.conn.Start(ctx, componenttest.NewNopHost()))
	const workers, batches = 16, 25
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				td := ptrace.NewTraces()
				span(scope(td, "oi-app", "", "openinference.instrumentation.openai"), "ChatCompletion", 1, map[string]any{
					"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", "llm.provider": "openai",
					"llm.token_count.prompt": 10, "llm.token_count.completion": 1,
				})
				assert.NoError(t, f.conn.ConsumeTraces(ctx, td))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, f.conn.Shutdown(ctx))
	ps := points(t, f.sink.AllMetrics())["gen_ai.client.token.usage oi-app "+chatOpenAI+",gen_ai.token.type=input"]
	require.Len(t, ps, 2)
	assert.Equal(t, uint64(workers*batches), ps[1].dp.Count())
	assert.Equal(t, float64(10*workers*batches), ps[1].dp.Sum())
	assert.Equal(t, int64(workers*batches), f.marshaled.Load())
	metadatatest.AssertEqualConnectorGenaiCalls(t, f.tel, []metricdata.DataPoint[int64]{{Value: workers * batches}}, metricdatatest.IgnoreTimestamp())
}

func TestTheTickerFlushesAndTotalsAreCumulative(t *testing.T) {
	cfg := hourly()
	cfg.FlushInterval = 20 * time.Millisecond
	f := newFixture(t, cfg, "")
	ctx := context.Background()
	require.NoError(t, f.conn.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, f.conn.ConsumeTraces(ctx, genaiBatch()))
	require.Eventually(t, func() bool { return f.sink.DataPointCount() > 0 }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, f.conn.ConsumeTraces(ctx, genaiBatch()))
	require.NoError(t, f.conn.Shutdown(ctx))
	last := f.sink.AllMetrics()[len(f.sink.AllMetrics())-1]
	ps := points(t, []pmetric.Metrics{last})["gen_ai.client.token.usage oi-app "+chatOpenAI+",gen_ai.token.type=input"]
	require.Len(t, ps, 1, "the zero point is sent once")
	assert.Equal(t, uint64(2), ps[0].dp.Count())
	assert.Equal(t, 200.0, ps[0].dp.Sum())
}

func TestAFailedExportIsCountedAndSentAgain(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	sink := &failingSink{fail: 1}
	c, err := NewFactory().CreateTracesToMetrics(context.Background(), metadatatest.NewSettings(tel), hourly(), sink)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, c.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, c.ConsumeTraces(ctx, genaiBatch()))
	gc := c.(*genaiConnector)
	gc.flush(ctx) // refused
	require.NoError(t, c.Shutdown(ctx))
	require.Len(t, sink.AllMetrics(), 1)
	ps := points(t, sink.AllMetrics())["gen_ai.client.token.usage oi-app "+chatOpenAI+",gen_ai.token.type=input"]
	require.Len(t, ps, 2, "the zero point comes again: the refused flush did not deliver it")
	assert.Equal(t, uint64(0), ps[0].dp.Count())
	assert.Equal(t, ps[0].dp.StartTimestamp(), ps[0].dp.Timestamp(), "zero point at the start time")
	assert.Equal(t, uint64(1), ps[1].dp.Count(), "the total comes again with the next flush")
	metadatatest.AssertEqualConnectorGenaiConsumeErrors(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("call", "flush"), attribute.String("reason", "export"))},
	}, metricdatatest.IgnoreTimestamp())
}

type failingSink struct {
	consumertest.MetricsSink
	fail int
}

func (s *failingSink) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if s.fail > 0 {
		s.fail--
		return fmt.Errorf("backend away")
	}
	return s.MetricsSink.ConsumeMetrics(ctx, md)
}

func TestErrorsNeverBlockSpans(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	c, err := NewFactory().CreateTracesToMetrics(context.Background(), metadatatest.NewSettings(tel), hourly(), new(consumertest.MetricsSink))
	require.NoError(t, err)
	ctx := context.Background()
	// Never started: no core.
	require.NoError(t, c.ConsumeTraces(ctx, genaiBatch()))
	require.NoError(t, c.Shutdown(ctx))
	require.NoError(t, c.Shutdown(ctx), "twice")
	// After shutdown.
	require.NoError(t, c.ConsumeTraces(ctx, genaiBatch()))
	metadatatest.AssertEqualConnectorGenaiConsumeErrors(t, tel, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: attribute.NewSet(attribute.String("call", "consume"), attribute.String("reason", "invalid_handle"))},
	}, metricdatatest.IgnoreTimestamp())
}

func TestShutdownWithoutStart(t *testing.T) {
	c, err := NewFactory().CreateTracesToMetrics(context.Background(), connectortest.NewNopSettings(typ), hourly(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, c.Shutdown(context.Background()))
	assert.False(t, c.Capabilities().MutatesData)
}

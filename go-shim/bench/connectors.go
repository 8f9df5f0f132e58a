package bench

// The connector comparison of issue 26: the genai connector (traces ->
// GenAI metrics, counted in Rust) next to contrib's spanmetrics connector
// configured with the same dimensions, on the same GenAI spans, and a
// connector that drops every span, the floor for plain (non-GenAI) spans.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector"
)

// ConnectorDimensions are the point attributes the genai connector writes
// (go-shim/genaiconnector/README.md); spanmetrics gets them as its
// dimensions.
var ConnectorDimensions = []string{
	"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model",
	"gen_ai.response.model", "server.address", "error.type", "http.response.status_code",
}

// ConnectorResourceDimensions are the genai connector's default
// resource_dimensions; spanmetrics keys its resources on the same ones.
var ConnectorResourceDimensions = []string{
	"service.name", "service.namespace", "deployment.environment",
	"deployment.environment.name", "telemetry.sdk.name", "telemetry.sdk.language",
}

// DurationBuckets are the genai connector's gen_ai.client.operation.duration
// buckets in seconds (rust/span_metrics/series.rs, semconv-advised).
var DurationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}

// FlushInterval is both connectors' flush interval in the benchmarks: short
// enough that every benchmark run flushes on each connector's own ticker
// (production defaults: genai 15s, spanmetrics 60s).
const FlushInterval = time.Second

// GenaiConnectorConfig is the genai connector as the distribution ships it
// (every option the core's default) but the flush interval and, when
// limit > 0, cardinality_limit.
func GenaiConnectorConfig(flush time.Duration, limit int) map[string]any {
	cfg := map[string]any{"flush_interval": flush.String()}
	if limit > 0 {
		cfg["cardinality_limit"] = limit
	}
	return cfg
}

// SpanmetricsConfig is contrib's spanmetrics connector made to do what the
// genai connector does with a span's duration: the same seven point
// dimensions, its default span.name, span.kind and status.code dimensions
// excluded (service.name stays: genai has it as a resource dimension),
// resources keyed on genai's resource dimensions, one explicit-bucket
// duration histogram in seconds with genai's buckets, no exemplars, no
// events, cumulative, no cardinality limit (its default). It still keeps
// its calls counter next to the histogram; genai keeps four histograms per
// attribute set (duration, input and output tokens, cost).
func SpanmetricsConfig(flush time.Duration) map[string]any {
	dims := make([]any, len(ConnectorDimensions))
	for i, d := range ConnectorDimensions {
		dims[i] = map[string]any{"name": d}
	}
	buckets := make([]any, len(DurationBuckets))
	for i, s := range DurationBuckets {
		buckets[i] = time.Duration(s * float64(time.Second)).String()
	}
	res := make([]any, len(ConnectorResourceDimensions))
	for i, d := range ConnectorResourceDimensions {
		res[i] = d
	}
	return map[string]any{
		"dimensions":                      dims,
		"exclude_dimensions":              []any{"span.name", "span.kind", "status.code"},
		"resource_metrics_key_attributes": res,
		"histogram": map[string]any{
			"unit":     "s",
			"explicit": map[string]any{"buckets": buckets},
		},
		"exemplars":               map[string]any{"enabled": false},
		"aggregation_temporality": "AGGREGATION_TEMPORALITY_CUMULATIVE",
		"metrics_flush_interval":  flush.String(),
	}
}

// TracesConnector is a started connector with its traces input.
type TracesConnector struct {
	consumer.Traces
	comp component.Component
	// Tel is its telemetry (the genai connector's self-metrics).
	Tel *componenttest.Telemetry
}

// Shutdown stops the connector.
func (c *TracesConnector) Shutdown(ctx context.Context) {
	_ = c.comp.Shutdown(ctx)
	_ = c.Tel.Shutdown(ctx)
}

// NewTracesConnector creates and starts the traces -> metrics connector
// name ("genai", "spanmetrics" or "drop") with cfg (nil: its default),
// sending its metrics to next.
func NewTracesConnector(ctx context.Context, name string, cfg map[string]any, next consumer.Metrics) (*TracesConnector, error) {
	var f connector.Factory
	switch name {
	case "genai":
		f = genaiconnector.NewFactory()
	case "spanmetrics":
		f = spanmetricsconnector.NewFactory()
	case "drop":
		f = dropFactory()
	default:
		return nil, fmt.Errorf("unknown connector %q", name)
	}
	c := f.CreateDefaultConfig()
	if cfg != nil {
		if err := confmap.NewFromStringMap(cfg).Unmarshal(c); err != nil {
			return nil, fmt.Errorf("%s config: %w", name, err)
		}
	}
	if v, ok := c.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("%s config: %w", name, err)
		}
	}
	tel := componenttest.NewTelemetry()
	set := connector.Settings{
		ID:                component.NewID(f.Type()),
		TelemetrySettings: tel.NewTelemetrySettings(),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}
	conn, err := f.CreateTracesToMetrics(ctx, set, c, next)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	if err := conn.Start(ctx, componenttest.NewNopHost()); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	return &TracesConnector{Traces: conn, comp: conn, Tel: tel}, nil
}

// dropConnector is the floor for plain spans: it drops every span.
type dropConnector struct{}

func (dropConnector) Start(context.Context, component.Host) error { return nil }
func (dropConnector) Shutdown(context.Context) error              { return nil }
func (dropConnector) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}
func (dropConnector) ConsumeTraces(context.Context, ptrace.Traces) error { return nil }

func dropFactory() connector.Factory {
	return connector.NewFactory(component.MustNewType("bench_drop"),
		func() component.Config { return &emptyConfig{} },
		connector.WithTracesToMetrics(func(context.Context, connector.Settings, component.Config, consumer.Metrics) (connector.Traces, error) {
			return dropConnector{}, nil
		}, component.StabilityLevelDevelopment))
}

// A model call's point attributes in the connector workload.
type callShape struct {
	op, errType string
	status      int64
	weight      int // per 100 calls
}

// connectorModels are 10 (provider, model) pairs, connectorShapes 5
// outcomes: 50 span attribute sets, each under 2 services.
var (
	connectorModels = [][2]string{
		{"openai", "gpt-4o"}, {"openai", "gpt-4o-mini"}, {"openai", "o3-mini"},
		{"anthropic", "claude-3-5-sonnet-20241022"}, {"anthropic", "claude-3-5-haiku-20241022"},
		{"gcp.gemini", "gemini-1.5-pro"}, {"gcp.gemini", "gemini-2.0-flash"},
		{"aws.bedrock", "anthropic.claude-3-haiku-20240307-v1:0"},
		{"mistral_ai", "mistral-large-latest"}, {"azure.ai.openai", "gpt-4.1"},
	}
	connectorShapes = []callShape{
		{"chat", "", 200, 70}, {"text_completion", "", 200, 10}, {"embeddings", "", 200, 14},
		{"chat", "429", 429, 4}, {"chat", "500", 500, 2},
	}
	connectorServices = []string{"chatbot", "agent"}
)

// ConnectorSpanSets is the number of distinct (service, point attribute)
// sets in ConnectorBatches.
var ConnectorSpanSets = len(connectorModels) * len(connectorShapes) * len(connectorServices)

// ConnectorBatches builds n batches of size model-call spans in the OTel
// GenAI semantic conventions (current attribute names, as the Vercel AI
// SDK's gen_ai.* attributes or OpenLIT write them), one resource and scope
// per batch (services alternating), about 25 attributes a span: the seven
// dimensions, token usage and the request parameters, response id and
// finish reasons, and the HTTP, code and application attributes real
// instrumentations add. Models are uniform; outcomes weighted (70 % chat,
// 10 % text completion, 14 % embeddings, 4 % rate-limited, 2 % server
// errors, the failed ones with error status and error.type). Deterministic.
func ConnectorBatches(n, size int) []ptrace.Traces {
	rng := rand.New(rand.NewPCG(26, 6))
	out := make([]ptrace.Traces, n)
	for b := range out {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		genaiResource(rs.Resource().Attributes(), connectorServices[b%len(connectorServices)])
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("ai")
		ss.Scope().SetVersion("6.0.0")
		spans := ss.Spans()
		spans.EnsureCapacity(size)
		for range size {
			m := connectorModels[rng.IntN(len(connectorModels))]
			shape := pickShape(rng.IntN(100))
			genaiSpan(spans.AppendEmpty(), rng, m[0], m[1], shape)
		}
		out[b] = td
	}
	return out
}

// SeriesBatch builds n spans with distinct model names, models first to
// first+n-1, one attribute set each (one service, chat, status 200): the
// memory-per-series workload (cmd/seriesmem).
func SeriesBatch(first, n int) ptrace.Traces {
	rng := rand.New(rand.NewPCG(26, uint64(first)))
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	genaiResource(rs.Resource().Attributes(), "chatbot")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("ai")
	for i := first; i < first+n; i++ {
		genaiSpan(ss.Spans().AppendEmpty(), rng, "openai", fmt.Sprintf("ft:gpt-4o-mini:acme:model-%05d", i), connectorShapes[0])
	}
	return td
}

func pickShape(r int) callShape {
	for _, s := range connectorShapes {
		if r < s.weight {
			return s
		}
		r -= s.weight
	}
	return connectorShapes[0]
}

func genaiResource(a pcommon.Map, service string) {
	a.PutStr("service.name", service)
	a.PutStr("deployment.environment.name", "production")
	a.PutStr("telemetry.sdk.name", "opentelemetry")
	a.PutStr("telemetry.sdk.language", "nodejs")
	a.PutStr("telemetry.sdk.version", "2.2.0")
	a.PutStr("host.name", "node-7")
}

func genaiSpan(s ptrace.Span, rng *rand.Rand, provider, model string, shape callShape) {
	var tid [16]byte
	var sid [8]byte
	for i := range tid {
		tid[i] = byte(rng.Uint32())
	}
	for i := range sid {
		sid[i] = byte(rng.Uint32())
	}
	s.SetTraceID(tid)
	s.SetSpanID(sid)
	s.SetName(shape.op + " " + model)
	s.SetKind(ptrace.SpanKindClient)
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(3600_000)) * time.Millisecond)
	dur := time.Duration(50+rng.IntN(20_000)) * time.Millisecond
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(dur)))
	a := s.Attributes()
	a.EnsureCapacity(26)
	a.PutStr("gen_ai.operation.name", shape.op)
	a.PutStr("gen_ai.provider.name", provider)
	a.PutStr("gen_ai.request.model", model)
	if shape.errType == "" {
		a.PutStr("gen_ai.response.model", model)
		a.PutInt("gen_ai.usage.input_tokens", int64(50+rng.IntN(4000)))
		if shape.op != "embeddings" {
			a.PutInt("gen_ai.usage.output_tokens", int64(10+rng.IntN(800)))
			a.PutStr("gen_ai.response.id", fmt.Sprintf("chatcmpl-%08x", rng.Uint32()))
			a.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr("stop")
		}
	} else {
		a.PutStr("error.type", shape.errType)
		s.Status().SetCode(ptrace.StatusCodeError)
		s.Status().SetMessage("request failed")
	}
	if shape.op != "embeddings" {
		a.PutDouble("gen_ai.request.temperature", 0.7)
		a.PutInt("gen_ai.request.max_tokens", 1024)
	}
	a.PutStr("server.address", "api.example.com")
	a.PutInt("server.port", 443)
	a.PutInt("http.response.status_code", shape.status)
	a.PutStr("http.request.method", "POST")
	a.PutStr("url.full", "https://api.example.com/v1/chat/completions")
	a.PutStr("user.id", "u-1234")
	a.PutStr("session.id", "sess-42")
	a.PutStr("code.function.name", "generate")
	a.PutStr("code.file.path", "/app/bot/answer.ts")
	a.PutInt("code.line.number", 42)
	a.PutStr("app.request.id", fmt.Sprintf("req-%06x", rng.Uint32()&0xffffff))
	a.PutStr("app.tenant", "acme")
}

package genaiconnector // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector"

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// Attribute sets are built once: they are the same for every batch.
var (
	skippedNotModelCall = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "not_model_call")))
	skippedSourceMetric = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "source_metrics")))
)

// telemetry records the component's self-metrics (metadata.yaml).
type telemetry struct {
	tb *metadata.TelemetryBuilder
}

func (t *telemetry) spans(ctx context.Context, n int) {
	t.tb.ConnectorGenaiSpans.Add(ctx, int64(n))
}

// counted records what the core counted of a batch of spans spans: every
// span not counted as a call nor left to its source's metrics is no model
// call, whether the core read it or the batch had no GenAI key at all.
func (t *telemetry) counted(ctx context.Context, spans int, s ffi.SpanMetricsStats) {
	add(ctx, t.tb.ConnectorGenaiCalls, s.Calls)
	add(ctx, t.tb.ConnectorGenaiCallsOverflowed, s.Overflowed)
	add(ctx, t.tb.ConnectorGenaiSeriesCreated, s.SeriesCreated)
	add(ctx, t.tb.ConnectorGenaiSpansSkipped, s.SkippedSourceMetrics, skippedSourceMetric)
	if notCall := uint64(spans) - min(uint64(spans), s.Calls+s.SkippedSourceMetrics); notCall > 0 {
		t.tb.ConnectorGenaiSpansSkipped.Add(ctx, int64(notCall), skippedNotModelCall)
	}
	// The core reports its state only when it read the batch.
	if s.Spans > 0 {
		t.state(ctx, s)
	}
}

func (t *telemetry) flushed(ctx context.Context, took time.Duration, s ffi.SpanMetricsStats) {
	t.tb.ConnectorGenaiFlushDuration.Record(ctx, took.Seconds())
	// The core counts the zero start points apart from the others
	// (rust/span_metrics/export.rs); both are exported.
	add(ctx, t.tb.ConnectorGenaiPointsExported, s.Points+s.ZeroPoints)
	add(ctx, t.tb.ConnectorGenaiSeriesExpired, s.SeriesExpired)
	t.state(ctx, s)
}

func (t *telemetry) state(ctx context.Context, s ffi.SpanMetricsStats) {
	t.tb.ConnectorGenaiSeriesActive.Record(ctx, int64(s.SeriesActive))
	t.tb.ConnectorGenaiStateBytes.Record(ctx, int64(s.StateBytes))
}

func (t *telemetry) failure(ctx context.Context, call, reason string) {
	t.tb.ConnectorGenaiConsumeErrors.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(
		attribute.String("call", call), attribute.String("reason", reason))))
}

// add adds n unless it is zero, so that unused counters export no series.
func add(ctx context.Context, c metric.Int64Counter, n uint64, opts ...metric.AddOption) {
	if n > 0 {
		c.Add(ctx, int64(n), opts...)
	}
}

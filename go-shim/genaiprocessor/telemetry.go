package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// Attribute sets are built once: they are the same for every batch.
var (
	signalAttrs = map[ffi.Signal]metric.MeasurementOption{
		ffi.Traces:  withAttrs(attribute.String("signal", "traces")),
		ffi.Metrics: withAttrs(attribute.String("signal", "metrics")),
		ffi.Logs:    withAttrs(attribute.String("signal", "logs")),
	}
	skippedUnknownModel     = withAttrs(attribute.String("reason", "unknown_model"))
	skippedNoTokens         = withAttrs(attribute.String("reason", "no_tokens"))
	skippedNonNumericTokens = withAttrs(attribute.String("reason", "non_numeric_tokens"))
	reloadOK                = withAttrs(attribute.String("result", "ok"))
	reloadFailed            = withAttrs(attribute.String("result", "failed"))
)

func withAttrs(kv ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(kv...))
}

// telemetry records the component's self-metrics (metadata.yaml).
type telemetry struct {
	tb *metadata.TelemetryBuilder
}

func (t *telemetry) batch(ctx context.Context, sig ffi.Signal, items int) {
	t.tb.ProcessorGenaiBatches.Add(ctx, 1, signalAttrs[sig])
	t.tb.ProcessorGenaiItems.Add(ctx, int64(items), signalAttrs[sig])
}

// skipped counts a batch passed on without a core call (no GenAI key).
func (t *telemetry) skipped(ctx context.Context, sig ffi.Signal) {
	t.tb.ProcessorGenaiBatchesSkipped.Add(ctx, 1, signalAttrs[sig])
}

func (t *telemetry) failure(ctx context.Context, sig ffi.Signal, reason string) {
	t.tb.ProcessorGenaiErrors.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(
		attribute.String("signal", sig.String()), attribute.String("reason", reason))))
}

// outcome adds the core's per-batch counters; zero counters are skipped so
// that unused stages do not export empty series.
func (t *telemetry) outcome(ctx context.Context, sig ffi.Signal, o ffi.Outcome) {
	t.tb.ProcessorGenaiRustCallDuration.Record(ctx, o.CallDuration.Seconds(), signalAttrs[sig])
	s := o.Stats
	add := func(c metric.Int64Counter, n uint64, opt metric.MeasurementOption) {
		if n > 0 {
			c.Add(ctx, int64(n), opt)
		}
	}
	add(t.tb.ProcessorGenaiAttributesNormalized, s.AttributesNormalized, signalAttrs[sig])
	add(t.tb.ProcessorGenaiValuesNormalized, s.ValuesNormalized, signalAttrs[sig])
	add(t.tb.ProcessorGenaiCoercionFailures, s.CoercionFailures, signalAttrs[sig])
	add(t.tb.ProcessorGenaiCostsComputed, s.CostsComputed, signalAttrs[sig])
	add(t.tb.ProcessorGenaiCostsExisting, s.CostsExisting, signalAttrs[sig])
	add(t.tb.ProcessorGenaiCostSkipped, s.CostUnknownModel, skippedUnknownModel)
	add(t.tb.ProcessorGenaiCostSkipped, s.CostNoTokens, skippedNoTokens)
	add(t.tb.ProcessorGenaiCostSkipped, s.CostNonNumericTokens, skippedNonNumericTokens)
	add(t.tb.ProcessorGenaiCostPointsDerived, s.CostPointsDerived, signalAttrs[sig])
	add(t.tb.ProcessorGenaiMetricsRenamed, s.MetricsRenamed, signalAttrs[sig])
	add(t.tb.ProcessorGenaiMetricNameCollisions, s.MetricNameCollisions, signalAttrs[sig])
	add(t.tb.ProcessorGenaiPointAttributesDropped, s.PointAttributesDropped, signalAttrs[sig])
}

// zeroPoints counts the zero points added at series' start times.
func (t *telemetry) zeroPoints(ctx context.Context, n int) {
	if n > 0 {
		t.tb.ProcessorGenaiZeroStartPoints.Add(ctx, int64(n))
	}
}

// reload counts a reload of the pricing files (reload.go).
func (t *telemetry) reload(ctx context.Context, ok bool) {
	if ok {
		t.tb.ProcessorGenaiPricingReloads.Add(ctx, 1, reloadOK)
	} else {
		t.tb.ProcessorGenaiPricingReloads.Add(ctx, 1, reloadFailed)
	}
}

// observeUnpriced shows the tally of unpriced calls (unpriced.go) as the
// gauge otelcol_processor_genai_unpriced_model_calls{model, provider}.
func (t *telemetry) observeUnpriced(tally *unpricedTally) error {
	return t.tb.RegisterProcessorGenaiUnpricedModelCallsCallback(func(_ context.Context, o metric.Int64Observer) error {
		for _, s := range tally.series() {
			o.Observe(int64(min(s.calls, 1<<63-1)), metric.WithAttributeSet(attribute.NewSet(
				attribute.String("model", s.model), attribute.String("provider", s.provider))))
		}
		return nil
	})
}

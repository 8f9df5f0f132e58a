package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadata"
)

// Changed batches are edited in place (the core returns edits, see
// edits.go), so the processors mutate their input, as transform and
// attributes do.
var editingCapabilities = consumer.Capabilities{MutatesData: true}

// NewFactory returns the genai processor factory.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithTraces(createTraces, metadata.TracesStability),
		processor.WithMetrics(createMetrics, metadata.MetricsStability),
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

// defaultZeroStartSeries: about 5 MB of remembered series.
const defaultZeroStartSeries = 100_000

// defaultReloadInterval: a changed pricing file is in use within 30 s;
// a check stats each file.
const defaultReloadInterval = 30 * time.Second

// defaultUnpricedTop: the 20 models with the most unpriced calls are named.
const defaultUnpricedTop = 20

func createDefaultConfig() component.Config {
	return &Config{
		ErrorMode:        ErrorModeIgnore,
		MaxInflightBytes: defaultMaxInflightBytes,
		ZeroStart:        ZeroStartConfig{Enabled: true, MaxSeries: defaultZeroStartSeries},
		PricingReload:    PricingReloadConfig{Interval: defaultReloadInterval},
		UnpricedModels:   UnpricedModelsConfig{Top: defaultUnpricedTop},
	}
}

func options(p *genaiProcessor, capabilities consumer.Capabilities) []processorhelper.Option {
	return []processorhelper.Option{
		processorhelper.WithCapabilities(capabilities),
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown),
	}
}

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := newGenaiProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	next = sharingNext{Traces: next, readings: &p.readings}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces, options(p, editingCapabilities)...)
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	p, err := newGenaiProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return processorhelper.NewMetrics(ctx, set, cfg, next, p.processMetrics, options(p, editingCapabilities)...)
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newGenaiProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs, options(p, editingCapabilities)...)
}

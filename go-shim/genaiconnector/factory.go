package genaiconnector // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector/internal/metadata"
)

// NewFactory returns the genai connector factory: traces in, the GenAI
// semantic conventions' metrics out.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		metadata.Type,
		createDefaultConfig,
		connector.WithTracesToMetrics(createTracesToMetrics, metadata.TracesToMetricsStability),
	)
}

// createDefaultConfig sets flush_interval only: every other option is
// left out, so the Rust core applies its defaults.
func createDefaultConfig() component.Config {
	return &Config{FlushInterval: defaultFlushInterval}
}

func createTracesToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Traces, error) {
	return newGenaiConnector(set, cfg.(*Config), next)
}

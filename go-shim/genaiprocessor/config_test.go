package genaiprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	zs := ZeroStartConfig{Enabled: true, MaxSeries: defaultZeroStartSeries}
	pr := PricingReloadConfig{Interval: defaultReloadInterval}
	um := UnpricedModelsConfig{Top: defaultUnpricedTop}
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: &Config{ErrorMode: ErrorModeIgnore, MaxInflightBytes: defaultMaxInflightBytes, ZeroStart: zs, PricingReload: pr, UnpricedModels: um}},
		{id: component.NewIDWithName(metadata.Type, "propagate"), want: &Config{ErrorMode: ErrorModePropagate, MaxInflightBytes: defaultMaxInflightBytes, ZeroStart: zs, PricingReload: pr, UnpricedModels: um}},
		{
			id: component.NewIDWithName(metadata.Type, "sections"),
			want: &Config{
				ErrorMode:        ErrorModeIgnore,
				MaxInflightBytes: defaultMaxInflightBytes,
				ZeroStart:        zs,
				PricingReload:    pr,
				UnpricedModels:   um,
				Normalize:        map[string]any{"overwrite": true},
				Cost:             map[string]any{},
				Naming:           map[string]any{},
			},
		},
		{id: component.NewIDWithName(metadata.Type, "inflight"), want: &Config{ErrorMode: ErrorModeIgnore, MaxInflightBytes: 8 << 20, ZeroStart: zs, PricingReload: pr, UnpricedModels: um}},
		{id: component.NewIDWithName(metadata.Type, "unbounded"), want: &Config{ErrorMode: ErrorModeIgnore, ZeroStart: zs, PricingReload: pr, UnpricedModels: um}},
		{id: component.NewIDWithName(metadata.Type, "zero_start_off"), want: &Config{ErrorMode: ErrorModeIgnore, MaxInflightBytes: defaultMaxInflightBytes, ZeroStart: ZeroStartConfig{MaxSeries: defaultZeroStartSeries}, PricingReload: pr, UnpricedModels: um}},
		{id: component.NewIDWithName(metadata.Type, "reload"), want: &Config{ErrorMode: ErrorModeIgnore, MaxInflightBytes: defaultMaxInflightBytes, ZeroStart: zs, PricingReload: PricingReloadConfig{Interval: 5 * time.Second}, UnpricedModels: UnpricedModelsConfig{Top: 50}}},
		{id: component.NewIDWithName(metadata.Type, "reload_off"), want: &Config{ErrorMode: ErrorModeIgnore, MaxInflightBytes: defaultMaxInflightBytes, ZeroStart: zs}},
		{id: component.NewIDWithName(metadata.Type, "bad_reload_interval"), wantErr: "pricing_reload.interval: must be 0 (never) or at least 100ms, got 10ms"},
		{id: component.NewIDWithName(metadata.Type, "bad_unpriced_top"), wantErr: "unpriced_models.top: must be 0 (off) to 1000, got 1001"},
		{id: component.NewIDWithName(metadata.Type, "bad_zero_start"), wantErr: "zero_start.max_series: must be 1 to 10000000, got 0"},
		{id: component.NewIDWithName(metadata.Type, "bad_error_mode"), wantErr: `error_mode: must be "ignore" or "propagate", got "drop"`},
		{id: component.NewIDWithName(metadata.Type, "bad_inflight"), wantErr: "max_inflight_bytes: must be 0 (no bound) or more, got -1"},
		// The Rust core validates its own sections and names the field.
		{id: component.NewIDWithName(metadata.Type, "bad_rust_section"), wantErr: "invalid genai configuration: normalize.overwrite"},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestValidateNamesUnknownRustOption(t *testing.T) {
	cfg := &Config{ErrorMode: ErrorModeIgnore, Cost: map[string]any{"no_such_option": 1}}
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cost")
	assert.Contains(t, err.Error(), "no_such_option")
}

func TestCoreJSONLeavesOutAbsentSections(t *testing.T) {
	doc, err := (&Config{Naming: map[string]any{"enabled": false}}).coreJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"naming": {"enabled": false}}`, string(doc))

	doc, err = (&Config{}).coreJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(doc))
}

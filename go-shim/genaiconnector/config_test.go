package genaiconnector

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector/internal/metadata"
)

func ptr[T any](v T) *T { return &v }

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: &Config{FlushInterval: 15 * time.Second}},
		{
			id: component.NewIDWithName(metadata.Type, "full"),
			want: &Config{
				FlushInterval:      30 * time.Second,
				Expiration:         ptr(10 * time.Minute),
				CardinalityLimit:   ptr(500),
				MaxValueBytes:      ptr(128),
				Dimensions:         []string{"app.team"},
				ResourceDimensions: []string{"service.name"},
				Temporality:        "delta",
				InstanceAttribute:  ptr("collector.id"),
				InstanceID:         "gateway-1",
				Derive: map[string]any{
					"default":              "auto",
					"sources_with_metrics": []any{"openlit"},
					"scopes":               map[string]any{"opentelemetry.instrumentation.openai": "always"},
				},
				Normalize: map[string]any{"overwrite": true},
				Cost: map[string]any{"models": []any{map[string]any{
					"model": "my-finetune-v3", "provider": "openai", "input": 3.0, "output": 12.0,
				}}},
			},
		},
		{id: component.NewIDWithName(metadata.Type, "no_instance"), want: &Config{FlushInterval: 15 * time.Second, InstanceAttribute: ptr("")}},
		{id: component.NewIDWithName(metadata.Type, "bad_flush_interval"), wantErr: "flush_interval: must be more than 0, got -1s"},
		// The Rust core validates its own options and names the field.
		{id: component.NewIDWithName(metadata.Type, "bad_cardinality_limit"), wantErr: "cardinality_limit: must be 1 to 1000000, got 0"},
		{id: component.NewIDWithName(metadata.Type, "bad_expiration"), wantErr: "expiration: must be at least 1ms, got 500µs"},
		{id: component.NewIDWithName(metadata.Type, "bad_temporality"), wantErr: "temporality"},
		{id: component.NewIDWithName(metadata.Type, "bad_derive"), wantErr: "derive.default"},
		{id: component.NewIDWithName(metadata.Type, "bad_cost"), wantErr: "cost.no_such_option"},
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

func TestDefaultConfigLeavesTheCoreItsDefaults(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	assert.Equal(t, 15*time.Second, cfg.FlushInterval)
	require.NoError(t, cfg.Validate())
	doc, err := cfg.coreJSON("")
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(doc))
	// The Go-resolved options are added when known.
	doc, err = cfg.coreJSON("host-1")
	require.NoError(t, err)
	assert.JSONEq(t, `{"instance_id": "host-1"}`, string(doc))
}

func TestCoreJSONPassesWhatTheUserSet(t *testing.T) {
	cfg := &Config{
		FlushInterval:      time.Second,
		Expiration:         ptr(90 * time.Second),
		CardinalityLimit:   ptr(10),
		ResourceDimensions: []string{},
		InstanceAttribute:  ptr(""),
		Derive:             map[string]any{"default": "always"},
	}
	doc, err := cfg.coreJSON("i")
	require.NoError(t, err)
	assert.JSONEq(t, `{"expiration_ms": 90000, "cardinality_limit": 10, "resource_dimensions": [],
		"instance_attribute": "", "instance_id": "i", "derive": {"default": "always"}}`, string(doc))
	require.NoError(t, cfg.Validate())
}

func TestValidateRefusesNegativeCardinalityInTheCore(t *testing.T) {
	cfg := &Config{FlushInterval: time.Second, CardinalityLimit: ptr(-1)}
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cardinality_limit")
}

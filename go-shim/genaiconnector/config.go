package genaiconnector // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector"

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// Config is the genai connector's configuration. flush_interval belongs to
// the Go side; every other option belongs to the Rust core
// (rust/span_metrics/config.rs), which owns its schema, defaults and
// validation. An option left out here is left out of the JSON the core
// gets, so the core's default applies: the pointer and nil fields below
// are "not set".
type Config struct {
	// FlushInterval is how often the series are flushed to the metrics
	// pipeline (default 15s).
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// Expiration drops a series not updated for this long (core default
	// 5m); passed to the core in milliseconds (expiration_ms).
	Expiration *time.Duration `mapstructure:"expiration"`
	// CardinalityLimit bounds the attribute sets of a metric (core
	// default 2000).
	CardinalityLimit *int `mapstructure:"cardinality_limit"`
	// MaxValueBytes bounds an attribute value in a series key (core
	// default 256).
	MaxValueBytes *int `mapstructure:"max_value_bytes"`
	// Dimensions are span attributes added to the built-in point
	// attributes (core default none).
	Dimensions []string `mapstructure:"dimensions"`
	// ResourceDimensions are the resource attributes copied to the
	// metrics' resource (core default: service.name, ...).
	ResourceDimensions []string `mapstructure:"resource_dimensions"`
	// Temporality is cumulative (core default) or delta.
	Temporality string `mapstructure:"temporality"`
	// InstanceAttribute names the resource attribute that carries the
	// aggregating collector's identity (core default
	// "otelcol.instance.id"); "" leaves it out.
	InstanceAttribute *string `mapstructure:"instance_attribute"`
	// InstanceID is its value; "" (default): the collector's own
	// service.instance.id, else hostname-pid.
	InstanceID string `mapstructure:"instance_id"`
	// Derive says which spans' model calls become metrics (Rust-owned
	// schema).
	Derive map[string]any `mapstructure:"derive"`
	// Normalize configures attribute normalization, as in the processor
	// (Rust-owned schema).
	Normalize map[string]any `mapstructure:"normalize"`
	// Cost configures cost computation, as in the processor (Rust-owned
	// schema).
	Cost map[string]any `mapstructure:"cost"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// defaultFlushInterval is flush_interval's default.
const defaultFlushInterval = 15 * time.Second

// Validate checks flush_interval and the expiration's unit here, and
// every Rust-owned option in the Rust core itself, so there is one source
// of truth; the core's message names the offending field (e.g.
// "cardinality_limit").
func (cfg *Config) Validate() error {
	if cfg.FlushInterval <= 0 {
		return fmt.Errorf("flush_interval: must be more than 0, got %s", cfg.FlushInterval)
	}
	doc, err := cfg.coreJSON("")
	if err != nil {
		return err
	}
	return ffi.ConfigMessage(ffi.ValidateConnectorConfig(doc))
}

// coreJSON encodes the options the user set, and instanceID when not
// empty, as the JSON document the core expects (SpanMetricsConfig).
func (cfg *Config) coreJSON(instanceID string) ([]byte, error) {
	doc := map[string]any{}
	if cfg.Expiration != nil {
		e := *cfg.Expiration
		if e < time.Millisecond && e != 0 {
			// The core counts milliseconds; 0 is its own error.
			return nil, fmt.Errorf("expiration: must be at least 1ms, got %s", e)
		}
		doc["expiration_ms"] = e.Milliseconds()
	}
	set := func(key string, v any, ok bool) {
		if ok {
			doc[key] = v
		}
	}
	set("cardinality_limit", ptrValue(cfg.CardinalityLimit), cfg.CardinalityLimit != nil)
	set("max_value_bytes", ptrValue(cfg.MaxValueBytes), cfg.MaxValueBytes != nil)
	set("dimensions", cfg.Dimensions, cfg.Dimensions != nil)
	set("resource_dimensions", cfg.ResourceDimensions, cfg.ResourceDimensions != nil)
	set("temporality", cfg.Temporality, cfg.Temporality != "")
	set("instance_attribute", ptrValue(cfg.InstanceAttribute), cfg.InstanceAttribute != nil)
	set("instance_id", instanceID, instanceID != "")
	set("derive", cfg.Derive, cfg.Derive != nil)
	set("normalize", cfg.Normalize, cfg.Normalize != nil)
	set("cost", cfg.Cost, cfg.Cost != nil)
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding the genai connector configuration for the Rust core: %w", err)
	}
	return b, nil
}

// ptrValue is *p, or nil.
func ptrValue[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

package genaiprocessor // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiprocessor"

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/otelcol-genai/otelcol-genai/go-shim/internal/ffi"
)

// ErrorMode says what happens to a batch the Rust core cannot process.
type ErrorMode string

const (
	// ErrorModeIgnore passes the batch on unchanged, counts the error and
	// logs it (rate-limited).
	ErrorModeIgnore ErrorMode = "ignore"
	// ErrorModePropagate also counts and logs the error, then returns it to
	// the previous component, which usually means the batch is refused.
	ErrorModePropagate ErrorMode = "propagate"
)

// Config is the genai processor's configuration. error_mode,
// max_inflight_bytes, zero_start, pricing_reload and unpriced_models
// belong to the Go side; normalize, cost and naming belong to the Rust core, which owns
// their schema and validation: they are kept as raw maps and passed across
// the C ABI as JSON.
type Config struct {
	// ErrorMode is ignore (default) or propagate.
	ErrorMode ErrorMode `mapstructure:"error_mode"`
	// MaxInflightBytes bounds the OTLP bytes of the batches inside the Rust
	// core at once (inflight.go); 0 turns the bound off. The core's memory
	// is not in the Go heap that memory_limiter reads: this bound keeps it
	// proportional to a known number instead.
	MaxInflightBytes int64 `mapstructure:"max_inflight_bytes"`
	// ZeroStart adds a zero point at the start time of each new cumulative
	// GenAI series (zerostart.go).
	ZeroStart ZeroStartConfig `mapstructure:"zero_start"`
	// PricingReload re-reads cost.pricing_files when they change (reload.go).
	PricingReload PricingReloadConfig `mapstructure:"pricing_reload"`
	// UnpricedModels shows the models calls were left unpriced for
	// (unpriced.go).
	UnpricedModels UnpricedModelsConfig `mapstructure:"unpriced_models"`
	// Normalize configures attribute normalization (Rust-owned schema).
	Normalize map[string]any `mapstructure:"normalize"`
	// Cost configures cost computation (Rust-owned schema).
	Cost map[string]any `mapstructure:"cost"`
	// Naming configures VictoriaMetrics metric naming (Rust-owned schema).
	Naming map[string]any `mapstructure:"naming"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ZeroStartConfig is the zero_start section.
type ZeroStartConfig struct {
	// Enabled turns the zero points on (the default).
	Enabled bool `mapstructure:"enabled"`
	// MaxSeries bounds the series remembered (about 50 bytes each); the
	// oldest are forgotten first.
	MaxSeries int `mapstructure:"max_series"`
}

// PricingReloadConfig is the pricing_reload section.
type PricingReloadConfig struct {
	// Interval is how often cost.pricing_files are checked for changes;
	// 0 reads them once, at start.
	Interval time.Duration `mapstructure:"interval"`
}

// UnpricedModelsConfig is the unpriced_models section.
type UnpricedModelsConfig struct {
	// Top is how many (model, provider) pairs the gauge names, those with
	// the most unpriced calls; the rest are summed in model "_other". 0
	// turns the gauge off.
	Top int `mapstructure:"top"`
}

// maxUnpricedTop bounds unpriced_models.top: the tally tracks 4 times as
// many pairs, of at most 512 bytes of names each.
const maxUnpricedTop = 1000

// maxZeroStartSeries bounds max_series: 10M series are about 500 MB.
const maxZeroStartSeries = 10_000_000

// Validate checks error_mode, max_inflight_bytes, zero_start,
// pricing_reload and unpriced_models here and every Rust-owned section in the Rust
// core itself, so there is one source of truth; the core's message names the
// offending field (e.g. "cost.pricing_files[0]").
func (cfg *Config) Validate() error {
	switch cfg.ErrorMode {
	case ErrorModeIgnore, ErrorModePropagate:
	default:
		return fmt.Errorf("error_mode: must be %q or %q, got %q", ErrorModeIgnore, ErrorModePropagate, cfg.ErrorMode)
	}
	if cfg.MaxInflightBytes < 0 {
		return fmt.Errorf("max_inflight_bytes: must be 0 (no bound) or more, got %d", cfg.MaxInflightBytes)
	}
	if cfg.ZeroStart.Enabled && (cfg.ZeroStart.MaxSeries < 1 || cfg.ZeroStart.MaxSeries > maxZeroStartSeries) {
		return fmt.Errorf("zero_start.max_series: must be 1 to %d, got %d", maxZeroStartSeries, cfg.ZeroStart.MaxSeries)
	}
	if iv := cfg.PricingReload.Interval; iv != 0 && iv < minReloadInterval {
		return fmt.Errorf("pricing_reload.interval: must be 0 (never) or at least %s, got %s", minReloadInterval, iv)
	}
	if top := cfg.UnpricedModels.Top; top < 0 || top > maxUnpricedTop {
		return fmt.Errorf("unpriced_models.top: must be 0 (off) to %d, got %d", maxUnpricedTop, top)
	}
	doc, err := cfg.coreJSON()
	if err != nil {
		return err
	}
	return ffi.ConfigMessage(ffi.ValidateConfig(doc))
}

// coreJSON encodes the Rust-owned sections as the JSON document the core
// expects; absent sections are left out so the core applies its defaults.
func (cfg *Config) coreJSON() ([]byte, error) {
	doc := map[string]any{}
	for name, section := range map[string]map[string]any{
		"normalize": cfg.Normalize,
		"cost":      cfg.Cost,
		"naming":    cfg.Naming,
	} {
		if section != nil {
			doc[name] = section
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding the genai configuration for the Rust core: %w", err)
	}
	return b, nil
}

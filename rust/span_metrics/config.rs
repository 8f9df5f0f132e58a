//! The `genai` connector's configuration, as the Go component passes it
//! across the C ABI (its YAML section as JSON, durations in milliseconds).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::ConfigError;
use crate::normalize::NormalizeConfig;
use crate::pricing::CostConfig;

/// Most span attributes a user may add as dimensions: each one multiplies
/// the key bytes every series holds.
pub const MAX_DIMENSIONS: usize = 16;

/// The whole connector configuration. `{}` is valid: every field has a
/// default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpanMetricsConfig {
    /// Normalization of the spans, as in the processor.
    pub normalize: NormalizeConfig,
    /// Pricing of the spans that carry no cost yet, as in the processor.
    pub cost: CostConfig,
    /// Span attributes added to the built-in point attributes.
    pub dimensions: Vec<String>,
    /// Resource attributes copied to the metrics' resource.
    pub resource_dimensions: Vec<String>,
    /// Attribute sets (series) a metric may hold; further sets go to one
    /// overflow series (`otel.metric.overflow=true`).
    pub cardinality_limit: usize,
    /// Longest attribute value kept in a series key, in bytes; longer
    /// values are cut at a character boundary.
    pub max_value_bytes: usize,
    /// A series not updated for this long is dropped (milliseconds).
    pub expiration_ms: u64,
    /// Cumulative (the default) or delta.
    pub temporality: Temporality,
    /// Resource attribute naming the aggregating collector; empty: none.
    pub instance_attribute: String,
    /// Its value (the Go side passes the collector's `service.instance.id`).
    pub instance_id: String,
    /// Which spans become metrics.
    pub derive: DeriveConfig,
}

impl Default for SpanMetricsConfig {
    fn default() -> Self {
        Self {
            normalize: NormalizeConfig::default(),
            cost: CostConfig::default(),
            dimensions: Vec::new(),
            resource_dimensions: [
                "service.name",
                "service.namespace",
                "deployment.environment",
                "deployment.environment.name",
                "telemetry.sdk.name",
                "telemetry.sdk.language",
            ]
            .map(String::from)
            .to_vec(),
            cardinality_limit: 2000,
            max_value_bytes: 256,
            expiration_ms: 5 * 60 * 1000,
            temporality: Temporality::Cumulative,
            instance_attribute: "otelcol.instance.id".to_string(),
            instance_id: String::new(),
            derive: DeriveConfig::default(),
        }
    }
}

/// Aggregation temporality of the emitted metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Temporality {
    /// Totals since the series started (its start time says when).
    Cumulative,
    /// What changed since the previous flush.
    Delta,
}

/// Whether the model calls of a source are derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derive {
    /// Unless the source sends GenAI metrics itself.
    Auto,
    Always,
    Never,
    /// Failed calls only: for a source whose metrics leave them out
    /// (LiteLLM's, with its metrics on).
    Errors,
}

/// `derive:` which spans' calls the connector counts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeriveConfig {
    /// The rule for every span (`auto`: only sources that send no GenAI
    /// metrics of their own).
    pub default: Derive,
    /// Instrumentation scope name prefixes of the sources that send their
    /// own GenAI metrics (and resource `telemetry.sdk.name` values, for
    /// SDKs that name themselves there): `auto` leaves their calls to them.
    pub sources_with_metrics: Vec<String>,
    /// Scope name prefix -> rule, overriding `default` for that source
    /// (the longest matching prefix wins).
    pub scopes: BTreeMap<String, Derive>,
}

impl Default for DeriveConfig {
    fn default() -> Self {
        Self {
            default: Derive::Auto,
            sources_with_metrics: [
                // OpenLIT: its resource's telemetry.sdk.name, and its scopes.
                "openlit",
                // The official OpenTelemetry GenAI instrumentations
                // (openai-v2, google-genai, ... and their util-genai
                // handler) and OpenLLMetry's, which share the prefix.
                "opentelemetry.instrumentation.",
                "opentelemetry.util.genai",
            ]
            .map(String::from)
            .to_vec(),
            scopes: BTreeMap::new(),
        }
    }
}

impl Derive {
    /// Whether a call is counted under this rule (`Auto` is resolved to
    /// `Always` or `Never` per source before this is asked).
    pub fn counts(self, call: &super::call::Measures) -> bool {
        match self {
            Derive::Always | Derive::Auto => true,
            Derive::Never => false,
            Derive::Errors => call.failed,
        }
    }
}

impl SpanMetricsConfig {
    /// Decodes a JSON configuration and checks the bounds; errors name the
    /// field as the user wrote it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ConfigError> {
        let config: Self = crate::config::decode_json(bytes)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.dimensions.len() > MAX_DIMENSIONS {
            return Err(ConfigError::new(
                "dimensions",
                format!(
                    "at most {MAX_DIMENSIONS} attributes, got {}",
                    self.dimensions.len()
                ),
            ));
        }
        if self.resource_dimensions.len() > MAX_DIMENSIONS {
            return Err(ConfigError::new(
                "resource_dimensions",
                format!(
                    "at most {MAX_DIMENSIONS} attributes, got {}",
                    self.resource_dimensions.len()
                ),
            ));
        }
        for (field, keys) in [
            ("dimensions", &self.dimensions),
            ("resource_dimensions", &self.resource_dimensions),
        ] {
            if let Some(i) = keys.iter().position(|k| k.is_empty()) {
                return Err(ConfigError::new(
                    format!("{field}[{i}]"),
                    "empty attribute name",
                ));
            }
        }
        if !(1..=1_000_000).contains(&self.cardinality_limit) {
            return Err(ConfigError::new(
                "cardinality_limit",
                format!("must be 1 to 1000000, got {}", self.cardinality_limit),
            ));
        }
        if !(16..=4096).contains(&self.max_value_bytes) {
            return Err(ConfigError::new(
                "max_value_bytes",
                format!("must be 16 to 4096, got {}", self.max_value_bytes),
            ));
        }
        if self.expiration_ms == 0 {
            return Err(ConfigError::new("expiration", "must be more than 0"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_is_the_default() {
        let c = SpanMetricsConfig::from_json(b"{}").unwrap();
        assert_eq!(c.cardinality_limit, 2000);
        assert_eq!(c.derive.default, Derive::Auto);
    }

    #[test]
    fn bounds_are_checked_and_named() {
        for (json, field) in [
            (r#"{"cardinality_limit": 0}"#, "cardinality_limit"),
            (r#"{"max_value_bytes": 1}"#, "max_value_bytes"),
            (r#"{"expiration_ms": 0}"#, "expiration"),
            (r#"{"dimensions": [""]}"#, "dimensions[0]"),
            (r#"{"derive": {"default": "sometimes"}}"#, "derive.default"),
            (r#"{"cost": {"nope": 1}}"#, "cost.nope"),
        ] {
            let err = SpanMetricsConfig::from_json(json.as_bytes()).unwrap_err();
            assert_eq!(err.field, field, "{json}: {err}");
        }
        let many = format!(r#"{{"dimensions": {:?}}}"#, vec!["a"; MAX_DIMENSIONS + 1]);
        let err = SpanMetricsConfig::from_json(many.as_bytes()).unwrap_err();
        assert_eq!(err.field, "dimensions");
    }
}

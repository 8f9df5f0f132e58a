//! Attribute normalization to the current OpenTelemetry GenAI semantic
//! conventions. (Skeleton: the built-in sources arrive with issue #3.)

use opentelemetry_proto::tonic::common::v1::KeyValue;
use serde::Deserialize;

use crate::error::ConfigError;
use crate::stats::Stats;

/// Where an attribute list sits; some mappings apply only in some places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Resource,
    Span,
    SpanEvent,
    LogRecord,
    DataPoint,
}

/// `normalize:` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NormalizeConfig {
    pub enabled: bool,
    /// Mapped values replace canonical attributes that are already present.
    pub overwrite: bool,
    /// Source attributes are removed once mapped.
    pub remove_originals: bool,
}

impl Default for NormalizeConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            overwrite: false,
            remove_originals: false,
        }
    }
}

#[derive(Debug)]
pub struct Normalizer {
    #[allow(dead_code)]
    config: NormalizeConfig,
}

impl Normalizer {
    pub fn new(config: &NormalizeConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            config: config.clone(),
        })
    }

    /// Rewrites `attrs` in place; returns whether anything changed.
    pub fn apply(&self, _attrs: &mut Vec<KeyValue>, _place: Place, _stats: &mut Stats) -> bool {
        false
    }

    /// Byte strings at least one of which occurs in any batch this stage could change.
    pub fn needles(&self) -> Vec<String> {
        vec!["gen_ai".to_string()]
    }
}

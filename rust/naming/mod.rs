//! VictoriaMetrics-ready metric and label names. (Skeleton: issue #5.)

use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics};
use serde::Deserialize;

use crate::error::ConfigError;
use crate::stats::Stats;

/// `naming:` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamingConfig {
    pub enabled: bool,
}

impl Default for NamingConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

#[derive(Debug)]
pub struct Naming {}

impl Naming {
    pub fn new(_config: &NamingConfig) -> Result<Self, ConfigError> {
        Ok(Self {})
    }

    /// Maps a legacy metric name (older OpenLIT, OpenLLMetry, semconv) to the
    /// current semantic-convention name; returns whether it did.
    pub fn upgrade_legacy_name(&self, _metric: &mut Metric, _stats: &mut Stats) -> bool {
        false
    }

    /// Renames the selected metrics of one resource; returns whether it did.
    pub fn apply(&self, _rm: &mut ResourceMetrics, _stats: &mut Stats) -> bool {
        false
    }

    /// Needles for the prefilter; `None` when every metric batch must be seen.
    pub fn needles(&self) -> Option<Vec<String>> {
        Some(vec!["gen_ai".to_string()])
    }
}

//! Cost computation. (Skeleton: pricing tables arrive with issue #4.)

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::ScopeMetrics;
use serde::Deserialize;

use crate::error::ConfigError;
use crate::processor::Batch;

/// `cost:` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostConfig {
    pub enabled: bool,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

#[derive(Debug)]
pub struct Pricer {}

impl Pricer {
    pub fn new(_config: &CostConfig) -> Result<Self, ConfigError> {
        Ok(Self {})
    }

    /// Writes `gen_ai.usage.cost` on an LLM-call span or log record.
    pub fn annotate(&self, _attrs: &mut Vec<KeyValue>, _batch: &mut Batch) -> bool {
        false
    }

    /// Adds `gen_ai.usage.cost` histograms derived from token usage metrics.
    pub fn derive_cost_metrics(&self, _sm: &mut ScopeMetrics, _batch: &mut Batch) -> bool {
        false
    }
}

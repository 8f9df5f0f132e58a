//! The `cost:` section of the configuration.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::formats::yaml::ModelSpec;
use super::formats::Format;

/// `cost:` section of the configuration. Every field has a default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostConfig {
    /// Compute costs at all.
    pub enabled: bool,
    /// Write `gen_ai.usage.cost` even where the instrumentation already did.
    #[serde(rename = "override")]
    pub override_existing: bool,
    /// Replace an existing cost of 0 on a call that used tokens (OpenLIT
    /// writes 0 when its table lacks the model) when the model is known.
    pub replace_zero: bool,
    /// Also write the cost of each token category
    /// (`gen_ai.usage.input_cost`, ... see docs/pricing.md).
    pub breakdown: bool,
    /// Derive `gen_ai.usage.cost` histograms from `gen_ai.client.token.usage`.
    pub metrics: bool,
    /// User pricing tables; each overrides the built-in table and the files
    /// listed before it.
    pub pricing_files: Vec<PricingFile>,
    /// Inline prices (USD per 1M tokens); override every table.
    pub models: Vec<ModelSpec>,
    /// Per-provider accounting of cache and reasoning tokens, keyed by
    /// `gen_ai.provider.name`; overrides the defaults.
    pub accounting: BTreeMap<String, AccountingSpec>,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            override_existing: false,
            replace_zero: true,
            breakdown: false,
            metrics: true,
            pricing_files: Vec::new(),
            models: Vec::new(),
            accounting: BTreeMap::new(),
        }
    }
}

/// A user pricing table on disk.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingFile {
    pub path: PathBuf,
    pub format: Format,
}

/// How one provider reports cache and reasoning tokens; unset fields keep
/// the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountingSpec {
    /// Are cache-read and cache-creation tokens part of `input_tokens`?
    pub cache: Option<Mode>,
    /// Are reasoning tokens part of `output_tokens`?
    pub reasoning: Option<Mode>,
}

/// Whether a detail count is contained in its total or comes on top of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Inclusive,
    Additive,
}

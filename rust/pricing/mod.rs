//! Cost computation: the USD cost of every LLM call, from its model and
//! token counts, on spans, log records and (derived) metrics.
//!
//! Prices come from a built-in table generated from LiteLLM's price list
//! ([`builtin`]), overridden by user pricing files in three formats
//! ([`formats`]) and by inline prices from the configuration, merged into
//! one [`table::Table`] when the processor is built. [`calc`] turns token
//! counts into a cost under per-provider accounting rules; [`annotate`]
//! writes it on spans and log records; [`metrics`] derives cost histograms
//! from token usage histograms. See docs/pricing.md for the rules.

pub mod annotate;
pub mod builtin;
pub mod calc;
pub mod config;
pub mod formats;
pub mod keys;
pub mod memo;
pub mod metrics;
pub mod price;
pub mod provider;
pub mod table;

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

pub use config::{AccountingSpec, CostConfig, Mode, PricingFile};
pub use formats::Format;

use crate::error::ConfigError;
use crate::stats::Stats;
use calc::Accounting;
use table::Table;

/// Pricing files larger than this are refused before they are read.
/// LiteLLM's whole price list is about 1.4 MB.
pub const MAX_PRICING_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How many distinct unknown (model, provider) pairs one batch reports
/// with their call counts, at most; calls of further pairs are counted in
/// [`Scratch::unknown_unlisted`].
const MAX_UNKNOWN_MODELS: usize = 16;

/// A model no pricing table knows, as one batch called it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownModel {
    /// The model name, shortened to [`table::MAX_MODEL_NAME_BYTES`].
    pub model: String,
    /// `gen_ai.provider.name`, shortened alike; empty when not reported.
    pub provider: String,
    /// The calls of the batch left unpriced for this model and provider.
    pub calls: u64,
}

/// What the cost stage keeps while one batch is walked.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Prices looked up so far.
    pub prices: memo::Memo,
    /// Models no table knows, with their calls: distinct (model, provider)
    /// pairs in the order first met, at most 16, for the collector's
    /// self-telemetry and debug log.
    pub unknown_models: Vec<UnknownModel>,
    /// Calls of unknown models beyond the pairs listed.
    pub unknown_unlisted: u64,
}

impl Scratch {
    /// Counts a call whose model could not be priced under its name and
    /// provider: distinct pairs, bounded in number and size, so what
    /// reaches the collector stays small whatever a span sends.
    pub fn note_unknown_model(&mut self, stats: &mut Stats, model: &str, provider: Option<&str>) {
        stats.cost_unknown_model += 1;
        let model = table::shown_prefix(model, table::MAX_MODEL_NAME_BYTES);
        let provider = table::shown_prefix(provider.unwrap_or(""), table::MAX_MODEL_NAME_BYTES);
        if let Some(seen) = self
            .unknown_models
            .iter_mut()
            .find(|m| m.model == model && m.provider == provider)
        {
            seen.calls += 1;
        } else if self.unknown_models.len() < MAX_UNKNOWN_MODELS {
            self.unknown_models.push(UnknownModel {
                model: model.to_string(),
                provider: provider.to_string(),
                calls: 1,
            });
        } else {
            self.unknown_unlisted += 1;
        }
    }
}

/// The cost stage, built from the `cost:` configuration. Immutable.
#[derive(Debug)]
pub struct Pricer {
    enabled: bool,
    override_existing: bool,
    replace_zero: bool,
    breakdown: bool,
    derive_metrics: bool,
    table: Arc<Table>,
    /// Canonical provider name -> accounting configured for it.
    accounting: HashMap<String, AccountingSpec>,
}

impl Pricer {
    /// Loads the built-in table, then the pricing files in order, then the
    /// inline prices. Errors name the offending field; for a bad file, the
    /// file, the entry and the problem.
    pub fn new(config: &CostConfig) -> Result<Self, ConfigError> {
        let mut pricer = Self {
            enabled: config.enabled,
            override_existing: config.override_existing,
            replace_zero: config.replace_zero,
            breakdown: config.breakdown,
            derive_metrics: config.metrics,
            table: Arc::new(Table::default()),
            accounting: config
                .accounting
                .iter()
                .map(|(p, a)| (provider::canonical(p), *a))
                .collect(),
        };
        if !config.enabled {
            return Ok(pricer);
        }
        let builtin = builtin::table().map_err(|m| {
            ConfigError::new("cost", format!("built-in pricing table is corrupt: {m}"))
        })?;
        if config.pricing_files.is_empty() && config.models.is_empty() {
            pricer.table = builtin;
            return Ok(pricer);
        }
        let mut layers = Vec::with_capacity(config.pricing_files.len() + 1);
        for (i, file) in config.pricing_files.iter().enumerate() {
            let entries = load_file(i, file)?;
            if let Some(m) = entries
                .iter()
                .find_map(|e| check_model_name(&e.model).err())
            {
                let shown = file.path.display();
                return Err(ConfigError::new(
                    format!("cost.pricing_files[{i}]"),
                    format!("pricing file {shown}: {m}"),
                ));
            }
            layers.push(entries);
        }
        let mut inline = Vec::with_capacity(config.models.len());
        for (i, spec) in config.models.iter().enumerate() {
            let field = |f: &str| format!("cost.models[{i}].{f}");
            check_model_name(&spec.model).map_err(|m| ConfigError::new(field("model"), m))?;
            let entry = spec
                .to_entry()
                .map_err(|(f, m)| ConfigError::new(field(&f), m))?;
            inline.push(entry);
        }
        layers.push(inline);
        pricer.table = Arc::new(builtin.layered(layers));
        Ok(pricer)
    }

    /// Number of priced models known (built-in and user entries).
    pub fn models(&self) -> usize {
        self.table.len()
    }

    /// The price this processor would use for a model (for tools and tests).
    pub fn price_of(&self, model: &str, provider: Option<&str>) -> Option<&price::Price> {
        self.table.lookup(model, provider)
    }

    /// Byte strings at least one of which occurs in any batch this stage
    /// could change (every key in [`keys::ALL`] contains one).
    pub fn needles(&self) -> Vec<String> {
        if self.enabled {
            vec!["gen_ai".to_string()]
        } else {
            Vec::new()
        }
    }

    /// Accounting for one call: the configured one for its provider, else
    /// the default: additive cache tokens for providers whose APIs report
    /// them apart (and for Claude models on Vertex AI), additive reasoning
    /// tokens for Gemini providers (but not Claude on Vertex AI), inclusive
    /// otherwise.
    pub fn accounting(&self, provider: Option<&str>, model: &str) -> Accounting {
        let canonical = provider.map(provider::canonical);
        let p = canonical.as_deref().unwrap_or("");
        let claude_on_vertex =
            p == "gcp.vertex_ai" && model.to_ascii_lowercase().contains("claude");
        let mut acct = Accounting {
            cache_inclusive: !(provider::reports_cache_apart(p) || claude_on_vertex),
            reasoning_inclusive: !provider::reports_reasoning_apart(p) || claude_on_vertex,
        };
        if let Some(spec) = self.accounting.get(p) {
            if let Some(m) = spec.cache {
                acct.cache_inclusive = m == Mode::Inclusive;
            }
            if let Some(m) = spec.reasoning {
                acct.reasoning_inclusive = m == Mode::Inclusive;
            }
        }
        acct
    }
}

/// Refuses a model name a table should not hold: longer than
/// [`table::MAX_MODEL_NAME_BYTES`] (a lookup never finds such a name, and
/// its `/` suffixes would multiply the table's memory).
fn check_model_name(model: &str) -> Result<(), String> {
    let len = model.trim().len();
    if len <= table::MAX_MODEL_NAME_BYTES {
        return Ok(());
    }
    Err(format!(
        "model name {:?}... is {len} bytes, over the {}-byte limit on model names",
        table::shown_prefix(model, 40),
        table::MAX_MODEL_NAME_BYTES
    ))
}

/// Reads and parses one user pricing file: a regular file of at most
/// [`MAX_PRICING_FILE_BYTES`]. The path is checked before it is opened and
/// opened without blocking, so a FIFO or a device is refused at once
/// instead of hanging start-up.
fn load_file(i: usize, file: &PricingFile) -> Result<Vec<table::Entry>, ConfigError> {
    use std::os::unix::fs::OpenOptionsExt;

    let field = format!("cost.pricing_files[{i}]");
    let shown = file.path.display();
    let open = |m: String| ConfigError::new(format!("{field}.path"), m);
    let not_regular = |m: std::fs::Metadata| {
        (!m.is_file()).then(|| {
            open(format!(
                "{shown} is not a regular file ({:?}); pricing files must be regular files",
                m.file_type()
            ))
        })
    };
    let meta =
        std::fs::metadata(&file.path).map_err(|e| open(format!("cannot open {shown}: {e}")))?;
    if let Some(e) = not_regular(meta) {
        return Err(e);
    }
    // O_NONBLOCK: should the path become a FIFO between the check above and
    // the open, the open returns at once; the file's own type is checked again.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&file.path)
        .map_err(|e| open(format!("cannot open {shown}: {e}")))?;
    let meta = f
        .metadata()
        .map_err(|e| open(format!("cannot read {shown}: {e}")))?;
    let size = meta.len();
    if let Some(e) = not_regular(meta) {
        return Err(e);
    }
    if size > MAX_PRICING_FILE_BYTES {
        return Err(open(format!(
            "{shown} is {size} bytes; pricing files are limited to {MAX_PRICING_FILE_BYTES} bytes"
        )));
    }
    let mut text = String::new();
    f.take(MAX_PRICING_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| open(format!("cannot read {shown}: {e}")))?;
    if text.len() as u64 > MAX_PRICING_FILE_BYTES {
        return Err(open(format!(
            "{shown} exceeds the {MAX_PRICING_FILE_BYTES}-byte limit for pricing files"
        )));
    }
    file.format.parse(&text).map_err(|m| {
        let fmt = format!("{:?}", file.format).to_ascii_lowercase();
        ConfigError::new(field, format!("pricing file {shown} ({fmt} format): {m}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_models_are_counted_per_model_and_provider_within_the_bound() {
        let (mut scratch, mut stats) = (Scratch::default(), Stats::default());
        for i in 0..20 {
            for _ in 0..=i % 3 {
                scratch.note_unknown_model(&mut stats, &format!("m{i}"), Some("acme"));
            }
        }
        scratch.note_unknown_model(&mut stats, "m0", None);
        let long = "x".repeat(1000);
        scratch.note_unknown_model(&mut stats, &long, Some(&long));
        let listed = &scratch.unknown_models;
        assert_eq!(listed.len(), MAX_UNKNOWN_MODELS);
        assert_eq!(
            (listed[0].model.as_str(), listed[0].provider.as_str()),
            ("m0", "acme")
        );
        assert_eq!((listed[2].calls, listed[1].calls), (3, 2));
        let listed_calls: u64 = listed.iter().map(|m| m.calls).sum();
        assert_eq!(
            listed_calls + scratch.unknown_unlisted,
            stats.cost_unknown_model
        );
        // m16..m19 (i % 3 + 1 calls each), "m0" without a provider and the
        // long name came once the list was full.
        let late: u64 = (16..20).map(|i| i % 3 + 1).sum();
        assert_eq!(scratch.unknown_unlisted, late + 2);
        let mut fresh = Scratch::default();
        fresh.note_unknown_model(&mut stats, &long, Some(&long));
        let m = &fresh.unknown_models[0];
        assert_eq!((m.model.len(), m.provider.len()), (256, 256));
    }
}

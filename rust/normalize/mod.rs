//! Attribute normalization to the current OpenTelemetry GenAI semantic
//! conventions (as OpenLIT 1.45 emits them).
//!
//! Built-in sources ([`table`]) map the keys of older conventions, OpenLIT
//! up to 1.36, OpenLLMetry, OpenInference, the Vercel AI SDK and Langfuse to
//! canonical keys; [`values`] respells providers, operations and token
//! types; [`coerce`] gives values their canonical type; user-defined sources
//! come from the configuration ([`config`], [`custom`]). Everything is
//! compiled once into [`rules`] and applied per attribute list by `apply`.
//! `docs/normalization.md` is generated from the tables by [`doc`].

mod apply;
pub mod coerce;
pub mod config;
pub mod custom;
pub mod doc;
mod messages;
pub mod rules;
pub mod table;
pub mod values;

use opentelemetry_proto::tonic::common::v1::KeyValue;

pub use config::{CustomSource, EnvironmentDirection, NormalizeConfig, Position, SourcesConfig};

use crate::error::ConfigError;
use crate::stats::Stats;
use apply::Options;
pub use apply::Work;
use rules::Rules;

/// Where an attribute list sits; some mappings apply only in some places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Resource,
    Span,
    SpanEvent,
    LogRecord,
    DataPoint,
}

impl Place {
    /// The place as a [`table::Places`] bit.
    pub fn bit(self) -> table::Places {
        match self {
            Place::Resource => table::RESOURCE,
            Place::Span => table::SPAN,
            Place::SpanEvent => table::EVENT,
            Place::LogRecord => table::LOG,
            Place::DataPoint => table::POINT,
        }
    }
}

/// The normalization stage for one configuration.
#[derive(Debug)]
pub struct Normalizer {
    enabled: bool,
    options: Options,
    rules: Rules,
}

impl Normalizer {
    /// Validates the user-defined sources and compiles every enabled table.
    pub fn new(config: &NormalizeConfig) -> Result<Self, ConfigError> {
        custom::validate(&config.custom_sources)?;
        Ok(Self {
            enabled: config.enabled,
            options: Options {
                overwrite: config.overwrite,
                remove_originals: config.remove_originals,
            },
            rules: Rules::build(config),
        })
    }

    /// Rewrites `attrs` in place, counting in `stats` and reusing the
    /// batch's work lists; returns whether anything changed.
    pub fn apply(
        &self,
        attrs: &mut Vec<KeyValue>,
        place: Place,
        stats: &mut Stats,
        work: &mut Work,
    ) -> bool {
        self.enabled
            && self
                .rules
                .apply(self.options, attrs, place.bit(), stats, work)
    }

    /// Whether the stage is on (`apply` changes nothing when it is off).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Whether `apply` may read or write the attribute `key` (in any place,
    /// whether or not the stage is on): attributes for which this is false
    /// and which hold no needle can be passed through undecoded.
    pub fn reads(&self, key: &[u8]) -> bool {
        self.rules.reads(key)
    }

    /// Byte strings at least one of which occurs in any batch this stage could
    /// change. Kept even when normalization is off: the later stages react
    /// to `gen_ai` keys too.
    pub fn needles(&self) -> Vec<String> {
        self.rules.needles()
    }
}

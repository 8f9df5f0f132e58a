//! The stages of one configuration and the per-batch state a walk threads
//! through them. Every walk (the reference path in `signals`, the wire
//! paths in `wire`) calls the stages through [`Stages`], which fixes their
//! order at each place once: a walk decides where it is in a batch, never
//! what runs there.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};

use crate::config::Config;
use crate::error::ConfigError;
use crate::naming::{NameMemo, Naming};
use crate::normalize::{Normalizer, Place, Work};
use crate::prefilter::Prefilter;
use crate::pricing::metrics::CostGroups;
use crate::pricing::{self, Pricer};
use crate::stats::Stats;

/// The stages built from one configuration. Immutable.
#[derive(Debug)]
pub struct Stages {
    pub(crate) normalizer: Normalizer,
    pub(crate) pricer: Pricer,
    pub(crate) naming: Naming,
    pub(crate) prefilter: Prefilter,
}

/// What one batch's walk keeps: the counters and each stage's scratch.
#[derive(Debug, Default)]
pub struct Batch {
    pub stats: Stats,
    /// Normalization's work lists.
    pub normalize: Work,
    /// Prices looked up and models not found.
    pub pricing: pricing::Scratch,
    /// Prometheus metric names computed so far.
    pub names: NameMemo,
    /// The legacy-name upgrade changed a metric scope: it may have
    /// converted counters to histograms, which edits do not express.
    pub legacy_upgraded: bool,
}

impl Stages {
    /// Builds every stage; fails on the first invalid option, naming it.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let normalizer = Normalizer::new(&config.normalize)?;
        let pricer = Pricer::new(&config.cost)?;
        let naming = Naming::new(&config.naming)?;
        let prefilter = Prefilter::new(&normalizer, &naming);
        Ok(Self {
            normalizer,
            pricer,
            naming,
            prefilter,
        })
    }

    /// The stages for one attribute list at `place`: normalized everywhere;
    /// a span's or log record's then priced. Returns whether it changed.
    pub fn attributes(&self, place: Place, attrs: &mut Vec<KeyValue>, batch: &mut Batch) -> bool {
        let Batch {
            stats,
            normalize,
            pricing,
            ..
        } = batch;
        let normalized = self.normalizer.apply(attrs, place, stats, normalize);
        match place {
            Place::Span | Place::LogRecord => {
                self.pricer.annotate(attrs, stats, pricing) | normalized
            }
            Place::Resource | Place::SpanEvent | Place::DataPoint => normalized,
        }
    }

    /// Cost points derived from a scope's token usage (the reference walk).
    pub fn derive_costs(&self, sm: &mut ScopeMetrics, batch: &mut Batch) -> bool {
        self.pricer
            .derive_cost_metrics(sm, &mut batch.stats, &mut batch.pricing)
    }

    /// Cost points for token usage already grouped by a walk.
    pub fn append_costs(
        &self,
        sm: &mut ScopeMetrics,
        groups: &mut CostGroups,
        batch: &mut Batch,
    ) -> bool {
        self.pricer
            .append_costs(sm, groups, &mut batch.stats, &mut batch.pricing)
    }

    /// A selected metric's VictoriaMetrics name (`None`: not selected).
    pub fn rename(&self, metric: &mut Metric, batch: &mut Batch) -> Option<bool> {
        self.naming
            .rename(metric, &mut batch.stats, &mut batch.names)
    }

    /// Names and labels of one resource's metrics (the reference walk).
    pub fn name_metrics(&self, rm: &mut ResourceMetrics, batch: &mut Batch) -> bool {
        self.naming.apply(rm, &mut batch.stats, &mut batch.names)
    }

    /// Whether a stage may read a resource, span, span event or log record
    /// attribute named `key`: normalization reads it, or it is a GenAI key
    /// ([`Self::is_genai_key`]). The wire path decodes exactly these.
    pub fn reads_attribute(&self, key: &[u8]) -> bool {
        self.normalizer.reads(key) || self.is_genai_key(key)
    }

    /// Whether a resource, span, span event or log record attribute key
    /// holds one of the prefilter's needles (as every key a GenAI source
    /// table maps and every key the cost stage reads does). A trace or log
    /// batch is processed only when one of its attribute keys does.
    pub fn is_genai_key(&self, key: &[u8]) -> bool {
        self.prefilter.events_may_apply(key)
    }

    /// Whether a metric name holds one of the prefilter's metric needles
    /// (every name the naming stage selects or upgrades and the cost stage
    /// reads does; every name, when naming selects all metrics).
    pub fn is_genai_metric_name(&self, name: &[u8]) -> bool {
        self.prefilter.metrics_may_apply(name)
    }
}

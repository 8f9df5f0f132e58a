//! The `genai` connector's core: GenAI spans in, the semantic conventions'
//! GenAI metrics out, so instrumentations that send only traces reach the
//! same dashboards as those that send metrics.
//!
//! A span batch is decoded, its resource and span attributes run through
//! the processor's own [`Stages`] (normalization, then pricing, so every
//! source the processor understands counts and every call carries its
//! exact cost), and each model call ([`call`]) is counted into the series
//! of its attribute set ([`series`]). A flush turns the series into one
//! OTLP metrics request ([`export`]). The state is this handle's alone,
//! behind one lock held only to count and to copy out.

pub mod call;
pub mod config;
pub mod export;
pub mod series;

use std::sync::{Mutex, MutexGuard};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use prost::Message;

use crate::attrs;
use crate::config::Config;
use crate::error::{ConfigError, ProcessError};
use crate::normalize::Place;
use crate::signal::Signal;
use crate::stages::{Batch, Stages};
use crate::stats::SpanMetricsStats;

use self::call::Call;
use self::config::{Derive, SpanMetricsConfig, Temporality};
use self::series::{Table, Taken};

/// One configured connector and its series.
#[derive(Debug)]
pub struct SpanMetrics {
    stages: Stages,
    config: SpanMetricsConfig,
    table: Mutex<Table>,
}

impl SpanMetrics {
    /// Builds the stages and an empty table; fails on the first invalid
    /// option, naming it.
    pub fn new(config: SpanMetricsConfig) -> Result<Self, ConfigError> {
        let stages = Stages::new(&Config {
            normalize: config.normalize.clone(),
            cost: config.cost.clone(),
            ..Config::default()
        })?;
        let table = Table::new(config.cardinality_limit, config.max_value_bytes);
        Ok(Self {
            stages,
            config,
            table: Mutex::new(table),
        })
    }

    /// Decodes and validates a JSON configuration, then builds the connector.
    pub fn from_json(config: &[u8]) -> Result<Self, ConfigError> {
        Self::new(SpanMetricsConfig::from_json(config)?)
    }

    /// Counts the model calls of one OTLP `ExportTraceServiceRequest`
    /// (protobuf bytes) at time `now` (Unix nanoseconds). A malformed
    /// batch is an error and counts nothing.
    pub fn consume(&self, input: &[u8], now: u64) -> Result<SpanMetricsStats, ProcessError> {
        let mut stats = SpanMetricsStats::default();
        if !input.is_empty() && self.stages.prefilter.may_apply(Signal::Traces, input) {
            let req = ExportTraceServiceRequest::decode(input)
                .map_err(|e| ProcessError::Decode(e.to_string()))?;
            let calls = self.calls(req, &mut stats);
            let mut table = self.lock();
            for (resource, call) in calls {
                stats.calls += 1;
                match table.record(&resource, call, now) {
                    Taken::Existing => {}
                    Taken::New => stats.series_created += 1,
                    Taken::Overflow => stats.overflowed += 1,
                }
            }
            stats.series_active = table.active() as u64;
            stats.state_bytes = table.bytes() as u64;
        }
        Ok(stats)
    }

    /// Whether a resource, span or span event attribute key is a GenAI key
    /// (as for the processor, `Processor::is_genai_key`): a batch none of
    /// whose keys is one counts no call, so the caller may skip encoding it.
    pub fn is_genai_key(&self, key: &[u8]) -> bool {
        self.stages.is_genai_key(key)
    }

    /// The model calls of a batch, each with its resource's values.
    fn calls(
        &self,
        req: ExportTraceServiceRequest,
        stats: &mut SpanMetricsStats,
    ) -> Vec<(std::rc::Rc<[Option<Value>]>, Call)> {
        let mut batch = Batch::default();
        let mut calls = Vec::new();
        for rs in req.resource_spans {
            let mut resource = rs.resource.map(|r| r.attributes).unwrap_or_default();
            self.stages
                .attributes(Place::Resource, &mut resource, &mut batch);
            let sdk = attrs::get_str(&resource, "telemetry.sdk.name").unwrap_or("");
            let values: std::rc::Rc<[Option<Value>]> = self.resource_values(&resource).into();
            for ss in rs.scope_spans {
                let scope = ss.scope.as_ref().map_or("", |s| s.name.as_str());
                let rule = self.rule(scope, sdk);
                for mut span in ss.spans {
                    stats.spans += 1;
                    self.stages
                        .attributes(Place::Span, &mut span.attributes, &mut batch);
                    if !call::is_model_call(&span.attributes) {
                        stats.skipped_not_call += 1;
                        continue;
                    }
                    let call = call::read(&span, &self.config.dimensions);
                    if rule.counts(&call) {
                        calls.push((values.clone(), call));
                    } else {
                        stats.skipped_source_metrics += 1;
                    }
                }
            }
        }
        calls
    }

    fn resource_values(&self, resource: &[KeyValue]) -> Vec<Option<Value>> {
        let mut values: Vec<Option<Value>> = self
            .config
            .resource_dimensions
            .iter()
            .map(|k| match attrs::get(resource, k) {
                Some(v @ (Value::StringValue(_) | Value::IntValue(_) | Value::BoolValue(_))) => {
                    Some(v.clone())
                }
                _ => None,
            })
            .collect();
        series::cut(&mut values, self.config.max_value_bytes);
        values
    }

    /// Which calls from this instrumentation scope (and resource SDK name)
    /// are derived: the longest matching `derive.scopes` prefix, else
    /// `derive.default`, where `auto` skips the sources that send GenAI
    /// metrics of their own.
    pub fn rule(&self, scope: &str, sdk: &str) -> Derive {
        let d = &self.config.derive;
        let rule = d
            .scopes
            .iter()
            .filter(|(prefix, _)| scope.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(d.default, |(_, rule)| *rule);
        match rule {
            Derive::Auto
                if d.sources_with_metrics.iter().any(|p| {
                    scope.starts_with(p.as_str())
                        || (!sdk.is_empty() && sdk.starts_with(p.as_str()))
                }) =>
            {
                Derive::Never
            }
            Derive::Auto => Derive::Always,
            rule => rule,
        }
    }

    /// The metrics of every series with a total at time `now`, as an OTLP
    /// `ExportMetricsServiceRequest` (protobuf bytes; `None` when there is
    /// none). Series idle past `expiration` are dropped first; with delta
    /// temporality every total starts again from zero (a window whose
    /// export fails is lost, as with any delta exporter). Zero start points
    /// are sent again until [`Self::confirm`] is told of a delivered flush.
    pub fn flush(&self, now: u64) -> (Option<Vec<u8>>, SpanMetricsStats) {
        let mut stats = SpanMetricsStats::default();
        let request = {
            let mut table = self.lock();
            let before = now.saturating_sub(self.config.expiration_ms.saturating_mul(1_000_000));
            stats.series_expired = table.expire(before) as u64;
            let generation = table.next_generation();
            stats.generation = generation;
            let request = export::request(&mut table, &self.config, now, generation);
            if self.config.temporality == Temporality::Delta {
                table.reset(now);
            }
            stats.series_active = table.active() as u64;
            stats.state_bytes = table.bytes() as u64;
            request
        };
        let bytes = request.map(|(req, exported)| {
            stats.points = exported.points;
            stats.zero_points = exported.zero_points;
            req.encode_to_vec()
        });
        (bytes, stats)
    }

    /// The flush numbered `generation` (its stats say which) reached the
    /// pipeline: the zero points it sent are not sent again.
    pub fn confirm(&self, generation: u64) {
        export::confirm(&mut self.lock(), generation);
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // A panic while counting leaves at worst one call half-counted in
        // one series; the table itself stays consistent.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

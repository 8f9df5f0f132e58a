//! The `genai` connector's core: GenAI spans in, the semantic conventions'
//! GenAI metrics out, so instrumentations that send only traces reach the
//! same dashboards as those that send metrics.
//!
//! A span batch is read on the bytes (`wire::span_reader`: only the
//! attributes the stages and the rule read are decoded; prost decodes the
//! batches the reader leaves alone), its resource and span attributes run
//! through the processor's own [`Stages`] (normalization, then pricing, so
//! every source the processor understands counts and every call carries
//! its exact cost), and each model call ([`call`]) is counted into the
//! series of its attribute set ([`series`]). A batch is read into a
//! [`Counted`] first ([`reading`]), by the connector's own reader or by the
//! processor's walk over the same batch, then recorded. A flush turns the
//! series into one OTLP metrics request ([`export`]). The state is this
//! handle's alone, behind one lock held only to record and to copy out.

pub mod call;
pub mod config;
pub mod export;
pub mod reading;
pub mod series;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use prost::Message;

use crate::config::Config;
use crate::error::{ConfigError, ProcessError};
use crate::normalize::Place;
use crate::signal::Signal;
use crate::stages::{Batch, Stages};
use crate::stats::SpanMetricsStats;
use crate::wire::span_reader::{self, EventView, ReadsKeys, SpanReading, SpanSink, SpanView};

use self::config::{Derive, SpanMetricsConfig, Temporality};
pub use self::reading::{Counted, Reading};
use self::series::{Table, Taken};

/// One configured connector and its series.
#[derive(Debug)]
pub struct SpanMetrics {
    /// Numbers this connector, so that a [`Counted`] read for another one
    /// is refused.
    id: u64,
    stages: Stages,
    config: SpanMetricsConfig,
    table: Mutex<Table>,
    /// The sizes of the last reading finished, so the next one allocates
    /// its buffers once rather than growing them span by span.
    sizes: reading::Sizes,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl SpanMetrics {
    /// Builds the stages and an empty table; fails on the first invalid
    /// option, naming it.
    pub fn new(config: SpanMetricsConfig) -> Result<Self, ConfigError> {
        let stages = Stages::new(&Config {
            normalize: config.normalize.clone(),
            cost: config.cost.clone(),
            ..Config::default()
        })?;
        let table = Table::new(config.cardinality_limit, config.resource_dimensions.len());
        Ok(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            stages,
            config,
            table: Mutex::new(table),
            sizes: reading::Sizes::default(),
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
        self.consume_with(input, now, Read::Wire)
    }

    /// As [`Self::consume`], with every span decoded by prost: what the
    /// reader on the bytes is tested against.
    #[doc(hidden)]
    pub fn consume_reference(
        &self,
        input: &[u8],
        now: u64,
    ) -> Result<SpanMetricsStats, ProcessError> {
        self.consume_with(input, now, Read::Prost)
    }

    fn consume_with(
        &self,
        input: &[u8],
        now: u64,
        read: Read,
    ) -> Result<SpanMetricsStats, ProcessError> {
        if input.is_empty() || !self.stages.prefilter.may_apply(Signal::Traces, input) {
            // Nothing to read; the state is reported as for any batch.
            return self.record(&Counted::for_connector(self.id), now);
        }
        let mut calls = Calls::new(self);
        let on_wire = read == Read::Wire && span_reader::read_spans(input, &mut calls).is_ok();
        if !on_wire {
            // Input the reader leaves to prost (or prost asked for).
            calls = Calls::new(self);
            let req = ExportTraceServiceRequest::decode(input)
                .map_err(|e| ProcessError::Decode(e.to_string()))?;
            calls.read_prost(req);
        }
        let counted = calls.reading.finish().ok_or_else(|| {
            ProcessError::Decode("the span reader lost the batch's order".to_string())
        })?;
        self.record(&counted, now)
    }

    /// A reading of one batch for this connector, for a walk that runs the
    /// stages itself (the processor's: `Processor::process_edits_counting`).
    pub fn reading(&self) -> Reading<'_> {
        Reading::new(self)
    }

    /// Whether the connector reads a resource, span or event attribute
    /// named `key` beyond what the stages read: the built-in point
    /// attributes, the configured dimensions, the measures' sources, the
    /// resource dimensions and the SDK name.
    fn reads_key(&self, key: &[u8]) -> bool {
        let c = &self.config;
        let is = |k: &str| k.as_bytes() == key;
        call::reads_attribute(key)
            || is(reading::SDK_NAME)
            || c.dimensions.iter().any(|k| is(k))
            || c.resource_dimensions.iter().any(|k| is(k))
    }

    /// Whether a processor built with these normalization and pricing
    /// settings reads a batch as this connector would read its output:
    /// the stages are the same, and running them twice changes nothing.
    pub fn reads_like(&self, config: &Config) -> bool {
        config.normalize == self.config.normalize && config.cost == self.config.cost
    }

    /// Counts the calls of a batch read for this connector at time `now`
    /// (Unix nanoseconds). A reading made for another connector is refused.
    pub fn record(&self, counted: &Counted, now: u64) -> Result<SpanMetricsStats, ProcessError> {
        if counted.connector != self.id {
            return Err(ProcessError::Decode(
                "the calls were read for another genai connector".to_string(),
            ));
        }
        let mut stats = counted.stats;
        let mut table = self.lock();
        counted.each(|key, call| {
            stats.calls += 1;
            match table.record(key, call, now) {
                Taken::Existing => {}
                Taken::New => stats.series_created += 1,
                Taken::Overflow => stats.overflowed += 1,
            }
        });
        stats.series_active = table.active() as u64;
        stats.state_bytes = table.bytes() as u64;
        Ok(stats)
    }

    /// Whether a resource, span or span event attribute key is a GenAI key
    /// (as for the processor, `Processor::is_genai_key`): a batch none of
    /// whose keys is one counts no call, so the caller may skip encoding it.
    pub fn is_genai_key(&self, key: &[u8]) -> bool {
        self.stages.is_genai_key(key)
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

impl ReadsKeys for SpanMetrics {
    fn reads(&self, key: &[u8]) -> bool {
        self.reads_key(key)
    }

    fn reads_event(&self, name: &str) -> bool {
        call::reads_event(name)
    }
}

/// How a batch's spans are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    /// From the bytes ([`span_reader`]), prost where the reader gives up.
    Wire,
    /// With prost.
    Prost,
}

/// The model calls of one batch, as a reader hands its spans over: each
/// span run through the stages, then read.
struct Calls<'a> {
    connector: &'a SpanMetrics,
    batch: Batch,
    reading: Reading<'a>,
}

impl<'a> Calls<'a> {
    fn new(connector: &'a SpanMetrics) -> Self {
        Self {
            connector,
            batch: Batch::default(),
            reading: connector.reading(),
        }
    }

    /// Hands a prost-decoded batch's spans over as the reader would.
    fn read_prost(&mut self, req: ExportTraceServiceRequest) {
        let mut view = SpanView::default();
        for rs in req.resource_spans {
            let mut resource = rs.resource.map(|r| r.attributes).unwrap_or_default();
            self.resource(&mut resource);
            for ss in rs.scope_spans {
                self.scope(&ss.scope.map(|s| s.name).unwrap_or_default());
                for span in ss.spans {
                    view.facts.start_time_unix_nano = span.start_time_unix_nano;
                    view.facts.end_time_unix_nano = span.end_time_unix_nano;
                    view.facts.status_code = span.status.map_or(0, |s| s.code);
                    view.attributes = span.attributes;
                    view.attributes.retain(|kv| self.wanted(kv.key.as_bytes()));
                    view.facts.events = span
                        .events
                        .into_iter()
                        .filter(|e| self.wanted_event(&e.name))
                        .map(|e| EventView {
                            name: e.name,
                            time_unix_nano: e.time_unix_nano,
                            attributes: e
                                .attributes
                                .into_iter()
                                .filter(|kv| self.wanted(kv.key.as_bytes()))
                                .collect(),
                        })
                        .collect();
                    self.span(&mut view);
                }
            }
        }
    }
}

impl SpanSink for Calls<'_> {
    fn wanted(&self, key: &[u8]) -> bool {
        self.connector.stages.reads_attribute(key) || self.connector.reads_key(key)
    }

    fn wanted_event(&self, name: &str) -> bool {
        call::reads_event(name)
    }

    fn resource(&mut self, attributes: &mut Vec<KeyValue>) {
        self.connector
            .stages
            .attributes(Place::Resource, attributes, &mut self.batch);
        self.reading.begin_resource();
        self.reading.resource(attributes, &[]);
    }

    fn scope(&mut self, name: &str) {
        self.reading.begin_scope();
        self.reading.scope_name(name);
    }

    fn span(&mut self, span: &mut SpanView) {
        self.connector
            .stages
            .attributes(Place::Span, &mut span.attributes, &mut self.batch);
        self.reading.span(&span.attributes, &[], &span.facts);
    }
}

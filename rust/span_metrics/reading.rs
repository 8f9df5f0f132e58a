//! The model calls of one span batch read for one connector, kept until
//! the connector records them: each call's resource, its point attribute
//! values (cut and encoded) and what it measured.
//!
//! Two walks read a batch into a [`Reading`]: the connector's own reader
//! (`SpanMetrics::consume`, which runs the stages on each span first), and
//! the processor's walk over the same batch (`Processor::process_edits_counting`),
//! which has already normalized and priced each span, so that a pipeline
//! with the processor before the connector reads each batch once.
//! docs/connector.md says when the connector takes the processor's reading.
//!
//! A walk meets a message's fields in the order they were written, and
//! pdata writes a `ResourceSpans`' scopes before its resource and a
//! `ScopeSpans`' spans before its scope. So a span is kept with the index
//! of its resource and scope, and what those decide (the resource values
//! of its series, the derive rule of its scope and SDK) is settled when
//! the reading is finished.

use std::sync::atomic::{AtomicUsize, Ordering};

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;

use crate::attrs;
use crate::stats::SpanMetricsStats;
use crate::wire::span_reader::{Facts, ReadsKeys, SpanReading};

use super::call::{self, Measures, SpanRef};
use super::config::Derive;
use super::series;
use super::SpanMetrics;

/// The calls of one batch, read for the connector numbered `connector`.
#[derive(Debug, Default)]
pub struct Counted {
    pub(super) connector: u64,
    /// Each resource's values of the resource dimensions, encoded.
    resources: Vec<Vec<u8>>,
    /// The calls' point values, encoded, one after the other.
    points: Vec<u8>,
    /// Each call counted: its resource, where its point values are in
    /// `points`, and its measures.
    calls: Vec<(u32, std::ops::Range<usize>, Measures)>,
    /// Spans read and skipped (`calls` and the series' counters are the
    /// record's).
    pub stats: SpanMetricsStats,
}

impl Counted {
    /// No calls, for the connector numbered `connector`.
    pub(super) fn for_connector(connector: u64) -> Self {
        Self {
            connector,
            ..Self::default()
        }
    }

    /// Each call's series key (resource then point values, as
    /// `series::Table::record` takes it) and measures, in the order read.
    pub(super) fn each(&self, mut f: impl FnMut(&[u8], &Measures)) {
        let mut key = Vec::new();
        for (resource, points, m) in &self.calls {
            key.clear();
            key.extend_from_slice(&self.resources[*resource as usize]);
            key.extend_from_slice(&self.points[points.clone()]);
            f(&key, m);
        }
    }

    /// Calls counted.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }
}

/// The buffer sizes of a connector's last finished reading (each capped,
/// so that one huge batch does not make every later reading allocate for
/// it).
#[derive(Debug, Default)]
pub(super) struct Sizes {
    points: AtomicUsize,
    calls: AtomicUsize,
}

/// At most this many bytes of point values, and calls, are allocated
/// ahead for a reading (about a thousand calls: larger batches grow their
/// buffers from there).
const MAX_POINTS_AHEAD: usize = 1 << 16;
const MAX_CALLS_AHEAD: usize = 1 << 10;

/// A batch being read for one connector.
#[derive(Debug)]
pub struct Reading<'c> {
    connector: &'c SpanMetrics,
    counted: Counted,
    /// Each resource's `telemetry.sdk.name`.
    sdks: Vec<String>,
    /// Each scope's resource and name.
    scopes: Vec<(u32, String)>,
    /// Each model call: its scope, where its point values end, measures.
    found: Vec<(u32, usize, Measures)>,
    spoiled: bool,
}

impl<'c> Reading<'c> {
    pub(super) fn new(connector: &'c SpanMetrics) -> Self {
        let sizes = &connector.sizes;
        let mut counted = Counted::for_connector(connector.id);
        counted.points = Vec::with_capacity(sizes.points.load(Ordering::Relaxed));
        Self {
            connector,
            counted,
            sdks: Vec::new(),
            scopes: Vec::new(),
            found: Vec::with_capacity(sizes.calls.load(Ordering::Relaxed)),
            spoiled: false,
        }
    }

    /// The connector this reading is for.
    pub fn connector(&self) -> &'c SpanMetrics {
        self.connector
    }

    /// The calls that count under each scope's derive rule, unless the
    /// reading was spoiled.
    pub fn finish(self) -> Option<Counted> {
        if self.spoiled {
            return None;
        }
        let Self {
            connector,
            mut counted,
            sdks,
            scopes,
            found,
            ..
        } = self;
        let rules: Vec<(u32, Derive)> = scopes
            .iter()
            .map(|(resource, name)| {
                let sdk = sdks.get(*resource as usize).map_or("", String::as_str);
                (*resource, connector.rule(name, sdk))
            })
            .collect();
        let sizes = &connector.sizes;
        let points = counted.points.len().min(MAX_POINTS_AHEAD);
        sizes.points.store(points, Ordering::Relaxed);
        sizes
            .calls
            .store(found.len().min(MAX_CALLS_AHEAD), Ordering::Relaxed);
        counted.calls.reserve_exact(found.len());
        let mut start = 0;
        for (scope, end, m) in found {
            let Some(&(resource, rule)) = rules.get(scope as usize) else {
                continue;
            };
            if rule.counts(&m) {
                counted.calls.push((resource, start..end, m));
            } else {
                counted.stats.skipped_source_metrics += 1;
            }
            start = end;
        }
        Some(counted)
    }
}

/// The resource attribute whose value says which SDK sent a batch.
pub(super) const SDK_NAME: &str = "telemetry.sdk.name";

impl<'c> SpanReading<'c> for Reading<'c> {
    fn keys(&self) -> &'c dyn ReadsKeys {
        self.connector
    }

    /// A `ResourceSpans` begins: the scopes and resource attributes that
    /// follow are its own.
    fn begin_resource(&mut self) {
        let mut none = Vec::new();
        for _ in &self.connector.config.resource_dimensions {
            series::encode(&mut none, None, 0);
        }
        self.counted.resources.push(none);
        self.sdks.push(String::new());
    }

    /// The current resource's normalized attributes (in one list or two,
    /// as [`SpanRef`]).
    fn resource(&mut self, attributes: &[KeyValue], more: &[KeyValue]) {
        let get = |k: &str| attrs::get(attributes, k).or_else(|| attrs::get(more, k));
        let c = &self.connector.config;
        let (Some(key), Some(sdk)) = (self.counted.resources.last_mut(), self.sdks.last_mut())
        else {
            return;
        };
        key.clear();
        for k in &c.resource_dimensions {
            let v = get(k).filter(|v| call::is_dim(v));
            series::encode(key, v, c.max_value_bytes);
        }
        sdk.clear();
        if let Some(Value::StringValue(s)) = get(SDK_NAME) {
            sdk.push_str(s);
        }
    }

    /// A `ScopeSpans` of the current resource begins.
    fn begin_scope(&mut self) {
        let resource = self.counted.resources.len().saturating_sub(1) as u32;
        self.scopes.push((resource, String::new()));
    }

    /// The current scope's name.
    fn scope_name(&mut self, name: &str) {
        if let Some((_, n)) = self.scopes.last_mut() {
            n.clear();
            n.push_str(name);
        }
    }

    /// One normalized, priced span of the current scope.
    fn span(&mut self, attributes: &[KeyValue], more: &[KeyValue], facts: &Facts) {
        let span = &SpanRef::new(attributes, more, facts);
        let stats = &mut self.counted.stats;
        stats.spans += 1;
        if !call::is_model_call(span) {
            stats.skipped_not_call += 1;
            return;
        }
        let c = &self.connector.config;
        let points = &mut self.counted.points;
        call::each_dim(span, &c.dimensions, |v| {
            series::encode(points, v, c.max_value_bytes)
        });
        let scope = self.scopes.len().saturating_sub(1) as u32;
        self.found.push((scope, points.len(), call::measures(span)));
    }

    /// The batch cannot be read as the connector would: nothing counts.
    fn spoil(&mut self) {
        self.spoiled = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{kv, string};
    use crate::semconv::{OPERATION, REQUEST_MODEL};

    /// Reads `calls` model calls, each with a `model_bytes`-byte model name.
    fn read(connector: &SpanMetrics, calls: usize, model_bytes: usize) -> Counted {
        let mut r = connector.reading();
        r.begin_resource();
        r.resource(&[], &[]);
        r.begin_scope();
        let span = [
            kv(OPERATION, string("chat")),
            kv(REQUEST_MODEL, string("m".repeat(model_bytes))),
        ];
        for _ in 0..calls {
            r.span(&span, &[], &Facts::default());
        }
        r.finish().expect("not spoiled")
    }

    #[test]
    fn a_reading_allocates_for_the_last_one_up_to_a_cap() {
        let c = SpanMetrics::from_json(b"{}").unwrap();
        let first = read(&c, 100, 10);
        assert_eq!(first.len(), 100);
        let next = c.reading();
        assert_eq!(next.counted.points.capacity(), first.points.len());
        assert_eq!(next.found.capacity(), 100);
        // One huge batch does not make every later reading allocate for it.
        read(&c, 5_000, 200);
        let next = c.reading();
        assert_eq!(next.counted.points.capacity(), MAX_POINTS_AHEAD);
        assert_eq!(next.found.capacity(), MAX_CALLS_AHEAD);
    }
}

//! Metric batches answered as edits without decoding them whole. The
//! stages read few parts of a metric batch: attribute lists, metric names,
//! units, types and metadata, scopes, and the numbers of token usage
//! points (for cost). This walk decodes only those, runs the stages' own
//! code on them point by point, and writes the edits as it goes
//! ([`super::edits`]); values, buckets and exemplars are never decoded,
//! and each point's attributes reuse the strings of the last point's.
//! A whole batch decoded with prost would cost a decode of every value and
//! an allocation per string.
//!
//! What it cannot do gives [`Fallback`], and the caller takes the prost
//! path and diffs its result ([`super::metric_diff`]), the reference this
//! walk is tested against (`tests/metric_edits.rs`, the `fast_path_diff`
//! fuzz target): scopes with legacy metrics (upgrading them may turn
//! counters into histograms), lists edits cannot express, and input not
//! framed as prost would read it.
//!
//! One module, over 500 lines: the walk is one pass (resource, scope,
//! metric, point) whose steps share its state (edits, memos, cost
//! groups); splitting it would pass that state through every call.

use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, ExponentialHistogram, Gauge, Histogram, Metric, ScopeMetrics, Sum, Summary,
};
use prost::Message;

use super::codec::{fields, Field, I64, VARINT};
use super::edits::{Edits, Location, Original, Target};
use super::metric_diff::batch_of;
use super::proto::{
    data, histogram_point, metric, number_point, request, resource, resource_items, scope_items,
};
use super::unchanged_lists::UnchangedLists;
use super::{kv, Fallback};
use crate::metric_points::{for_each_point_attrs, point_attrs};
use crate::naming::points::PointLabels;
use crate::normalize::Place;
use crate::pricing::keys::{COST_METRIC, TOKEN_USAGE_METRIC};
use crate::pricing::metrics::{CostGroups, Numbers};
use crate::semconv::mark_schema;
use crate::stages::{Batch, Stages};

/// The edits the stages make to the metric batch `input`, or `None` when
/// they change nothing; counters go to `batch`.
pub fn edits(p: &Stages, input: &[u8], batch: &mut Batch) -> Result<Option<Vec<u8>>, Fallback> {
    let mut walk = Walk {
        p,
        batch,
        edits: Edits::default(),
        originals: Vec::new(),
        list: Vec::new(),
        entries: Vec::new(),
        decoded: false,
        changed: false,
        genai_seen: false,
        repeat_labels: false,
        unchanged: UnchangedLists::default(),
        list_bytes: None,
        costs: CostGroups::default(),
    };
    let mut r = 0;
    for f in fields(input) {
        let f = f?;
        if f.number == request::RESOURCE_ITEMS {
            walk.resource(f.message()?, r)?;
            r += 1;
        }
    }
    if !walk.genai_seen {
        // Not a GenAI batch (see `Stages::is_genai_metric_name`):
        // whatever the stages did to it is dropped, counters included.
        *walk.batch = Batch::default();
        return Ok(None);
    }
    if walk.edits.unrepresentable {
        return Err(Fallback);
    }
    Ok(walk.changed.then(|| walk.edits.finish()))
}

struct Walk<'p, 'a> {
    p: &'p Stages,
    batch: &'p mut Batch,
    edits: Edits,
    /// The attributes of the point being walked, as they came.
    originals: Vec<Original<'a>>,
    /// The point's attributes as the stages leave them, once decoded; the
    /// next point's are decoded into the same strings.
    list: Vec<KeyValue>,
    /// The point's attribute fields and their key and value parts.
    entries: Vec<(&'a [u8], kv::Parts<'a>)>,
    /// Whether `list` holds the point's attributes, not the last
    /// decoded point's: a point whose list normalization left alone
    /// before is decoded only if a later step reads it.
    decoded: bool,
    /// Whether a stage said it changed something (the prost path's answer).
    changed: bool,
    /// Whether a GenAI metric name or attribute key was met: without one
    /// the batch is not processed.
    genai_seen: bool,
    /// Whether the next point of the scope may repeat the last point's
    /// ops ([`Edits::repeat_positional`]). The last point's labels were
    /// computed, normalization left it alone, and naming read no value of
    /// its own attributes: naming then renames keys in place and appends
    /// the scope's labels, a result positional and the same for any point
    /// of the same keys that normalization leaves alone.
    repeat_labels: bool,
    /// Point attribute lists normalization left alone so far.
    unchanged: UnchangedLists,
    /// The point's attribute fields as they came, when they are
    /// contiguous in its encoding: the list's key in `unchanged`.
    list_bytes: Option<&'a [u8]>,
    /// The scope's token usage and cost points, for the cost stage.
    costs: CostGroups,
}

/// A cost metric without its points, kept until the scope has been
/// walked: the cost stage appends points to it.
struct Priced {
    metric: Metric,
    /// Its index in the scope.
    index: u32,
    /// Its name and unit after naming, and whether naming selected it.
    renamed: (String, String, bool),
}

/// What the cost stage takes from a metric's points.
#[derive(Clone, Copy)]
enum CostRole {
    /// Token usage histogram points of this temporality.
    TokenUsage(i32),
    /// Cost points.
    Cost,
}

impl<'a> Walk<'_, 'a> {
    fn resource(&mut self, buf: &'a [u8], r: u32) -> Result<(), Fallback> {
        let mut resource = None;
        let mut scopes = Vec::new();
        for f in fields(buf) {
            let f = f?;
            match f.number {
                resource_items::RESOURCE if resource.is_none() => resource = Some(f.message()?),
                resource_items::RESOURCE => return Err(Fallback), // merged by prost
                resource_items::SCOPE_ITEMS => scopes.push(f.message()?),
                _ => {}
            }
        }
        let at = Location {
            resource: r,
            ..Default::default()
        };
        let mut attrs = Vec::new();
        let mut originals = Vec::new();
        if let Some(res) = resource {
            for f in fields(res) {
                let f = f?;
                if f.number == resource::ATTRIBUTES {
                    let i = attrs.len();
                    attrs.push(KeyValue::default());
                    originals.push(read_attr(f, &mut attrs[i])?);
                }
            }
            self.genai_seen = self.genai_seen || any_genai_key(self.p, &originals);
            self.changed |= self.p.attributes(Place::Resource, &mut attrs, self.batch);
        }
        // Naming copies the normalized resource attributes to the points.
        let mut labels = self.p.naming.resource_labels(&attrs);
        for (s, scope) in scopes.into_iter().enumerate() {
            let at = Location {
                scope: s as u32,
                ..at
            };
            self.scope(scope, labels.as_mut(), at)?;
        }
        if !(originals.is_empty() && attrs.is_empty()) {
            self.edits
                .list(Target::Resource, at, Some(&originals), &attrs, &|_| true);
        }
        Ok(())
    }

    fn scope(
        &mut self,
        buf: &'a [u8],
        mut labels: Option<&mut PointLabels>,
        at: Location,
    ) -> Result<(), Fallback> {
        let (mut scope, mut schema_url) = (None, None);
        let mut metrics = Vec::new();
        for f in fields(buf) {
            let f = f?;
            match f.number {
                scope_items::SCOPE if scope.is_none() => scope = Some(f.message()?),
                scope_items::SCHEMA_URL if schema_url.is_none() => schema_url = Some(f.message()?),
                scope_items::SCOPE | scope_items::SCHEMA_URL => return Err(Fallback),
                scope_items::ITEMS => metrics.push(f.message()?),
                _ => {}
            }
        }
        // Another scope, other labels.
        self.repeat_labels = false;
        if let Some(labels) = labels.as_deref_mut() {
            let scope = scope.map(InstrumentationScope::decode).transpose();
            let scope = scope.map_err(|_| Fallback)?;
            self.p.naming.set_scope(labels, scope.as_ref());
        }
        let mut priced = Vec::new();
        let mut touched = false;
        for (m, metric) in metrics.into_iter().enumerate() {
            let at = Location {
                item: m as u32,
                ..at
            };
            touched |= self.metric(metric, labels.as_deref(), at, &mut priced)?;
        }
        touched |= self.derive_costs(priced, labels.as_deref(), at);
        let mut url = String::new();
        if schema_url.unwrap_or_default().is_empty() && mark_schema(&mut url, touched) {
            self.edits.schema_url(at, url.as_bytes());
        }
        self.changed |= touched;
        Ok(())
    }

    /// Renames one metric and edits its points; returns whether
    /// normalization changed a point (the scope is then touched).
    fn metric(
        &mut self,
        buf: &'a [u8],
        labels: Option<&PointLabels>,
        at: Location,
        priced: &mut Vec<Priced>,
    ) -> Result<bool, Fallback> {
        let (mut name, mut unit, mut data) = (None, None, None);
        let mut metadata = Vec::new();
        for f in fields(buf) {
            let f = f?;
            match f.number {
                metric::NAME if name.is_none() => name = Some(f.message()?),
                metric::UNIT if unit.is_none() => unit = Some(f.message()?),
                metric::NAME | metric::UNIT => return Err(Fallback),
                // A oneof given twice: prost merges.
                n if metric::is_data(n) && data.is_some() => return Err(Fallback),
                n if metric::is_data(n) => data = Some((n, f.message()?)),
                metric::METADATA => {
                    metadata.push(KeyValue::decode(f.message()?).map_err(|_| Fallback)?)
                }
                _ => {}
            }
        }
        let (name, unit) = (text(name)?, text(unit)?);
        if self.p.naming.may_upgrade(name) {
            return Err(Fallback);
        }
        self.genai_seen = self.genai_seen || self.p.is_genai_metric_name(name.as_bytes());
        let (head, points) = match data {
            Some((number, buf)) => (Some(data_header(number, buf)?), buf),
            None => (None, &[][..]),
        };
        let mut metric = Metric {
            name: name.to_string(),
            unit: unit.to_string(),
            metadata,
            data: head,
            ..Default::default()
        };
        let role = match (&metric.data, name) {
            _ if !self.p.pricer.derives_metrics() => None,
            (_, COST_METRIC) => Some(CostRole::Cost),
            (Some(Data::Histogram(h)), TOKEN_USAGE_METRIC) => {
                Some(CostRole::TokenUsage(h.aggregation_temporality))
            }
            (Some(Data::ExponentialHistogram(h)), TOKEN_USAGE_METRIC) => {
                Some(CostRole::TokenUsage(h.aggregation_temporality))
            }
            _ => None,
        };
        let original = matches!(role, Some(CostRole::Cost)).then(|| metric.clone());
        let selected = self
            .p
            .rename(&mut metric, self.batch)
            .map(|renamed| self.changed |= renamed)
            .is_some();
        if metric.name != name || metric.unit != unit {
            self.edits.metric_name(at, &metric.name, &metric.unit);
        }
        let original = original.map(|m| Priced {
            metric: m,
            index: at.item,
            renamed: (metric.name, metric.unit, selected),
        });
        let Some(kind) = data.map(|(number, _)| metric::point_attributes(number)) else {
            priced.extend(original);
            return Ok(false);
        };
        let labels = labels.filter(|_| selected);
        let mut touched = false;
        let mut p = 0;
        for f in fields(points) {
            let f = f?;
            if f.number != data::DATA_POINTS {
                continue;
            }
            let numbers = self.read_point(f.message()?, kind)?;
            let at = Location { event: p, ..at };
            p += 1;
            self.batch.stats.items += 1;
            let normalized = self.normalize_point()?;
            touched |= normalized;
            if let Some(role) = role {
                // A list met before needs no decoding for the cost stage,
                // unless it starts a group.
                let source = self.list_bytes;
                let taken = source.is_some_and(|s| match role {
                    CostRole::TokenUsage(t) => self.costs.token_usage_by_source(s, t, numbers),
                    CostRole::Cost => self.costs.cost_by_source(s),
                });
                if !taken {
                    self.decode_list()?;
                    match role {
                        CostRole::TokenUsage(t) => {
                            self.costs.token_usage(&self.list, source, t, numbers)
                        }
                        CostRole::Cost => self.costs.cost(&self.list, source),
                    }
                }
            }
            // Naming's labels depend on a point's keys alone (see
            // `repeat_labels`): a point with the last point's keys that
            // normalization left alone gets the last point's ops, without
            // labels computed or compared (or the list decoded).
            if labels.is_some_and(|l| {
                l.guard
                    .ignores_values_of(self.list_bytes.map_or(usize::MAX, <[u8]>::len))
            }) && self.repeat_labels
                && !normalized
                && self
                    .edits
                    .repeat_positional(Target::DataPoint, at, &self.originals)
            {
                continue;
            }
            self.decode_list()?;
            let dropped_before = self.batch.stats.point_attributes_dropped;
            if let Some(labels) = labels {
                self.changed |= labels.apply(&mut self.list, &mut self.batch.stats);
            }
            // Points the guard dropped attributes from may now share a
            // series and be added up (`naming::merge`), which edits do not
            // express: the reference path takes the batch.
            if self.batch.stats.point_attributes_dropped != dropped_before {
                return Err(Fallback);
            }
            if !(self.originals.is_empty() && self.list.is_empty()) {
                self.edits.list(
                    Target::DataPoint,
                    at,
                    Some(&self.originals),
                    &self.list,
                    &|_| true,
                );
            }
            let kept = &self.list[..self.originals.len().min(self.list.len())];
            self.repeat_labels = labels.is_some_and(|labels| {
                !normalized && !kept.iter().any(|kv| labels.reads_value_of(&kv.key))
            });
        }
        priced.extend(original);
        Ok(touched)
    }

    /// Normalizes the point's list, unless normalization left the same
    /// list alone before in this batch, counters included (a value that
    /// fails coercion is counted on every point that has it); returns
    /// whether it changed. A list left alone before is not decoded here:
    /// the same bytes decoded then, and only a later step that reads the
    /// list decodes it ([`Self::decode_list`]).
    fn normalize_point(&mut self) -> Result<bool, Fallback> {
        let n = &self.p.normalizer;
        let bytes = self.list_bytes;
        if n.is_enabled() && bytes.is_some_and(|b| self.unchanged.seen(b)) {
            return Ok(false);
        }
        self.decode_list()?;
        if !n.is_enabled() {
            return Ok(false);
        }
        let before = self.batch.stats;
        let normalized = self
            .p
            .attributes(Place::DataPoint, &mut self.list, self.batch);
        if let Some(b) = bytes.filter(|_| !normalized && self.batch.stats == before) {
            self.unchanged.note(b);
        }
        Ok(normalized)
    }

    /// Decodes the point's attributes into `self.list`, once.
    fn decode_list(&mut self) -> Result<(), Fallback> {
        if self.decoded {
            return Ok(());
        }
        for (i, &(entry, parts)) in self.entries.iter().enumerate() {
            if i == self.list.len() {
                self.list.push(KeyValue::default());
            }
            kv::decode_into(entry, Some(parts), &mut self.list[i]).or(Err(Fallback))?;
        }
        self.list.truncate(self.entries.len());
        self.decoded = true;
        Ok(())
    }

    /// Splits a point's attributes (field `kind`) into `self.originals`
    /// and `self.entries` (decoded later, if at all: see
    /// [`Self::decode_list`]), and reads the numbers a histogram point
    /// has; sets `self.list_bytes`.
    fn read_point(&mut self, buf: &'a [u8], kind: u32) -> Result<Numbers, Fallback> {
        self.originals.clear();
        self.entries.clear();
        self.decoded = false;
        let mut numbers = Numbers::default();
        let mut n = 0;
        // The attribute fields' span of `buf`, while contiguous.
        let mut span = Some(0..0);
        for f in fields(buf) {
            let f = f?;
            match f.number {
                number if number == kind => {
                    let (entry, parts, original) = split_attr(f)?;
                    self.entries.push((entry, parts));
                    self.originals.push(original);
                    let start = f.raw.as_ptr().addr() - buf.as_ptr().addr();
                    span = span.and_then(|s| match n {
                        0 => Some(start..start + f.raw.len()),
                        _ if s.end == start => Some(s.start..start + f.raw.len()),
                        _ => None,
                    });
                    n += 1;
                }
                // Start, time, count and sum: fixed64 and double in both
                // kinds of histogram point.
                histogram_point::START_TIME_UNIX_NANO..=histogram_point::SUM
                    if kind != number_point::ATTRIBUTES =>
                {
                    let v = fixed64(f)?;
                    match f.number {
                        histogram_point::START_TIME_UNIX_NANO => numbers.start = v,
                        histogram_point::TIME_UNIX_NANO => numbers.time = v,
                        histogram_point::COUNT => numbers.count = v,
                        _ => numbers.sum = Some(f64::from_bits(v)),
                    }
                }
                _ => {}
            }
        }
        self.list_bytes = span.map(|s| &buf[s]);
        self.genai_seen = self.genai_seen || any_genai_key(self.p, &self.originals);
        Ok(numbers)
    }

    /// Runs the cost stage over the scope's token usage and cost points
    /// and records what it appended to the scope's cost metrics
    /// (`priced`) or as new metrics, named and labelled as naming leaves
    /// them; returns whether it appended anything.
    fn derive_costs(
        &mut self,
        priced: Vec<Priced>,
        labels: Option<&PointLabels>,
        at: Location,
    ) -> bool {
        let existing = priced.len();
        let (mut metrics, mut renamed) = (Vec::new(), Vec::new());
        for m in priced {
            metrics.push(m.metric);
            renamed.push((m.index, m.renamed));
        }
        let mut scope = ScopeMetrics {
            metrics,
            ..Default::default()
        };
        if !self.p.append_costs(&mut scope, &mut self.costs, self.batch) {
            return false;
        }
        let mut metrics = scope.metrics;
        let mut appended = metrics.split_off(existing);
        for (mut tail, (index, (name, unit, selected))) in metrics.into_iter().zip(renamed) {
            if point_attrs(&tail).is_empty() {
                continue;
            }
            (tail.name, tail.unit) = (name, unit);
            if let Some(labels) = labels.filter(|_| selected) {
                for_each_point_attrs(&mut tail, |a| {
                    labels.apply(a, &mut self.batch.stats);
                });
            }
            let at = Location { item: index, ..at };
            self.edits.appended_points(at, &batch_of(vec![tail]));
        }
        if !appended.is_empty() {
            for metric in &mut appended {
                let selected = self.p.rename(metric, self.batch);
                if let Some(labels) = labels.filter(|_| selected.is_some()) {
                    for_each_point_attrs(metric, |a| {
                        labels.apply(a, &mut self.batch.stats);
                    });
                }
            }
            self.edits.appended_metrics(at, &batch_of(appended));
        }
        true
    }
}

fn any_genai_key(p: &Stages, originals: &[Original<'_>]) -> bool {
    originals.iter().any(|o| p.is_genai_key(o.key))
}

/// Decodes one attribute field into `slot` (reusing its strings) and
/// returns its key and value bytes.
fn read_attr<'a>(f: Field<'a>, slot: &mut KeyValue) -> Result<Original<'a>, Fallback> {
    let (entry, parts, original) = split_attr(f)?;
    kv::decode_into(entry, Some(parts), slot).or(Err(Fallback))?;
    Ok(original)
}

/// One attribute field's payload, its key and value parts, and its key and
/// value bytes. Edits describe attributes by those, so an attribute of any
/// other layout goes to the prost path.
fn split_attr(f: Field<'_>) -> Result<(&[u8], kv::Parts<'_>, Original<'_>), Fallback> {
    let entry = f.message()?;
    let (key, value) = kv::split(entry).ok_or(Fallback)?;
    let original = Original {
        key,
        value: value.unwrap_or_default(),
    };
    Ok((entry, (key, value), original))
}

/// A string field's text (empty when absent), if it is UTF-8.
fn text(bytes: Option<&[u8]>) -> Result<&str, Fallback> {
    kv::utf8(bytes.unwrap_or_default()).ok_or(Fallback)
}

/// A `fixed64` or `double` field's bits.
fn fixed64(f: Field<'_>) -> Result<u64, Fallback> {
    match f.wire_type {
        I64 => f.number_value(),
        _ => Err(Fallback),
    }
}

/// The metric data in field `number` (the `data` oneof) without its
/// points: the type, temporality and monotonicity naming and the cost
/// stage read.
fn data_header(number: u32, buf: &[u8]) -> Result<Data, Fallback> {
    let (mut temporality, mut monotonic) = (0, false);
    if matches!(
        number,
        metric::SUM | metric::HISTOGRAM | metric::EXPONENTIAL_HISTOGRAM
    ) {
        for f in fields(buf) {
            let f = f?;
            let value = || match f.wire_type {
                VARINT => f.number_value(),
                _ => Err(Fallback),
            };
            match f.number {
                // An enum: prost keeps the low 32 bits.
                data::AGGREGATION_TEMPORALITY => temporality = value()? as i32,
                data::IS_MONOTONIC if number == metric::SUM => monotonic = value()? != 0,
                _ => {}
            }
        }
    }
    Ok(match number {
        metric::GAUGE => Data::Gauge(Gauge::default()),
        metric::SUM => Data::Sum(Sum {
            aggregation_temporality: temporality,
            is_monotonic: monotonic,
            ..Default::default()
        }),
        metric::HISTOGRAM => Data::Histogram(Histogram {
            aggregation_temporality: temporality,
            ..Default::default()
        }),
        metric::EXPONENTIAL_HISTOGRAM => Data::ExponentialHistogram(ExponentialHistogram {
            aggregation_temporality: temporality,
            ..Default::default()
        }),
        _ => Data::Summary(Summary::default()),
    })
}

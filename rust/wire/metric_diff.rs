//! Edits for a metric batch. Metrics go through the prost path (the stages
//! reshape whole scopes: cost histograms are derived from token usage,
//! metrics renamed, resource labels copied to every point), and this
//! module then describes what changed as edits to the input
//! ([`super::edits`]), so the Go component applies them to the pdata it
//! holds instead of decoding a new batch, which cost more than the stages.
//!
//! It walks the input's bytes alongside the processed batch: point and
//! resource attribute lists become key edits, changed metric names and
//! units a rename, changed schema URLs a set, and what the cost stage
//! appended (points of an existing cost histogram, new cost histograms)
//! travels encoded. Any other difference (counts, types, descriptions),
//! and input the walk does not frame the way prost read it, answers `None`:
//! the caller sends the whole batch.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::ExponentialHistogram;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, Gauge, Histogram, Metric, ResourceMetrics, ScopeMetrics, Sum, Summary,
};
use prost::Message;

use super::codec::fields;
use super::edits::{Edits, Location, Original, Target};
use super::kv;
use super::proto::{data, metric, request, resource, resource_items, scope_items};

/// The edits turning `input` into `after`, the stages' result for it, or
/// `None` when edits cannot express the difference.
pub fn diff(input: &[u8], after: &ExportMetricsServiceRequest) -> Option<Vec<u8>> {
    let mut walk = Walk {
        edits: Edits::default(),
        originals: Vec::new(),
    };
    let mut r = 0;
    for f in fields(input) {
        let f = f.ok()?;
        if f.number == request::RESOURCE_ITEMS {
            let rm = after.resource_metrics.get(r)?;
            walk.resource(f.message().ok()?, rm, r as u32)?;
            r += 1;
        }
    }
    if r != after.resource_metrics.len() || walk.edits.unrepresentable {
        return None;
    }
    Some(walk.edits.finish())
}

struct Walk<'a> {
    edits: Edits,
    /// The attributes of the list being compared (reused between lists).
    originals: Vec<Original<'a>>,
}

impl<'a> Walk<'a> {
    fn resource(&mut self, buf: &'a [u8], rm: &ResourceMetrics, r: u32) -> Option<()> {
        let mut s = 0;
        let mut resource = None;
        for f in fields(buf) {
            let f = f.ok()?;
            match f.number {
                resource_items::RESOURCE if resource.is_none() => {
                    resource = Some(f.message().ok()?)
                }
                resource_items::RESOURCE => return None, // merged by prost
                resource_items::SCOPE_ITEMS => {
                    let sm = rm.scope_metrics.get(s)?;
                    self.scope(f.message().ok()?, sm, r, s as u32)?;
                    s += 1;
                }
                _ => {}
            }
        }
        if s != rm.scope_metrics.len() {
            return None;
        }
        let result = rm.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
        let at = Location {
            resource: r,
            ..Default::default()
        };
        self.list(
            resource.unwrap_or_default(),
            resource::ATTRIBUTES,
            result,
            Target::Resource,
            at,
        )
    }

    fn scope(&mut self, buf: &'a [u8], sm: &ScopeMetrics, r: u32, s: u32) -> Option<()> {
        let mut m = 0;
        let mut schema_url: Option<&[u8]> = None;
        for f in fields(buf) {
            let f = f.ok()?;
            match f.number {
                scope_items::ITEMS => {
                    let metric = sm.metrics.get(m)?;
                    let at = Location {
                        resource: r,
                        scope: s,
                        item: m as u32,
                        event: 0,
                    };
                    self.metric(f.message().ok()?, metric, at)?;
                    m += 1;
                }
                scope_items::SCHEMA_URL if schema_url.is_none() => {
                    schema_url = Some(f.message().ok()?)
                }
                scope_items::SCHEMA_URL => return None,
                _ => {}
            }
        }
        let at = Location {
            resource: r,
            scope: s,
            ..Default::default()
        };
        if schema_url.unwrap_or_default() != sm.schema_url.as_bytes() {
            self.edits.schema_url(at, sm.schema_url.as_bytes());
        }
        match sm.metrics.get(m..)? {
            [] => {}
            appended => self
                .edits
                .appended_metrics(at, &batch_of(appended.to_vec())),
        }
        Some(())
    }

    fn metric(&mut self, buf: &'a [u8], metric: &Metric, at: Location) -> Option<()> {
        let (mut name, mut description, mut unit) = (None, None, None);
        let mut data = None;
        for f in fields(buf) {
            let f = f.ok()?;
            let slot = match f.number {
                metric::NAME => &mut name,
                metric::DESCRIPTION => &mut description,
                metric::UNIT => &mut unit,
                n if metric::is_data(n) => {
                    if data.is_some() {
                        return None; // a oneof given twice: prost merges
                    }
                    data = Some((f.number, f.message().ok()?));
                    continue;
                }
                _ => continue,
            };
            if slot.replace(f.message().ok()?).is_some() {
                return None;
            }
        }
        if description.unwrap_or_default() != metric.description.as_bytes() {
            return None;
        }
        if name.unwrap_or_default() != metric.name.as_bytes()
            || unit.unwrap_or_default() != metric.unit.as_bytes()
        {
            self.edits.metric_name(at, &metric.name, &metric.unit);
        }
        let Some((number, points)) = data else {
            return metric.data.is_none().then_some(());
        };
        let results: Vec<&[KeyValue]> = match (number, metric.data.as_ref()?) {
            (metric::GAUGE, Data::Gauge(g)) => {
                g.data_points.iter().map(|p| &p.attributes[..]).collect()
            }
            (metric::SUM, Data::Sum(s)) => {
                s.data_points.iter().map(|p| &p.attributes[..]).collect()
            }
            (metric::HISTOGRAM, Data::Histogram(h)) => {
                h.data_points.iter().map(|p| &p.attributes[..]).collect()
            }
            (metric::EXPONENTIAL_HISTOGRAM, Data::ExponentialHistogram(h)) => {
                h.data_points.iter().map(|p| &p.attributes[..]).collect()
            }
            (metric::SUMMARY, Data::Summary(s)) => {
                s.data_points.iter().map(|p| &p.attributes[..]).collect()
            }
            _ => return None,
        };
        let attr_field = metric::point_attributes(number);
        let mut p = 0;
        for f in fields(points) {
            let f = f.ok()?;
            if f.number == data::DATA_POINTS {
                let result = results.get(p)?;
                let at = Location {
                    event: p as u32,
                    ..at
                };
                self.list(f.message().ok()?, attr_field, result, Target::DataPoint, at)?;
                p += 1;
            }
        }
        if p < results.len() {
            let tail = tail_of(metric, p);
            self.edits.appended_points(at, &batch_of(vec![tail]));
        }
        Some(())
    }

    /// Compares the attributes (field `number`) of the message `buf` with
    /// `result` and records the edits between them.
    fn list(
        &mut self,
        buf: &'a [u8],
        number: u32,
        result: &[KeyValue],
        target: Target,
        at: Location,
    ) -> Option<()> {
        self.originals.clear();
        for f in fields(buf) {
            let f = f.ok()?;
            if f.number == number {
                let (key, value) = kv::split(f.message().ok()?)?;
                self.originals.push(Original {
                    key,
                    value: value.unwrap_or_default(),
                });
            }
        }
        if self.originals.is_empty() && result.is_empty() {
            return Some(());
        }
        self.edits
            .list(target, at, Some(&self.originals), result, &|_| true);
        Some(())
    }
}

/// `metric` with only its points from `from` on.
pub(super) fn tail_of(metric: &Metric, from: usize) -> Metric {
    let data = metric.data.as_ref().map(|d| match d {
        Data::Gauge(g) => Data::Gauge(Gauge {
            data_points: g.data_points[from..].to_vec(),
        }),
        Data::Sum(s) => Data::Sum(Sum {
            data_points: s.data_points[from..].to_vec(),
            ..*s
        }),
        Data::Histogram(h) => Data::Histogram(Histogram {
            data_points: h.data_points[from..].to_vec(),
            ..*h
        }),
        Data::ExponentialHistogram(h) => Data::ExponentialHistogram(ExponentialHistogram {
            data_points: h.data_points[from..].to_vec(),
            ..*h
        }),
        Data::Summary(s) => Data::Summary(Summary {
            data_points: s.data_points[from..].to_vec(),
        }),
    });
    Metric {
        name: metric.name.clone(),
        unit: metric.unit.clone(),
        data,
        ..Default::default()
    }
}

/// `metrics` as the one scope of the one resource of a metric batch.
pub(super) fn batch_of(metrics: Vec<Metric>) -> Vec<u8> {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

//! The table as an OTLP metrics request: one resource per distinct set of
//! resource values, the semantic conventions' GenAI histograms in it.
//!
//! Cumulative series first emit a zero point at their start time:
//! VictoriaMetrics' `increase()` takes a new series' first sample as what
//! was there before the range when it is large against the next delta,
//! and drops it; a zero first sample makes every call count. The zero
//! point goes out with every flush until the caller confirms one of them
//! delivered ([`confirm`]), so a refused export does not lose it (a repeat
//! is the same sample again, which changes no query).

use hashbrown::HashMap;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, AggregationTemporality, HistogramDataPoint, Metric, ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::call::POINT_KEYS;
use super::config::{SpanMetricsConfig, Temporality};
use super::series::{Hist, Measure, Series, Table};
use crate::attrs::kv;
use crate::metric_points::histogram_metric;
use crate::semconv::TOKEN_TYPE;

/// The instrumentation scope of every emitted metric.
pub const SCOPE_NAME: &str = "otelcol-genai/genaiconnector";

/// What one export holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub points: u64,
    pub zero_points: u64,
}

/// The request for every series with a total, or `None` when there is none.
pub fn request(
    table: &mut Table,
    config: &SpanMetricsConfig,
    now: u64,
    generation: u64,
) -> Option<(ExportMetricsServiceRequest, Exported)> {
    let cumulative = config.temporality == Temporality::Cumulative;
    let mut exported = Exported::default();
    // Resource values -> index in `resources`, in order of first series.
    let mut by_resource: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut resources: Vec<(Vec<KeyValue>, Vec<Metric>)> = Vec::new();
    for series in &mut table.series {
        if series.hists.iter().flatten().all(|h| h.count == 0) {
            continue;
        }
        let mut key = Vec::new();
        for v in &series.resource {
            super::series::encode(&mut key, v.as_ref(), usize::MAX);
        }
        let r = *by_resource.entry(key).or_insert_with(|| {
            resources.push((
                resource_attributes(series, config),
                empty_metrics(cumulative),
            ));
            resources.len() - 1
        });
        let metrics = &mut resources[r].1;
        for m in super::series::MEASURES {
            let attributes = point_attributes(series, config, m);
            let Some((h, counts)) = series.hist_mut(m).filter(|(h, _)| h.count > 0) else {
                continue;
            };
            let points = histogram_points(&mut metrics[metric_index(m)]);
            if cumulative && !h.zero_confirmed {
                points.push(zero_point(h, m.bounds(), attributes.clone()));
                h.zero_sent = generation;
                exported.zero_points += 1;
            }
            points.push(point(h, counts, m.bounds(), attributes, now));
            exported.points += 1;
        }
    }
    if resources.is_empty() {
        return None;
    }
    let resource_metrics = resources
        .into_iter()
        .map(|(attributes, metrics)| ResourceMetrics {
            resource: Some(Resource {
                attributes,
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: SCOPE_NAME.to_string(),
                    version: env!("CARGO_PKG_VERSION").to_string(),
                    ..Default::default()
                }),
                metrics: metrics
                    .into_iter()
                    .filter(|m| matches!(&m.data, Some(Data::Histogram(h)) if !h.data_points.is_empty()))
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    Some((ExportMetricsServiceRequest { resource_metrics }, exported))
}

/// Flush `generation` reached the pipeline: the zero points it (or an
/// earlier flush) sent are not sent again.
pub fn confirm(table: &mut Table, generation: u64) {
    let hists = table
        .series
        .iter_mut()
        .flat_map(|s| s.hists.iter_mut().flatten());
    for h in hists {
        if h.zero_sent != 0 && h.zero_sent <= generation {
            h.zero_confirmed = true;
        }
    }
}

/// Where a measure's points go among [`empty_metrics`].
fn metric_index(m: Measure) -> usize {
    match m {
        Measure::Duration => 0,
        Measure::InputTokens | Measure::OutputTokens => 1,
        Measure::TimeToFirstToken => 2,
        Measure::Cost => 3,
    }
}

fn empty_metrics(cumulative: bool) -> Vec<Metric> {
    let temporality = if cumulative {
        AggregationTemporality::Cumulative
    } else {
        AggregationTemporality::Delta
    } as i32;
    [
        (
            "gen_ai.client.operation.duration",
            "s",
            "GenAI operation duration.",
        ),
        (
            "gen_ai.client.token.usage",
            "{token}",
            "Number of input and output tokens used.",
        ),
        (
            "gen_ai.server.time_to_first_token",
            "s",
            "Time to generate the first token.",
        ),
        (
            "gen_ai.usage.cost",
            "USD",
            "Cost of the GenAI call, from its token usage and the pricing table.",
        ),
    ]
    .map(|(name, unit, description)| histogram_metric(name, unit, description, temporality))
    .to_vec()
}

fn histogram_points(metric: &mut Metric) -> &mut Vec<HistogramDataPoint> {
    match &mut metric.data {
        Some(Data::Histogram(h)) => &mut h.data_points,
        // `empty_metrics` makes histograms only.
        _ => unreachable!("connector metrics are histograms"),
    }
}

fn point(
    h: &Hist,
    counts: &[u64],
    bounds: &[f64],
    attributes: Vec<KeyValue>,
    now: u64,
) -> HistogramDataPoint {
    HistogramDataPoint {
        attributes,
        start_time_unix_nano: h.start,
        time_unix_nano: now.max(h.start),
        count: h.count,
        sum: Some(h.sum),
        bucket_counts: counts.to_vec(),
        explicit_bounds: bounds.to_vec(),
        min: Some(h.min),
        max: Some(h.max),
        ..Default::default()
    }
}

/// The series' value at its start: zero, by definition of its start.
fn zero_point(h: &Hist, bounds: &[f64], attributes: Vec<KeyValue>) -> HistogramDataPoint {
    HistogramDataPoint {
        attributes,
        start_time_unix_nano: h.start,
        time_unix_nano: h.start,
        count: 0,
        sum: Some(0.0),
        bucket_counts: vec![0; bounds.len() + 1],
        explicit_bounds: bounds.to_vec(),
        ..Default::default()
    }
}

fn point_attributes(series: &Series, config: &SpanMetricsConfig, m: Measure) -> Vec<KeyValue> {
    let mut attrs = Vec::new();
    if series.overflow {
        attrs.push(kv("otel.metric.overflow", Value::BoolValue(true)));
    } else {
        let keys = POINT_KEYS
            .iter()
            .copied()
            .chain(config.dimensions.iter().map(String::as_str));
        for (key, value) in keys.zip(&series.point) {
            if let Some(v) = value {
                attrs.push(kv(key, v.clone()));
            }
        }
    }
    match m {
        Measure::InputTokens => attrs.push(kv(TOKEN_TYPE, Value::StringValue("input".into()))),
        Measure::OutputTokens => attrs.push(kv(TOKEN_TYPE, Value::StringValue("output".into()))),
        _ => {}
    }
    attrs
}

fn resource_attributes(series: &Series, config: &SpanMetricsConfig) -> Vec<KeyValue> {
    let mut attrs: Vec<KeyValue> = config
        .resource_dimensions
        .iter()
        .zip(&series.resource)
        .filter_map(|(k, v)| Some(kv(k, v.clone()?)))
        .collect();
    if !config.instance_attribute.is_empty() {
        attrs.push(kv(
            &config.instance_attribute,
            Value::StringValue(config.instance_id.clone()),
        ));
    }
    attrs
}

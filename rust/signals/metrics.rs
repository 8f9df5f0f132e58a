//! Metrics: data point attributes are normalized, cost histograms derived from
//! token usage, then names and labels prepared for VictoriaMetrics.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{metric::Data, Metric};

use crate::normalize::Place;
use crate::processor::{Batch, Processor};
use crate::signals::mark_schema;

/// Whether a metric name or a resource or data point attribute key is a
/// GenAI one (`Processor::is_genai_metric_name`): only then is the batch
/// processed.
fn has_genai_content(p: &Processor, req: &ExportMetricsServiceRequest) -> bool {
    let any = |attrs: &[KeyValue]| attrs.iter().any(|kv| p.is_genai_key(kv.key.as_bytes()));
    req.resource_metrics.iter().any(|rm| {
        rm.resource.as_ref().is_some_and(|r| any(&r.attributes))
            || rm.scope_metrics.iter().flat_map(|sm| &sm.metrics).any(|m| {
                p.is_genai_metric_name(m.name.as_bytes()) || point_attrs(m).into_iter().any(any)
            })
    })
}

/// Runs the three stages over every resource's metrics, in order:
/// normalize (attributes and legacy names), derive cost, rename.
pub fn process(p: &Processor, req: &mut ExportMetricsServiceRequest, batch: &mut Batch) -> bool {
    if !has_genai_content(p, req) {
        return false;
    }
    let mut changed = false;
    for rm in &mut req.resource_metrics {
        if let Some(res) = rm.resource.as_mut() {
            changed |= p
                .normalizer
                .apply(&mut res.attributes, Place::Resource, batch);
        }
        for sm in &mut rm.scope_metrics {
            // Legacy names are upgraded per scope: whether a mapping is safe
            // depends on the scope's other metrics.
            let mut touched = p.naming.upgrade_legacy_names(sm, &mut batch.stats);
            batch.legacy_upgraded |= touched;
            for metric in &mut sm.metrics {
                for_each_point_attrs(metric, |attrs| {
                    batch.stats.items += 1;
                    touched |= p.normalizer.apply(attrs, Place::DataPoint, batch);
                });
            }
            touched |= p.pricer.derive_cost_metrics(sm, batch);
            changed |= touched;
            changed |= mark_schema(&mut sm.schema_url, touched);
        }
        changed |= p.naming.apply(rm, batch);
    }
    changed
}

/// Calls `f` on the attribute list of every data point of `metric`.
pub fn for_each_point_attrs(metric: &mut Metric, mut f: impl FnMut(&mut Vec<KeyValue>)) {
    match metric.data.as_mut() {
        Some(Data::Gauge(g)) => g
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        Some(Data::Sum(s)) => s
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        Some(Data::Histogram(h)) => h
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        Some(Data::ExponentialHistogram(h)) => h
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        Some(Data::Summary(s)) => s
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        None => {}
    }
}

/// The attribute lists of every data point of `metric`, read-only.
pub fn point_attrs(metric: &Metric) -> Vec<&[KeyValue]> {
    fn of<P>(points: &[P], attrs: impl Fn(&P) -> &[KeyValue]) -> Vec<&[KeyValue]> {
        points.iter().map(attrs).collect()
    }
    match metric.data.as_ref() {
        Some(Data::Gauge(g)) => of(&g.data_points, |p| &p.attributes),
        Some(Data::Sum(s)) => of(&s.data_points, |p| &p.attributes),
        Some(Data::Histogram(h)) => of(&h.data_points, |p| &p.attributes),
        Some(Data::ExponentialHistogram(h)) => of(&h.data_points, |p| &p.attributes),
        Some(Data::Summary(s)) => of(&s.data_points, |p| &p.attributes),
        None => Vec::new(),
    }
}

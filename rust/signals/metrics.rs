//! Metrics: data point attributes are normalized, cost histograms derived from
//! token usage, then names and labels prepared for VictoriaMetrics.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;

use crate::metric_points::{for_each_point_attrs, point_attrs};
use crate::normalize::Place;
use crate::semconv::mark_schema;
use crate::stages::{Batch, Stages};

/// Whether a metric name or a resource or data point attribute key is a
/// GenAI one (`Stages::is_genai_metric_name`): only then is the batch
/// processed.
fn has_genai_content(p: &Stages, req: &ExportMetricsServiceRequest) -> bool {
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
pub fn process(p: &Stages, req: &mut ExportMetricsServiceRequest, batch: &mut Batch) -> bool {
    if !has_genai_content(p, req) {
        return false;
    }
    let mut changed = false;
    for rm in &mut req.resource_metrics {
        if let Some(res) = rm.resource.as_mut() {
            changed |= p.attributes(Place::Resource, &mut res.attributes, batch);
        }
        for sm in &mut rm.scope_metrics {
            // Legacy names are upgraded per scope: whether a mapping is safe
            // depends on the scope's other metrics.
            let mut touched = p.naming.upgrade_legacy_names(sm);
            batch.legacy_upgraded |= touched;
            for metric in &mut sm.metrics {
                for_each_point_attrs(metric, |attrs| {
                    batch.stats.items += 1;
                    touched |= p.attributes(Place::DataPoint, attrs, batch);
                });
            }
            touched |= p.derive_costs(sm, batch);
            changed |= touched;
            changed |= mark_schema(&mut sm.schema_url, touched);
        }
        changed |= p.name_metrics(rm, batch);
    }
    changed
}

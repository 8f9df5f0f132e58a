//! Log records (GenAI events included).

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;

use crate::normalize::Place;
use crate::semconv::mark_schema;
use crate::stages::{Batch, Stages};

/// Whether a resource or log record attribute key is a GenAI key
/// (`Stages::is_genai_key`): only then is the batch processed.
fn has_genai_key(p: &Stages, req: &ExportLogsServiceRequest) -> bool {
    let any = |attrs: &[KeyValue]| attrs.iter().any(|kv| p.is_genai_key(kv.key.as_bytes()));
    req.resource_logs.iter().any(|rl| {
        rl.resource.as_ref().is_some_and(|r| any(&r.attributes))
            || rl
                .scope_logs
                .iter()
                .flat_map(|sl| &sl.log_records)
                .any(|l| any(&l.attributes))
    })
}

/// Normalizes resource and log-record attributes and prices LLM-call records.
pub fn process(p: &Stages, req: &mut ExportLogsServiceRequest, batch: &mut Batch) -> bool {
    if !has_genai_key(p, req) {
        return false;
    }
    let mut changed = false;
    for rl in &mut req.resource_logs {
        if let Some(res) = rl.resource.as_mut() {
            changed |= p.attributes(Place::Resource, &mut res.attributes, batch);
        }
        for sl in &mut rl.scope_logs {
            let mut touched = false;
            for record in &mut sl.log_records {
                batch.stats.items += 1;
                touched |= p.attributes(Place::LogRecord, &mut record.attributes, batch);
            }
            changed |= touched;
            changed |= mark_schema(&mut sl.schema_url, touched);
        }
    }
    changed
}

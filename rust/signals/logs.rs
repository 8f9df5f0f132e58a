//! Log records (GenAI events included).

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;

use crate::normalize::Place;
use crate::processor::{Batch, Processor};
use crate::signals::mark_schema;

/// Normalizes resource and log-record attributes and prices LLM-call records.
pub fn process(p: &Processor, req: &mut ExportLogsServiceRequest, batch: &mut Batch) -> bool {
    let mut changed = false;
    for rl in &mut req.resource_logs {
        if let Some(res) = rl.resource.as_mut() {
            changed |= p
                .normalizer
                .apply(&mut res.attributes, Place::Resource, &mut batch.stats);
        }
        for sl in &mut rl.scope_logs {
            let mut touched = false;
            for record in &mut sl.log_records {
                batch.stats.items += 1;
                touched |=
                    p.normalizer
                        .apply(&mut record.attributes, Place::LogRecord, &mut batch.stats);
                touched |= p.pricer.annotate(&mut record.attributes, batch);
            }
            changed |= touched;
            changed |= mark_schema(&mut sl.schema_url, touched);
        }
    }
    changed
}

//! Spans and span events.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use crate::normalize::Place;
use crate::processor::{Batch, Processor};
use crate::signals::mark_schema;

/// Normalizes resource, span and span-event attributes and prices LLM spans.
pub fn process(p: &Processor, req: &mut ExportTraceServiceRequest, batch: &mut Batch) -> bool {
    let mut changed = false;
    for rs in &mut req.resource_spans {
        if let Some(res) = rs.resource.as_mut() {
            changed |= p
                .normalizer
                .apply(&mut res.attributes, Place::Resource, &mut batch.stats);
        }
        for ss in &mut rs.scope_spans {
            let mut touched = false;
            for span in &mut ss.spans {
                batch.stats.items += 1;
                touched |= p
                    .normalizer
                    .apply(&mut span.attributes, Place::Span, &mut batch.stats);
                for event in &mut span.events {
                    touched |= p.normalizer.apply(
                        &mut event.attributes,
                        Place::SpanEvent,
                        &mut batch.stats,
                    );
                }
                touched |= p.pricer.annotate(&mut span.attributes, batch);
            }
            changed |= touched;
            changed |= mark_schema(&mut ss.schema_url, touched);
        }
    }
    changed
}

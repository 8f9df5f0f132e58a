//! Spans and span events.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;

use crate::normalize::Place;
use crate::semconv::mark_schema;
use crate::stages::{Batch, Stages};

/// Whether a resource, span or span-event attribute key is a GenAI key
/// (`Stages::is_genai_key`): only then is the batch processed.
fn has_genai_key(p: &Stages, req: &ExportTraceServiceRequest) -> bool {
    let any = |attrs: &[KeyValue]| attrs.iter().any(|kv| p.is_genai_key(kv.key.as_bytes()));
    req.resource_spans.iter().any(|rs| {
        rs.resource.as_ref().is_some_and(|r| any(&r.attributes))
            || rs
                .scope_spans
                .iter()
                .flat_map(|ss| &ss.spans)
                .any(|s| any(&s.attributes) || s.events.iter().any(|e| any(&e.attributes)))
    })
}

/// Normalizes resource, span and span-event attributes and prices LLM spans.
pub fn process(p: &Stages, req: &mut ExportTraceServiceRequest, batch: &mut Batch) -> bool {
    if !has_genai_key(p, req) {
        return false;
    }
    let mut changed = false;
    for rs in &mut req.resource_spans {
        if let Some(res) = rs.resource.as_mut() {
            changed |= p.attributes(Place::Resource, &mut res.attributes, batch);
        }
        for ss in &mut rs.scope_spans {
            let mut touched = false;
            for span in &mut ss.spans {
                batch.stats.items += 1;
                touched |= p.attributes(Place::Span, &mut span.attributes, batch);
                for event in &mut span.events {
                    touched |= p.attributes(Place::SpanEvent, &mut event.attributes, batch);
                }
            }
            changed |= touched;
            changed |= mark_schema(&mut ss.schema_url, touched);
        }
    }
    changed
}

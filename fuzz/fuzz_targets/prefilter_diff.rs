//! Differential target for the fast path: `Processor::process` answers
//! batches without any stage needle "unchanged" from a byte scan
//! (rust/prefilter.rs), without decoding. The reference is prost: decode,
//! run the signal walk directly, re-encode. On every input both must agree:
//! the fast path changes a batch exactly when the reference does, with the
//! same bytes; an input prost refuses is refused or skipped unchanged.
//! The first byte picks the signal and one of three configurations.
//!
//! One divergence is by design and excluded (`normalize.environment: off`):
//! the copy between `deployment.environment` and `deployment.environment.name`
//! applies to batches decoded for GenAI content only; those keys alone are no
//! needle, so plain batches keep skipping the decode.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use opentelemetry_proto::tonic::collector::{logs::v1::*, metrics::v1::*, trace::v1::*};
use otelcol_genai::processor::Batch;
use otelcol_genai::{signals, Processor, Signal};
use prost::Message;

fn processors() -> &'static [Processor; 3] {
    static P: OnceLock<[Processor; 3]> = OnceLock::new();
    P.get_or_init(|| {
        [
            br#"{"normalize":{"environment":"off"}}"#.as_slice(),
            br#"{"naming":{"metrics":"all"},
               "normalize":{"environment":"off","remove_originals":true}}"#,
            br#"{"normalize":{"environment":"off","custom_sources":[{"name":"gw","attributes":
                {"gw.tokens.in":"gen_ai.usage.input_tokens","gw.model":"gen_ai.request.model"}}]},
               "cost":{"override":true,"breakdown":true}}"#,
        ]
        .map(|c| Processor::from_json(c).unwrap())
    })
}

/// The reference path: decode with prost, walk, re-encode when changed.
/// `None` when prost refuses the bytes.
fn reference(p: &Processor, signal: Signal, bytes: &[u8]) -> Option<Option<Vec<u8>>> {
    let mut batch = Batch::default();
    Some(match signal {
        Signal::Traces => {
            let mut req = ExportTraceServiceRequest::decode(bytes).ok()?;
            signals::traces::process(p, &mut req, &mut batch).then(|| req.encode_to_vec())
        }
        Signal::Metrics => {
            let mut req = ExportMetricsServiceRequest::decode(bytes).ok()?;
            signals::metrics::process(p, &mut req, &mut batch).then(|| req.encode_to_vec())
        }
        Signal::Logs => {
            let mut req = ExportLogsServiceRequest::decode(bytes).ok()?;
            signals::logs::process(p, &mut req, &mut batch).then(|| req.encode_to_vec())
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let signal = [Signal::Traces, Signal::Metrics, Signal::Logs][usize::from(selector % 3)];
    let p = &processors()[usize::from(selector / 3 % 3)];
    let fast = p.process(signal, bytes);
    match (reference(p, signal, bytes), fast) {
        (None, Ok(out)) => assert!(out.output.is_none(), "undecodable input came back changed"),
        (None, Err(_)) => {}
        (Some(_), Err(e)) => panic!("the fast path refused a valid batch: {e}"),
        (Some(want), Ok(out)) => assert!(
            want == out.output,
            "fast path and reference disagree (reference changed: {}, fast changed: {})",
            want.is_some(),
            out.output.is_some()
        ),
    }
});

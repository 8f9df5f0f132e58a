//! Differential target for the fast paths of `Processor::process`: the
//! prefilter (rust/prefilter.rs) answers batches without any stage needle
//! "unchanged" without decoding, and batches are processed on the wire
//! (rust/wire), decoding only what a stage may read (metrics: walked into
//! edits, then applied to the input's bytes). The
//! reference is prost: decode, run the signal walk directly, re-encode.
//! On every input prost accepts, both must agree: the same changed flag,
//! the same decoded output and the same counters. On input prost refuses
//! the fast paths must not panic; they may pass it on (the wire path copies
//! bytes it does not interpret as they came). Spans and logs are checked a
//! second time in pdata's field order (the collector's layout). The output
//! of `Processor::process` is the edits the collector takes
//! (`Processor::process_edits`) applied to the input, so the edits are
//! checked too; their counters and changed flag must be the same. The
//! first byte picks the signal and one of five configurations.
//!
//! One divergence is by design and excluded (`normalize.environment: off`):
//! the copy between `deployment.environment` and `deployment.environment.name`
//! applies to batches decoded for GenAI content only; those keys alone are no
//! needle, so plain batches keep skipping the decode.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use opentelemetry_proto::tonic::collector::{logs::v1::*, metrics::v1::*, trace::v1::*};
use otelcol_genai::stages::Batch;
use otelcol_genai::{signals, Processor, Signal, Stats};
use prost::Message;

#[path = "../../tests/support/pdata_order.rs"]
#[allow(dead_code)] // the fuzz target uses the fallible form only
mod pdata_order;

fn processors() -> &'static [Processor; 5] {
    static P: OnceLock<[Processor; 5]> = OnceLock::new();
    P.get_or_init(|| {
        [
            br#"{"normalize":{"environment":"off"}}"#.as_slice(),
            br#"{"naming":{"metrics":"all"},
               "normalize":{"environment":"off","remove_originals":true}}"#,
            br#"{"normalize":{"environment":"off","custom_sources":[{"name":"gw","attributes":
                {"gw.tokens.in":"gen_ai.usage.input_tokens","gw.model":"gen_ai.request.model"}}]},
               "cost":{"override":true,"breakdown":true}}"#,
            br#"{"normalize":{"environment":"off","overwrite":true}}"#,
            // naming reads the SDK name's value on points
            br#"{"normalize":{"environment":"off"},"naming":{"compat_sdk_name":"openlit"}}"#,
        ]
        .map(|c| Processor::from_json(c).unwrap())
    })
}

/// The reference path: decode with prost, walk, re-encode when changed.
/// `None` when prost refuses the bytes.
fn reference(p: &Processor, signal: Signal, bytes: &[u8]) -> Option<(Option<Vec<u8>>, Stats)> {
    let mut batch = Batch::default();
    let p = p.stages();
    let out = match signal {
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
    };
    Some((out, batch.stats))
}

/// What the collector passes on, decoded (the input when unchanged).
fn passed_on(signal: Signal, input: &[u8], output: &Option<Vec<u8>>) -> String {
    let bytes = output.as_deref().unwrap_or(input);
    let decoded = match signal {
        Signal::Traces => ExportTraceServiceRequest::decode(bytes).map(|r| format!("{r:?}")),
        Signal::Metrics => ExportMetricsServiceRequest::decode(bytes).map(|r| format!("{r:?}")),
        Signal::Logs => ExportLogsServiceRequest::decode(bytes).map(|r| format!("{r:?}")),
    };
    decoded.expect("output of a valid batch decodes")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let signal = [Signal::Traces, Signal::Metrics, Signal::Logs][usize::from(selector % 3)];
    let p = &processors()[usize::from(selector / 3 % 5)];
    check(p, signal, bytes);
    // The same batch as a collector hands it over: pdata's field order.
    if signal != Signal::Metrics {
        if let Some(reordered) = pdata_order::try_pdata_order(bytes, signal == Signal::Logs) {
            check(p, signal, &reordered);
        }
    }
});

fn check(p: &Processor, signal: Signal, bytes: &[u8]) {
    let fast = p.process(signal, bytes);
    let Some((want, want_stats)) = reference(p, signal, bytes) else {
        return; // refused by prost: no panic is all that is asked
    };
    let out = match fast {
        Ok(out) => out,
        Err(e) => panic!("the fast path refused a valid batch: {e}"),
    };
    assert_eq!(
        want.is_some(),
        out.output.is_some(),
        "changed flags disagree (reference changed: {})",
        want.is_some()
    );
    if want.is_some() {
        assert_eq!(out.stats, want_stats, "counters disagree");
    }
    assert!(
        passed_on(signal, bytes, &want) == passed_on(signal, bytes, &out.output),
        "fast path and reference outputs disagree"
    );
    // The edits the collector takes: what the output was made from.
    let edited = p.process_edits(signal, bytes).expect("accepted above");
    assert_eq!(
        edited.output.is_some(),
        out.output.is_some(),
        "edits: changed flags disagree"
    );
    assert_eq!(edited.stats, out.stats, "edits: counters disagree");
}

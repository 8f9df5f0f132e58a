//! The wire path (spans and logs) against the reference prost path: on
//! every batch the reference accepts, both must give the same decoded
//! output, the same counters and the same unknown models. Batches: the
//! reference workloads, mixed GenAI and plain traffic, the captured output
//! of real instrumentation libraries (each also in pdata's field order, as
//! a collector hands it over), and the golden inputs (checked in
//! `normalize_golden.rs`), under configurations that switch every option
//! the walk has to respect.

mod support;

use std::path::PathBuf;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otelcol_genai::{Outcome, Processor, Signal};
use prost::Message;
use support::len_field;
use support::pdata_order::pdata_order;
use support::workloads::{genai_logs, genai_spans, plain_workload};

const CONFIGS: &[&str] = &[
    "{}",
    r#"{"normalize":{"overwrite":true,"remove_originals":true}}"#,
    r#"{"normalize":{"environment":"name"},"cost":{"breakdown":true}}"#,
    r#"{"normalize":{"enabled":false}}"#,
    r#"{"cost":{"enabled":false}}"#,
    r#"{"normalize":{"sources":{"openlit_legacy":false,"openllmetry":false},"custom_sources":[
        {"name":"gateway","position":"before",
         "attributes":{"x-gateway.model":"gen_ai.request.model","x-gateway.tokens.in":"gen_ai.usage.input_tokens"},
         "values":{"gen_ai.provider.name":{"internal-llm":"openai"}}}]}}"#,
];

/// Decodes what the collector would pass on: the output, or the input
/// when unchanged.
fn passed_on(signal: Signal, input: &[u8], output: Option<&Vec<u8>>) -> String {
    let bytes = output.map_or(input, |o| &o[..]);
    match signal {
        Signal::Traces => format!("{:?}", ExportTraceServiceRequest::decode(bytes).unwrap()),
        Signal::Logs => format!("{:?}", ExportLogsServiceRequest::decode(bytes).unwrap()),
        Signal::Metrics => unreachable!("metrics take the reference path"),
    }
}

/// `edited`'s counters are the reference path's, and so is its output
/// when it is a whole batch rather than edits.
fn same_as_reference(p: &Processor, signal: Signal, input: &[u8], edited: &Outcome, what: &str) {
    let reference = p.process_reference(signal, input).expect("accepted");
    assert_eq!(edited.stats, reference.stats, "{what}: counters");
    if !edited.edits {
        assert_eq!(
            passed_on(signal, input, edited.output.as_ref()),
            passed_on(signal, input, reference.output.as_ref()),
            "{what}: whole output"
        );
    }
}

/// Asserts both paths agree on `input`; returns whether it changed.
fn agree(p: &Processor, signal: Signal, input: &[u8], what: &str) -> bool {
    let reference = p
        .process_reference(signal, input)
        .expect("reference accepts");
    let wire = p.process(signal, input).expect("wire path accepts");
    assert_eq!(wire.stats, reference.stats, "{what}: counters");
    assert_eq!(
        wire.unknown_models, reference.unknown_models,
        "{what}: unknown models"
    );
    assert_eq!(
        wire.output.is_some(),
        reference.output.is_some(),
        "{what}: changed flag"
    );
    let (w, r) = (
        passed_on(signal, input, wire.output.as_ref()),
        passed_on(signal, input, reference.output.as_ref()),
    );
    assert!(
        w == r,
        "{what}: outputs differ\nwire:      {w}\nreference: {r}"
    );
    reference.output.is_some()
}

fn batches() -> Vec<(String, Signal, Vec<u8>)> {
    let mut out = vec![
        (
            "genai_spans".into(),
            Signal::Traces,
            genai_spans(300).encode_to_vec(),
        ),
        (
            "genai_logs".into(),
            Signal::Logs,
            genai_logs(300).encode_to_vec(),
        ),
    ];
    // GenAI and plain traffic in one batch, resources interleaved.
    let (plain_spans, _, plain_logs) = plain_workload(50);
    let mut spans = genai_spans(40);
    spans.resource_spans.extend(plain_spans.resource_spans);
    spans.resource_spans.extend(genai_spans(7).resource_spans);
    out.push(("mixed_spans".into(), Signal::Traces, spans.encode_to_vec()));
    let mut logs = plain_logs;
    logs.resource_logs.extend(genai_logs(40).resource_logs);
    out.push(("mixed_logs".into(), Signal::Logs, logs.encode_to_vec()));
    // What a collector hands the processor: pdata's field order.
    for (name, signal, bytes) in out.clone() {
        let reordered = pdata_order(&bytes, signal == Signal::Logs);
        out.push((format!("{name} (pdata order)"), signal, reordered));
    }
    let captured = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/captured");
    for dir in std::fs::read_dir(&captured).expect("captured fixtures") {
        let dir = dir.unwrap().path();
        for (file, signal) in [("traces.pb", Signal::Traces), ("logs.pb", Signal::Logs)] {
            if let Ok(bytes) = std::fs::read(dir.join(file)) {
                let name = format!("{}/{file}", dir.file_name().unwrap().to_string_lossy());
                let reordered = pdata_order(&bytes, signal == Signal::Logs);
                out.push((format!("{name} (pdata order)"), signal, reordered));
                out.push((name, signal, bytes));
            }
        }
    }
    out
}

#[test]
fn wire_path_agrees_with_the_reference_on_every_batch_and_config() {
    let batches = batches();
    assert!(batches.len() >= 24, "captured fixtures missing");
    let mut changed = 0;
    for config in CONFIGS {
        let p = Processor::from_json(config.as_bytes()).expect("valid config");
        for (name, signal, input) in &batches {
            changed += usize::from(agree(&p, *signal, input, &format!("{name} with {config}")));
        }
    }
    // The comparison means something only if most runs change the batch.
    assert!(
        changed >= batches.len() * 3,
        "only {changed} runs changed anything"
    );
}

#[test]
fn wire_path_keeps_what_it_does_not_read_byte_for_byte() {
    // A span name, an HTTP attribute and an unknown field (number 99) are
    // copied as they came; the reference path drops the unknown field.
    let p = Processor::from_json(b"{}").unwrap();
    let mut input = genai_spans(1).encode_to_vec();
    let unknown_field = [0x9a, 0x06, 3, b'x', b'y', b'z']; // field 99, LEN 3
    input.extend_from_slice(&unknown_field);
    let wire = p.process(Signal::Traces, &input).unwrap().output.unwrap();
    assert!(wire.ends_with(&unknown_field), "unknown field kept");
    let reference = p
        .process_reference(Signal::Traces, &input)
        .unwrap()
        .output
        .unwrap();
    assert!(!reference.ends_with(&unknown_field));
    assert_eq!(
        ExportTraceServiceRequest::decode(&wire[..]).unwrap(),
        ExportTraceServiceRequest::decode(&reference[..]).unwrap()
    );
}

#[test]
fn input_the_walk_does_not_frame_goes_to_the_reference_path() {
    // A resource given twice in one ResourceSpans: decoders merge the two,
    // so the walk leaves the batch to the reference path.
    let p = Processor::from_json(b"{}").unwrap();
    let batch = genai_spans(2);
    let rs = &batch.resource_spans[0];
    let resource = rs.resource.as_ref().unwrap().encode_to_vec();
    // ResourceSpans.resource = 1, twice.
    let mut body = [len_field(1, &resource), len_field(1, &resource)].concat();
    for ss in &rs.scope_spans {
        prost::encoding::message::encode(2, ss, &mut body);
    }
    let input = len_field(1, &body);
    agree(&p, Signal::Traces, &input, "duplicate resource");
}

/// Whether any resource, span, span event or log record attribute of the
/// batch has a GenAI key.
fn any_genai_key(p: &Processor, signal: Signal, input: &[u8]) -> bool {
    use opentelemetry_proto::tonic::common::v1::KeyValue;
    let read = |attrs: &[KeyValue]| attrs.iter().any(|kv| p.is_genai_key(kv.key.as_bytes()));
    match signal {
        Signal::Traces => ExportTraceServiceRequest::decode(input)
            .unwrap()
            .resource_spans
            .iter()
            .any(|rs| {
                rs.resource.as_ref().is_some_and(|r| read(&r.attributes))
                    || rs.scope_spans.iter().flat_map(|ss| &ss.spans).any(|s| {
                        read(&s.attributes) || s.events.iter().any(|e| read(&e.attributes))
                    })
            }),
        Signal::Logs => ExportLogsServiceRequest::decode(input)
            .unwrap()
            .resource_logs
            .iter()
            .any(|rl| {
                rl.resource.as_ref().is_some_and(|r| read(&r.attributes))
                    || rl
                        .scope_logs
                        .iter()
                        .flat_map(|sl| &sl.log_records)
                        .any(|l| read(&l.attributes))
            }),
        Signal::Metrics => unreachable!(),
    }
}

/// The promise the Go component relies on to skip marshaling: a trace or
/// log batch none of whose attribute keys is a GenAI key comes back
/// unchanged, whatever else (names, values, scope attributes, bodies,
/// keys normalization reads such as `deployment.environment.name`) it
/// holds.
#[test]
fn batches_without_a_genai_attribute_key_come_back_unchanged() {
    use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue};
    let mut batches = batches();
    // GenAI words everywhere but in attribute keys.
    let mut spans = plain_workload(20).0;
    for rs in &mut spans.resource_spans {
        for ss in &mut rs.scope_spans {
            ss.scope
                .get_or_insert_default()
                .attributes
                .push(support::kv("gen_ai.system", "openai"));
            for s in &mut ss.spans {
                s.name = "chat gen_ai.request.model".into();
                s.attributes
                    .push(support::kv("app.note", "gen_ai.usage.input_tokens=5"));
            }
        }
    }
    batches.push((
        "genai words, no keys".into(),
        Signal::Traces,
        spans.encode_to_vec(),
    ));
    let mut logs = plain_workload(20).2;
    for rl in &mut logs.resource_logs {
        for sl in &mut rl.scope_logs {
            for l in &mut sl.log_records {
                l.body = Some(AnyValue {
                    value: Some(Value::StringValue(
                        "gen_ai.usage.cost llm.usage.total_tokens".into(),
                    )),
                });
            }
        }
    }
    batches.push((
        "genai words in bodies".into(),
        Signal::Logs,
        logs.encode_to_vec(),
    ));
    let (plain_spans, _, plain_logs) = plain_workload(30);
    batches.push((
        "plain spans".into(),
        Signal::Traces,
        plain_spans.encode_to_vec(),
    ));
    batches.push((
        "plain logs".into(),
        Signal::Logs,
        plain_logs.encode_to_vec(),
    ));
    let (mut skippable, mut read) = (0, 0);
    for config in CONFIGS {
        let p = Processor::from_json(config.as_bytes()).expect("valid config");
        for (name, signal, input) in &batches {
            if any_genai_key(&p, *signal, input) {
                read += 1;
                continue;
            }
            skippable += 1;
            let out = p.process(*signal, input).expect("accepted");
            assert!(out.output.is_none(), "{name} with {config}: changed");
            let reference = p.process_reference(*signal, input).expect("accepted");
            assert!(
                reference.output.is_none(),
                "{name} with {config}: reference changed"
            );
        }
    }
    // Both kinds are met: the check is not vacuous either way.
    assert!(
        skippable == 4 * CONFIGS.len() && read >= 10 * CONFIGS.len(),
        "{skippable} {read}"
    );
}

/// Edits, applied to the input (`Processor::process`), give exactly the
/// reference path's output (`agree`); batches edits cannot express come
/// back whole, from the reference path.
#[test]
fn edits_applied_to_the_input_give_the_reference_output() {
    let batches = batches();
    let (mut as_edits, mut whole) = (0, 0);
    for config in CONFIGS {
        let p = Processor::from_json(config.as_bytes()).expect("valid config");
        for (name, signal, input) in &batches {
            let what = format!("{name} with {config}");
            let edited = p.process_edits(*signal, input).expect("accepted");
            let changed = agree(&p, *signal, input, &what);
            assert_eq!(edited.output.is_some(), changed, "{what}: changed flag");
            if !changed {
                continue;
            }
            match edited.edits {
                true => as_edits += 1,
                false => whole += 1,
            }
            same_as_reference(&p, *signal, input, &edited, &what);
        }
    }
    // A span repeating a key the edits touch: key-addressed edits would be
    // ambiguous, so that batch comes back whole. A repeated key the edits
    // do not touch (read by the stages or not) leaves them valid.
    let p = Processor::from_json(b"{}").unwrap();
    for (key, span, as_edits) in [
        ("gen_ai.response.finish_reasons", 0, false), // coerced to an array
        ("gen_ai.request.model", 1, true),
        ("app.tenant", 1, true),
    ] {
        let mut dup = genai_spans(3);
        let span = &mut dup.resource_spans[0].scope_spans[0].spans[span];
        span.attributes.push(support::kv(key, "stop"));
        let input = dup.encode_to_vec();
        let edited = p.process_edits(Signal::Traces, &input).unwrap();
        assert_eq!(edited.edits, as_edits, "{key} repeated");
        assert!(agree(&p, Signal::Traces, &input, key), "{key} repeated");
        same_as_reference(&p, Signal::Traces, &input, &edited, key);
    }
    eprintln!("{as_edits} batches as edits, {whole} whole");
    assert!(
        as_edits > 40 && whole <= as_edits / 10,
        "{as_edits} as edits, {whole} whole"
    );
}

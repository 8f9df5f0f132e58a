//! Hostile and malformed batches, each with its defined behaviour: the core
//! never panics, a batch it cannot decode is refused with a decode error (the
//! collector then passes it on unchanged and counts it), and a batch it can
//! decode comes back as a valid request with every original item and
//! attribute kept. Token counts are in `hostile_tokens.rs`.

mod support;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::logs::v1::ResourceLogs;
use opentelemetry_proto::tonic::metrics::v1::ResourceMetrics;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};
use otelcol_genai::ffi::*;
use otelcol_genai::{Outcome, ProcessError, Processor, Signal};
use prost::Message;
use support::workloads::{genai_logs, genai_metrics, genai_spans};
use support::*;

fn processor() -> Processor {
    Processor::from_json(b"{}").unwrap()
}

/// The attributes of an LLM call the built-in table can price.
fn llm_call() -> Vec<KeyValue> {
    vec![
        kv("gen_ai.provider.name", "openai"),
        kv("gen_ai.request.model", "gpt-4o"),
        kv("gen_ai.usage.input_tokens", 1000),
        kv("gen_ai.usage.output_tokens", 500),
    ]
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn cost_of(attrs: &[KeyValue]) -> Option<f64> {
    match attr(attrs, "gen_ai.usage.cost") {
        Some(Value::DoubleValue(d)) => Some(*d),
        None => None,
        other => panic!("cost of the wrong type: {other:?}"),
    }
}

/// Runs `input` through the processor: either a decode error, or a result
/// whose output (if any) decodes as the same signal whenever the input does
/// (spans and logs are processed on the wire, which passes bytes it does not
/// interpret on as received: a flaw there stays, for the collector's
/// unmarshal to refuse). Returns the bytes the collector passes on (the
/// input when unchanged) or the error.
fn run(p: &Processor, signal: Signal, input: &[u8]) -> Result<Vec<u8>, String> {
    match p.process(signal, input) {
        Err(ProcessError::Decode(m)) => Err(m),
        // Unchanged: the caller keeps its input, whatever it holds (a batch
        // without any GenAI needle is not even decoded).
        Ok(Outcome { output: None, .. }) => Ok(input.to_vec()),
        Ok(Outcome {
            output: Some(bytes),
            ..
        }) => {
            let decodes = |b: &[u8]| match signal {
                Signal::Traces => ExportTraceServiceRequest::decode(b).is_ok(),
                Signal::Metrics => ExportMetricsServiceRequest::decode(b).is_ok(),
                Signal::Logs => ExportLogsServiceRequest::decode(b).is_ok(),
            };
            assert!(
                decodes(&bytes) || !decodes(input),
                "{signal:?}: the core made a valid request invalid"
            );
            Ok(bytes)
        }
    }
}

/// The same batch through the C ABI: never a panic status; a decode failure
/// is `GENAI_STATUS_DECODE` with no data and a message; a change decodes.
fn run_ffi(signal: Signal, input: &[u8]) -> GenaiStatus {
    let mut handle = 0;
    // SAFETY: a static config, a writable local, no error buffer.
    let st = unsafe { genai_processor_new(b"{}".as_ptr(), 2, &mut handle, std::ptr::null_mut()) };
    assert_eq!(st, GenaiStatus::Ok);
    let entry = match signal {
        Signal::Traces => genai_process_traces,
        Signal::Metrics => genai_process_metrics,
        Signal::Logs => genai_process_logs,
    };
    let mut out = std::mem::MaybeUninit::<GenaiResult>::uninit();
    // SAFETY: a live input slice and a writable result.
    let status = unsafe { entry(handle, input.as_ptr(), input.len(), out.as_mut_ptr()) };
    // SAFETY: every process call initialises the result.
    let mut out = unsafe { out.assume_init() };
    assert_ne!(status, GenaiStatus::Panic);
    if status == GenaiStatus::Decode {
        assert!(!out.changed && out.data.ptr.is_null());
        assert!(out.error.len > 0, "a decode failure carries a message");
    }
    // SAFETY: filled by the library.
    unsafe { genai_result_free(&mut out) };
    genai_processor_free(handle);
    status
}

fn all_batches() -> [(Signal, Vec<u8>); 3] {
    [
        (Signal::Traces, genai_spans(6).encode_to_vec()),
        (Signal::Metrics, genai_metrics(6).encode_to_vec()),
        (Signal::Logs, genai_logs(6).encode_to_vec()),
    ]
}

// --- Wire-format helpers: hand-built protobuf where prost would refuse to encode.

/// A traces request with one span carrying `attrs` (raw KeyValue encodings)
/// after a valid LLM call, so the prefilter lets it through to the decoder.
fn traces_with_raw_attr(raw_attr: &[u8]) -> Vec<u8> {
    let mut span = traces(vec![], vec![span("chat", llm_call())]).resource_spans[0].scope_spans[0]
        .spans[0]
        .encode_to_vec();
    span.extend(len_field(9, raw_attr)); // Span.attributes = 9
    let scope_spans = len_field(2, &span); // ScopeSpans.spans = 2
    let resource_spans = len_field(2, &scope_spans); // ResourceSpans.scope_spans = 2
    len_field(1, &resource_spans) // ExportTraceServiceRequest.resource_spans = 1
}

#[test]
fn every_truncation_of_a_valid_batch_is_refused_or_valid() {
    let p = processor();
    for (signal, full) in all_batches() {
        let (mut refused, mut accepted) = (0, 0);
        for cut in 0..full.len() {
            match run(&p, signal, &full[..cut]) {
                Ok(_) => accepted += 1,
                Err(_) => refused += 1,
            }
        }
        println!(
            "{signal:?}: {} truncations, {refused} refused, {accepted} accepted",
            full.len()
        );
        // Cuts on a message boundary are valid shorter requests; the rest are not.
        assert!(
            refused > 0 && accepted > 0,
            "{signal:?}: {refused} refused, {accepted} accepted"
        );
        assert_ne!(run_ffi(signal, &full[..full.len() / 2]), GenaiStatus::Panic);
    }
}

#[test]
fn random_byte_corruption_never_panics_and_never_yields_invalid_output() {
    let p = processor();
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for (signal, full) in all_batches() {
        let mut refused = 0;
        for _ in 0..2000 {
            let mut b = full.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % b.len() as u64) as usize;
                b[i] = next() as u8;
            }
            refused += usize::from(run(&p, signal, &b).is_err());
        }
        println!("{signal:?}: 2000 corruptions, {refused} refused");
        assert!(refused > 0, "{signal:?}: no corruption was noticed");
    }
}

#[test]
fn wrong_wire_types_are_decode_errors() {
    let p = processor();
    // KeyValue.key (field 1, a string) sent as a varint.
    let key_as_varint = [0x08, 0x05];
    // KeyValue.value (field 2, a message) sent as a fixed64.
    let value_as_fixed64 = [0x11, 1, 2, 3, 4, 5, 6, 7, 8];
    for raw in [&key_as_varint[..], &value_as_fixed64[..]] {
        let input = traces_with_raw_attr(raw);
        let err = run(&p, Signal::Traces, &input).unwrap_err();
        assert!(err.contains("wire type"), "{err}");
        assert_eq!(run_ffi(Signal::Traces, &input), GenaiStatus::Decode);
    }
    // The request's own field 1 as a varint: a metrics request with it.
    let mut input = len_field(1, b"gen_ai.usage.input_tokens");
    input.extend([0x08, 0x01]);
    assert!(run(&p, Signal::Metrics, &input).is_err());
    assert_eq!(run_ffi(Signal::Metrics, &input), GenaiStatus::Decode);
}

#[test]
fn invalid_utf8_in_a_string_is_a_decode_error_so_the_batch_passes_unchanged() {
    // prost checks UTF-8 in `string` fields; the core does not repair or
    // drop: the whole batch is refused and the collector keeps it as it was.
    let p = processor();
    let mut attrs = llm_call();
    attrs.push(kv("gen_ai.prompt", "@@@@"));
    let mut input = traces(vec![], vec![span("chat", attrs)]).encode_to_vec();
    let at = input.windows(4).position(|w| w == b"@@@@").unwrap();
    input[at..at + 4].copy_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    let err = run(&p, Signal::Traces, &input).unwrap_err();
    assert!(err.contains("UTF-8"), "{err}");
    assert_eq!(run_ffi(Signal::Traces, &input), GenaiStatus::Decode);
    // In a key a stage reads as well.
    let corrupt = |needle: &str, at_byte: usize| {
        let mut input = traces(vec![], vec![span("chat", llm_call())]).encode_to_vec();
        let at = input
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .unwrap();
        input[at + at_byte] = 0x80;
        input
    };
    assert!(run(&p, Signal::Traces, &corrupt("gen_ai.provider.name", 10)).is_err());
    // Where no stage reads (the span name), the wire path copies the bytes
    // as they came and still prices the call; the reference path refuses.
    let input = corrupt("chat", 1);
    assert!(p.process_reference(Signal::Traces, &input).is_err());
    let out = run(&p, Signal::Traces, &input).expect("processed on the wire");
    assert!(out.windows(4).any(|w| w == b"c\x80at"));
    assert!(out.windows(17).any(|w| w == b"gen_ai.usage.cost"));
}

/// An AnyValue nested `depth` times as kvlists (`kvlist`) or arrays,
/// encoded by hand from the inside out: a Rust value this deep would
/// overflow the stack in prost's own (recursive) encoder and in Drop.
fn nested_any_value(depth: usize, kvlist: bool) -> Vec<u8> {
    let mut v = len_field(1, b"leaf"); // AnyValue.string_value = 1
    for _ in 0..depth {
        v = if kvlist {
            let mut kv = len_field(1, b"k"); // KeyValue.key
            kv.extend(len_field(2, &v)); // KeyValue.value
            let list = len_field(1, &kv); // KeyValueList.values = 1
            len_field(6, &list) // AnyValue.kvlist_value = 6
        } else {
            let arr = len_field(1, &v); // ArrayValue.values = 1
            len_field(5, &arr) // AnyValue.array_value = 5
        };
    }
    v
}

// prost stops decoding at 100 nested messages (its default recursion limit,
// kept: the `no-recursion-limit` feature is off). A kvlist level costs three
// (AnyValue, KeyValueList, KeyValue), an array level two, and a span
// attribute sits five deep: about 31 kvlist or 47 array levels decode; a
// deeper batch is a decode error and passes on unchanged.

#[test]
fn deep_nesting_is_refused_at_the_prost_recursion_limit_without_stack_overflow() {
    let p = processor();
    for kvlist in [true, false] {
        let mut attr = len_field(1, b"gen_ai.prompt");
        attr.extend(len_field(2, &nested_any_value(10_000, kvlist)));
        let input = traces_with_raw_attr(&attr);
        let err = run(&p, Signal::Traces, &input).unwrap_err();
        assert!(err.contains("recursion limit"), "{err}");
        assert_eq!(run_ffi(Signal::Traces, &input), GenaiStatus::Decode);
    }
}

#[test]
fn moderate_nesting_is_processed_and_kept_intact() {
    let p = processor();
    for kvlist in [true, false] {
        let mut attr = len_field(1, b"app.nested");
        attr.extend(len_field(2, &nested_any_value(25, kvlist)));
        let input = traces_with_raw_attr(&attr);
        let out = run(&p, Signal::Traces, &input).unwrap();
        let req = ExportTraceServiceRequest::decode(&out[..]).unwrap();
        let span = &req.resource_spans[0].scope_spans[0].spans[0];
        assert!(cost_of(&span.attributes).is_some(), "priced");
        let nested = span
            .attributes
            .iter()
            .find(|kv| kv.key == "app.nested")
            .unwrap();
        let original = KeyValue::decode(&attr[..]).unwrap();
        assert_eq!(nested, &original, "the nested value comes back as it was");
    }
}

#[test]
fn ten_megabyte_attribute_value_is_carried_through_unchanged() {
    let p = processor();
    let big: String = "0123456789abcdef".repeat(10 * 1024 * 1024 / 16);
    let mut attrs = llm_call();
    attrs.push(kv("gen_ai.prompt", big.as_str()));
    let input = traces(vec![], vec![span("chat", attrs)]).encode_to_vec();
    let out = run(&p, Signal::Traces, &input).unwrap();
    let req = ExportTraceServiceRequest::decode(&out[..]).unwrap();
    let attrs = &req.resource_spans[0].scope_spans[0].spans[0].attributes;
    assert!(cost_of(attrs).unwrap() > 0.0);
    match attr(attrs, "gen_ai.prompt") {
        Some(Value::StringValue(s)) => assert!(s == &big, "the value changed"),
        other => panic!("prompt lost: {:?}", other.map(|_| "other type")),
    }
    assert_eq!(run_ffi(Signal::Traces, &input), GenaiStatus::Ok);
}

#[test]
fn one_hundred_thousand_attributes_on_one_span_are_all_kept() {
    let p = processor();
    let mut attrs: Vec<KeyValue> = (0..100_000)
        .map(|i| kv(&format!("app.attr.{i}"), i as i64))
        .collect();
    attrs.extend(llm_call());
    let input = traces(vec![], vec![span("chat", attrs)]).encode_to_vec();
    let out = run(&p, Signal::Traces, &input).unwrap();
    let req = ExportTraceServiceRequest::decode(&out[..]).unwrap();
    let attrs = &req.resource_spans[0].scope_spans[0].spans[0].attributes;
    assert!(cost_of(attrs).unwrap() > 0.0);
    for i in (0..100_000).step_by(997) {
        assert_eq!(
            attr(attrs, &format!("app.attr.{i}")),
            Some(&Value::IntValue(i as i64))
        );
    }
    assert!(attrs.len() > 100_000 + 3, "{} attributes", attrs.len());
}

#[test]
fn empty_resource_and_scope_lists_are_accepted() {
    let p = processor();
    // The resource carries a GenAI key so that the batch is really decoded.
    let res = vec![kv("gen_ai.system", "openai")];
    let shapes: Vec<(Signal, Vec<u8>)> = vec![
        (Signal::Traces, Vec::new()),
        (
            Signal::Traces,
            ExportTraceServiceRequest::default().encode_to_vec(),
        ),
        (Signal::Traces, traces(res.clone(), vec![]).encode_to_vec()),
        (
            Signal::Traces,
            ExportTraceServiceRequest {
                resource_spans: vec![
                    ResourceSpans::default(),
                    ResourceSpans {
                        resource: resource(res.clone()),
                        scope_spans: vec![ScopeSpans::default()],
                        ..Default::default()
                    },
                ],
            }
            .encode_to_vec(),
        ),
        (
            Signal::Metrics,
            ExportMetricsServiceRequest {
                resource_metrics: vec![ResourceMetrics {
                    resource: resource(res.clone()),
                    ..Default::default()
                }],
            }
            .encode_to_vec(),
        ),
        (
            Signal::Metrics,
            metrics(res.clone(), vec![]).encode_to_vec(),
        ),
        (
            Signal::Logs,
            ExportLogsServiceRequest {
                resource_logs: vec![ResourceLogs {
                    resource: resource(res.clone()),
                    ..Default::default()
                }],
            }
            .encode_to_vec(),
        ),
        (Signal::Logs, logs(res.clone(), vec![]).encode_to_vec()),
    ];
    for (signal, input) in shapes {
        let out = p.process(signal, &input).unwrap();
        assert_eq!(out.stats.items, 0);
        if let Some(bytes) = out.output {
            // Only the resource attribute may have been normalized.
            assert!(bytes.len() <= input.len() + 64, "{signal:?} grew");
        }
        assert_eq!(run_ffi(signal, &input), GenaiStatus::Ok);
    }
}

#[test]
fn duplicate_keys_are_kept_and_the_first_occurrence_decides() {
    // OTLP forbids duplicate keys but does not enforce it; pdata's Map.Get
    // returns the first. The core reads the first too, and drops none.
    let p = processor();
    let attrs = vec![
        kv("gen_ai.provider.name", "openai"),
        kv("gen_ai.request.model", "gpt-4o"),
        kv("gen_ai.request.model", "no-such-model"),
        kv("gen_ai.usage.input_tokens", 1000),
        kv("gen_ai.usage.input_tokens", 1),
        kv("gen_ai.usage.output_tokens", 500),
        kv("gen_ai.usage.output_tokens", 1),
        kv("gen_ai.system", "openai"),
        kv("gen_ai.system", "anthropic"),
    ];
    let single = llm_call();
    let cost = |attrs: Vec<KeyValue>| {
        let input = traces(vec![], vec![span("chat", attrs)]).encode_to_vec();
        let out = run(&p, Signal::Traces, &input).unwrap();
        let req = ExportTraceServiceRequest::decode(&out[..]).unwrap();
        let attrs = req.resource_spans[0].scope_spans[0].spans[0]
            .attributes
            .clone();
        (cost_of(&attrs), attrs)
    };
    let (dup_cost, dup_attrs) = cost(attrs.clone());
    let (single_cost, _) = cost(single);
    assert_eq!(
        dup_cost, single_cost,
        "the first token counts price the call"
    );
    for key in ["gen_ai.request.model", "gen_ai.usage.input_tokens"] {
        assert_eq!(
            dup_attrs.iter().filter(|kv| kv.key == key).count(),
            2,
            "{key}: a duplicate was dropped"
        );
    }
}

#[test]
fn pricing_file_that_never_ends_or_is_a_directory_is_refused() {
    // /dev/zero (a device that never ends) and a directory are refused
    // before a byte is read.
    for (path, want) in [
        ("/dev/zero", "not a regular file"),
        ("/", "not a regular file"),
    ] {
        if !std::path::Path::new(path).exists() {
            continue;
        }
        let config =
            format!(r#"{{"cost":{{"pricing_files":[{{"path":"{path}","format":"yaml"}}]}}}}"#);
        let err = Processor::from_json(config.as_bytes()).unwrap_err();
        assert_eq!(err.field, "cost.pricing_files[0].path");
        assert!(err.message.contains(want), "{path}: {err}");
    }
}

#[test]
fn inputs_that_crashed_a_fuzz_target_replay_without_a_panic() {
    // tests/fixtures/fuzz/<target>/: the crashing inputs libFuzzer wrote
    // (first byte: the signal, as in fuzz/fuzz_targets/process.rs), kept
    // after their fix. Each has a named test of its own as well.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/process");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz regression inputs") {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let Some((&selector, batch)) = data.split_first() else {
            continue;
        };
        let signal = [Signal::Traces, Signal::Metrics, Signal::Logs][usize::from(selector % 3)];
        assert_ne!(run_ffi(signal, batch), GenaiStatus::Panic);
        replayed += 1;
    }
    assert!(replayed > 0, "no regression inputs under {}", dir.display());
}

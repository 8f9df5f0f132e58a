//! The `genai` connector's core on spans captured from real instrumentation
//! libraries (tests/fixtures/captured/, skipped when absent): every model
//! call counted once, with the tokens, errors and cost the app's manifest
//! and the processor's own pricing say; sources that send their own GenAI
//! metrics left to them by default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric::Data, HistogramDataPoint};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span::Event, ResourceSpans, ScopeSpans, Span};
use otelcol_genai::span_metrics::SpanMetrics;
use otelcol_genai::{attrs, Processor, Signal};
use prost::Message;
use serde_json::Value as Json;

const NOW: u64 = 1_700_000_000_000_000_000;

/// A capture's name, its spans (protobuf) and its app's manifest.
fn read_capture(dir: &Path) -> (String, Vec<u8>, Json) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let traces = std::fs::read(dir.join("traces.pb")).unwrap();
    let manifest = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap());
    (name, traces, manifest.unwrap())
}

fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/captured");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        eprintln!("skipped: {} absent", root.display());
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = dirs
        .filter_map(|d| d.ok().map(|d| d.path()))
        .filter(|d| d.join("traces.pb").exists() && d.join("manifest.json").exists())
        .collect();
    dirs.sort();
    dirs
}

/// Whether the library sends GenAI metrics of its own (so `derive: auto`
/// leaves its calls to them): what the captures hold. Except LiteLLM: its
/// spans (scope `litellm`, SDK `opentelemetry`) are the same whether its
/// metrics are on or off, and its metrics are off by default, so `auto`
/// derives them; with its metrics on, docs/connector.md gives the two
/// configurations that count each call once (`errors_derives_only_the_failed_calls`).
fn sends_metrics(dir: &Path) -> bool {
    let name = dir.file_name().unwrap().to_string_lossy();
    dir.join("metrics.pb").exists() && !name.starts_with("litellm-")
}

/// Whether the library's span records this call of the manifest as a
/// model call (facts of the libraries, as tests/realinstr/harness.py
/// records them): otel-openai-v2 2.1b0 does not instrument embeddings;
/// OpenLIT 1.33's spans of failed calls carry no attribute at all, so no
/// model (it sends its own metrics, so `derive: auto` skips it anyway).
fn on_a_span(dir: &Path, call: &Json) -> bool {
    let name = dir.file_name().unwrap().to_string_lossy();
    match &*name {
        "otel-openai-v2-2.1b0" => call["operation"] != "embeddings",
        "openlit-1.33.23" => call["error_type"].is_null(),
        _ => true,
    }
}

/// Whether the library's spans carry every call's exact token counts.
fn exact_tokens(dir: &Path) -> bool {
    let name = dir.file_name().unwrap().to_string_lossy();
    !matches!(&*name, "openlit-1.33.23")
}

/// Data points of one metric, by name, across the request.
fn points<'a>(req: &'a ExportMetricsServiceRequest, name: &str) -> Vec<&'a HistogramDataPoint> {
    req.resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .filter(|m| m.name == name)
        .flat_map(|m| match &m.data {
            Some(Data::Histogram(h)) => h.data_points.iter().collect::<Vec<_>>(),
            _ => panic!("{name} is not a histogram"),
        })
        .collect()
}

fn str_attr<'a>(p: &'a HistogramDataPoint, key: &str) -> Option<&'a str> {
    attrs::get_str(&p.attributes, key)
}

/// Value points only (the zero start points have count 0).
fn totals(ps: &[&HistogramDataPoint]) -> (u64, f64) {
    ps.iter()
        .filter(|p| p.count > 0)
        .fold((0, 0.0), |(c, s), p| {
            (c + p.count, s + p.sum.unwrap_or(0.0))
        })
}

fn run(
    config: &str,
    traces: &[u8],
) -> (
    ExportMetricsServiceRequest,
    otelcol_genai::stats::SpanMetricsStats,
) {
    let c = SpanMetrics::from_json(config.as_bytes()).unwrap();
    let consumed = c.consume(traces, NOW).unwrap();
    let (bytes, _) = c.flush(NOW + 1_000_000_000);
    let req = bytes
        .map(|b| ExportMetricsServiceRequest::decode(b.as_slice()).unwrap())
        .unwrap_or_default();
    (req, consumed)
}

/// The spans' own costs after the processor priced them: what the cost
/// histogram must add up to.
fn span_cost_total(traces: &[u8]) -> f64 {
    let p = Processor::from_json(b"{}").unwrap();
    let out = p.process(Signal::Traces, traces).unwrap().output;
    let out = out.unwrap_or_else(|| traces.to_vec());
    let req = ExportTraceServiceRequest::decode(out.as_slice()).unwrap();
    req.resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .filter_map(|s| match attrs::get(&s.attributes, "gen_ai.usage.cost") {
            Some(Value::DoubleValue(d)) => Some(*d),
            _ => None,
        })
        .sum()
}

#[test]
fn every_call_of_every_captured_library_counts_once_with_its_tokens_errors_and_cost() {
    for dir in captures() {
        let (name, traces, manifest) = read_capture(&dir);
        let calls: Vec<&Json> = manifest["calls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| on_a_span(&dir, c))
            .collect();
        let (req, stats) = run(r#"{"derive": {"default": "always"}}"#, &traces);

        let duration = points(&req, "gen_ai.client.operation.duration");
        assert_eq!(totals(&duration).0, calls.len() as u64, "{name}: calls");
        assert_eq!(stats.calls, calls.len() as u64, "{name}");

        // Requests per operation and errors, as the app made them.
        let mut want: BTreeMap<(String, String), u64> = BTreeMap::new();
        for c in &calls {
            let err = c["error_type"].as_str().map_or("", |_| "error").to_string();
            *want
                .entry((c["operation"].as_str().unwrap().into(), err))
                .or_default() += 1;
        }
        let mut got: BTreeMap<(String, String), u64> = BTreeMap::new();
        for p in duration.iter().filter(|p| p.count > 0) {
            let err = str_attr(p, "error.type")
                .map_or("", |_| "error")
                .to_string();
            let op = str_attr(p, "gen_ai.operation.name")
                .unwrap_or("?")
                .to_string();
            *got.entry((op, err)).or_default() += p.count;
        }
        assert_eq!(got, want, "{name}: calls by operation and failure");
        // Every library names its failures (its own error.type or the
        // exception event's type): none is left as `_OTHER`.
        let other: Vec<_> = duration
            .iter()
            .filter(|p| str_attr(p, "error.type") == Some("_OTHER"))
            .collect();
        assert!(other.is_empty(), "{name}: failures without their type");

        // Tokens by type. Input as the semantic conventions count it: with
        // cached tokens, which Anthropic's API counts apart (OpenLIT records
        // Anthropic's own figure).
        let tokens = points(&req, "gen_ai.client.token.usage");
        for (ty, field) in [("input", "input_tokens"), ("output", "output_tokens")] {
            let ps: Vec<_> = tokens
                .iter()
                .copied()
                .filter(|p| str_attr(p, "gen_ai.token.type") == Some(ty))
                .collect();
            let want: f64 = calls
                .iter()
                .map(|c| {
                    let anthropic_cache = if ty == "input"
                        && c["sdk"] == "anthropic"
                        && !name.starts_with("openlit-")
                    {
                        c["cached_tokens"].as_f64().unwrap()
                            + c["cache_creation_tokens"].as_f64().unwrap()
                    } else {
                        0.0
                    };
                    c[field].as_f64().unwrap() + anthropic_cache
                })
                .sum();
            let got = totals(&ps).1;
            eprintln!("{name}: {ty} tokens {got} of {want}");
            if exact_tokens(&dir) {
                assert_eq!(got, want, "{name}: {ty} tokens");
            } else {
                assert!(
                    got > 0.0 && got <= want,
                    "{name}: {ty} tokens {got} of {want}"
                );
            }
        }

        // Cost: exactly the spans' own costs.
        let cost = totals(&points(&req, "gen_ai.usage.cost")).1;
        let want = span_cost_total(&traces);
        assert!(want > 0.0, "{name}: no priced span");
        assert!(
            (cost - want).abs() <= 1e-9 * want,
            "{name}: cost {cost} != {want}"
        );

        // Every series starts with a zero point at its start time.
        let zeros = duration.iter().filter(|p| p.count == 0).count();
        let series = duration.iter().filter(|p| p.count > 0).count();
        assert_eq!(zeros, series, "{name}: one zero point per series");
    }
}

/// How a library's spans state the time to first token, as the captures
/// show it (the table in `rust/span_metrics/call.rs`).
#[derive(Debug, PartialEq)]
enum TtftStated {
    /// Events at a token's arrival (OpenLLMetry: one per streamed chunk;
    /// OpenInference: one at the first token): per streamed call, the
    /// earliest one's time less the span's start.
    Events,
    /// An attribute (OpenLIT, the Vercel AI SDK; the captures zero its
    /// measured values).
    Attribute,
    /// Nothing (LiteLLM's `otel` callback, openai-v2).
    Nothing,
}

fn ttft_stated(dir: &Path) -> TtftStated {
    let name = dir.file_name().unwrap().to_string_lossy();
    if name.starts_with("openllmetry-") || name.starts_with("openinference-") {
        TtftStated::Events
    } else if name.starts_with("openlit-") || name.starts_with("vercel-ai-") {
        TtftStated::Attribute
    } else {
        TtftStated::Nothing
    }
}

/// Per span of the capture's OTLP/JSON that has token events: the
/// earliest one's time less the span's start, in seconds (read here from
/// the JSON, apart from the connector's reader).
fn first_token_event_times(dir: &Path) -> Vec<f64> {
    const TOKEN_EVENTS: &[&str] = &[
        "gen_ai.content.completion.chunk",
        "First Token Stream Event",
    ];
    let doc: Json =
        serde_json::from_slice(&std::fs::read(dir.join("traces.json")).unwrap()).unwrap();
    let nanos = |v: &Json| v.as_str().unwrap().parse::<u64>().unwrap();
    let mut out = Vec::new();
    for rs in doc["resourceSpans"].as_array().unwrap() {
        for ss in rs["scopeSpans"].as_array().unwrap() {
            for span in ss["spans"].as_array().unwrap() {
                let start = nanos(&span["startTimeUnixNano"]);
                let first = span["events"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|e| TOKEN_EVENTS.iter().any(|n| e["name"] == *n))
                    .map(|e| nanos(&e["timeUnixNano"]))
                    .min();
                if let Some(first) = first {
                    out.push((first - start) as f64 / 1e9);
                }
            }
        }
    }
    out
}

/// Every streamed call of a library whose spans state its time to first
/// token by events has it: its first token event's time less the span's
/// start (OpenLLMetry: the first chunk's, what its own metric measures).
/// The libraries whose spans state none have no time to first token.
#[test]
fn every_captured_stream_has_the_time_to_first_token_its_spans_state() {
    for dir in captures() {
        let (name, traces, manifest) = read_capture(&dir);
        let streams = manifest["calls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["stream"] == true && c["error_type"].is_null())
            .count() as u64;
        let (req, _) = run(r#"{"derive": {"default": "always"}}"#, &traces);
        let (count, sum) = totals(&points(&req, "gen_ai.server.time_to_first_token"));
        let firsts = first_token_event_times(&dir);
        eprintln!("{name}: time to first token of {count} calls, {sum} s");
        match ttft_stated(&dir) {
            TtftStated::Events => {
                assert!(streams > 0, "{name}: no streamed call");
                assert_eq!(firsts.len() as u64, streams, "{name}: token events");
                assert_eq!(count, streams, "{name}: calls with a time to first token");
                let want: f64 = firsts.iter().sum();
                assert!((sum - want).abs() <= 1e-12, "{name}: {sum} s, want {want}");
            }
            TtftStated::Attribute => assert!(count >= streams, "{name}"),
            TtftStated::Nothing => {
                assert!(firsts.is_empty(), "{name}: token events");
                assert_eq!(count, 0, "{name}");
            }
        }
    }
}

/// LiteLLM's opt-in tracer (`LITELLM_OTEL_V2=true`, 1.110.2; not in the
/// captures, whose default `otel` callback states no time to first token)
/// writes the semantic conventions' `gen_ai.response.time_to_first_chunk`
/// on a streamed call's span, in seconds: the span below has the keys it
/// wrote for a stream the fake server delayed by 120 ms.
#[test]
fn a_stated_time_to_first_chunk_is_the_time_to_first_token() {
    let start = NOW - 1_000_000_000;
    let stream = gpt_4o_chat(
        "chat gpt-4o",
        (start, start + 131_700_000),
        vec![
            kv("gen_ai.system", s("openai")),
            kv("gen_ai.response.model", s("gpt-4o")),
            kv(
                "gen_ai.response.time_to_first_chunk",
                Value::DoubleValue(0.1248),
            ),
            kv("gen_ai.usage.input_tokens", Value::IntValue(200)),
            kv("gen_ai.usage.output_tokens", Value::IntValue(80)),
        ],
        Vec::new(),
    );
    let (req, stats) = run(r#"{"derive": {"default": "always"}}"#, &batch(vec![stream]));
    assert_eq!(stats.calls, 1);
    let ttft = totals(&points(&req, "gen_ai.server.time_to_first_token"));
    assert_eq!(ttft, (1, 0.1248));
}

/// LiteLLM with its metrics on sends the same spans as without, and its
/// metrics leave failed calls out: `derive.scopes: {litellm: errors}`
/// derives those alone, so its successful calls are not counted twice.
#[test]
fn errors_derives_only_the_failed_calls() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/captured/litellm-1.110.2-metrics");
    let Ok(traces) = std::fs::read(dir.join("traces.pb")) else {
        eprintln!("skipped: {} absent", dir.display());
        return;
    };
    let manifest: Json =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let failed = manifest["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["error_type"].is_null())
        .count() as u64;
    let (req, stats) = run(r#"{"derive": {"scopes": {"litellm": "errors"}}}"#, &traces);
    let duration = points(&req, "gen_ai.client.operation.duration");
    assert_eq!(totals(&duration).0, failed);
    assert!(failed > 0);
    assert!(duration
        .iter()
        .filter(|p| p.count > 0)
        .all(|p| str_attr(p, "error.type").is_some()));
    assert_eq!(
        stats.calls + stats.skipped_source_metrics,
        manifest["calls"].as_array().unwrap().len() as u64
    );
}

/// The reader on the bytes and the prost path count the same calls into
/// the same series, on every capture and on the benchmarks' workloads.
/// Every captured library's spans, and 500 calls of distinct models.
fn captured_and_hostile_batches() -> Vec<(String, Vec<u8>)> {
    let mut batches: Vec<(String, Vec<u8>)> = captures()
        .into_iter()
        .map(|d| {
            (
                d.display().to_string(),
                std::fs::read(d.join("traces.pb")).unwrap(),
            )
        })
        .collect();
    batches.push((
        "hostile names".into(),
        calls_batch((0..500).map(|i| format!("m{i}"))),
    ));
    batches.push(("chunk events".into(), chunked_stream(10_000)));
    batches
}

#[test]
fn the_wire_reader_counts_what_prost_decoding_counts() {
    let batches = captured_and_hostile_batches();
    for (name, traces) in batches {
        for config in [r#"{"derive": {"default": "always"}}"#, "{}"] {
            let wire = SpanMetrics::from_json(config.as_bytes()).unwrap();
            let prost = SpanMetrics::from_json(config.as_bytes()).unwrap();
            let a = wire.consume(&traces, NOW).unwrap();
            let b = prost.consume_reference(&traces, NOW).unwrap();
            assert_eq!(a, b, "{name} {config}: stats");
            assert_eq!(
                wire.flush(NOW + 1).0,
                prost.flush(NOW + 1).0,
                "{name} {config}: metrics"
            );
        }
    }
}

/// The processor's reading of a batch (`process_edits_counting`) counts
/// what the connector counts when it reads the processor's output itself:
/// stats and every metric, on every captured library and on batches whose
/// resources and scopes come after their spans (as pdata writes them).
#[test]
fn the_processors_reading_counts_what_the_connector_counts_on_its_output() {
    let mut batches = captured_and_hostile_batches();
    let pdata_order: Vec<(String, Vec<u8>)> = batches
        .iter()
        .map(|(n, b)| (format!("{n}, resource and scope last"), resource_last(b)))
        .collect();
    batches.extend(pdata_order);
    let p = Processor::from_json(b"{}").unwrap();
    for (name, traces) in batches {
        for config in [r#"{"derive": {"default": "always"}}"#, "{}"] {
            let own = SpanMetrics::from_json(config.as_bytes()).unwrap();
            let shared = SpanMetrics::from_json(config.as_bytes()).unwrap();
            let output = p.process(Signal::Traces, &traces).unwrap().output;
            let a = own
                .consume(output.as_deref().unwrap_or(&traces), NOW)
                .unwrap();
            let mut reading = shared.reading();
            let edited = p.process_edits_counting(&traces, &mut reading).unwrap();
            let alone = p.process_edits(Signal::Traces, &traces).unwrap();
            assert_eq!(
                (edited.output, edited.edits, edited.stats),
                (alone.output, alone.edits, alone.stats),
                "{name}: the reading leaves the processor's answer as it is"
            );
            let counted = reading.finish().expect("read in one walk");
            let b = shared.record(&counted, NOW).unwrap();
            assert_eq!(a, b, "{name} {config}: stats");
            if config.contains("always") {
                assert!(b.calls > 0, "{name}: counted nothing");
            }
            assert_eq!(
                own.flush(NOW + 1).0,
                shared.flush(NOW + 1).0,
                "{name} {config}: metrics"
            );
        }
    }
}

/// `batch` with each ResourceSpans' resource field after its scopes and
/// each ScopeSpans' scope after its spans, as pdata writes them.
fn resource_last(batch: &[u8]) -> Vec<u8> {
    use prost::encoding::{encode_key, encode_varint, message, WireType};
    let mut req = ExportTraceServiceRequest::decode(batch).unwrap();
    let mut out = Vec::new();
    for rs in req.resource_spans.drain(..) {
        let mut body = Vec::new();
        for ss in &rs.scope_spans {
            let mut scope = Vec::new();
            for span in &ss.spans {
                message::encode(2, span, &mut scope);
            }
            if let Some(sc) = &ss.scope {
                message::encode(1, sc, &mut scope);
            }
            encode_key(2, WireType::LengthDelimited, &mut body);
            encode_varint(scope.len() as u64, &mut body);
            body.extend_from_slice(&scope);
        }
        if let Some(r) = &rs.resource {
            message::encode(1, r, &mut body);
        }
        encode_key(1, WireType::LengthDelimited, &mut out);
        encode_varint(body.len() as u64, &mut out);
        out.extend_from_slice(&body);
    }
    out
}

/// A scope name that is not UTF-8 spoils the reading; the processor's
/// answer is the same as without one (its walk copies the scope as it
/// came), and the connector then reads the batch itself.
#[test]
fn a_batch_the_reading_cannot_read_spoils_it_and_nothing_else() {
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
    let mut req =
        ExportTraceServiceRequest::decode(calls_batch((0..3).map(|i| format!("m{i}"))).as_slice())
            .unwrap();
    req.resource_spans[0].scope_spans[0].scope = Some(InstrumentationScope {
        name: "SCOPE-NAME-X".into(),
        ..Default::default()
    });
    let mut traces = req.encode_to_vec();
    let at = traces
        .windows(12)
        .position(|w| w == b"SCOPE-NAME-X")
        .unwrap();
    traces[at + 11] = 0xff;
    let p = Processor::from_json(b"{}").unwrap();
    let c = SpanMetrics::from_json(b"{}").unwrap();
    let mut reading = c.reading();
    let edited = p.process_edits_counting(&traces, &mut reading).unwrap();
    let alone = p.process_edits(Signal::Traces, &traces).unwrap();
    assert_eq!((edited.output, edited.edits), (alone.output, alone.edits));
    assert!(reading.finish().is_none(), "spoiled");
}

/// A reading made for one connector is refused by another, and a
/// processor whose pricing differs from the connector's spoils it.
#[test]
fn a_reading_is_for_its_own_connector_and_like_stages_only() {
    let traces = calls_batch((0..3).map(|i| format!("m{i}")));
    let p = Processor::from_json(b"{}").unwrap();
    let a = SpanMetrics::from_json(b"{}").unwrap();
    let b = SpanMetrics::from_json(b"{}").unwrap();
    let mut reading = a.reading();
    p.process_edits_counting(&traces, &mut reading).unwrap();
    let counted = reading.finish().unwrap();
    assert_eq!(counted.len(), 3);
    assert!(b.record(&counted, NOW).is_err());
    assert_eq!(a.record(&counted, NOW).unwrap().calls, 3);
    let other = SpanMetrics::from_json(br#"{"cost": {"enabled": false}}"#).unwrap();
    let mut reading = other.reading();
    p.process_edits_counting(&traces, &mut reading).unwrap();
    assert!(reading.finish().is_none());
}

#[test]
fn auto_leaves_libraries_that_send_their_own_metrics_to_them() {
    for dir in captures() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let traces = std::fs::read(dir.join("traces.pb")).unwrap();
        let (req, stats) = run("{}", &traces);
        let counted = totals(&points(&req, "gen_ai.client.operation.duration")).0;
        if sends_metrics(&dir) {
            assert_eq!(counted, 0, "{name}");
            assert!(stats.skipped_source_metrics > 0, "{name}");
        } else {
            assert!(counted > 0, "{name}: a traces-only library must be derived");
            assert_eq!(stats.skipped_source_metrics, 0, "{name}");
        }
    }
}

fn kv(key: &str, v: Value) -> KeyValue {
    attrs::kv(key, v)
}

fn s(v: &str) -> Value {
    Value::StringValue(v.to_string())
}

/// One LLM span per model name, each `value_bytes` long, in one batch.
fn calls_batch(models: impl Iterator<Item = String>) -> Vec<u8> {
    batch(
        models
            .map(|m| Span {
                name: "chat".into(),
                start_time_unix_nano: NOW - 2_000_000_000,
                end_time_unix_nano: NOW - 1_000_000_000,
                attributes: vec![
                    kv("gen_ai.operation.name", s("chat")),
                    kv("gen_ai.provider.name", s("openai")),
                    kv("gen_ai.request.model", s(&m)),
                    kv("gen_ai.usage.input_tokens", Value::IntValue(10)),
                    kv("gen_ai.usage.output_tokens", Value::IntValue(5)),
                ],
                ..Default::default()
            })
            .collect(),
    )
}

/// The spans in one batch, of one resource (`service.name` app) and scope.
fn batch(spans: Vec<Span>) -> Vec<u8> {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", s("app"))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn ten_thousand_model_names_stay_within_the_cardinality_limit_and_the_byte_bound() {
    let c = SpanMetrics::from_json(br#"{"cardinality_limit": 100}"#).unwrap();
    let batch = calls_batch((0..10_000).map(|i| format!("{i:0>4}-{}", "x".repeat(10_000))));
    assert!(batch.len() > 100_000_000, "{} bytes", batch.len());
    let stats = c.consume(&batch, NOW).unwrap();
    assert_eq!(stats.calls, 10_000);
    assert_eq!(stats.series_active, 100);
    assert_eq!(stats.overflowed, 9_900);
    // Keys hold values cut to max_value_bytes (256): 100 series stay
    // within 100 x (the key twice + five histograms) = a few hundred kB.
    assert!(
        stats.state_bytes < 100 * 4096,
        "{} bytes",
        stats.state_bytes
    );

    let (bytes, flushed) = c.flush(NOW);
    let req = ExportMetricsServiceRequest::decode(bytes.unwrap().as_slice()).unwrap();
    let duration = points(&req, "gen_ai.client.operation.duration");
    assert_eq!(
        totals(&duration).0,
        10_000,
        "every call counted, overflow included"
    );
    let overflow: Vec<_> = duration
        .iter()
        .filter(|p| {
            attrs::get(&p.attributes, "otel.metric.overflow") == Some(&Value::BoolValue(true))
        })
        .collect();
    assert_eq!(overflow.iter().map(|p| p.count).sum::<u64>(), 9_900);
    assert!(
        overflow.iter().all(|p| p.attributes.len() == 1),
        "overflow carries no other attribute"
    );
    // 101 series with duration, input and output tokens (no TTFT, and no
    // cost: no table prices these names): 3 value and 3 zero points each.
    assert_eq!(flushed.points, 101 * 3);
    assert_eq!(flushed.zero_points, 101 * 3);
}

#[test]
fn cost_grows_linearly_with_the_batch() {
    // Complexity guard (100x margin): 8x the spans may cost at most 100x
    // the time of 1x, quadratic behaviour would cost 64x at least twice.
    let time = |n: usize| {
        let c = SpanMetrics::from_json(b"{}").unwrap();
        let batch = calls_batch((0..n).map(|i| format!("model-{i}")));
        let t = std::time::Instant::now();
        c.consume(&batch, NOW).unwrap();
        c.flush(NOW);
        t.elapsed().as_secs_f64()
    };
    let small = time(2_000).max(1e-4);
    let large = time(16_000);
    assert!(large < 100.0 * small, "2k: {small:.4}s, 16k: {large:.4}s");
}

#[test]
fn zero_points_until_confirmed_then_totals_grow_and_idle_series_expire() {
    let c =
        SpanMetrics::from_json(br#"{"expiration_ms": 60000, "instance_id": "replica-1"}"#).unwrap();
    let sec = 1_000_000_000;
    c.consume(&calls_batch(["gpt-4o".to_string()].into_iter()), NOW)
        .unwrap();
    let decode =
        |b: Option<Vec<u8>>| ExportMetricsServiceRequest::decode(b.unwrap().as_slice()).unwrap();
    let first = decode(c.flush(NOW + sec).0);
    let d = points(&first, "gen_ai.client.operation.duration");
    assert_eq!(d.len(), 2);
    assert_eq!(
        (d[0].count, d[0].time_unix_nano, d[0].start_time_unix_nano),
        (0, NOW, NOW)
    );
    assert_eq!(
        (d[1].count, d[1].time_unix_nano, d[1].start_time_unix_nano),
        (1, NOW + sec, NOW)
    );
    let res = &first.resource_metrics[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes;
    assert_eq!(
        attrs::get_str(res, "otelcol.instance.id"),
        Some("replica-1")
    );
    assert_eq!(attrs::get_str(res, "service.name"), Some("app"));

    // Not confirmed delivered: the next flush sends the zero point again.
    let (again, stats) = c.flush(NOW + sec + 1);
    assert_eq!(
        points(&decode(again), "gen_ai.client.operation.duration").len(),
        2
    );
    c.confirm(stats.generation);

    c.consume(
        &calls_batch(["gpt-4o".to_string()].into_iter()),
        NOW + 2 * sec,
    )
    .unwrap();
    let second = decode(c.flush(NOW + 3 * sec).0);
    let d = points(&second, "gen_ai.client.operation.duration");
    assert_eq!(d.len(), 1, "no zero point once one was confirmed delivered");
    assert_eq!(
        (d[0].count, d[0].start_time_unix_nano),
        (2, NOW),
        "cumulative from the same start"
    );

    // Idle past expiration: dropped; a new call starts again from zero.
    let (gone, stats) = c.flush(NOW + 2 * sec + 61 * sec);
    assert!(gone.is_none());
    assert_eq!((stats.series_expired, stats.series_active), (1, 0));
    let later = NOW + 100 * sec;
    c.consume(&calls_batch(["gpt-4o".to_string()].into_iter()), later)
        .unwrap();
    let third = decode(c.flush(later + sec).0);
    let d = points(&third, "gen_ai.client.operation.duration");
    assert_eq!((d[0].count, d[0].time_unix_nano), (0, later));
    assert_eq!((d[1].count, d[1].start_time_unix_nano), (1, later));
}

#[test]
fn delta_temporality_reports_each_window_once() {
    let c = SpanMetrics::from_json(br#"{"temporality": "delta"}"#).unwrap();
    let sec = 1_000_000_000;
    let decode =
        |b: Option<Vec<u8>>| ExportMetricsServiceRequest::decode(b.unwrap().as_slice()).unwrap();
    c.consume(
        &calls_batch(["a".to_string(), "a".to_string()].into_iter()),
        NOW,
    )
    .unwrap();
    let first = decode(c.flush(NOW + sec).0);
    let d = points(&first, "gen_ai.client.operation.duration");
    assert_eq!(d.len(), 1, "no zero point in delta");
    assert_eq!(d[0].count, 2);
    assert!(
        c.flush(NOW + 2 * sec).0.is_none(),
        "an empty window exports nothing"
    );
    c.consume(&calls_batch(["a".to_string()].into_iter()), NOW + 3 * sec)
        .unwrap();
    let third = decode(c.flush(NOW + 4 * sec).0);
    let d = points(&third, "gen_ai.client.operation.duration");
    assert_eq!((d[0].count, d[0].start_time_unix_nano), (1, NOW + 2 * sec));
}

#[test]
fn concurrent_batches_count_exactly() {
    let c = std::sync::Arc::new(SpanMetrics::from_json(b"{}").unwrap());
    let batch = std::sync::Arc::new(calls_batch((0..50).map(|i| format!("m{}", i % 5))));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (c, batch) = (c.clone(), batch.clone());
            std::thread::spawn(move || {
                for _ in 0..20 {
                    c.consume(&batch, NOW).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let req = ExportMetricsServiceRequest::decode(c.flush(NOW).0.unwrap().as_slice()).unwrap();
    let duration = points(&req, "gen_ai.client.operation.duration");
    assert_eq!(totals(&duration).0, 8 * 20 * 50);
    let input = points(&req, "gen_ai.client.token.usage");
    let input: Vec<_> = input
        .into_iter()
        .filter(|p| str_attr(p, "gen_ai.token.type") == Some("input"))
        .collect();
    assert_eq!(totals(&input).1, (8 * 20 * 50 * 10) as f64);
}

#[test]
fn malformed_batches_are_refused_and_count_nothing() {
    let c = SpanMetrics::from_json(b"{}").unwrap();
    let mut batch = calls_batch(["gpt-4o".to_string()].into_iter());
    batch.truncate(batch.len() - 3);
    assert!(c.consume(&batch, NOW).is_err());
    assert!(c.flush(NOW).0.is_none());
}

/// One streamed call's span with `n` chunk events, latest first (their
/// earliest, at 250 ms, is the last on the span), and `n / 10` more before
/// the span's start (no token of it).
fn chunked_stream(n: u64) -> Vec<u8> {
    let start = NOW - 100_000_000_000;
    let chunk = |t: u64| Event {
        name: "gen_ai.content.completion.chunk".into(),
        time_unix_nano: t,
        ..Default::default()
    };
    let mut events: Vec<Event> = (0..n)
        .rev()
        .map(|i| chunk(start + 250_000_000 + i * 1_000))
        .collect();
    events.extend((1..=n / 10).map(|i| chunk(start - i)));
    batch(vec![gpt_4o_chat(
        "openai.chat",
        (start, start + 1_000_000_000),
        Vec::new(),
        events,
    )])
}

/// A chat span of gpt-4o at OpenAI from `times` (start, end), with more
/// attributes and events.
fn gpt_4o_chat(name: &str, times: (u64, u64), more: Vec<KeyValue>, events: Vec<Event>) -> Span {
    let mut attributes = vec![
        kv("gen_ai.operation.name", s("chat")),
        kv("gen_ai.provider.name", s("openai")),
        kv("gen_ai.request.model", s("gpt-4o")),
    ];
    attributes.extend(more);
    Span {
        name: name.into(),
        start_time_unix_nano: times.0,
        end_time_unix_nano: times.1,
        attributes,
        events,
        ..Default::default()
    }
}

/// Complexity guard for spans with many events: a stream's span carries
/// one event per chunk. The time per event at 100,000 events is at most
/// 10 times that at 6,250 (linear work keeps the ratio near 1, quadratic
/// makes it about 16; each size timed as the quickest of three runs), and
/// the time to first token is the earliest chunk's however many there are.
#[test]
fn a_span_with_100k_chunk_events_costs_time_linear_in_them() {
    let ns_per_event = |n: u64| {
        let batch = chunked_stream(n);
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let c = SpanMetrics::from_json(br#"{"derive": {"default": "always"}}"#).unwrap();
            let t = std::time::Instant::now();
            let stats = c.consume(&batch, NOW).unwrap();
            best = best.min(t.elapsed().as_nanos() as f64 / n as f64);
            assert_eq!(stats.calls, 1);
            let req =
                ExportMetricsServiceRequest::decode(c.flush(NOW).0.unwrap().as_slice()).unwrap();
            let ttft = totals(&points(&req, "gen_ai.server.time_to_first_token"));
            assert_eq!(ttft, (1, 0.25), "{n} chunks");
        }
        best
    };
    let small = ns_per_event(6_250);
    let large = ns_per_event(100_000);
    assert!(
        large <= 10.0 * small,
        "{small:.1} ns per event at 6,250, {large:.1} at 100,000"
    );
    eprintln!("{small:.1} ns per event at 6,250 chunk events, {large:.1} at 100,000");
}

//! Normalization behaviour: unit-level through `Normalizer::apply`, and
//! end to end through `Processor::process` on prost-encoded requests.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value, AnyValue, ArrayValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span::Event, ResourceSpans, ScopeSpans, Span};
use otelcol_genai::normalize::coerce::{kind_of, Kind, CANONICAL_TYPES};
use otelcol_genai::normalize::table::BUILTIN;
use otelcol_genai::normalize::{NormalizeConfig, Normalizer, Place, Work};
use otelcol_genai::{Processor, Signal, Stats};
use prost::Message;

// ---------------------------------------------------------------- helpers

fn s(v: &str) -> Value {
    Value::StringValue(v.to_string())
}

fn i(v: i64) -> Value {
    Value::IntValue(v)
}

fn list(items: &[&str]) -> Value {
    Value::ArrayValue(ArrayValue {
        values: items
            .iter()
            .map(|x| AnyValue { value: Some(s(x)) })
            .collect(),
    })
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn get<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn keys(attrs: &[KeyValue]) -> Vec<&str> {
    attrs.iter().map(|a| a.key.as_str()).collect()
}

fn normalizer(json: &str) -> Normalizer {
    let config: NormalizeConfig = serde_json::from_str(json).expect("valid normalize config");
    Normalizer::new(&config).expect("normalizer builds")
}

/// Applies the default configuration at `place`.
fn run(attrs: Vec<KeyValue>, place: Place) -> (Vec<KeyValue>, Stats, bool) {
    run_with("{}", attrs, place)
}

fn run_with(json: &str, mut attrs: Vec<KeyValue>, place: Place) -> (Vec<KeyValue>, Stats, bool) {
    let mut stats = Stats::default();
    let changed = normalizer(json).apply(&mut attrs, place, &mut stats, &mut Work::default());
    (attrs, stats, changed)
}

/// A sample value of the right shape for a canonical key.
fn sample_for(target: &str) -> Value {
    match kind_of(target) {
        Kind::Int => s("17"),
        Kind::Double => s("0.5"),
        Kind::StrList => s("stop"),
        _ => s("sample"),
    }
}

// ------------------------------------------------------- tables & needles

#[test]
fn every_mapped_key_contains_a_needle() {
    let n = normalizer(
        r#"{"custom_sources": [{"name": "gw", "attributes": {"x-gw.in": "gen_ai.usage.input_tokens"},
            "values": {"my.tier": {"a": "b"}}}]}"#,
    );
    let needles = n.needles();
    let covered = |k: &str| needles.iter().any(|nd| k.contains(nd.as_str()));
    let mut checked = 0;
    for t in BUILTIN {
        for m in t.mappings {
            assert!(covered(m.from), "{}: {} has no needle", t.name, m.from);
            checked += 1;
        }
    }
    for (k, _) in CANONICAL_TYPES {
        assert!(covered(k), "canonical {k} has no needle");
    }
    for k in ["x-gw.in", "my.tier", "langfuse.environment"] {
        assert!(covered(k), "{k} has no needle");
    }
    // The one deliberate exception (see table::NEEDLES).
    for k in ["deployment.environment", "deployment.environment.name"] {
        assert!(!covered(k), "{k} would make every non-GenAI batch decode");
    }
    assert!(checked > 90, "only {checked} built-in mappings checked");
}

#[test]
fn a_key_in_several_sources_maps_to_one_target() {
    let mut seen = std::collections::HashMap::new();
    for t in BUILTIN {
        for m in t.mappings {
            if let Some(prev) = seen.insert(m.from, m.to) {
                assert_eq!(prev, m.to, "{} maps differently across sources", m.from);
            }
        }
    }
}

#[test]
fn every_builtin_mapping_writes_its_canonical_key() {
    for t in BUILTIN {
        for m in t.mappings {
            let place = if m.places & otelcol_genai::normalize::table::SPAN != 0 {
                Place::Span
            } else {
                Place::DataPoint
            };
            let value = match m.transform {
                otelcol_genai::normalize::table::Transform::Lookup(table) => s(table[0].0),
                otelcol_genai::normalize::table::Transform::Json(fields) => {
                    // a number for counts and costs, a string for a model
                    let v = match fields[0].1.ends_with(".model") {
                        true => "\"gpt-4o-mini\"",
                        false => "3",
                    };
                    s(&format!("{{\"{}\": {v}}}", fields[0].0))
                }
                otelcol_genai::normalize::table::Transform::SlashProvider => {
                    s("openai/gpt-4o-mini")
                }
                _ => sample_for(m.to),
            };
            // Only this source on, so the test proves its own table.
            let others: Vec<String> = BUILTIN
                .iter()
                .map(|o| format!("\"{}\": {}", o.name, o.name == t.name))
                .collect();
            let cfg = format!("{{\"sources\": {{{}}}}}", others.join(", "));
            let from = m.from.replace('*', "0.message.content");
            let (out, stats, changed) = run_with(&cfg, vec![kv(&from, value)], place);
            let target = match m.transform {
                otelcol_genai::normalize::table::Transform::Json(fields) => fields[0].1,
                _ => m.to,
            };
            assert!(changed, "{}: {} changed nothing", t.name, m.from);
            assert!(
                get(&out, target).is_some(),
                "{}: {} did not write {target}: {:?}",
                t.name,
                m.from,
                keys(&out)
            );
            assert_eq!(stats.coercion_failures, 0, "{}: {}", t.name, m.from);
        }
    }
}

// --------------------------------------------------------- contrib parity

/// Every mapping of contrib's `gen_ai_normalizer` processor
/// (processor/genainormalizerprocessor, README "Built-in mappings").
const CONTRIB_KEYS: &[(&str, &str, &str)] = &[
    (
        "openinference",
        "llm.token_count.prompt",
        "gen_ai.usage.input_tokens",
    ),
    (
        "openinference",
        "llm.token_count.completion",
        "gen_ai.usage.output_tokens",
    ),
    ("openinference", "llm.model_name", "gen_ai.request.model"),
    ("openinference", "llm.provider", "gen_ai.provider.name"),
    (
        "openinference",
        "llm.input_messages",
        "gen_ai.input.messages",
    ),
    (
        "openinference",
        "llm.output_messages",
        "gen_ai.output.messages",
    ),
    (
        "openinference",
        "embedding.model_name",
        "gen_ai.request.model",
    ),
    ("openinference", "tool.name", "gen_ai.tool.name"),
    (
        "openinference",
        "tool.description",
        "gen_ai.tool.description",
    ),
    (
        "openinference",
        "tool_call.function.arguments",
        "gen_ai.tool.call.arguments",
    ),
    ("openinference", "tool_call.id", "gen_ai.tool.call.id"),
    (
        "openinference",
        "reranker.model_name",
        "gen_ai.request.model",
    ),
    ("openinference", "agent.name", "gen_ai.agent.name"),
    ("openinference", "session.id", "gen_ai.conversation.id"),
    (
        "openinference",
        "openinference.span.kind",
        "gen_ai.operation.name",
    ),
    (
        "openllmetry",
        "llm.usage.prompt_tokens",
        "gen_ai.usage.input_tokens",
    ),
    (
        "openllmetry",
        "llm.usage.completion_tokens",
        "gen_ai.usage.output_tokens",
    ),
    ("openllmetry", "llm.request.model", "gen_ai.request.model"),
    ("openllmetry", "llm.response.model", "gen_ai.response.model"),
    (
        "openllmetry",
        "llm.request.max_tokens",
        "gen_ai.request.max_tokens",
    ),
    (
        "openllmetry",
        "llm.request.temperature",
        "gen_ai.request.temperature",
    ),
    ("openllmetry", "llm.request.top_p", "gen_ai.request.top_p"),
    ("openllmetry", "llm.top_k", "gen_ai.request.top_k"),
    (
        "openllmetry",
        "llm.frequency_penalty",
        "gen_ai.request.frequency_penalty",
    ),
    (
        "openllmetry",
        "llm.presence_penalty",
        "gen_ai.request.presence_penalty",
    ),
    (
        "openllmetry",
        "llm.chat.stop_sequences",
        "gen_ai.request.stop_sequences",
    ),
    (
        "openllmetry",
        "llm.request.functions",
        "gen_ai.tool.definitions",
    ),
    (
        "openllmetry",
        "llm.response.finish_reason",
        "gen_ai.response.finish_reasons",
    ),
    (
        "openllmetry",
        "llm.response.stop_reason",
        "gen_ai.response.finish_reasons",
    ),
    ("openllmetry", "llm.request.type", "gen_ai.operation.name"),
    (
        "openllmetry",
        "traceloop.span.kind",
        "gen_ai.operation.name",
    ),
    ("openllmetry", "traceloop.entity.name", "gen_ai.agent.name"),
    (
        "openllmetry",
        "traceloop.entity.input",
        "gen_ai.input.messages",
    ),
    (
        "openllmetry",
        "traceloop.entity.output",
        "gen_ai.output.messages",
    ),
];

/// Contrib's value transformations onto `gen_ai.operation.name`.
const CONTRIB_VALUES: &[(&str, &str, &str)] = &[
    ("openinference.span.kind", "LLM", "chat"),
    ("openinference.span.kind", "EMBEDDING", "embeddings"),
    ("openinference.span.kind", "CHAIN", "invoke_agent"),
    ("openinference.span.kind", "RETRIEVER", "retrieval"),
    ("openinference.span.kind", "RERANKER", "retrieval"),
    ("openinference.span.kind", "TOOL", "execute_tool"),
    ("openinference.span.kind", "AGENT", "invoke_agent"),
    ("openinference.span.kind", "PROMPT", "text_completion"),
    ("traceloop.span.kind", "workflow", "invoke_workflow"),
    ("traceloop.span.kind", "task", "invoke_agent"),
    ("traceloop.span.kind", "agent", "invoke_agent"),
    ("traceloop.span.kind", "tool", "execute_tool"),
    ("llm.request.type", "completion", "text_completion"),
    ("llm.request.type", "chat", "chat"),
    ("llm.request.type", "rerank", "retrieval"),
    ("llm.request.type", "embedding", "embeddings"),
];

#[test]
fn parity_with_contrib_gen_ai_normalizer_keys() {
    for (source, from, to) in CONTRIB_KEYS {
        let value = match *from {
            "openinference.span.kind" => s("LLM"),
            "llm.request.type" => s("chat"),
            "traceloop.span.kind" => s("workflow"),
            _ => sample_for(to),
        };
        for place in [Place::Span, Place::SpanEvent] {
            let (out, _, _) = run(vec![kv(from, value.clone())], place);
            assert!(
                get(&out, to).is_some(),
                "{source}: {from} should map to {to} on {place:?}, got {:?}",
                keys(&out)
            );
        }
        // And it belongs to the same-named source: off, it is not mapped.
        let cfg = format!("{{\"sources\": {{\"{source}\": false}}}}");
        let (out, _, _) = run_with(&cfg, vec![kv(from, value)], Place::Span);
        assert!(get(&out, to).is_none(), "{from} mapped with {source} off");
    }
    assert_eq!(CONTRIB_KEYS.len(), 34);
}

#[test]
fn parity_with_contrib_flattened_openinference_messages() {
    // Contrib's OpenInference message aggregator: flattened messages become
    // gen_ai.input.messages / gen_ai.output.messages JSON.
    let attrs = vec![
        kv("llm.input_messages.0.message.role", s("user")),
        kv("llm.input_messages.0.message.content", s("hello")),
        kv("llm.output_messages.0.message.role", s("assistant")),
        kv("llm.output_messages.0.message.content", s("hi!")),
        kv("openinference.span.kind", s("LLM")),
    ];
    let (out, stats, _) = run_with(r#"{"remove_originals": true}"#, attrs, Place::Span);
    let Some(Value::StringValue(input)) = get(&out, "gen_ai.input.messages") else {
        panic!("no input messages: {:?}", keys(&out))
    };
    let input: serde_json::Value = serde_json::from_str(input).unwrap();
    assert_eq!(
        input,
        serde_json::json!([{"role": "user", "parts": [{"type": "text", "content": "hello"}]}])
    );
    assert!(get(&out, "gen_ai.output.messages").is_some());
    assert_eq!(
        keys(&out),
        [
            "gen_ai.operation.name",
            "gen_ai.input.messages",
            "gen_ai.output.messages"
        ]
    );
    assert_eq!(stats.attributes_normalized, 3);
    // An existing canonical value wins; off with the source.
    let attrs = vec![
        kv("gen_ai.input.messages", s("[]")),
        kv("llm.input_messages.0.message.role", s("user")),
    ];
    let (out, _, changed) = run(attrs.clone(), Place::Span);
    assert!(!changed);
    assert_eq!(get(&out, "gen_ai.input.messages"), Some(&s("[]")));
    let (_, _, changed) = run_with(
        r#"{"sources": {"openinference": false}}"#,
        attrs[1..].to_vec(),
        Place::Span,
    );
    assert!(!changed);
}

#[test]
fn parity_with_contrib_gen_ai_normalizer_values() {
    for (from, value, op) in CONTRIB_VALUES {
        let (out, _, _) = run(vec![kv(from, s(value))], Place::Span);
        assert_eq!(
            get(&out, "gen_ai.operation.name"),
            Some(&s(op)),
            "{from}={value}"
        );
        // Case-insensitive, as upstream.
        let (out, _, _) = run(vec![kv(from, s(&value.to_uppercase()))], Place::Span);
        assert_eq!(
            get(&out, "gen_ai.operation.name"),
            Some(&s(op)),
            "{from}={value} upper"
        );
    }
}

// ----------------------------------------------------------- behaviour

#[test]
fn canonical_attribute_wins_unless_overwrite() {
    let attrs = || {
        vec![
            kv("gen_ai.request.model", s("gpt-4o")),
            kv("llm.request.model", s("gpt-4o-2024-08-06")),
        ]
    };
    let (out, stats, changed) = run(attrs(), Place::Span);
    assert!(!changed);
    assert_eq!(get(&out, "gen_ai.request.model"), Some(&s("gpt-4o")));
    assert_eq!(stats.attributes_normalized, 0);
    assert_eq!(out.len(), 2);

    let (out, stats, changed) = run_with(r#"{"overwrite": true}"#, attrs(), Place::Span);
    assert!(changed);
    assert_eq!(
        get(&out, "gen_ai.request.model"),
        Some(&s("gpt-4o-2024-08-06"))
    );
    assert_eq!(stats.attributes_normalized, 1);
    assert_eq!(out.len(), 2, "replaced in place, not duplicated");
}

#[test]
fn first_listed_source_key_wins_for_one_target() {
    // OpenInference: llm.provider (the host) ranks before llm.system.
    let attrs = vec![
        kv("llm.system", s("openai")),
        kv("llm.provider", s("azure")),
    ];
    let (out, stats, _) = run(attrs, Place::Span);
    assert_eq!(
        get(&out, "gen_ai.provider.name"),
        Some(&s("azure.ai.openai"))
    );
    assert_eq!(stats.attributes_normalized, 1);
    // With overwrite the existing value is replaced once, by the first key.
    let attrs = vec![
        kv("gen_ai.provider.name", s("openai")),
        kv("llm.system", s("openai")),
        kv("llm.provider", s("azure")),
    ];
    let (out, _, _) = run_with(r#"{"overwrite": true}"#, attrs, Place::Span);
    assert_eq!(
        get(&out, "gen_ai.provider.name"),
        Some(&s("azure.ai.openai"))
    );
}

#[test]
fn values_are_coerced_to_canonical_types() {
    let attrs = vec![
        kv("llm.usage.prompt_tokens", s("123")),
        kv("llm.request.temperature", s("0.7")),
        kv("llm.top_k", i(40)),
        kv("llm.response.finish_reason", s("stop")),
        kv("llm.chat.stop_sequences", s(r#"["\n\n", "END"]"#)),
    ];
    let (out, stats, _) = run(attrs, Place::Span);
    assert_eq!(get(&out, "gen_ai.usage.input_tokens"), Some(&i(123)));
    assert_eq!(
        get(&out, "gen_ai.request.temperature"),
        Some(&Value::DoubleValue(0.7))
    );
    assert_eq!(
        get(&out, "gen_ai.request.top_k"),
        Some(&Value::DoubleValue(40.0))
    );
    assert_eq!(
        get(&out, "gen_ai.response.finish_reasons"),
        Some(&list(&["stop"]))
    );
    assert_eq!(
        get(&out, "gen_ai.request.stop_sequences"),
        Some(&list(&["\n\n", "END"]))
    );
    assert_eq!(stats.attributes_normalized, 5);
    assert_eq!(stats.coercion_failures, 0);
}

#[test]
fn canonical_values_present_are_coerced_in_place() {
    let attrs = vec![
        kv("gen_ai.usage.input_tokens", s("45")),
        kv("gen_ai.usage.output_tokens", Value::DoubleValue(9.0)),
        kv("gen_ai.response.finish_reasons", s("length")),
    ];
    let (out, stats, changed) = run(attrs, Place::Span);
    assert!(changed);
    assert_eq!(
        keys(&out),
        [
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "gen_ai.response.finish_reasons"
        ]
    );
    assert_eq!(get(&out, "gen_ai.usage.input_tokens"), Some(&i(45)));
    assert_eq!(get(&out, "gen_ai.usage.output_tokens"), Some(&i(9)));
    assert_eq!(
        get(&out, "gen_ai.response.finish_reasons"),
        Some(&list(&["length"]))
    );
    assert_eq!(stats.values_normalized, 3);
    // An int where a double is expected stays (OpenLIT 1.45 writes cost 0 so).
    let (_, _, changed) = run(vec![kv("gen_ai.usage.cost", i(0))], Place::Span);
    assert!(!changed);
    let (out, _, _) = run(vec![kv("llm.cost.total", i(0))], Place::Span);
    assert_eq!(
        get(&out, "gen_ai.usage.cost"),
        Some(&Value::DoubleValue(0.0)),
        "mapped values get the canonical type"
    );
}

#[test]
fn coercion_failures_are_left_alone_and_counted() {
    let attrs = vec![
        kv("llm.usage.prompt_tokens", s("lots")),
        kv("llm.usage.completion_tokens", s("12.5")),
        kv("gen_ai.usage.total_tokens", Value::BoolValue(true)),
        kv("llm.request.model", s("gpt-4o")),
    ];
    // Even with remove_originals the unmappable originals stay.
    let (out, stats, changed) = run_with(r#"{"remove_originals": true}"#, attrs, Place::Span);
    assert!(changed);
    assert_eq!(stats.coercion_failures, 3);
    assert_eq!(stats.attributes_normalized, 1);
    assert_eq!(get(&out, "llm.usage.prompt_tokens"), Some(&s("lots")));
    assert_eq!(get(&out, "llm.usage.completion_tokens"), Some(&s("12.5")));
    assert_eq!(
        get(&out, "gen_ai.usage.total_tokens"),
        Some(&Value::BoolValue(true))
    );
    assert!(get(&out, "gen_ai.usage.input_tokens").is_none());
    assert!(
        get(&out, "llm.request.model").is_none(),
        "mapped original removed"
    );
    assert_eq!(get(&out, "gen_ai.request.model"), Some(&s("gpt-4o")));
}

#[test]
fn empty_strings_count_as_unset() {
    let (out, stats, changed) = run(
        vec![
            kv("gen_ai.request.seed", s("")),
            kv("llm.usage.prompt_tokens", s("")),
        ],
        Place::Span,
    );
    assert!(!changed);
    assert_eq!(out.len(), 2);
    assert_eq!(stats, Stats::default());
}

#[test]
fn provider_values_are_respelled() {
    let cases = [
        ("OpenAI", "openai"),
        ("Anthropic", "anthropic"),
        ("Azure", "azure.ai.openai"),
        ("AWS", "aws.bedrock"),
        ("Google", "gcp.gen_ai"),
        ("mistralai", "mistral_ai"),
        ("vertexai", "gcp.vertex_ai"),
        ("az.ai.openai", "azure.ai.openai"),
        ("az.ai.inference", "azure.ai.inference"),
        ("vertex_ai", "gcp.vertex_ai"),
        ("gemini", "gcp.gemini"),
        ("xai", "x_ai"),
        ("openai.chat", "openai"),
        ("openai.responses", "openai"),
        // Unknown values are kept, lower-cased.
        ("Ollama", "ollama"),
        ("My.Gateway", "my.gateway"),
    ];
    for (from, to) in cases {
        let (out, stats, _) = run(vec![kv("gen_ai.system", s(from))], Place::DataPoint);
        assert_eq!(get(&out, "gen_ai.provider.name"), Some(&s(to)), "{from}");
        assert_eq!(stats.values_normalized, u64::from(from != to), "{from}");
        // And in place on the canonical key.
        let (out, _, _) = run(vec![kv("gen_ai.provider.name", s(from))], Place::Span);
        assert_eq!(
            get(&out, "gen_ai.provider.name"),
            Some(&s(to)),
            "in place {from}"
        );
    }
    // Canonical values are not touched at all.
    let (_, _, changed) = run(
        vec![kv("gen_ai.provider.name", s("aws.bedrock"))],
        Place::Span,
    );
    assert!(!changed);
}

#[test]
fn vercel_provider_takes_the_part_before_the_first_dot() {
    for (from, to) in [
        ("openai.chat", "openai"),
        ("anthropic.messages", "anthropic"),
        ("togetherai.chat", "togetherai"),
        ("google.vertex.chat", "gcp.vertex_ai"),
        ("amazon-bedrock", "aws.bedrock"),
    ] {
        let (out, _, _) = run(vec![kv("ai.model.provider", s(from))], Place::Span);
        assert_eq!(get(&out, "gen_ai.provider.name"), Some(&s(to)), "{from}");
    }
    // Inner spans repeat the id in gen_ai.system; the Vercel key decides.
    let (out, _, _) = run(
        vec![
            kv("gen_ai.system", s("togetherai.chat")),
            kv("ai.model.provider", s("togetherai.chat")),
        ],
        Place::Span,
    );
    assert_eq!(get(&out, "gen_ai.provider.name"), Some(&s("togetherai")));
}

#[test]
fn operation_and_token_type_values_are_respelled() {
    let (out, _, _) = run(
        vec![
            kv("gen_ai.operation.name", s("embedding")),
            kv("gen_ai.token.type", s("completion")),
        ],
        Place::DataPoint,
    );
    assert_eq!(get(&out, "gen_ai.operation.name"), Some(&s("embeddings")));
    assert_eq!(get(&out, "gen_ai.token.type"), Some(&s("output")));
    // Unknown operations stay as they are.
    let (_, _, changed) = run(
        vec![kv("gen_ai.operation.name", s("vectordb"))],
        Place::Span,
    );
    assert!(!changed);
}

fn vercel_span(op: &str) -> Vec<KeyValue> {
    vec![
        kv("ai.operationId", s(op)),
        kv("operation.name", s(&format!("{op} my-function"))),
        kv("ai.model.id", s("gpt-4o-mini")),
        kv("ai.model.provider", s("openai.chat")),
        kv("ai.usage.promptTokens", i(10)),
        kv("ai.usage.completionTokens", i(20)),
    ]
}

#[test]
fn vercel_outer_spans_get_no_usage() {
    for outer in ["ai.generateText", "ai.streamText", "ai.generateObject"] {
        let (out, _, _) = run(vercel_span(outer), Place::Span);
        assert!(get(&out, "gen_ai.usage.input_tokens").is_none(), "{outer}");
        assert!(get(&out, "gen_ai.usage.output_tokens").is_none(), "{outer}");
        assert!(get(&out, "gen_ai.operation.name").is_none(), "{outer}");
        assert_eq!(get(&out, "gen_ai.request.model"), Some(&s("gpt-4o-mini")));
        assert_eq!(
            get(&out, "ai.usage.promptTokens"),
            Some(&i(10)),
            "original kept"
        );
    }
    // Only operation.name (older SDKs) identifies the outer span as well.
    let mut attrs = vercel_span("ai.streamText");
    attrs.remove(0);
    let (out, _, _) = run(attrs, Place::Span);
    assert!(get(&out, "gen_ai.usage.input_tokens").is_none());
    // Even usage in older semconv keys is not written on an outer span.
    let mut attrs = vercel_span("ai.generateText");
    attrs.push(kv("gen_ai.usage.prompt_tokens", i(10)));
    let (out, _, _) = run(attrs, Place::Span);
    assert!(get(&out, "gen_ai.usage.input_tokens").is_none());
}

#[test]
fn vercel_inner_spans_are_llm_calls() {
    for (inner, op) in [
        ("ai.generateText.doGenerate", "chat"),
        ("ai.streamText.doStream", "chat"),
        ("ai.embed.doEmbed", "embeddings"),
    ] {
        let (out, _, _) = run(vercel_span(inner), Place::Span);
        assert_eq!(
            get(&out, "gen_ai.usage.input_tokens"),
            Some(&i(10)),
            "{inner}"
        );
        assert_eq!(
            get(&out, "gen_ai.usage.output_tokens"),
            Some(&i(20)),
            "{inner}"
        );
        assert_eq!(get(&out, "gen_ai.operation.name"), Some(&s(op)), "{inner}");
        assert_eq!(get(&out, "gen_ai.provider.name"), Some(&s("openai")));
    }
    // With the Vercel source off, nothing is mapped from ai.* keys.
    let (out, _, _) = run_with(
        r#"{"sources": {"vercel_ai": false}}"#,
        vercel_span("ai.generateText.doGenerate"),
        Place::Span,
    );
    assert!(get(&out, "gen_ai.usage.input_tokens").is_none());
}

#[test]
fn remove_originals_drops_mapped_sources_only() {
    let attrs = vec![
        kv("llm.token_count.prompt", i(5)),
        kv("llm.model_name", s("gpt-4o")),
        kv("gen_ai.request.model", s("already")),
        kv("input.value", s("hi")),
    ];
    let (out, _, _) = run_with(r#"{"remove_originals": true}"#, attrs, Place::Span);
    assert_eq!(
        keys(&out),
        [
            "llm.model_name",
            "gen_ai.request.model",
            "input.value",
            "gen_ai.usage.input_tokens"
        ]
    );
    // llm.model_name stays: its target existed, so its value was not written.
    assert_eq!(get(&out, "gen_ai.request.model"), Some(&s("already")));
}

#[test]
fn disabled_sources_and_stage() {
    let attrs = || {
        vec![
            kv("llm.token_count.prompt", i(5)),
            kv("llm.usage.prompt_tokens", i(6)),
        ]
    };
    let (out, _, _) = run_with(
        r#"{"sources": {"openinference": false}}"#,
        attrs(),
        Place::Span,
    );
    assert_eq!(get(&out, "gen_ai.usage.input_tokens"), Some(&i(6)));
    let (out, _, changed) = run_with(
        r#"{"sources": {"openinference": false, "openllmetry": false}}"#,
        attrs(),
        Place::Span,
    );
    assert!(!changed);
    assert_eq!(out.len(), 2);
    let (_, stats, changed) = run_with(r#"{"enabled": false}"#, attrs(), Place::Span);
    assert!(!changed);
    assert_eq!(stats, Stats::default());
}

#[test]
fn environment_direction() {
    let res = || vec![kv("deployment.environment.name", s("prod"))];
    let (out, _, _) = run(res(), Place::Resource);
    assert_eq!(get(&out, "deployment.environment"), Some(&s("prod")));
    let (out, _, changed) = run_with(r#"{"environment": "off"}"#, res(), Place::Resource);
    assert!(!changed);
    assert_eq!(out.len(), 1);
    let (out, _, _) = run_with(
        r#"{"environment": "name"}"#,
        vec![kv("deployment.environment", s("dev"))],
        Place::Resource,
    );
    assert_eq!(get(&out, "deployment.environment.name"), Some(&s("dev")));
    // Both present: the existing one wins.
    let (out, _, changed) = run(
        vec![
            kv("deployment.environment.name", s("prod")),
            kv("deployment.environment", s("production")),
        ],
        Place::Resource,
    );
    assert!(!changed);
    assert_eq!(get(&out, "deployment.environment"), Some(&s("production")));
}

#[test]
fn openlit_legacy_metric_attributes() {
    let attrs = || {
        vec![
            kv("gen_ai.application_name", s("chatbot")),
            kv("gen_ai.environment", s("staging")),
            kv("gen_ai.system", s("openai")),
        ]
    };
    let (out, _, _) = run(attrs(), Place::DataPoint);
    assert_eq!(get(&out, "service.name"), Some(&s("chatbot")));
    assert_eq!(get(&out, "deployment.environment"), Some(&s("staging")));
    // On spans these are only OpenLIT's duplicates of resource attributes.
    let (out, _, _) = run(attrs(), Place::Span);
    assert!(get(&out, "service.name").is_none());
    assert_eq!(get(&out, "gen_ai.provider.name"), Some(&s("openai")));
}

#[test]
fn openllmetry_metrics_get_the_request_model_from_the_response_model() {
    let attrs = || {
        vec![
            kv("gen_ai.system", s("openai")),
            kv("gen_ai.response.model", s("gpt-4o-mini-2024-07-18")),
            kv("gen_ai.token.type", s("output")),
        ]
    };
    let (out, stats, _) = run(attrs(), Place::DataPoint);
    assert_eq!(
        get(&out, "gen_ai.request.model"),
        Some(&s("gpt-4o-mini-2024-07-18"))
    );
    assert_eq!(stats.attributes_normalized, 2);
    let (out, _, _) = run(attrs(), Place::Span);
    assert!(
        get(&out, "gen_ai.request.model").is_none(),
        "spans are left alone"
    );
    let (out, _, _) = run_with(
        r#"{"sources": {"openllmetry": false}}"#,
        attrs(),
        Place::DataPoint,
    );
    assert!(get(&out, "gen_ai.request.model").is_none());
    let mut with_request = attrs();
    with_request.push(kv("gen_ai.request.model", s("gpt-4o-mini")));
    let (out, _, _) = run(with_request, Place::DataPoint);
    assert_eq!(get(&out, "gen_ai.request.model"), Some(&s("gpt-4o-mini")));
}

#[test]
fn langfuse_json_details() {
    let attrs = vec![
        kv(
            "langfuse.observation.usage_details",
            s(
                r#"{"input": 100, "output": 50, "total": 150, "input_cached_tokens": 20, "output_reasoning_tokens": 8}"#,
            ),
        ),
        kv(
            "langfuse.observation.cost_details",
            s(r#"{"input": 0.0005, "output": 0.001, "total": 0.0015}"#),
        ),
    ];
    let (out, stats, _) = run(attrs, Place::Span);
    assert_eq!(get(&out, "gen_ai.usage.input_tokens"), Some(&i(100)));
    assert_eq!(get(&out, "gen_ai.usage.output_tokens"), Some(&i(50)));
    assert_eq!(get(&out, "gen_ai.usage.total_tokens"), Some(&i(150)));
    assert_eq!(
        get(&out, "gen_ai.usage.cache_read.input_tokens"),
        Some(&i(20))
    );
    assert_eq!(
        get(&out, "gen_ai.usage.reasoning.output_tokens"),
        Some(&i(8))
    );
    assert_eq!(
        get(&out, "gen_ai.usage.cost"),
        Some(&Value::DoubleValue(0.0015))
    );
    assert_eq!(stats.attributes_normalized, 6);

    let (out, stats, _) = run(
        vec![
            kv("langfuse.observation.usage_details", s("{not json")),
            kv(
                "langfuse.observation.cost_details",
                s(r#"{"total": "free"}"#),
            ),
        ],
        Place::Span,
    );
    assert_eq!(stats.coercion_failures, 2);
    assert_eq!(out.len(), 2, "both left alone");
}

#[test]
fn custom_sources_before_and_after() {
    let custom = |position: &str| {
        format!(
            r#"{{"custom_sources": [{{"name": "gw", "position": "{position}",
                "attributes": {{"llm.token_count.prompt": "gen_ai.usage.cache_read.input_tokens",
                                "gw.tokens.in": "gen_ai.usage.input_tokens"}},
                "values": {{"gen_ai.provider.name": {{"openai": "gw-openai", "my-proxy": "openai"}}}}}}]}}"#
        )
    };
    let attrs = || {
        vec![
            kv("llm.token_count.prompt", i(5)),
            kv("gw.tokens.in", s("7")),
            kv("llm.provider", s("my-proxy")),
            kv("gen_ai.system", s("OpenAI")),
        ]
    };
    // Before: its key mapping replaces the built-in one and its values win.
    let (out, _, _) = run_with(&custom("before"), attrs(), Place::Span);
    assert_eq!(
        get(&out, "gen_ai.usage.cache_read.input_tokens"),
        Some(&i(5))
    );
    assert_eq!(get(&out, "gen_ai.usage.input_tokens"), Some(&i(7)));
    // gen_ai.system ranks first (otel_legacy); "OpenAI" is not "openai", so
    // the built-in respelling applies.
    assert_eq!(get(&out, "gen_ai.provider.name"), Some(&s("openai")));
    let (out, _, _) = run_with(
        &custom("before"),
        vec![kv("gen_ai.provider.name", s("openai"))],
        Place::Span,
    );
    assert_eq!(get(&out, "gen_ai.provider.name"), Some(&s("gw-openai")));

    // After: built-ins win; it only fills what they leave.
    let (out, _, _) = run_with(&custom("after"), attrs(), Place::Span);
    assert_eq!(get(&out, "gen_ai.usage.input_tokens"), Some(&i(5)));
    assert!(get(&out, "gen_ai.usage.cache_read.input_tokens").is_none());
    let (out, _, _) = run_with(
        &custom("after"),
        vec![kv("llm.provider", s("my-proxy"))],
        Place::Span,
    );
    assert_eq!(get(&out, "gen_ai.provider.name"), Some(&s("openai")));
    let (out, _, _) = run_with(
        &custom("after"),
        vec![kv("gen_ai.provider.name", s("OpenAI"))],
        Place::Span,
    );
    assert_eq!(
        get(&out, "gen_ai.provider.name"),
        Some(&s("gw-openai")),
        "after maps see the built-in result"
    );
}

#[test]
fn events_logs_and_points_are_normalized_like_spans() {
    for place in [Place::SpanEvent, Place::LogRecord, Place::DataPoint] {
        let (out, _, _) = run(vec![kv("gen_ai.system", s("Anthropic"))], place);
        assert_eq!(
            get(&out, "gen_ai.provider.name"),
            Some(&s("anthropic")),
            "{place:?}"
        );
    }
    // Resource attributes only get the resource rules.
    let (_, _, changed) = run(vec![kv("gen_ai.system", s("openai"))], Place::Resource);
    assert!(!changed);
}

#[test]
fn config_errors_name_the_field() {
    for (json, field) in [
        (
            r#"{"normalize": {"sources": {"openlit": true}}}"#,
            "normalize.sources.openlit",
        ),
        (
            r#"{"normalize": {"environment": "sideways"}}"#,
            "normalize.environment",
        ),
        (r#"{"normalize": {"overwrite": 1}}"#, "normalize.overwrite"),
        (
            r#"{"normalize": {"custom_sources": [{"name": "x", "position": "middle", "attributes": {"a": "b"}}]}}"#,
            "normalize.custom_sources[0].position",
        ),
        (
            r#"{"normalize": {"custom_sources": [{"name": "", "attributes": {"a": "b"}}]}}"#,
            "normalize.custom_sources[0].name",
        ),
    ] {
        let err = Processor::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(err.field, field, "{json}: {err}");
    }
}

// ------------------------------------------------- through the processor

const STAGES_OFF: &str = r#""cost": {"enabled": false}, "naming": {"enabled": false}"#;

fn processor(normalize: &str) -> Processor {
    Processor::from_json(format!(r#"{{"normalize": {normalize}, {STAGES_OFF}}}"#).as_bytes())
        .expect("processor builds")
}

fn span(name: &str, attrs: Vec<KeyValue>) -> Span {
    Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        name: name.to_string(),
        attributes: attrs,
        ..Default::default()
    }
}

fn traces(resource: Vec<KeyValue>, scope: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: resource,
            ..Default::default()
        }),
        scope_spans: vec![ScopeSpans {
            scope: Some(InstrumentationScope {
                name: scope.to_string(),
                ..Default::default()
            }),
            spans,
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn environment_alone_does_not_make_a_batch_genai() {
    let plain = ExportTraceServiceRequest {
        resource_spans: vec![traces(
            vec![kv("deployment.environment.name", s("prod"))],
            "x",
            vec![span("GET /", vec![kv("http.request.method", s("GET"))])],
        )],
    };
    let out = processor("{}")
        .process(Signal::Traces, &plain.encode_to_vec())
        .unwrap();
    assert!(out.output.is_none());
    assert_eq!(out.stats.items, 0, "not even decoded");
    // With GenAI content the resource gets the copy.
    let mut genai = plain.clone();
    genai.resource_spans[0].scope_spans[0].spans[0]
        .attributes
        .push(kv("gen_ai.system", s("openai")));
    let out = processor("{}")
        .process(Signal::Traces, &genai.encode_to_vec())
        .unwrap();
    let got = ExportTraceServiceRequest::decode(out.output.unwrap().as_slice()).unwrap();
    let res = &got.resource_spans[0].resource.as_ref().unwrap().attributes;
    assert_eq!(get(res, "deployment.environment"), Some(&s("prod")));
}

#[test]
fn mixed_sources_in_one_batch() {
    let req = ExportTraceServiceRequest {
        resource_spans: vec![
            traces(
                vec![
                    kv("service.name", s("rag")),
                    kv("deployment.environment.name", s("prod")),
                ],
                "openinference.instrumentation.openai",
                vec![span(
                    "ChatCompletion",
                    vec![
                        kv("openinference.span.kind", s("LLM")),
                        kv("llm.model_name", s("gpt-4o")),
                        kv("llm.token_count.prompt", i(12)),
                    ],
                )],
            ),
            traces(
                vec![kv("service.name", s("jokes"))],
                "opentelemetry.instrumentation.openai.v1",
                vec![
                    span(
                        "openai.chat",
                        vec![
                            kv("llm.request.type", s("chat")),
                            kv("gen_ai.system", s("OpenAI")),
                            kv("gen_ai.usage.prompt_tokens", i(30)),
                        ],
                    ),
                    span(
                        "ai.generateText",
                        vec![
                            kv("ai.operationId", s("ai.generateText")),
                            kv("ai.usage.promptTokens", i(30)),
                        ],
                    ),
                ],
            ),
        ],
    };
    let out = processor("{}")
        .process(Signal::Traces, &req.encode_to_vec())
        .unwrap();
    let got = ExportTraceServiceRequest::decode(out.output.expect("changed").as_slice()).unwrap();
    let rs0 = &got.resource_spans[0];
    assert_eq!(
        get(
            &rs0.resource.as_ref().unwrap().attributes,
            "deployment.environment"
        ),
        Some(&s("prod"))
    );
    let oi = &rs0.scope_spans[0];
    assert_eq!(oi.schema_url, otelcol_genai::semconv::SCHEMA_URL);
    assert_eq!(
        get(&oi.spans[0].attributes, "gen_ai.operation.name"),
        Some(&s("chat"))
    );
    assert_eq!(
        get(&oi.spans[0].attributes, "gen_ai.usage.input_tokens"),
        Some(&i(12))
    );
    let tl = &got.resource_spans[1].scope_spans[0];
    assert_eq!(
        get(&tl.spans[0].attributes, "gen_ai.provider.name"),
        Some(&s("openai"))
    );
    assert_eq!(
        get(&tl.spans[0].attributes, "gen_ai.usage.input_tokens"),
        Some(&i(30))
    );
    assert!(get(&tl.spans[1].attributes, "gen_ai.usage.input_tokens").is_none());
    assert_eq!(out.stats.items, 3);
    // prod env + op + tokens + model | provider + tokens + op
    assert_eq!(out.stats.attributes_normalized, 7);
    // LLM -> chat, OpenAI -> openai ("chat" stays "chat").
    assert_eq!(out.stats.values_normalized, 2);
}

#[test]
fn span_events_logs_and_metrics_through_the_processor() {
    let mut sp = span("chat", vec![kv("gen_ai.system", s("gemini"))]);
    sp.events.push(Event {
        name: "gen_ai.choice".into(),
        attributes: vec![kv("gen_ai.system", s("gemini"))],
        ..Default::default()
    });
    let req = ExportTraceServiceRequest {
        resource_spans: vec![traces(vec![], "x", vec![sp])],
    };
    let out = processor("{}")
        .process(Signal::Traces, &req.encode_to_vec())
        .unwrap();
    let got = ExportTraceServiceRequest::decode(out.output.unwrap().as_slice()).unwrap();
    let sp = &got.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(
        get(&sp.attributes, "gen_ai.provider.name"),
        Some(&s("gcp.gemini"))
    );
    assert_eq!(
        get(&sp.events[0].attributes, "gen_ai.provider.name"),
        Some(&s("gcp.gemini"))
    );

    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    attributes: vec![kv("gen_ai.system", s("xai"))],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let out = processor("{}")
        .process(Signal::Logs, &logs.encode_to_vec())
        .unwrap();
    let got = ExportLogsServiceRequest::decode(out.output.unwrap().as_slice()).unwrap();
    let rec = &got.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(
        get(&rec.attributes, "gen_ai.provider.name"),
        Some(&s("x_ai"))
    );

    let metrics = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "gen_ai.client.token.usage".into(),
                    data: Some(Data::Gauge(Gauge {
                        data_points: vec![NumberDataPoint {
                            attributes: vec![
                                kv("gen_ai.application_name", s("bot")),
                                kv("gen_ai.system", s("az.ai.openai")),
                            ],
                            ..Default::default()
                        }],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let out = processor("{}")
        .process(Signal::Metrics, &metrics.encode_to_vec())
        .unwrap();
    let got = ExportMetricsServiceRequest::decode(out.output.unwrap().as_slice()).unwrap();
    let Some(Data::Gauge(g)) = &got.resource_metrics[0].scope_metrics[0].metrics[0].data else {
        panic!("gauge expected")
    };
    let p = &g.data_points[0].attributes;
    assert_eq!(get(p, "service.name"), Some(&s("bot")));
    assert_eq!(get(p, "gen_ai.provider.name"), Some(&s("azure.ai.openai")));

    // Normalization off: nothing changes.
    let out = processor(r#"{"enabled": false}"#)
        .process(Signal::Metrics, &metrics.encode_to_vec())
        .unwrap();
    assert!(out.output.is_none());
}

#[test]
fn non_matching_attributes_leave_the_batch_unchanged() {
    let req = ExportTraceServiceRequest {
        resource_spans: vec![traces(
            vec![kv("service.name", s("web"))],
            "x",
            vec![span(
                "GET /",
                vec![
                    kv("http.request.method", s("GET")),
                    kv("gen_ai.request.model", s("gpt-4o")),
                    kv("gen_ai.usage.input_tokens", i(3)),
                    kv("gen_ai.provider.name", s("openai")),
                ],
            )],
        )],
    };
    let out = processor("{}")
        .process(Signal::Traces, &req.encode_to_vec())
        .unwrap();
    assert!(
        out.output.is_none(),
        "already canonical: nothing to rewrite"
    );
    assert_eq!(out.stats.items, 1);
}

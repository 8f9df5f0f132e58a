//! Golden batches per source and signal, run through the whole `Processor`
//! (cost and naming off, so only normalization shows). Each case is written
//! here from the library's documented schema; the files under
//! `tests/golden/normalize/` hold the case's config, input, the output and
//! the counters, in a readable JSON form of the OTLP structures. They are
//! regenerated with `GENAI_BLESS=1 cargo test --test normalize_golden` and
//! reviewed by eye.
//!
//! JSON form: attributes are objects (strings, ints, doubles written with a
//! fraction, bools, arrays); spans `{name, attributes, events}`, log records
//! `{event_name, attributes}`, metrics `{name, points: [attributes]}`.

use std::path::PathBuf;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value as AV, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, Histogram, HistogramDataPoint, Metric, ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span::Event, ResourceSpans, ScopeSpans, Span};
use otelcol_genai::{Processor, Signal};
use prost::Message;
use serde_json::{json, Map, Value as J};

// ------------------------------------------------------------ JSON <-> OTLP

fn to_any(v: &J) -> AV {
    match v {
        J::String(s) => AV::StringValue(s.clone()),
        J::Bool(b) => AV::BoolValue(*b),
        J::Number(n) if n.is_i64() => AV::IntValue(n.as_i64().unwrap()),
        J::Number(n) => AV::DoubleValue(n.as_f64().unwrap()),
        J::Array(a) => AV::ArrayValue(ArrayValue {
            values: a
                .iter()
                .map(|x| AnyValue {
                    value: Some(to_any(x)),
                })
                .collect(),
        }),
        J::Object(o) => AV::KvlistValue(KeyValueList { values: attrs(o) }),
        J::Null => AV::StringValue(String::new()),
    }
}

fn attrs(o: &Map<String, J>) -> Vec<KeyValue> {
    o.iter()
        .map(|(k, v)| KeyValue {
            key: k.clone(),
            value: Some(AnyValue {
                value: Some(to_any(v)),
            }),
            ..Default::default()
        })
        .collect()
}

fn attrs_of(v: &J) -> Vec<KeyValue> {
    v.as_object().map(attrs).unwrap_or_default()
}

fn from_any(v: &AV) -> J {
    match v {
        AV::StringValue(s) => J::String(s.clone()),
        AV::BoolValue(b) => J::Bool(*b),
        AV::IntValue(i) => json!(i),
        AV::DoubleValue(d) => json!(d),
        AV::ArrayValue(a) => J::Array(
            a.values
                .iter()
                .map(|x| x.value.as_ref().map_or(J::Null, from_any))
                .collect(),
        ),
        AV::KvlistValue(l) => J::Object(json_attrs(&l.values)),
        AV::BytesValue(b) => json!({ "bytes": b }),
        // Not produced by these cases.
        _ => J::Null,
    }
}

fn json_attrs(a: &[KeyValue]) -> Map<String, J> {
    a.iter()
        .map(|kv| {
            let v = kv
                .value
                .as_ref()
                .and_then(|v| v.value.as_ref())
                .map_or(J::Null, from_any);
            (kv.key.clone(), v)
        })
        .collect()
}

fn resource(v: &J) -> Option<Resource> {
    Some(Resource {
        attributes: attrs_of(&v["resource"]),
        ..Default::default()
    })
}

fn scope(v: &J) -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: v["scope"].as_str().unwrap_or("").to_string(),
        ..Default::default()
    })
}

fn traces_of(input: &J) -> ExportTraceServiceRequest {
    let spans = input["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            name: s["name"].as_str().unwrap().to_string(),
            attributes: attrs_of(&s["attributes"]),
            events: s["events"]
                .as_array()
                .map(|evs| {
                    evs.iter()
                        .map(|e| Event {
                            name: e["name"].as_str().unwrap().to_string(),
                            attributes: attrs_of(&e["attributes"]),
                            ..Default::default()
                        })
                        .collect()
                })
                .unwrap_or_default(),
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(input),
            scope_spans: vec![ScopeSpans {
                scope: scope(input),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn json_of_traces(req: &ExportTraceServiceRequest) -> J {
    let rs = &req.resource_spans[0];
    let ss = &rs.scope_spans[0];
    json!({
        "resource": json_attrs(&rs.resource.as_ref().unwrap().attributes),
        "scope": ss.scope.as_ref().unwrap().name,
        "schema_url": ss.schema_url,
        "spans": ss.spans.iter().map(|s| {
            let mut o = json!({"name": s.name, "attributes": json_attrs(&s.attributes)});
            if !s.events.is_empty() {
                o["events"] = s.events.iter().map(|e| json!({
                    "name": e.name, "attributes": json_attrs(&e.attributes)})).collect();
            }
            o
        }).collect::<Vec<_>>(),
    })
}

fn logs_of(input: &J) -> ExportLogsServiceRequest {
    let records = input["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| LogRecord {
            event_name: r["event_name"].as_str().unwrap_or("").to_string(),
            attributes: attrs_of(&r["attributes"]),
            ..Default::default()
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(input),
            scope_logs: vec![ScopeLogs {
                scope: scope(input),
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn json_of_logs(req: &ExportLogsServiceRequest) -> J {
    let rl = &req.resource_logs[0];
    let sl = &rl.scope_logs[0];
    json!({
        "resource": json_attrs(&rl.resource.as_ref().unwrap().attributes),
        "scope": sl.scope.as_ref().unwrap().name,
        "schema_url": sl.schema_url,
        "records": sl.log_records.iter().map(|r| json!({
            "event_name": r.event_name, "attributes": json_attrs(&r.attributes)})).collect::<Vec<_>>(),
    })
}

fn metrics_of(input: &J) -> ExportMetricsServiceRequest {
    let metrics = input["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| Metric {
            name: m["name"].as_str().unwrap().to_string(),
            data: Some(Data::Histogram(Histogram {
                data_points: m["points"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| HistogramDataPoint {
                        attributes: attrs_of(p),
                        count: 1,
                        sum: Some(1.0),
                        ..Default::default()
                    })
                    .collect(),
                aggregation_temporality: 2,
            })),
            ..Default::default()
        })
        .collect();
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(input),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(input),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn json_of_metrics(req: &ExportMetricsServiceRequest) -> J {
    let rm = &req.resource_metrics[0];
    let sm = &rm.scope_metrics[0];
    json!({
        "resource": json_attrs(&rm.resource.as_ref().unwrap().attributes),
        "scope": sm.scope.as_ref().unwrap().name,
        "schema_url": sm.schema_url,
        "metrics": sm.metrics.iter().map(|m| {
            let Some(Data::Histogram(h)) = &m.data else { panic!("histogram expected") };
            json!({"name": m.name, "points": h.data_points.iter()
                .map(|p| J::Object(json_attrs(&p.attributes))).collect::<Vec<_>>()})
        }).collect::<Vec<_>>(),
    })
}

// ------------------------------------------------------------------ runner

/// Runs one case through the processor and compares with (or blesses) its file.
fn golden(name: &str, signal: Signal, normalize: J, input: J) {
    let config =
        json!({"normalize": normalize, "cost": {"enabled": false}, "naming": {"enabled": false}});
    let p = Processor::from_json(config.to_string().as_bytes()).expect("config");
    let bytes = match signal {
        Signal::Traces => traces_of(&input).encode_to_vec(),
        Signal::Logs => logs_of(&input).encode_to_vec(),
        Signal::Metrics => metrics_of(&input).encode_to_vec(),
    };
    let outcome = p.process(signal, &bytes).expect("valid batch");
    // Spans and logs are processed on the wire: the reference path must
    // give the same bytes on these canonical encodings, and the same counters.
    let reference = p.process_reference(signal, &bytes).expect("valid batch");
    assert_eq!(
        outcome.output, reference.output,
        "{name}: wire vs reference"
    );
    assert_eq!(
        outcome.stats, reference.stats,
        "{name}: wire vs reference counters"
    );
    let out_bytes = outcome.output.clone().unwrap_or(bytes);
    let output = match signal {
        Signal::Traces => {
            json_of_traces(&ExportTraceServiceRequest::decode(&out_bytes[..]).unwrap())
        }
        Signal::Logs => json_of_logs(&ExportLogsServiceRequest::decode(&out_bytes[..]).unwrap()),
        Signal::Metrics => {
            json_of_metrics(&ExportMetricsServiceRequest::decode(&out_bytes[..]).unwrap())
        }
    };
    let st = outcome.stats;
    let doc = json!({
        "config": {"normalize": normalize},
        "input": input,
        "changed": outcome.output.is_some(),
        "output": output,
        "stats": {
            "items": st.items,
            "attributes_normalized": st.attributes_normalized,
            "values_normalized": st.values_normalized,
            "coercion_failures": st.coercion_failures,
        },
    });
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/golden/normalize",
        &format!("{name}.json"),
    ]
    .iter()
    .collect();
    if std::env::var_os("GENAI_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with GENAI_BLESS=1", path.display()));
    assert!(
        have == text,
        "{name}: output differs from {} (GENAI_BLESS=1 to accept after review)\n{text}",
        path.display()
    );
}

fn defaults() -> J {
    json!({})
}

// --------------------------------------------- older semconv / official

#[test]
fn otel_legacy_spans() {
    golden(
        "otel_legacy_spans",
        Signal::Traces,
        defaults(),
        json!({
            "resource": {"service.name": "support-bot", "deployment.environment.name": "prod",
                         "telemetry.sdk.name": "opentelemetry"},
            "scope": "opentelemetry.instrumentation.openai_v2",
            "spans": [
                {"name": "chat gpt-4o-mini", "attributes": {
                    "gen_ai.system": "openai", "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                    "gen_ai.response.id": "chatcmpl-1", "gen_ai.usage.input_tokens": 21,
                    "gen_ai.usage.output_tokens": 9, "gen_ai.response.finish_reasons": ["stop"],
                    "gen_ai.openai.request.service_tier": "auto",
                    "gen_ai.openai.response.service_tier": "default",
                    "gen_ai.openai.request.seed": 42,
                    "server.address": "api.openai.com", "server.port": 443},
                 "events": [{"name": "gen_ai.choice", "attributes": {"gen_ai.system": "openai"}}]},
                {"name": "chat gpt-4", "attributes": {
                    "gen_ai.system": "az.ai.openai", "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4", "gen_ai.usage.prompt_tokens": 30,
                    "gen_ai.usage.completion_tokens": 12}}
            ]
        }),
    );
}

#[test]
fn otel_legacy_logs() {
    golden(
        "otel_legacy_logs",
        Signal::Logs,
        defaults(),
        json!({
            "resource": {"service.name": "support-bot"},
            "scope": "opentelemetry.instrumentation.openai_v2",
            "records": [
                {"event_name": "gen_ai.user.message", "attributes": {"gen_ai.system": "openai"}},
                {"event_name": "gen_ai.choice", "attributes": {"gen_ai.system": "vertex_ai"}}
            ]
        }),
    );
}

#[test]
fn otel_legacy_metrics() {
    golden(
        "otel_legacy_metrics",
        Signal::Metrics,
        defaults(),
        json!({
            "resource": {"service.name": "support-bot", "deployment.environment.name": "prod"},
            "scope": "opentelemetry.instrumentation.openai_v2",
            "metrics": [
                {"name": "gen_ai.client.token.usage", "points": [
                    {"gen_ai.system": "openai", "gen_ai.operation.name": "chat",
                     "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                     "gen_ai.token.type": "input", "server.address": "api.openai.com"},
                    {"gen_ai.system": "openai", "gen_ai.operation.name": "chat",
                     "gen_ai.request.model": "gpt-4o-mini", "gen_ai.token.type": "completion"}]},
                {"name": "gen_ai.client.operation.duration", "points": [
                    {"gen_ai.system": "gemini", "gen_ai.operation.name": "chat",
                     "gen_ai.request.model": "gemini-1.5-flash", "error.type": "timeout"}]}
            ]
        }),
    );
}

// ---------------------------------------------------------- OpenLIT <= 1.36

#[test]
fn openlit_legacy_spans() {
    golden(
        "openlit_legacy_spans",
        Signal::Traces,
        defaults(),
        json!({
            "resource": {"service.name": "chatbot", "deployment.environment": "staging",
                         "telemetry.sdk.name": "openlit"},
            "scope": "openlit.otel.tracing",
            "spans": [
                {"name": "chat o3-mini", "attributes": {
                    "gen_ai.system": "az.ai.openai", "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "o3-mini", "gen_ai.response.model": "o3-mini",
                    "gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 400,
                    "gen_ai.usage.reasoning_tokens": 320, "gen_ai.usage.total_tokens": 450,
                    "gen_ai.usage.cost": 0.0018, "gen_ai.application_name": "chatbot",
                    "gen_ai.environment": "staging", "gen_ai.request.service_tier": "auto",
                    "gen_ai.response.system_fingerprint": "fp_1", "gen_ai.sdk.version": "1.33.0",
                    "gen_ai.response.finish_reasons": ["stop"]}},
                {"name": "agent research", "attributes": {
                    "gen_ai.system": "crewai", "gen_ai.operation.name": "agent",
                    "gen_ai.agent.name": "researcher"}},
                {"name": "execute_tool search", "attributes": {
                    "gen_ai.system": "langchain", "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "search", "gen_ai.tool.args": "{\"q\": \"otel\"}"}}
            ]
        }),
    );
}

#[test]
fn openlit_legacy_logs() {
    golden(
        "openlit_legacy_logs",
        Signal::Logs,
        defaults(),
        json!({
            "resource": {"service.name": "chatbot", "deployment.environment": "staging"},
            "scope": "openlit.otel.events",
            "records": [
                {"event_name": "gen_ai.choice", "attributes": {"gen_ai.system": "xai"}},
                {"event_name": "gen_ai.user.message", "attributes": {"gen_ai.system": "mistral_ai"}}
            ]
        }),
    );
}

#[test]
fn openlit_legacy_metrics() {
    golden(
        "openlit_legacy_metrics",
        Signal::Metrics,
        defaults(),
        json!({
            "resource": {"telemetry.sdk.name": "openlit"},
            "scope": "openlit.otel.metrics",
            "metrics": [
                {"name": "gen_ai.client.token.usage", "points": [
                    {"gen_ai.application_name": "chatbot", "gen_ai.environment": "staging",
                     "gen_ai.system": "vertex_ai", "gen_ai.operation.name": "chat",
                     "gen_ai.request.model": "gemini-1.5-pro", "gen_ai.token.type": "input",
                     "server.address": "us-central1-aiplatform.googleapis.com", "server.port": 443}]},
                {"name": "gen_ai.usage.cost", "points": [
                    {"gen_ai.application_name": "chatbot", "gen_ai.environment": "staging",
                     "gen_ai.system": "ibm.watson.ai", "gen_ai.operation.name": "chat",
                     "gen_ai.request.model": "granite-13b"}]}
            ]
        }),
    );
}

// ------------------------------------------------------ OpenLLMetry

#[test]
fn openllmetry_spans() {
    golden(
        "openllmetry_spans",
        Signal::Traces,
        defaults(),
        json!({
            "resource": {"service.name": "jokes"},
            "scope": "opentelemetry.instrumentation.openai.v1",
            "spans": [
                {"name": "joke_generator.workflow", "attributes": {
                    "traceloop.span.kind": "workflow", "traceloop.entity.name": "joke_generator",
                    "traceloop.workflow.name": "joke_generator",
                    "traceloop.entity.input": "{\"topic\": \"otel\"}"}},
                {"name": "openai.chat", "attributes": {
                    "llm.request.type": "chat", "gen_ai.system": "OpenAI",
                    "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                    "gen_ai.usage.prompt_tokens": 25, "gen_ai.usage.completion_tokens": "40",
                    "llm.usage.total_tokens": 65, "gen_ai.usage.cache_read_input_tokens": 0,
                    "llm.is_streaming": false, "llm.request.temperature": 0.7, "llm.top_k": 5,
                    "llm.response.finish_reason": "stop", "llm.frequency_penalty": 0,
                    "llm.chat.stop_sequences": ["\n\n"]}},
                {"name": "anthropic.chat", "attributes": {
                    "llm.request.type": "completion", "gen_ai.system": "Anthropic",
                    "llm.request.model": "claude-3-5-sonnet", "llm.usage.prompt_tokens": 1000,
                    "llm.usage.completion_tokens": 200,
                    "gen_ai.usage.cache_creation_input_tokens": 800,
                    "llm.usage.reasoning_tokens": "n/a",
                    "llm.response.stop_reason": "end_turn"}},
                {"name": "bedrock.completion", "attributes": {
                    "llm.request.type": "embedding", "llm.vendor": "AWS",
                    "llm.request.model": "amazon.titan-embed-text-v2"}}
            ]
        }),
    );
}

#[test]
fn openllmetry_logs() {
    golden(
        "openllmetry_logs",
        Signal::Logs,
        defaults(),
        json!({
            "resource": {"service.name": "jokes"},
            "scope": "opentelemetry.instrumentation.openai.v1",
            "records": [
                {"event_name": "gen_ai.choice", "attributes": {"gen_ai.system": "OpenAI"}},
                {"event_name": "gen_ai.user.message", "attributes": {"gen_ai.system": "Google"}}
            ]
        }),
    );
}

#[test]
fn openllmetry_metrics() {
    golden(
        "openllmetry_metrics",
        Signal::Metrics,
        defaults(),
        json!({
            "resource": {"service.name": "jokes"},
            "scope": "opentelemetry.instrumentation.openai.v1",
            "metrics": [
                {"name": "gen_ai.client.token.usage", "points": [
                    {"gen_ai.system": "openai", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                     "gen_ai.token.type": "output", "server.address": "https://api.openai.com/v1/",
                     "stream": false},
                    {"gen_ai.system": "Anthropic", "gen_ai.response.model": "claude-3-5-sonnet-20241022",
                     "gen_ai.request.model": "claude-3-5-sonnet-latest", "gen_ai.token.type": "input"}]},
                {"name": "gen_ai.client.operation.duration", "points": [
                    {"gen_ai.system": "openai", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                     "error.type": "RateLimitError"}]}
            ]
        }),
    );
}

// ---------------------------------------------------- OpenInference

#[test]
fn openinference_spans() {
    golden(
        "openinference_spans",
        Signal::Traces,
        json!({"remove_originals": true}),
        json!({
            "resource": {"service.name": "rag", "openinference.project.name": "default"},
            "scope": "openinference.instrumentation.openai",
            "spans": [
                {"name": "ChatCompletion", "attributes": {
                    "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-2024-08-06",
                    "llm.provider": "openai", "llm.system": "openai",
                    "llm.token_count.prompt": 120, "llm.token_count.completion": 30,
                    "llm.token_count.total": 150, "llm.token_count.prompt_details.cache_read": 64,
                    "llm.token_count.completion_details.reasoning": 0,
                    "llm.cost.total": 0.0006, "llm.invocation_parameters": "{\"temperature\": 0}",
                    "input.value": "hi", "session.id": "s-1",
                    "llm.input_messages.0.message.role": "system",
                    "llm.input_messages.0.message.content": "Be brief.",
                    "llm.input_messages.1.message.role": "user",
                    "llm.input_messages.1.message.content": "hi",
                    "llm.output_messages.0.message.role": "assistant",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "search",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments":
                        "{\"q\": \"x\"}"}},
                {"name": "agent", "attributes": {
                    "openinference.span.kind": "AGENT", "agent.name": "planner"}},
                {"name": "search", "attributes": {
                    "openinference.span.kind": "TOOL", "tool.name": "search",
                    "tool.description": "web search", "tool_call.id": "call_1",
                    "tool_call.function.arguments": "{\"q\":\"x\"}"}},
                {"name": "retrieve", "attributes": {"openinference.span.kind": "RETRIEVER"}},
                {"name": "embed", "attributes": {
                    "openinference.span.kind": "EMBEDDING", "embedding.model_name": "text-embedding-3-small",
                    "llm.token_count.prompt": "8"}},
                {"name": "rerank", "attributes": {
                    "openinference.span.kind": "RERANKER", "reranker.model_name": "rerank-v3.5",
                    "llm.provider": "cohere"}},
                {"name": "azure", "attributes": {
                    "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
                    "llm.provider": "azure", "llm.system": "openai",
                    "llm.token_count.prompt": "many"}}
            ]
        }),
    );
}

#[test]
fn openinference_logs() {
    // OpenInference has no logs of its own; these are records from a logging
    // bridge that copies the span's attributes.
    golden(
        "openinference_logs",
        Signal::Logs,
        defaults(),
        json!({
            "resource": {"service.name": "rag"},
            "scope": "openinference.bridge",
            "records": [
                {"event_name": "llm.call", "attributes": {
                    "openinference.span.kind": "LLM", "llm.model_name": "claude-3-haiku",
                    "llm.provider": "anthropic", "llm.token_count.prompt": 5,
                    "llm.token_count.completion": 7}}
            ]
        }),
    );
}

#[test]
fn openinference_metrics() {
    // Span metrics derived by the spanmetrics connector carry the span
    // attributes chosen as dimensions.
    golden(
        "openinference_metrics",
        Signal::Metrics,
        defaults(),
        json!({
            "resource": {"service.name": "rag"},
            "scope": "spanmetricsconnector",
            "metrics": [
                {"name": "traces.span.metrics.duration", "points": [
                    {"span.name": "ChatCompletion", "openinference.span.kind": "LLM",
                     "llm.model_name": "gpt-4o", "llm.provider": "openai"},
                    {"span.name": "embed", "openinference.span.kind": "EMBEDDING",
                     "embedding.model_name": "text-embedding-3-small", "llm.system": "openai"}]}
            ]
        }),
    );
}

// ----------------------------------------------------- Vercel AI SDK

#[test]
fn vercel_ai_spans() {
    golden(
        "vercel_ai_spans",
        Signal::Traces,
        defaults(),
        json!({
            "resource": {"service.name": "next-app"},
            "scope": "ai",
            "spans": [
                {"name": "ai.generateText", "attributes": {
                    "ai.operationId": "ai.generateText", "operation.name": "ai.generateText summarize",
                    "ai.telemetry.functionId": "summarize", "ai.model.id": "gpt-4o-mini",
                    "ai.model.provider": "openai.chat", "ai.usage.promptTokens": 50,
                    "ai.usage.completionTokens": 20, "ai.response.finishReason": "stop",
                    "ai.settings.maxTokens": 256}},
                {"name": "ai.generateText.doGenerate", "attributes": {
                    "ai.operationId": "ai.generateText.doGenerate",
                    "operation.name": "ai.generateText.doGenerate summarize",
                    "ai.model.id": "gpt-4o-mini", "ai.model.provider": "openai.chat",
                    "ai.usage.promptTokens": 50, "ai.usage.completionTokens": 20,
                    "ai.response.finishReason": "stop", "ai.response.model": "gpt-4o-mini-2024-07-18",
                    "ai.response.id": "chatcmpl-9",
                    "gen_ai.system": "openai.chat", "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.usage.prompt_tokens": 50, "gen_ai.usage.completion_tokens": 20,
                    "gen_ai.response.finish_reasons": ["stop"]}},
                {"name": "ai.streamText", "attributes": {
                    "ai.operationId": "ai.streamText", "ai.model.id": "claude-sonnet-4",
                    "ai.model.provider": "anthropic.messages", "ai.usage.inputTokens": 900,
                    "ai.usage.outputTokens": 100, "ai.usage.totalTokens": 1000,
                    "ai.usage.cachedInputTokens": 512, "ai.usage.reasoningTokens": 40}},
                {"name": "ai.streamText.doStream", "attributes": {
                    "ai.operationId": "ai.streamText.doStream", "ai.model.id": "claude-sonnet-4",
                    "ai.model.provider": "anthropic.messages", "ai.usage.inputTokens": 900,
                    "ai.usage.outputTokens": 100, "ai.usage.totalTokens": 1000,
                    "ai.usage.cachedInputTokens": 512, "ai.usage.reasoningTokens": 40,
                    "gen_ai.system": "anthropic.messages", "gen_ai.request.model": "claude-sonnet-4",
                    "gen_ai.usage.input_tokens": 900, "gen_ai.usage.output_tokens": 100}},
                {"name": "ai.toolCall", "attributes": {
                    "ai.operationId": "ai.toolCall", "ai.toolCall.name": "weather",
                    "ai.toolCall.id": "call_7", "ai.toolCall.args": "{\"city\":\"Oslo\"}"}},
                {"name": "ai.embed.doEmbed", "attributes": {
                    "ai.operationId": "ai.embed.doEmbed", "ai.model.id": "text-embedding-3-small",
                    "ai.model.provider": "openai.embedding", "ai.usage.tokens": 12}}
            ]
        }),
    );
}

#[test]
fn vercel_ai_logs() {
    // The AI SDK emits spans only; records exported from them by a
    // span-to-log pipeline keep the attributes, outer and inner alike.
    golden(
        "vercel_ai_logs",
        Signal::Logs,
        defaults(),
        json!({
            "resource": {"service.name": "next-app"},
            "scope": "ai",
            "records": [
                {"event_name": "ai.generateText", "attributes": {
                    "ai.operationId": "ai.generateText", "ai.model.provider": "openai.responses",
                    "ai.usage.inputTokens": 10, "ai.usage.outputTokens": 5}},
                {"event_name": "ai.generateText.doGenerate", "attributes": {
                    "ai.operationId": "ai.generateText.doGenerate", "ai.model.provider": "openai.responses",
                    "ai.usage.inputTokens": 10, "ai.usage.outputTokens": 5}}
            ]
        }),
    );
}

#[test]
fn vercel_ai_metrics() {
    golden(
        "vercel_ai_metrics",
        Signal::Metrics,
        defaults(),
        json!({
            "resource": {"service.name": "next-app"},
            "scope": "spanmetricsconnector",
            "metrics": [
                {"name": "traces.span.metrics.calls", "points": [
                    {"span.name": "ai.generateText.doGenerate", "ai.operationId": "ai.generateText.doGenerate",
                     "ai.model.id": "gpt-4o-mini", "ai.model.provider": "openai.chat"},
                    {"span.name": "ai.generateText", "ai.operationId": "ai.generateText",
                     "ai.model.id": "gpt-4o-mini", "ai.model.provider": "openai.chat"}]}
            ]
        }),
    );
}

// ---------------------------------------------------------- Langfuse

#[test]
fn langfuse_spans() {
    golden(
        "langfuse_spans",
        Signal::Traces,
        defaults(),
        json!({
            "resource": {"service.name": "assistant"},
            "scope": "langfuse-sdk",
            "spans": [
                {"name": "generate-answer", "attributes": {
                    "langfuse.observation.type": "generation",
                    "langfuse.observation.model.name": "gpt-4o",
                    "langfuse.observation.usage_details":
                        "{\"input\": 100, \"output\": 50, \"total\": 150, \"input_cached_tokens\": 20}",
                    "langfuse.observation.cost_details":
                        "{\"input\": 0.00025, \"output\": 0.0005, \"total\": 0.00075}",
                    "langfuse.environment": "production", "langfuse.session.id": "sess-42",
                    "langfuse.observation.model.parameters": "{\"temperature\": 0.2}"}},
                {"name": "handle-request", "attributes": {
                    "langfuse.observation.type": "span", "langfuse.environment": "production"}},
                {"name": "broken-usage", "attributes": {
                    "langfuse.observation.type": "generation",
                    "langfuse.observation.usage_details": "input=3"}}
            ]
        }),
    );
}

#[test]
fn langfuse_logs() {
    golden(
        "langfuse_logs",
        Signal::Logs,
        defaults(),
        json!({
            "resource": {"service.name": "assistant", "langfuse.environment": "production"},
            "scope": "langfuse-bridge",
            "records": [
                {"event_name": "generation", "attributes": {
                    "langfuse.observation.model.name": "claude-3-5-haiku",
                    "langfuse.observation.usage_details": "{\"input\": 7, \"output\": 3}"}}
            ]
        }),
    );
}

#[test]
fn langfuse_metrics() {
    golden(
        "langfuse_metrics",
        Signal::Metrics,
        defaults(),
        json!({
            "resource": {"service.name": "assistant"},
            "scope": "spanmetricsconnector",
            "metrics": [
                {"name": "traces.span.metrics.calls", "points": [
                    {"langfuse.observation.type": "generation",
                     "langfuse.observation.model.name": "gpt-4o", "langfuse.environment": "production"}]}
            ]
        }),
    );
}

// ------------------------------------------------ mixed and options

#[test]
fn mixed_sources_spans() {
    golden(
        "mixed_sources_spans",
        Signal::Traces,
        defaults(),
        json!({
            "resource": {"service.name": "gateway", "deployment.environment.name": "prod"},
            "scope": "mixed",
            "spans": [
                {"name": "oi", "attributes": {"openinference.span.kind": "LLM",
                    "llm.model_name": "gpt-4o", "llm.token_count.prompt": 1}},
                {"name": "tl", "attributes": {"llm.request.type": "chat",
                    "gen_ai.system": "OpenAI", "llm.usage.prompt_tokens": 2}},
                {"name": "vc", "attributes": {"ai.operationId": "ai.generateText.doGenerate",
                    "ai.usage.inputTokens": 3, "ai.model.provider": "xai.chat"}},
                {"name": "lf", "attributes": {"langfuse.observation.model.name": "gpt-4o",
                    "langfuse.observation.usage_details": "{\"input\": 4}"}},
                {"name": "ol", "attributes": {"gen_ai.system": "az.ai.inference",
                    "gen_ai.usage.reasoning_tokens": 5}},
                {"name": "canonical", "attributes": {"gen_ai.provider.name": "openai",
                    "gen_ai.usage.input_tokens": 6}}
            ]
        }),
    );
}

#[test]
fn options_overwrite_remove_custom_spans() {
    golden(
        "options_overwrite_remove_custom_spans",
        Signal::Traces,
        json!({
            "overwrite": true,
            "remove_originals": true,
            "environment": "name",
            "sources": {"openlit_legacy": false},
            "custom_sources": [
                {"name": "gateway", "position": "before",
                 "attributes": {"x-gateway.model": "gen_ai.request.model",
                                "x-gateway.tokens.in": "gen_ai.usage.input_tokens"},
                 "values": {"gen_ai.provider.name": {"internal-llm": "openai"}}}
            ]
        }),
        json!({
            "resource": {"service.name": "gateway", "deployment.environment": "dev"},
            "scope": "gateway",
            "spans": [
                {"name": "call", "attributes": {
                    "gen_ai.request.model": "old", "llm.request.model": "gpt-4o",
                    "x-gateway.model": "gpt-4o-2024-08-06", "x-gateway.tokens.in": "11",
                    "gen_ai.provider.name": "internal-llm",
                    "gen_ai.usage.reasoning_tokens": 3}}
            ]
        }),
    );
}

//! The reference workloads of the performance work (issue #6), generated
//! deterministically so benchmarks and tests see the same bytes every run.
//!
//! 1. GenAI metrics: OpenLIT-shaped histograms (operation duration, token
//!    usage, time to first token, cost) over services, models and providers.
//! 2. GenAI spans: LLM-call spans with about 25 attributes, mixed sources
//!    (OpenLIT, OpenLLMetry, OpenInference, older semconv).
//! 3. GenAI log records (events).
//! 4. Non-GenAI traffic: HTTP server spans, runtime metrics, application logs.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};

use super::*;

const SERVICES: [&str; 4] = ["chatbot", "search", "summarizer", "agent"];
const ENVIRONMENTS: [&str; 2] = ["production", "staging"];
/// (provider as the instrumentation spells it, model)
const MODELS: [(&str, &str); 6] = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("gcp.gemini", "gemini-1.5-pro"),
    ("aws.bedrock", "anthropic.claude-3-haiku-20240307-v1:0"),
    ("mistral_ai", "mistral-large-latest"),
];

fn resource_attrs(i: usize) -> Vec<KeyValue> {
    vec![
        kv("service.name", SERVICES[i % SERVICES.len()]),
        kv(
            "deployment.environment",
            ENVIRONMENTS[i % ENVIRONMENTS.len()],
        ),
        kv("telemetry.sdk.name", "openlit"),
        kv("telemetry.sdk.language", "python"),
        kv("telemetry.sdk.version", "1.38.0"),
    ]
}

/// A small deterministic generator (xorshift) so workloads need no crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
}

/// Workload 1: `points` histogram data points over 4 metrics.
pub fn genai_metrics(points: usize) -> ExportMetricsServiceRequest {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let per_resource = 50;
    let mut resource_metrics = Vec::new();
    let mut made = 0;
    let mut r = 0;
    while made < points {
        let n = per_resource.min(points - made);
        let mut dur = Vec::new();
        let mut tok = Vec::new();
        let mut ttft = Vec::new();
        let mut cost = Vec::new();
        for i in 0..n {
            let (provider, model) = MODELS[(r + i) % MODELS.len()];
            let base = vec![
                kv("gen_ai.provider.name", provider),
                kv("gen_ai.operation.name", "chat"),
                kv("gen_ai.request.model", model),
                kv("gen_ai.response.model", model),
                kv("server.address", "api.example.com"),
                kv("server.port", 443i64),
            ];
            let count = 1 + rng.below(100) as u64;
            match i % 4 {
                0 => dur.push(hist_point(base, count as f64 * 1.3, count)),
                1 => {
                    let mut a = base;
                    a.push(kv(
                        "gen_ai.token.type",
                        if rng.below(2) == 0 { "input" } else { "output" },
                    ));
                    tok.push(hist_point(a, (count * 350) as f64, count));
                }
                2 => ttft.push(hist_point(base, count as f64 * 0.2, count)),
                _ => cost.push(hist_point(base, count as f64 * 0.0021, count)),
            }
        }
        made += n;
        resource_metrics.push(ResourceMetrics {
            resource: resource(resource_attrs(r)),
            scope_metrics: vec![ScopeMetrics {
                scope: scope("openlit.otel.metrics"),
                metrics: vec![
                    histogram("gen_ai.client.operation.duration", "s", dur),
                    histogram("gen_ai.client.token.usage", "{token}", tok),
                    histogram("gen_ai.server.time_to_first_token", "s", ttft),
                    histogram("gen_ai.usage.cost", "USD", cost),
                ],
                ..Default::default()
            }],
            ..Default::default()
        });
        r += 1;
    }
    ExportMetricsServiceRequest { resource_metrics }
}

/// One LLM-call span's attributes in the dialect of source `s` (0..4).
fn llm_attrs(s: usize, provider: &str, model: &str, rng: &mut Rng) -> Vec<KeyValue> {
    let input = 100 + rng.below(4000);
    let output = 10 + rng.below(800);
    let mut a = match s {
        // OpenLIT, current conventions
        0 => vec![
            kv("gen_ai.provider.name", provider),
            kv("gen_ai.operation.name", "chat"),
            kv("gen_ai.request.model", model),
            kv("gen_ai.response.model", model),
            kv("gen_ai.usage.input_tokens", input),
            kv("gen_ai.usage.output_tokens", output),
            kv("gen_ai.usage.total_tokens", input + output),
            kv("gen_ai.request.temperature", 0.7),
            kv("gen_ai.request.max_tokens", 1024i64),
            kv("gen_ai.response.id", "chatcmpl-123"),
            kv("gen_ai.response.finish_reasons", "stop"),
        ],
        // OpenLLMetry / Traceloop
        1 => vec![
            kv("gen_ai.system", provider),
            kv("llm.request.type", "chat"),
            kv("gen_ai.request.model", model),
            kv("gen_ai.response.model", model),
            kv("llm.usage.prompt_tokens", input),
            kv("llm.usage.completion_tokens", output),
            kv("llm.usage.total_tokens", input + output),
            kv("llm.request.temperature", 0.7),
            kv("traceloop.span.kind", "task"),
            kv("traceloop.entity.name", "answer"),
            kv("llm.response.finish_reason", "stop"),
        ],
        // OpenInference
        2 => vec![
            kv("openinference.span.kind", "LLM"),
            kv("llm.provider", provider),
            kv("llm.system", provider),
            kv("llm.model_name", model),
            kv("llm.token_count.prompt", input),
            kv("llm.token_count.completion", output),
            kv("llm.token_count.total", input + output),
            kv("llm.invocation_parameters", "{\"temperature\":0.7}"),
            kv("session.id", "sess-42"),
            kv("input.mime_type", "application/json"),
            kv("output.mime_type", "application/json"),
        ],
        // Older semconv (official instrumentation without the opt-in)
        _ => vec![
            kv("gen_ai.system", provider),
            kv("gen_ai.operation.name", "chat"),
            kv("gen_ai.request.model", model),
            kv("gen_ai.response.model", model),
            kv("gen_ai.usage.prompt_tokens", input),
            kv("gen_ai.usage.completion_tokens", output),
            kv("gen_ai.request.temperature", 0.7),
            kv("gen_ai.request.top_p", 1.0),
            kv("gen_ai.response.id", "chatcmpl-123"),
            kv("gen_ai.response.finish_reasons", "stop"),
            kv("gen_ai.openai.request.seed", 7i64),
        ],
    };
    // Attributes every instrumentation adds besides the GenAI ones.
    a.extend([
        kv("server.address", "api.example.com"),
        kv("server.port", 443i64),
        kv("http.request.method", "POST"),
        kv("http.response.status_code", 200i64),
        kv("url.full", "https://api.example.com/v1/chat/completions"),
        kv("user.id", "u-1234"),
        kv("thread.id", 140234i64),
        kv("thread.name", "MainThread"),
        kv("code.function.name", "generate"),
        kv("code.file.path", "/app/bot/answer.py"),
        kv("code.line.number", 42i64),
        kv("deployment.region", "eu-west-1"),
        kv("app.request.id", "req-5f2a"),
        kv("app.tenant", "acme"),
    ]);
    a
}

/// Workload 2: `n` LLM-call spans, mixed sources, about 25 attributes each.
pub fn genai_spans(n: usize) -> ExportTraceServiceRequest {
    let mut rng = Rng(0x2545f4914f6cdd1d);
    let per_resource = 100;
    let resource_spans = (0..n.div_ceil(per_resource))
        .map(|r| {
            let count = per_resource.min(n - r * per_resource);
            let spans = (0..count)
                .map(|i| {
                    let (provider, model) = MODELS[(r + i) % MODELS.len()];
                    span(
                        &format!("chat {model}"),
                        llm_attrs(i % 4, provider, model, &mut rng),
                    )
                })
                .collect();
            ResourceSpans {
                resource: resource(resource_attrs(r)),
                scope_spans: vec![ScopeSpans {
                    scope: scope("openlit.otel.tracing"),
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

/// Workload 3: `n` GenAI log records (events) carrying usage attributes.
pub fn genai_logs(n: usize) -> ExportLogsServiceRequest {
    let mut rng = Rng(0x853c49e6748fea9b);
    let per_resource = 100;
    let resource_logs = (0..n.div_ceil(per_resource))
        .map(|r| {
            let count = per_resource.min(n - r * per_resource);
            let log_records = (0..count)
                .map(|i| {
                    let (provider, model) = MODELS[(r + i) % MODELS.len()];
                    let mut attrs = llm_attrs(i % 4, provider, model, &mut rng);
                    attrs.truncate(11);
                    attrs.push(kv(
                        "event.name",
                        "gen_ai.client.inference.operation.details",
                    ));
                    log("gen_ai.client.inference.operation.details", attrs)
                })
                .collect();
            ResourceLogs {
                resource: resource(resource_attrs(r)),
                scope_logs: vec![ScopeLogs {
                    scope: scope("openlit.otel.events"),
                    log_records,
                    ..Default::default()
                }],
                ..Default::default()
            }
        })
        .collect();
    ExportLogsServiceRequest { resource_logs }
}

fn plain_resource(r: usize) -> Vec<KeyValue> {
    vec![
        kv("service.name", SERVICES[r % SERVICES.len()]),
        kv(
            "deployment.environment.name",
            ENVIRONMENTS[r % ENVIRONMENTS.len()],
        ),
        kv("telemetry.sdk.name", "opentelemetry"),
        kv("host.name", "node-7"),
    ]
}

/// Workload 4: non-GenAI traffic of each signal, `n` items each.
pub fn plain_workload(
    n: usize,
) -> (
    ExportTraceServiceRequest,
    ExportMetricsServiceRequest,
    ExportLogsServiceRequest,
) {
    let mut rng = Rng(0xda942042e4dd58b5);
    let spans = (0..n)
        .map(|i| {
            span(
                "GET /api/items/{id}",
                vec![
                    kv("http.request.method", "GET"),
                    kv("http.route", "/api/items/{id}"),
                    kv(
                        "http.response.status_code",
                        200i64 + 100 * (i % 4 == 0) as i64,
                    ),
                    kv(
                        "url.path",
                        format!("/api/items/{}", rng.below(1000)).as_str(),
                    ),
                    kv("server.address", "shop.example.com"),
                    kv("network.protocol.version", "1.1"),
                    kv("user_agent.original", "Mozilla/5.0"),
                ],
            )
        })
        .collect();
    let points = (0..n)
        .map(|i| {
            hist_point(
                vec![
                    kv("http.request.method", "GET"),
                    kv("http.route", format!("/api/r{}", i % 20).as_str()),
                    kv("http.response.status_code", 200i64),
                ],
                rng.below(1000) as f64 / 100.0,
                1 + rng.below(50) as u64,
            )
        })
        .collect();
    let records = (0..n)
        .map(|i| {
            log(
                &format!("request {i} served"),
                vec![kv("code.function.name", "serve")],
            )
        })
        .collect();
    (
        traces(plain_resource(0), spans),
        metrics(
            plain_resource(1),
            vec![histogram("http.server.request.duration", "s", points)],
        ),
        logs(plain_resource(2), records),
    )
}

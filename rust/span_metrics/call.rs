//! One model call read from a normalized, priced span: whether the span is
//! a call at all, the attributes its metrics carry, and what it measured.
//!
//! The rule that counts each model call once: a span is a call when its
//! (normalized) `gen_ai.operation.name` is an operation that calls a model
//! and it names a model. Wrapper spans name no such operation: the Vercel
//! AI SDK's outer `ai.generateText` / `ai.streamText` spans get no
//! operation from normalization (only the inner `doGenerate` / `doStream`
//! do), OpenInference's chain, agent, tool and retriever spans and
//! OpenLLMetry's workflow and task spans become `invoke_agent`,
//! `execute_tool`, `retrieval` or `invoke_workflow`. A span without an
//! operation counts when it carries a model and token usage (older
//! sources). docs/connector.md has the rule with each source's spans.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

use crate::wire::span_reader::SpanView;

use crate::attrs;
use crate::semconv::{
    COST, INPUT_TOKENS, OPERATION, OUTPUT_TOKENS, PROVIDER, REQUEST_MODEL, RESPONSE_MODEL,
};

/// Operations that are not a call to a model.
const NOT_MODEL_CALLS: &[&str] = &[
    "invoke_agent",
    "create_agent",
    "execute_tool",
    "invoke_workflow",
    "retrieval",
];

/// The built-in point attributes, in the order series keys hold them.
pub const POINT_KEYS: &[&str] = &[
    OPERATION,
    PROVIDER,
    REQUEST_MODEL,
    RESPONSE_MODEL,
    "server.address",
    "error.type",
    "http.response.status_code",
];
/// Index of `error.type` in [`POINT_KEYS`].
const ERROR_TYPE: usize = 5;
/// Index of `http.response.status_code` in [`POINT_KEYS`].
const HTTP_STATUS: usize = 6;
/// `error.type` of a failed call whose span names no type (the semantic
/// conventions' fallback value).
pub const OTHER_ERROR: &str = "_OTHER";

/// Time to first token, where each source states it on the span: an
/// attribute (key, seconds per unit) or an event.
const TTFT_ATTRIBUTES: &[(&str, f64)] = &[
    // OpenLIT, and the canonical name the metric has.
    ("gen_ai.server.time_to_first_token", 1.0),
    // Vercel AI SDK doStream spans, in milliseconds.
    ("ai.response.msToFirstChunk", 0.001),
];
/// Span events whose time is the first token's (OpenInference).
const TTFT_EVENTS: &[&str] = &["First Token Stream Event"];
/// The event whose `exception.type` names a failure.
const EXCEPTION_EVENT: &str = "exception";

/// Span attributes the rule and the measures read besides the GenAI keys
/// the stages read (older `http.status_code` included).
pub const READ_KEYS: &[&str] = &[
    "server.address",
    "error.type",
    "http.response.status_code",
    "http.status_code",
    "ai.response.msToFirstChunk",
    EXCEPTION_TYPE,
];
/// The attribute of an `exception` event naming the failure.
const EXCEPTION_TYPE: &str = "exception.type";

/// Whether a span event matters to a call (a failure's type, a first
/// token's time).
pub fn reads_event(name: &str) -> bool {
    name == EXCEPTION_EVENT || TTFT_EVENTS.contains(&name)
}

/// What one model call measured, and the attribute values of its series.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Values of [`POINT_KEYS`] then of the configured dimensions.
    pub dims: Vec<Option<Value>>,
    pub duration_s: f64,
    pub input_tokens: Option<f64>,
    pub output_tokens: Option<f64>,
    pub ttft_s: Option<f64>,
    pub cost_usd: Option<f64>,
}

impl Call {
    /// Whether the call failed (it has an `error.type`).
    pub fn failed(&self) -> bool {
        self.dims[ERROR_TYPE].is_some()
    }
}

/// Whether a normalized span is one model call (module docs).
pub fn is_model_call(attrs: &[KeyValue]) -> bool {
    let has_model = has_value(attrs, REQUEST_MODEL) || has_value(attrs, RESPONSE_MODEL);
    match attrs::get_str(attrs, OPERATION) {
        Some(op) => has_model && !NOT_MODEL_CALLS.contains(&op),
        None => {
            has_model
                && (attrs::get(attrs, INPUT_TOKENS).is_some()
                    || attrs::get(attrs, OUTPUT_TOKENS).is_some())
        }
    }
}

fn has_value(attrs: &[KeyValue], key: &str) -> bool {
    matches!(attrs::get(attrs, key), Some(Value::StringValue(s)) if !s.is_empty())
}

/// Reads the call of a span [`is_model_call`] accepted.
pub fn read(span: &SpanView, extra_dims: &[String]) -> Call {
    let a = &span.attributes;
    let mut dims: Vec<Option<Value>> = POINT_KEYS
        .iter()
        .copied()
        .chain(extra_dims.iter().map(String::as_str))
        .map(|k| dim_value(a, k))
        .collect();
    if dims[HTTP_STATUS].is_none() {
        dims[HTTP_STATUS] = dim_value(a, "http.status_code");
    }
    let failed = span.status_code == StatusCode::Error as i32 || dims[ERROR_TYPE].is_some();
    if failed && dims[ERROR_TYPE].is_none() {
        dims[ERROR_TYPE] = Some(Value::StringValue(exception_type(span)));
    }
    let duration_ns = span
        .end_time_unix_nano
        .saturating_sub(span.start_time_unix_nano);
    Call {
        dims,
        duration_s: duration_ns as f64 / 1e9,
        input_tokens: count(a, INPUT_TOKENS),
        output_tokens: count(a, OUTPUT_TOKENS),
        ttft_s: time_to_first_token(span),
        cost_usd: count(a, COST),
    }
}

/// A dimension's value: strings, integers and booleans as they are; other
/// types (doubles, arrays, maps, bytes) are no series identity and left out.
pub fn dim_value(attrs: &[KeyValue], key: &str) -> Option<Value> {
    match attrs::get(attrs, key)? {
        v @ (Value::StringValue(_) | Value::IntValue(_) | Value::BoolValue(_)) => Some(v.clone()),
        _ => None,
    }
}

/// The type of the span's first `exception` event, or `_OTHER`.
fn exception_type(span: &SpanView) -> String {
    span.events
        .iter()
        .filter(|e| e.name == EXCEPTION_EVENT)
        .find_map(|e| attrs::get_str(&e.attributes, EXCEPTION_TYPE))
        .filter(|t| !t.is_empty())
        .unwrap_or(OTHER_ERROR)
        .to_string()
}

/// A finite, non-negative number, or nothing.
fn count(attrs: &[KeyValue], key: &str) -> Option<f64> {
    let n = attrs::get_number(attrs, key).ok()??.as_f64();
    (n.is_finite() && n >= 0.0).then_some(n)
}

fn time_to_first_token(span: &SpanView) -> Option<f64> {
    for (key, scale) in TTFT_ATTRIBUTES {
        if let Some(v) = count(&span.attributes, key) {
            return Some(v * scale);
        }
    }
    let event = span
        .events
        .iter()
        .find(|e| TTFT_EVENTS.contains(&e.name.as_str()))?;
    let after = event
        .time_unix_nano
        .checked_sub(span.start_time_unix_nano)?;
    Some(after as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{kv, string};
    use crate::wire::span_reader::EventView;

    fn span(attributes: Vec<KeyValue>) -> SpanView {
        SpanView {
            attributes,
            start_time_unix_nano: 1_000_000_000,
            end_time_unix_nano: 3_500_000_000,
            ..Default::default()
        }
    }

    #[test]
    fn wrappers_agents_and_tools_are_not_calls() {
        let model = || kv(REQUEST_MODEL, string("gpt-4o"));
        assert!(is_model_call(&[kv(OPERATION, string("chat")), model()]));
        assert!(is_model_call(&[
            kv(OPERATION, string("embeddings")),
            model()
        ]));
        for op in NOT_MODEL_CALLS {
            assert!(
                !is_model_call(&[kv(OPERATION, string(*op)), model()]),
                "{op}"
            );
        }
        // Vercel's outer span after normalization: a model, no operation, no usage.
        assert!(!is_model_call(&[model()]));
        assert!(is_model_call(&[
            model(),
            kv(INPUT_TOKENS, Value::IntValue(3))
        ]));
        assert!(!is_model_call(&[kv(OPERATION, string("chat"))]));
        assert!(!is_model_call(&[
            kv(OPERATION, string("chat")),
            kv(REQUEST_MODEL, string(""))
        ]));
    }

    #[test]
    fn a_call_reads_its_measures_and_attributes() {
        let s = span(vec![
            kv(OPERATION, string("chat")),
            kv(PROVIDER, string("openai")),
            kv(REQUEST_MODEL, string("gpt-4o")),
            kv(INPUT_TOKENS, Value::IntValue(100)),
            kv(OUTPUT_TOKENS, string("50")),
            kv(COST, Value::DoubleValue(0.00075)),
            kv("ai.response.msToFirstChunk", Value::DoubleValue(250.0)),
            kv("http.status_code", Value::IntValue(200)),
            kv("team", string("search")),
        ]);
        let c = read(&s, &["team".to_string()]);
        assert_eq!(c.duration_s, 2.5);
        assert_eq!((c.input_tokens, c.output_tokens), (Some(100.0), Some(50.0)));
        assert_eq!(c.cost_usd, Some(0.00075));
        assert_eq!(c.ttft_s, Some(0.25));
        assert_eq!(c.dims.len(), POINT_KEYS.len() + 1);
        assert_eq!(c.dims[HTTP_STATUS], Some(Value::IntValue(200)));
        assert_eq!(c.dims[ERROR_TYPE], None);
        assert_eq!(c.dims[POINT_KEYS.len()], Some(string("search")));
    }

    #[test]
    fn a_failed_call_has_an_error_type() {
        let mut s = span(vec![
            kv(OPERATION, string("chat")),
            kv(REQUEST_MODEL, string("m")),
        ]);
        s.status_code = StatusCode::Error as i32;
        assert_eq!(read(&s, &[]).dims[ERROR_TYPE], Some(string(OTHER_ERROR)));
        s.events.push(EventView {
            name: "exception".into(),
            attributes: vec![kv("exception.type", string("RateLimitError"))],
            ..Default::default()
        });
        assert_eq!(
            read(&s, &[]).dims[ERROR_TYPE],
            Some(string("RateLimitError"))
        );
        s.attributes.push(kv("error.type", string("429")));
        assert_eq!(read(&s, &[]).dims[ERROR_TYPE], Some(string("429")));
    }

    #[test]
    fn time_to_first_token_from_an_event() {
        let mut s = span(vec![]);
        s.events.push(EventView {
            name: TTFT_EVENTS[0].into(),
            time_unix_nano: 1_400_000_000,
            ..Default::default()
        });
        assert_eq!(time_to_first_token(&s), Some(0.4));
    }

    #[test]
    fn negative_and_non_finite_measures_are_dropped() {
        let s = span(vec![
            kv(INPUT_TOKENS, Value::IntValue(-1)),
            kv(OUTPUT_TOKENS, Value::DoubleValue(f64::NAN)),
            kv(COST, string("lots")),
        ]);
        let c = read(&s, &[]);
        assert_eq!(
            (c.input_tokens, c.output_tokens, c.cost_usd),
            (None, None, None)
        );
    }
}

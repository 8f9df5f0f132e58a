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

use std::borrow::Cow;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

use crate::wire::span_reader::{Facts, SpanView};

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

/// The built-in point attributes, in the order series keys hold them: the
/// first [`KNOWN`] keys.
pub const POINT_KEYS: &[&str] = KNOWN.split_at(7).0;
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
/// Span attributes the measures come from.
pub const MEASURE_KEYS: &[&str] = &[
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    COST,
    TTFT_ATTRIBUTES[0].0,
    TTFT_ATTRIBUTES[1].0,
];
/// The attribute of an `exception` event naming the failure.
const EXCEPTION_TYPE: &str = "exception.type";

/// Whether a span event matters to a call (a failure's type, a first
/// token's time).
pub fn reads_event(name: &str) -> bool {
    name == EXCEPTION_EVENT || TTFT_EVENTS.contains(&name)
}

/// A span as the rule reads it: its normalized attributes, in one list or
/// two (the processor's walk keeps the attributes its stages read apart
/// from the others the rule reads), its times, status and kept events.
#[derive(Debug, Clone, Copy)]
pub struct SpanRef<'a> {
    pub attributes: &'a [KeyValue],
    pub more: &'a [KeyValue],
    /// Times, status and kept events.
    pub facts: &'a Facts,
    /// The values of the [`KNOWN`] keys, found in one pass over both lists
    /// (a span carries tens of attributes, and the rule reads a dozen).
    known: [Option<&'a Value>; KNOWN.len()],
}

/// The attributes the rule reads on every span, in slot order: the
/// [`POINT_KEYS`] first, in their order.
const KNOWN: [&str; 13] = [
    OPERATION,
    PROVIDER,
    REQUEST_MODEL,
    RESPONSE_MODEL,
    "server.address",
    "error.type",
    "http.response.status_code",
    "http.status_code",
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    COST,
    "gen_ai.server.time_to_first_token",
    "ai.response.msToFirstChunk",
];

/// Slots in [`KNOWN`] the rule reads by name.
const K_OPERATION: usize = 0;
const K_REQUEST_MODEL: usize = 2;
const K_RESPONSE_MODEL: usize = 3;
const K_HTTP_STATUS_OLD: usize = 7;
const K_INPUT_TOKENS: usize = 8;
const K_OUTPUT_TOKENS: usize = 9;
const K_COST: usize = 10;

/// The slots of the [`KNOWN`] keys by key length (at most three per
/// length; `u8::MAX`: none), so that finding a key's slot costs a lookup
/// and at most a comparison or two.
const BY_LEN: [[u8; 3]; 64] = by_len();

const fn by_len() -> [[u8; 3]; 64] {
    let mut table = [[u8::MAX; 3]; 64];
    let mut i = 0;
    while i < KNOWN.len() {
        let row = &mut table[KNOWN[i].len()];
        let mut j = 0;
        while row[j] != u8::MAX {
            j += 1;
        }
        row[j] = i as u8;
        i += 1;
    }
    table
}

/// The slot of a [`KNOWN`] key.
fn slot(key: &str) -> Option<usize> {
    let row = BY_LEN.get(key.len())?;
    let last = *key.as_bytes().last()?;
    row.iter()
        .take_while(|&&i| i != u8::MAX)
        .map(|&i| i as usize)
        // The last byte first: keys of one length mostly differ there.
        .find(|&i| KNOWN[i].as_bytes()[key.len() - 1] == last && KNOWN[i] == key)
}

impl<'a> SpanRef<'a> {
    /// A span with its attributes in `attributes`, then `more`.
    pub fn new(attributes: &'a [KeyValue], more: &'a [KeyValue], facts: &'a Facts) -> Self {
        let mut known = [None; KNOWN.len()];
        // The first attribute of a key counts, as for `attrs::get`.
        let mut seen = 0u32;
        for kv in attributes.iter().chain(more) {
            // Placeholders (attributes no stage decoded) have no key.
            if kv.key.is_empty() {
                continue;
            }
            if let Some(i) = slot(&kv.key) {
                if seen & (1 << i) == 0 {
                    seen |= 1 << i;
                    known[i] = kv.value.as_ref().and_then(|v| v.value.as_ref());
                }
            }
        }
        Self {
            attributes,
            more,
            facts,
            known,
        }
    }

    /// The span as its reader kept it.
    pub fn of(view: &'a SpanView) -> Self {
        Self::new(&view.attributes, &[], &view.facts)
    }

    /// The value of the [`KNOWN`] key in slot `i`.
    fn known(&self, i: usize) -> Option<&'a Value> {
        self.known[i]
    }

    /// The first attribute named `key`, from either list.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        match slot(key) {
            Some(i) => self.known[i],
            None => attrs::get(self.attributes, key).or_else(|| attrs::get(self.more, key)),
        }
    }
}

/// What one model call measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    pub duration_s: f64,
    pub input_tokens: Option<f64>,
    pub output_tokens: Option<f64>,
    pub ttft_s: Option<f64>,
    pub cost_usd: Option<f64>,
    /// The call failed (its status is an error, or it has an `error.type`).
    pub failed: bool,
}

/// Whether a normalized span is one model call (module docs).
pub fn is_model_call(span: &SpanRef) -> bool {
    let has_model = has_value(span, K_REQUEST_MODEL) || has_value(span, K_RESPONSE_MODEL);
    match span.known(K_OPERATION) {
        Some(Value::StringValue(op)) => has_model && !NOT_MODEL_CALLS.contains(&op.as_str()),
        _ => {
            has_model
                && (span.known(K_INPUT_TOKENS).is_some() || span.known(K_OUTPUT_TOKENS).is_some())
        }
    }
}

fn has_value(span: &SpanRef, slot: usize) -> bool {
    matches!(span.known(slot), Some(Value::StringValue(s)) if !s.is_empty())
}

/// The values of a call's point attributes: [`POINT_KEYS`], then
/// `extra_dims`. A failed call without an `error.type` gets its exception's
/// type, or `_OTHER`.
pub fn dims<'a>(span: &SpanRef<'a>, extra_dims: &[String]) -> Vec<Option<Cow<'a, Value>>> {
    let mut dims: Vec<Option<Cow<'a, Value>>> = (0..POINT_KEYS.len())
        .map(|i| span.known(i))
        .chain(extra_dims.iter().map(|k| span.get(k)))
        .map(|v| v.filter(|v| is_dim(v)).map(Cow::Borrowed))
        .collect();
    if dims[HTTP_STATUS].is_none() {
        dims[HTTP_STATUS] = span
            .known(K_HTTP_STATUS_OLD)
            .filter(|v| is_dim(v))
            .map(Cow::Borrowed);
    }
    if span.facts.status_code == StatusCode::Error as i32 && dims[ERROR_TYPE].is_none() {
        dims[ERROR_TYPE] = Some(Cow::Owned(Value::StringValue(exception_type(span))));
    }
    dims
}

/// Hands the values [`dims`] gives to `f`, in order, without collecting them.
pub fn each_dim<'a>(span: &SpanRef<'a>, extra_dims: &[String], mut f: impl FnMut(Option<&Value>)) {
    for i in 0..POINT_KEYS.len() {
        let mut v = span.known(i).filter(|v| is_dim(v));
        if i == HTTP_STATUS && v.is_none() {
            v = span.known(K_HTTP_STATUS_OLD).filter(|v| is_dim(v));
        }
        if i == ERROR_TYPE && v.is_none() && span.facts.status_code == StatusCode::Error as i32 {
            f(Some(&Value::StringValue(exception_type(span))));
            continue;
        }
        f(v);
    }
    for k in extra_dims {
        f(span.get(k).filter(|v| is_dim(v)));
    }
}

/// What a call [`is_model_call`] accepted measured.
pub fn measures(span: &SpanRef) -> Measures {
    let duration_ns = span
        .facts
        .end_time_unix_nano
        .saturating_sub(span.facts.start_time_unix_nano);
    Measures {
        duration_s: duration_ns as f64 / 1e9,
        input_tokens: number(span.known(K_INPUT_TOKENS)),
        output_tokens: number(span.known(K_OUTPUT_TOKENS)),
        ttft_s: time_to_first_token(span),
        cost_usd: number(span.known(K_COST)),
        failed: span.facts.status_code == StatusCode::Error as i32
            || span.known(ERROR_TYPE).is_some_and(is_dim),
    }
}

/// Whether an attribute value can be a dimension: strings, integers and
/// booleans are; other types (doubles, arrays, maps, bytes) are no series
/// identity and left out.
pub fn is_dim(v: &Value) -> bool {
    matches!(
        v,
        Value::StringValue(_) | Value::IntValue(_) | Value::BoolValue(_)
    )
}

/// The type of the span's first `exception` event, or `_OTHER`.
fn exception_type(span: &SpanRef) -> String {
    span.facts
        .events
        .iter()
        .filter(|e| e.name == EXCEPTION_EVENT)
        .find_map(|e| attrs::get_str(&e.attributes, EXCEPTION_TYPE))
        .filter(|t| !t.is_empty())
        .unwrap_or(OTHER_ERROR)
        .to_string()
}

/// A finite, non-negative number, or nothing.
fn count(span: &SpanRef, key: &str) -> Option<f64> {
    number(span.get(key))
}

/// A finite, non-negative number, or nothing.
fn number(v: Option<&Value>) -> Option<f64> {
    let n = attrs::number_of(v?)?.as_f64();
    (n.is_finite() && n >= 0.0).then_some(n)
}

fn time_to_first_token(span: &SpanRef) -> Option<f64> {
    for (key, scale) in TTFT_ATTRIBUTES {
        if let Some(v) = count(span, key) {
            return Some(v * scale);
        }
    }
    let event = span
        .facts
        .events
        .iter()
        .find(|e| TTFT_EVENTS.contains(&e.name.as_str()))?;
    let after = event
        .time_unix_nano
        .checked_sub(span.facts.start_time_unix_nano)?;
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
            facts: Facts {
                start_time_unix_nano: 1_000_000_000,
                end_time_unix_nano: 3_500_000_000,
                ..Default::default()
            },
        }
    }

    fn is_call(attributes: Vec<KeyValue>) -> bool {
        is_model_call(&SpanRef::of(&span(attributes)))
    }

    fn error_type(s: &SpanView) -> Option<Value> {
        dims(&SpanRef::of(s), &[])[ERROR_TYPE]
            .clone()
            .map(Cow::into_owned)
    }

    #[test]
    fn wrappers_agents_and_tools_are_not_calls() {
        let model = || kv(REQUEST_MODEL, string("gpt-4o"));
        assert!(is_call(vec![kv(OPERATION, string("chat")), model()]));
        assert!(is_call(vec![kv(OPERATION, string("embeddings")), model()]));
        for op in NOT_MODEL_CALLS {
            assert!(!is_call(vec![kv(OPERATION, string(*op)), model()]), "{op}");
        }
        // Vercel's outer span after normalization: a model, no operation, no usage.
        assert!(!is_call(vec![model()]));
        assert!(is_call(vec![model(), kv(INPUT_TOKENS, Value::IntValue(3))]));
        assert!(!is_call(vec![kv(OPERATION, string("chat"))]));
        assert!(!is_call(vec![
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
        let r = SpanRef::of(&s);
        let m = measures(&r);
        assert_eq!(m.duration_s, 2.5);
        assert_eq!((m.input_tokens, m.output_tokens), (Some(100.0), Some(50.0)));
        assert_eq!(m.cost_usd, Some(0.00075));
        assert_eq!(m.ttft_s, Some(0.25));
        assert!(!m.failed);
        let d = dims(&r, &["team".to_string()]);
        assert_eq!(d.len(), POINT_KEYS.len() + 1);
        assert_eq!(d[HTTP_STATUS].as_deref(), Some(&Value::IntValue(200)));
        assert_eq!(d[ERROR_TYPE], None);
        assert_eq!(d[POINT_KEYS.len()].as_deref(), Some(&string("search")));
    }

    #[test]
    fn the_second_list_is_read_too() {
        let first = [
            kv(REQUEST_MODEL, string("m")),
            kv(OPERATION, string("chat")),
        ];
        let more = [kv("server.address", string("api.example.com"))];
        let facts = Facts::default();
        let r = SpanRef::new(&first, &more, &facts);
        assert!(is_model_call(&r));
        assert_eq!(
            dims(&r, &[])[4].as_deref(),
            Some(&string("api.example.com"))
        );
    }

    #[test]
    fn a_failed_call_has_an_error_type() {
        let mut s = span(vec![
            kv(OPERATION, string("chat")),
            kv(REQUEST_MODEL, string("m")),
        ]);
        s.facts.status_code = StatusCode::Error as i32;
        assert_eq!(error_type(&s), Some(string(OTHER_ERROR)));
        assert!(measures(&SpanRef::of(&s)).failed);
        s.facts.events.push(EventView {
            name: "exception".into(),
            attributes: vec![kv("exception.type", string("RateLimitError"))],
            ..Default::default()
        });
        assert_eq!(error_type(&s), Some(string("RateLimitError")));
        s.attributes.push(kv("error.type", string("429")));
        assert_eq!(error_type(&s), Some(string("429")));
        s.facts.status_code = 0;
        assert!(measures(&SpanRef::of(&s)).failed);
    }

    #[test]
    fn time_to_first_token_from_an_event() {
        let mut s = span(vec![]);
        s.facts.events.push(EventView {
            name: TTFT_EVENTS[0].into(),
            time_unix_nano: 1_400_000_000,
            ..Default::default()
        });
        assert_eq!(time_to_first_token(&SpanRef::of(&s)), Some(0.4));
    }

    #[test]
    fn negative_and_non_finite_measures_are_dropped() {
        let s = span(vec![
            kv(INPUT_TOKENS, Value::IntValue(-1)),
            kv(OUTPUT_TOKENS, Value::DoubleValue(f64::NAN)),
            kv(COST, string("lots")),
        ]);
        let m = measures(&SpanRef::of(&s));
        assert_eq!(
            (m.input_tokens, m.output_tokens, m.cost_usd),
            (None, None, None)
        );
    }
}

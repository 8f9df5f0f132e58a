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

use crate::wire::span_reader::Facts;

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
/// first keys the rule finds in one pass.
pub const POINT_KEYS: &[&str] = KNOWN.split_at(7).0;
/// Index of `error.type` in [`POINT_KEYS`].
const ERROR_TYPE: usize = 5;
/// Index of `http.response.status_code` in [`POINT_KEYS`].
const HTTP_STATUS: usize = 6;
/// `error.type` of a failed call whose span names no type (the semantic
/// conventions' fallback value).
pub const OTHER_ERROR: &str = "_OTHER";

/// How a span states its time to first token.
#[derive(Debug, Clone, Copy)]
enum Ttft {
    /// An attribute holding it: key, its [`KNOWN`] slot, seconds per unit
    /// (made by [`attribute`]).
    Attribute(&'static str, usize, f64),
    /// Events at a token's arrival, by name: the earliest of them within
    /// the span (neither before its start nor after its end), less the
    /// span's start.
    Event(&'static str),
}

/// Where each source states the time to first token on a span. The first
/// attribute present wins; without one, the earliest event of any listed
/// name (min over their times, whatever their order on the span).
///
/// | source | on the span | time to first token |
/// |---|---|---|
/// | OpenLIT; the metric's own name | `gen_ai.server.time_to_first_token` | its value, s |
/// | the semantic conventions (LiteLLM's opt-in `LITELLM_OTEL_V2` tracer writes it on streams) | `gen_ai.response.time_to_first_chunk` | its value, s |
/// | Vercel AI SDK `doStream` spans | `ai.response.msToFirstChunk` | its value, ms |
/// | OpenInference | one `First Token Stream Event` event | its time - the span's start |
/// | OpenLLMetry | a `gen_ai.content.completion.chunk` event per streamed chunk | the first chunk's time - the span's start (what its own metric measures: request to first chunk) |
///
/// States none: LiteLLM's default `otel` callback (its spans carry no
/// completion start time; only its own metric has one), the official
/// openai-v2 instrumentation.
const TTFT_SOURCES: &[Ttft] = &[
    attribute("gen_ai.server.time_to_first_token", 1.0),
    attribute("gen_ai.response.time_to_first_chunk", 1.0),
    attribute("ai.response.msToFirstChunk", 0.001),
    Ttft::Event("First Token Stream Event"),
    Ttft::Event("gen_ai.content.completion.chunk"),
];
/// A time-to-first-token attribute; the build fails unless `key` is
/// [`KNOWN`], so that the rule reads it from its slot.
const fn attribute(key: &'static str, seconds_per_unit: f64) -> Ttft {
    let mut i = 0;
    while i < KNOWN.len() {
        if const_eq(KNOWN[i].as_bytes(), key.as_bytes()) {
            return Ttft::Attribute(key, i, seconds_per_unit);
        }
        i += 1;
    }
    panic!("a time-to-first-token attribute is not KNOWN")
}

const fn const_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The event whose `exception.type` names a failure.
const EXCEPTION_EVENT: &str = "exception";

/// Span and event attributes the rule reads besides [`POINT_KEYS`], the
/// time to first token's ([`TTFT_SOURCES`]) and the GenAI keys the stages
/// read: the older `http.status_code`, the measures' token counts and cost
/// (GenAI keys, read here whatever the stages read), an exception's type.
const READ_KEYS: &[&str] = &[
    "http.status_code",
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    COST,
    EXCEPTION_TYPE,
];
/// The attribute of an `exception` event naming the failure.
const EXCEPTION_TYPE: &str = "exception.type";

/// Whether a span or event attribute matters to a call (besides the GenAI
/// keys the stages read): its point attributes, a status code, its
/// measures, an exception's type, a time to first token.
pub fn reads_attribute(key: &[u8]) -> bool {
    POINT_KEYS
        .iter()
        .chain(READ_KEYS)
        .any(|k| k.as_bytes() == key)
        || TTFT_SOURCES
            .iter()
            .any(|s| matches!(s, Ttft::Attribute(k, ..) if k.as_bytes() == key))
}

/// Whether a span event matters to a call (a failure's type, a token's
/// arrival).
pub fn reads_event(name: &str) -> bool {
    name == EXCEPTION_EVENT || is_token_event(name)
}

fn is_token_event(name: &str) -> bool {
    TTFT_SOURCES
        .iter()
        .any(|s| matches!(s, Ttft::Event(n) if *n == name))
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
const KNOWN: [&str; 14] = [
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
    // The attributes of [`TTFT_SOURCES`].
    "gen_ai.server.time_to_first_token",
    "gen_ai.response.time_to_first_chunk",
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

/// The slot of each [`KNOWN`] key by a hash of its length and last 8
/// bytes (`u8::MAX`: none), collision-free over [`KNOWN`]: finding an
/// attribute's slot costs a multiplication, a lookup and, only for a key
/// that lands on a known key's bucket, one comparison. Most keys a span
/// carries are no known key and land on an empty bucket.
const BY_HASH: [u8; 1 << HASH_BITS] = by_hash(HASH_MULTIPLIER);
const HASH_BITS: u32 = 7;
/// The first odd multiplier from a fixed start that spreads [`KNOWN`]
/// over distinct buckets (found at compile time).
const HASH_MULTIPLIER: u64 = collision_free_multiplier();

/// `key`'s bucket: its last 8 bytes (every candidate has 8, see [`slot`])
/// and its length, multiplied, top bits.
#[inline]
const fn bucket(last: u64, len: usize, multiplier: u64) -> usize {
    ((last ^ len as u64).wrapping_mul(multiplier) >> (64 - HASH_BITS)) as usize
}

/// A key's last 8 bytes, little-endian (the build's table and every
/// lookup read them alike).
#[inline]
const fn last_word(key: &[u8]) -> u64 {
    match key.last_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => 0,
    }
}

const fn by_hash(multiplier: u64) -> [u8; 1 << HASH_BITS] {
    let mut table = [u8::MAX; 1 << HASH_BITS];
    let mut i = 0;
    while i < KNOWN.len() {
        let k = KNOWN[i].as_bytes();
        table[bucket(last_word(k), k.len(), multiplier)] = i as u8;
        i += 1;
    }
    table
}

const fn collision_free_multiplier() -> u64 {
    let mut m = 0x9E37_79B9_7F4A_7C15u64;
    loop {
        let table = by_hash(m);
        let mut used = 0;
        let mut b = 0;
        while b < table.len() {
            if table[b] != u8::MAX {
                used += 1;
            }
            b += 1;
        }
        if used == KNOWN.len() {
            return m;
        }
        m = m.wrapping_add(2);
    }
}

/// The slot of a [`KNOWN`] key (inlined: called for every decoded
/// attribute of every span the connector reads).
#[inline]
fn slot(key: &str) -> Option<usize> {
    let key = key.as_bytes();
    let n = key.len();
    if !(8..=MAX_KNOWN_LEN).contains(&n) {
        return None;
    }
    let i = BY_HASH[bucket(last_word(key), n, HASH_MULTIPLIER)];
    let known = KNOWN.get(i as usize)?.as_bytes();
    (known.len() == n && same_words(known, key)).then_some(i as usize)
}

/// `a == b` for two slices of one length, 8 to [`MAX_KNOWN_LEN`] bytes
/// (as every [`KNOWN`] key is), compared 8 bytes at a time: a call to
/// `memcmp` costs more than the comparison for keys this short.
#[inline]
fn same_words(a: &[u8], b: &[u8]) -> bool {
    fn word(s: &[u8], at: usize) -> u64 {
        let mut w = [0; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    }
    let n = a.len();
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The last word, overlapping the one before when `n` is no multiple of 8.
    word(a, n - 8) == word(b, n - 8)
}

/// The longest [`KNOWN`] key: [`slot`] looks up no longer one.
const MAX_KNOWN_LEN: usize = {
    let mut longest = 0;
    let mut i = 0;
    while i < KNOWN.len() {
        if KNOWN[i].len() > longest {
            longest = KNOWN[i].len();
        }
        i += 1;
    }
    longest
};

/// Every [`KNOWN`] key has the 8 bytes [`same_words`] reads.
const _: () = {
    let mut i = 0;
    while i < KNOWN.len() {
        assert!(KNOWN[i].len() >= 8);
        i += 1;
    }
};

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
    #[cfg(test)]
    pub fn of(view: &'a crate::wire::span_reader::SpanView) -> Self {
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

/// Hands the values of a call's point attributes to `f`, in order:
/// [`POINT_KEYS`], then `extra_dims`. A failed call without an
/// `error.type` gets its exception's type, or `_OTHER`.
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
fn number(v: Option<&Value>) -> Option<f64> {
    let n = attrs::number_of(v?)?.as_f64();
    (n.is_finite() && n >= 0.0).then_some(n)
}

/// The span's time to first token in seconds ([`TTFT_SOURCES`]): the first
/// attribute source present, else one pass over its events.
fn time_to_first_token(span: &SpanRef) -> Option<f64> {
    for source in TTFT_SOURCES {
        if let Ttft::Attribute(_, slot, seconds_per_unit) = source {
            if let Some(v) = number(span.known(*slot)) {
                return Some(v * seconds_per_unit);
            }
        }
    }
    let facts = span.facts;
    let (start, end) = (facts.start_time_unix_nano, facts.end_time_unix_nano);
    let first = facts
        .events
        .iter()
        .filter(|e| is_token_event(&e.name))
        .map(|e| e.time_unix_nano)
        .filter(|t| (start..=end).contains(t))
        .min()?;
    Some((first - start) as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each known key finds its own slot, and a key one byte away from
    /// it, at any position, finds none (the word-wise compare misses no
    /// byte).
    #[test]
    fn slots_match_whole_keys_only() {
        for (i, k) in KNOWN.iter().enumerate() {
            assert_eq!(slot(k), Some(i), "{k}");
            for at in 0..k.len() {
                let mut near = k.as_bytes().to_vec();
                near[at] = if near[at] == b'x' { b'y' } else { b'x' };
                let near = String::from_utf8(near).unwrap();
                assert_eq!(slot(&near), None, "{near}");
            }
        }
        for k in ["", "gen_ai", "gen_ai.request.model.x", &"k".repeat(100)] {
            assert_eq!(slot(k), None, "{k}");
        }
    }
    use crate::attrs::{kv, string};
    use crate::wire::span_reader::{EventView, SpanView};

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

    /// The values `each_dim` hands over, collected.
    fn dims(span: &SpanRef, extra: &[String]) -> Vec<Option<Value>> {
        let mut out = Vec::new();
        each_dim(span, extra, |v| out.push(v.cloned()));
        out
    }

    fn is_call(attributes: Vec<KeyValue>) -> bool {
        is_model_call(&SpanRef::of(&span(attributes)))
    }

    fn error_type(s: &SpanView) -> Option<Value> {
        dims(&SpanRef::of(s), &[])[ERROR_TYPE].clone()
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
        assert_eq!(d[HTTP_STATUS], Some(Value::IntValue(200)));
        assert_eq!(d[ERROR_TYPE], None);
        assert_eq!(d[POINT_KEYS.len()], Some(string("search")));
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
        assert_eq!(dims(&r, &[])[4], Some(string("api.example.com")));
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

    fn event(name: &str, time_unix_nano: u64) -> EventView {
        EventView {
            name: name.into(),
            time_unix_nano,
            ..Default::default()
        }
    }

    const CHUNK: &str = "gen_ai.content.completion.chunk";

    fn ttft(s: &SpanView) -> Option<f64> {
        time_to_first_token(&SpanRef::of(s))
    }

    #[test]
    fn time_to_first_token_from_an_event() {
        let mut s = span(vec![]);
        s.facts
            .events
            .push(event("First Token Stream Event", 1_400_000_000));
        assert_eq!(ttft(&s), Some(0.4));
    }

    #[test]
    fn time_to_first_token_from_the_earliest_chunk_within_the_span() {
        let mut s = span(vec![]);
        assert_eq!(ttft(&s), None, "no chunk, no measure");
        // Out of order: the earliest counts, not the first listed. Events
        // before the start or after the end of the span are no token of
        // it; an event of another name is none either.
        for t in [1_300_000_000, 1_250_000_000, 1_900_000_000] {
            s.facts.events.push(event(CHUNK, t));
        }
        s.facts.events.push(event(CHUNK, 900_000_000));
        s.facts.events.push(event(CHUNK, 3_600_000_000));
        s.facts.events.push(event("exception", 1_100_000_000));
        s.facts
            .events
            .push(event("gen_ai.content.completion", 1_050_000_000));
        assert_eq!(ttft(&s), Some(0.25));
        // A chunk at the start itself is a first token at 0.
        s.facts.events.push(event(CHUNK, 1_000_000_000));
        assert_eq!(ttft(&s), Some(0.0));
        // Only events outside the span: none.
        s.facts.events.retain(|e| e.time_unix_nano < 1_000_000_000);
        assert_eq!(ttft(&s), None);
        // Of every token event name, the earliest.
        s.facts.events = vec![
            event(CHUNK, 1_600_000_000),
            event("First Token Stream Event", 1_700_000_000),
        ];
        assert_eq!(ttft(&s), Some(0.6));
    }

    #[test]
    fn an_attribute_wins_over_events() {
        let mut s = span(vec![kv(
            "gen_ai.response.time_to_first_chunk",
            Value::DoubleValue(0.125),
        )]);
        s.facts.events.push(event(CHUNK, 1_250_000_000));
        assert_eq!(ttft(&s), Some(0.125));
        s.attributes = vec![
            kv(
                "gen_ai.server.time_to_first_token",
                Value::DoubleValue(-1.0),
            ),
            kv("ai.response.msToFirstChunk", Value::IntValue(80)),
        ];
        assert_eq!(
            ttft(&s),
            Some(0.08),
            "an invalid value is no measure: the next source is read"
        );
    }

    #[test]
    fn the_readers_keep_what_the_sources_state() {
        for source in TTFT_SOURCES {
            match source {
                Ttft::Attribute(key, ..) => assert!(reads_attribute(key.as_bytes()), "{key}"),
                Ttft::Event(name) => assert!(reads_event(name), "{name}"),
            }
        }
        assert!(reads_event(CHUNK) && reads_event("exception"));
        assert!(!reads_event("gen_ai.content.completion"));
        for key in POINT_KEYS.iter().chain(READ_KEYS) {
            assert!(reads_attribute(key.as_bytes()), "{key}");
        }
        assert!(!reads_attribute(b"gen_ai.headers"));
        // The attributes are found in one pass, each in its slot.
        for source in TTFT_SOURCES {
            if let Ttft::Attribute(key, at, _) = source {
                assert_eq!(slot(key), Some(*at), "{key}");
            }
        }
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

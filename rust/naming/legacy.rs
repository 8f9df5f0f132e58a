//! Legacy GenAI metric names mapped to the current semantic conventions,
//! where the data allows a faithful mapping.
//!
//! Sources (looked up in the instrumentations' code):
//! - OpenLIT up to 1.36 emitted counters `gen_ai.total.requests` (+1 per
//!   call), `gen_ai.usage.input_tokens` / `gen_ai.usage.output_tokens`
//!   (earliest versions: `gen_ai.usage.prompt_tokens` /
//!   `gen_ai.usage.completion_tokens`) and `gen_ai.usage.total_tokens`, all
//!   with the same attributes per call. From about 1.2x on it *also* emitted
//!   the semconv histograms in the same meter. Its `gen_ai.usage.cost`
//!   histogram (unit `USD`) is already the current name.
//! - OpenLLMetry and the pre-`gen_ai` semantic conventions:
//!   `llm.openai.chat_completions.duration`, `llm.openai.embeddings.duration`,
//!   `llm.watsonx.completions.duration` (histograms, seconds), the streaming
//!   time-to-first-token histograms `llm.openai.chat_completions.*`,
//!   `gen_ai.chat_completions.*`, `gen_ai.openai.chat_completions.*`, and
//!   `gen_ai.chat_completions.streaming_time_per_output_token`.
//!
//! Rules, per scope:
//! - A histogram in seconds is renamed when the scope has no metric of the
//!   target name yet (an instrumentation that already emits the current
//!   metric would otherwise be counted twice); provider and operation implied
//!   by the legacy name are set when the point has neither the current nor
//!   the older attribute.
//! - A request counter point (value N) becomes a `gen_ai.client.operation.duration`
//!   point with count N, no sum and a single `+Inf` bucket: the number of
//!   operations is exact, their durations are unknown, and an absent sum is
//!   how OTLP says so. Counter exemplars (value 1, not a duration) are dropped.
//! - A token counter point (value T) becomes a `gen_ai.client.token.usage`
//!   point (`gen_ai.token.type` input/output) with sum T, when the request
//!   counter has a point with the same attributes and time window (count N,
//!   single `+Inf` bucket); points repeating an attribute set and window
//!   pair in order, one request point each. Without that pairing the count
//!   is unknown and the point stays under its legacy name.
//! - Counters are only converted when the scope has no metric of the target
//!   name (OpenLIT 1.2x-1.36 sends both: its legacy counters are then kept as
//!   they are, renamed like any other selected metric).
//! - Not mapped (no current equivalent): `gen_ai.usage.total_tokens`,
//!   `llm.openai.chat_completions.tokens` (tokens without call counts),
//!   exception counters and `*streaming_time_to_generate`.

use std::collections::HashMap;

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, HistogramDataPoint, Metric, NumberDataPoint, ScopeMetrics,
};
use prost::Message;

use crate::attrs;
use crate::metric_points::histogram_metric;

pub const OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
pub const TOKEN_USAGE: &str = "gen_ai.client.token.usage";
const TIME_TO_FIRST_TOKEN: &str = "gen_ai.server.time_to_first_token";
const TIME_PER_OUTPUT_TOKEN: &str = "gen_ai.server.time_per_output_token";
const REQUESTS: &str = "gen_ai.total.requests";

/// A histogram renamed as it is, with the attributes its old name implied.
struct HistogramRename {
    from: &'static str,
    to: &'static str,
    provider: Option<&'static str>,
    operation: Option<&'static str>,
}

const fn rename(
    from: &'static str,
    to: &'static str,
    provider: Option<&'static str>,
    operation: Option<&'static str>,
) -> HistogramRename {
    HistogramRename {
        from,
        to,
        provider,
        operation,
    }
}

const HISTOGRAMS: [HistogramRename; 8] = [
    rename(
        "llm.openai.chat_completions.duration",
        OPERATION_DURATION,
        Some("openai"),
        Some("chat"),
    ),
    rename(
        "llm.openai.embeddings.duration",
        OPERATION_DURATION,
        Some("openai"),
        Some("embeddings"),
    ),
    rename(
        "llm.watsonx.completions.duration",
        OPERATION_DURATION,
        Some("ibm.watsonx.ai"),
        Some("text_completion"),
    ),
    rename(
        "llm.openai.chat_completions.streaming_time_to_first_token",
        TIME_TO_FIRST_TOKEN,
        Some("openai"),
        Some("chat"),
    ),
    rename(
        "gen_ai.openai.chat_completions.streaming_time_to_first_token",
        TIME_TO_FIRST_TOKEN,
        Some("openai"),
        Some("chat"),
    ),
    rename(
        "gen_ai.chat_completions.streaming_time_to_first_token",
        TIME_TO_FIRST_TOKEN,
        None,
        Some("chat"),
    ),
    rename(
        "gen_ai.chat_completions.streaming_time_per_output_token",
        TIME_PER_OUTPUT_TOKEN,
        None,
        Some("chat"),
    ),
    rename(
        "gen_ai.openai.chat_completions.streaming_time_per_output_token",
        TIME_PER_OUTPUT_TOKEN,
        Some("openai"),
        Some("chat"),
    ),
];

/// Legacy token counters and the token type they count.
const TOKEN_COUNTERS: [(&str, &str); 4] = [
    ("gen_ai.usage.input_tokens", "input"),
    ("gen_ai.usage.prompt_tokens", "input"),
    ("gen_ai.usage.output_tokens", "output"),
    ("gen_ai.usage.completion_tokens", "output"),
];

/// Every legacy name this module knows (for tests and documentation).
pub fn legacy_names() -> impl Iterator<Item = &'static str> {
    HISTOGRAMS
        .iter()
        .map(|r| r.from)
        .chain(TOKEN_COUNTERS.iter().map(|(n, _)| *n))
        .chain([REQUESTS])
}

/// Whether `name` is a legacy name: only a scope holding one can be
/// changed by [`upgrade_scope`].
pub fn is_legacy_name(name: &str) -> bool {
    legacy_names().any(|n| n == name)
}

/// Upgrades the legacy metrics of one scope; returns whether anything changed.
pub fn upgrade_scope(sm: &mut ScopeMetrics) -> bool {
    let present = |sm: &ScopeMetrics, name: &str| sm.metrics.iter().any(|m| m.name == name);
    let mut changed = false;

    // Histograms: same data, current name.
    for rule in &HISTOGRAMS {
        if present(sm, rule.to) {
            continue;
        }
        for m in sm.metrics.iter_mut().filter(|m| m.name == rule.from) {
            if m.unit != "s" {
                continue; // other units would need the values rescaled
            }
            let Some(Data::Histogram(h)) = m.data.as_mut() else {
                continue;
            };
            for dp in &mut h.data_points {
                set_implied(&mut dp.attributes, rule);
            }
            m.name = rule.to.to_string();
            changed = true;
        }
    }

    // Counters (OpenLIT): tokens first, they need the request counts.
    let requests = request_counts(sm);
    if !present(sm, TOKEN_USAGE) && !requests.is_empty() {
        changed |= convert_token_counters(sm, &requests);
    }
    if !present(sm, OPERATION_DURATION) {
        changed |= convert_request_counter(sm);
    }
    changed
}

fn set_implied(attrs: &mut Vec<KeyValue>, rule: &HistogramRename) {
    if let Some(p) = rule.provider {
        if attrs::find(attrs, "gen_ai.provider.name").is_none()
            && attrs::find(attrs, "gen_ai.system").is_none()
        {
            attrs::set(attrs, "gen_ai.provider.name", attrs::string(p));
        }
    }
    if let Some(op) = rule.operation {
        if attrs::find(attrs, "gen_ai.operation.name").is_none()
            && attrs::find(attrs, "llm.request.type").is_none()
        {
            attrs::set(attrs, "gen_ai.operation.name", attrs::string(op));
        }
    }
}

/// Identity of a counter point: its attribute set (order-independent) and window.
type PointKey = (Vec<Vec<u8>>, u64, u64);

fn point_key(dp: &NumberDataPoint) -> PointKey {
    let mut attrs: Vec<Vec<u8>> = dp.attributes.iter().map(|kv| kv.encode_to_vec()).collect();
    attrs.sort();
    (attrs, dp.start_time_unix_nano, dp.time_unix_nano)
}

/// A counter value as a count of calls: a non-negative whole number.
fn as_count(dp: &NumberDataPoint) -> Option<u64> {
    match dp.value? {
        number_data_point::Value::AsInt(i) => u64::try_from(i).ok(),
        number_data_point::Value::AsDouble(d) => {
            (d >= 0.0 && d.fract() == 0.0 && d < u64::MAX as f64).then_some(d as u64)
        }
    }
}

fn as_f64(dp: &NumberDataPoint) -> Option<f64> {
    match dp.value? {
        number_data_point::Value::AsInt(i) => Some(i as f64),
        number_data_point::Value::AsDouble(d) => d.is_finite().then_some(d),
    }
}

/// The monotonic sum called `name`, if `m` is one.
fn monotonic_sum<'a>(m: &'a mut Metric, name: &str) -> Option<&'a mut Vec<NumberDataPoint>> {
    if m.name != name {
        return None;
    }
    match m.data.as_mut() {
        Some(Data::Sum(s)) if s.is_monotonic => Some(&mut s.data_points),
        _ => None,
    }
}

fn temporality_of(m: &Metric) -> i32 {
    match &m.data {
        Some(Data::Sum(s)) => s.aggregation_temporality,
        _ => 0,
    }
}

/// Request counts per attribute set, window and temporality.
type RequestCounts = HashMap<(PointKey, i32), Vec<u64>>;

/// Request counts per attribute set and window, from `gen_ai.total.requests`:
/// every point's count in the order they came (a batch may repeat a
/// point's attribute set and window).
fn request_counts(sm: &ScopeMetrics) -> RequestCounts {
    let mut out = RequestCounts::new();
    for m in &sm.metrics {
        let Some(Data::Sum(s)) = &m.data else {
            continue;
        };
        if m.name != REQUESTS || !s.is_monotonic {
            continue;
        }
        for dp in &s.data_points {
            if let Some(n) = as_count(dp) {
                out.entry((point_key(dp), s.aggregation_temporality))
                    .or_default()
                    .push(n);
            }
        }
    }
    out
}

/// A histogram point holding `count` observations of unknown values (one
/// `+Inf` bucket), with `sum` if known.
fn count_point(dp: &NumberDataPoint, count: u64, sum: Option<f64>) -> HistogramDataPoint {
    HistogramDataPoint {
        attributes: dp.attributes.clone(),
        start_time_unix_nano: dp.start_time_unix_nano,
        time_unix_nano: dp.time_unix_nano,
        count,
        sum,
        bucket_counts: vec![count],
        explicit_bounds: Vec::new(),
        exemplars: Vec::new(),
        flags: dp.flags,
        min: None,
        max: None,
    }
}

fn push_point(metrics: &mut [Metric], temporality: i32, dp: HistogramDataPoint) {
    for m in metrics {
        if let Some(Data::Histogram(h)) = m.data.as_mut() {
            if h.aggregation_temporality == temporality {
                h.data_points.push(dp);
                return;
            }
        }
    }
}

/// Converts the token counter points paired with a request counter point.
/// Points of one token counter with the same attribute set and window pair
/// with the request points of that set and window in order, the first with
/// the first: each request point's count goes to one token point, so the
/// operations a cost is derived for add up to the requests counted.
fn convert_token_counters(sm: &mut ScopeMetrics, requests: &RequestCounts) -> bool {
    let mut made: Vec<Metric> = Vec::new();
    for m in &mut sm.metrics {
        let Some(&(_, token_type)) = TOKEN_COUNTERS.iter().find(|(n, _)| *n == m.name) else {
            continue;
        };
        let temporality = temporality_of(m);
        let name = m.name.clone();
        let Some(points) = monotonic_sum(m, &name) else {
            continue;
        };
        // Per attribute set and window: how many request points this
        // counter's points have paired with.
        let mut paired_so_far: HashMap<&(PointKey, i32), usize> = HashMap::new();
        let mut kept = Vec::new();
        for dp in points.drain(..) {
            let paired = requests
                .get_key_value(&(point_key(&dp), temporality))
                .and_then(|(key, counts)| {
                    let next = paired_so_far.entry(key).or_insert(0);
                    let count = counts.get(*next)?;
                    *next += 1;
                    Some(*count)
                });
            match (paired, as_f64(&dp)) {
                (Some(count), Some(tokens)) => {
                    let mut hp = count_point(&dp, count, Some(tokens));
                    attrs::set(
                        &mut hp.attributes,
                        "gen_ai.token.type",
                        attrs::string(token_type),
                    );
                    // One exemplar of a token counter is one call's tokens:
                    // a valid token usage observation.
                    hp.exemplars = dp.exemplars;
                    if !made.iter().any(|h| hist_temporality(h) == temporality) {
                        made.push(histogram_metric(
                            TOKEN_USAGE,
                            "{token}",
                            "Number of input and output tokens used.",
                            temporality,
                        ));
                    }
                    push_point(&mut made, temporality, hp);
                }
                _ => kept.push(dp),
            }
        }
        *points = kept;
    }
    let names: Vec<&str> = TOKEN_COUNTERS.iter().map(|(n, _)| *n).collect();
    finish(sm, made, &names)
}

fn hist_temporality(m: &Metric) -> i32 {
    match &m.data {
        Some(Data::Histogram(h)) => h.aggregation_temporality,
        _ => -1,
    }
}

fn convert_request_counter(sm: &mut ScopeMetrics) -> bool {
    let mut made: Vec<Metric> = Vec::new();
    for m in &mut sm.metrics {
        let temporality = temporality_of(m);
        let Some(points) = monotonic_sum(m, REQUESTS) else {
            continue;
        };
        let mut kept = Vec::new();
        for dp in points.drain(..) {
            match as_count(&dp) {
                Some(count) => {
                    if !made.iter().any(|h| hist_temporality(h) == temporality) {
                        made.push(histogram_metric(
                            OPERATION_DURATION,
                            "s",
                            "GenAI operation duration.",
                            temporality,
                        ));
                    }
                    push_point(&mut made, temporality, count_point(&dp, count, None));
                }
                None => kept.push(dp),
            }
        }
        *points = kept;
    }
    finish(sm, made, &[REQUESTS])
}

/// Drops the legacy counters (`names`) left without points and appends the
/// new histograms.
fn finish(sm: &mut ScopeMetrics, made: Vec<Metric>, names: &[&str]) -> bool {
    if made.is_empty() {
        return false;
    }
    sm.metrics.retain(|m| match &m.data {
        Some(Data::Sum(s)) if names.contains(&m.name.as_str()) => !s.data_points.is_empty(),
        _ => true,
    });
    sm.metrics.extend(made);
    true
}

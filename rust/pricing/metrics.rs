//! `gen_ai.usage.cost` histograms derived from `gen_ai.client.token.usage`.
//!
//! A token usage histogram point counts the tokens of one type (`input` or
//! `output`) over many operations of one attribute set. Its `sum` is the
//! number of tokens, its `count` the number of operations. For every
//! attribute set (without `gen_ai.token.type`) and time window that has no
//! cost point yet, one cost point is appended: `sum` = the cost of exactly
//! those tokens, `count` = the number of operations, and a single bucket
//! (no bounds) holding every operation: the per-call cost distribution
//! cannot be known from aggregates, so no bucket pretends to know it.
//! Tiered prices are chosen by the mean input per operation.
//! Cache and reasoning tokens are not broken out in these metrics, so all
//! input is priced at the input rate (see docs/pricing.md).

use hashbrown::hash_map::Entry;
use hashbrown::{HashMap, HashSet};

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, Histogram, HistogramDataPoint, Metric, ScopeMetrics,
};
use prost::Message;

use super::calc::{self, Tokens};
use super::keys;
use super::Pricer;
use crate::attrs;
use crate::processor::Batch;
use crate::signals::metrics::point_attrs;

/// Token totals of one attribute set and time window.
struct Group<'a> {
    /// The attributes of its first point (token type included).
    attrs: &'a [KeyValue],
    /// The scope has a cost point of this attribute set already.
    priced: bool,
    start: u64,
    time: u64,
    temporality: i32,
    input: f64,
    output: f64,
    input_ops: Option<u64>,
    output_ops: Option<u64>,
    /// The points' counts do not add up in a u64 (found by fuzzing: a
    /// wrapped count in release builds, a panic with overflow checks).
    ops_overflow: bool,
}

/// A token usage point reduced to what the cost needs.
struct Point<'a> {
    attrs: &'a [KeyValue],
    start: u64,
    time: u64,
    count: u64,
    sum: Option<f64>,
}

impl Pricer {
    /// Whether [`Self::derive_cost_metrics`] may append anything.
    pub fn derives_metrics(&self) -> bool {
        self.enabled && self.derive_metrics
    }

    /// Appends `gen_ai.usage.cost` histogram points derived from token usage
    /// histograms of this scope; returns whether anything was added.
    pub fn derive_cost_metrics(&self, sm: &mut ScopeMetrics, batch: &mut Batch) -> bool {
        if !self.derives_metrics() {
            return false;
        }
        if !sm
            .metrics
            .iter()
            .any(|m| m.name == keys::TOKEN_USAGE_METRIC)
        {
            return false;
        }
        let existing: HashSet<Vec<u8>> = sm
            .metrics
            .iter()
            .filter(|m| m.name == keys::COST_METRIC)
            .flat_map(point_attrs)
            .map(identity)
            .collect();
        let groups = collect(&sm.metrics, &existing);
        let mut derived: Vec<(i32, HistogramDataPoint)> = Vec::new();
        for g in groups {
            if g.priced {
                batch.stats.costs_existing += 1;
                continue;
            }
            let temporality = g.temporality;
            if let Some(dp) = self.cost_point(g, batch) {
                derived.push((temporality, dp));
            }
        }
        if derived.is_empty() {
            return false;
        }
        for (temporality, dp) in derived {
            batch.stats.cost_points_derived += 1;
            batch.stats.costs_computed += 1;
            cost_histogram(sm, temporality).data_points.push(dp);
        }
        true
    }

    fn cost_point(&self, g: Group, batch: &mut Batch) -> Option<HistogramDataPoint> {
        let s = |k| attrs::get_str(g.attrs, k).filter(|s| !s.trim().is_empty());
        let model = s(keys::RESPONSE_MODEL).or(s(keys::REQUEST_MODEL));
        let Some(model) = model else {
            batch.stats.cost_unknown_model += 1;
            return None;
        };
        let provider = s(keys::PROVIDER);
        let (Some(price), acct) = self.priced(&mut batch.prices, model, provider) else {
            batch.note_unknown_model(model);
            return None;
        };
        if g.ops_overflow {
            // No point with a count that wrapped; counted like an
            // overflowing cost below.
            batch.stats.cost_non_numeric_tokens += 1;
            return None;
        }
        let ops = g.input_ops.or(g.output_ops).unwrap_or(0);
        let tokens = Tokens {
            input: g.input,
            output: g.output,
            ..Default::default()
        };
        let mean_input = if ops > 0 { g.input / ops as f64 } else { 0.0 };
        let usd = calc::cost(price, &tokens, acct, Some(mean_input)).total();
        if !usd.is_finite() {
            // Token sums that overflow (huge or duplicated points): no
            // infinite cost point, counted like unusable token counts.
            batch.stats.cost_non_numeric_tokens += 1;
            return None;
        }
        Some(HistogramDataPoint {
            attributes: g
                .attrs
                .iter()
                .filter(|kv| kv.key != keys::TOKEN_TYPE)
                .cloned()
                .collect(),
            start_time_unix_nano: g.start,
            time_unix_nano: g.time,
            count: ops,
            sum: Some(usd),
            bucket_counts: vec![ops],
            explicit_bounds: Vec::new(),
            ..Default::default()
        })
    }
}

/// The scope's `gen_ai.usage.cost` histogram of this temporality, created
/// when there is none.
fn cost_histogram(sm: &mut ScopeMetrics, temporality: i32) -> &mut Histogram {
    let at = sm.metrics.iter().position(|m| {
        m.name == keys::COST_METRIC
            && matches!(&m.data, Some(Data::Histogram(h)) if h.aggregation_temporality == temporality)
    });
    let i = match at {
        Some(i) => i,
        None => {
            sm.metrics.push(Metric {
                name: keys::COST_METRIC.to_string(),
                description: "Cost of GenAI operations in USD, derived by the genai processor from gen_ai.client.token.usage (sum and count exact; one bucket).".to_string(),
                unit: "USD".to_string(),
                data: Some(Data::Histogram(Histogram {
                    data_points: Vec::new(),
                    aggregation_temporality: temporality,
                })),
                ..Default::default()
            });
            sm.metrics.len() - 1
        }
    };
    match sm.metrics[i].data.as_mut() {
        Some(Data::Histogram(h)) => h,
        _ => unreachable!("selected or created as a histogram"),
    }
}

/// An order-independent identity of an attribute set, without the token type.
fn identity(list: &[KeyValue]) -> Vec<u8> {
    let mut sorted: Vec<&KeyValue> = list
        .iter()
        .filter(|kv| kv.key != keys::TOKEN_TYPE)
        .collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    // Sized once: growing it was a sixth of the cost stage.
    let size = sorted
        .iter()
        .map(|kv| kv.key.len() + 6 + kv.value.as_ref().map_or(0, Message::encoded_len))
        .sum();
    let mut out = Vec::with_capacity(size);
    for kv in sorted {
        out.extend_from_slice(kv.key.as_bytes());
        out.push(0);
        if let Some(v) = &kv.value {
            out.extend_from_slice(&(v.encoded_len() as u32).to_le_bytes());
            v.encode_raw(&mut out);
        }
        out.push(0);
    }
    out
}

/// The temporality and the [`Point`]s of a histogram, explicit-bucket or
/// exponential: both kinds have the fields a cost needs under the same names,
/// but no common trait, so a macro reads them once for both.
macro_rules! token_points {
    ($h:expr) => {
        (
            $h.aggregation_temporality,
            $h.data_points
                .iter()
                .map(|p| Point {
                    attrs: &p.attributes,
                    start: p.start_time_unix_nano,
                    time: p.time_unix_nano,
                    count: p.count,
                    sum: p.sum,
                })
                .collect(),
        )
    };
}

/// Groups the token usage points by attribute set, collection time and
/// temporality. The start time is not part of the key: SDKs start each
/// attribute set's series when it is first recorded, so the input and output
/// points of the same calls differ by microseconds there. The group takes
/// the earliest start. A group whose identity is in `priced` has a cost
/// point already; its attributes are not copied (only a derived point's
/// are).
fn collect<'a>(metrics: &'a [Metric], priced: &HashSet<Vec<u8>>) -> Vec<Group<'a>> {
    let mut groups: Vec<Group> = Vec::new();
    // hashbrown's default hasher (foldhash, seeded per process): attribute
    // values are the client's, and SipHash was a fifth of the cost stage.
    let mut index: HashMap<(Vec<u8>, u64, i32), usize> = HashMap::new();
    for m in metrics
        .iter()
        .filter(|m| m.name == keys::TOKEN_USAGE_METRIC)
    {
        let (temporality, points): (i32, Vec<Point>) = match &m.data {
            Some(Data::Histogram(h)) => token_points!(h),
            Some(Data::ExponentialHistogram(h)) => token_points!(h),
            _ => continue,
        };
        for p in points {
            let Some(sum) = p.sum.filter(|s| s.is_finite() && *s >= 0.0) else {
                continue;
            };
            let kind = match attrs::get(p.attrs, keys::TOKEN_TYPE) {
                Some(Value::StringValue(t)) if t == "input" => true,
                Some(Value::StringValue(t)) if t == "output" => false,
                _ => continue,
            };
            let i = match index.entry((identity(p.attrs), p.time, temporality)) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    groups.push(Group {
                        attrs: p.attrs,
                        priced: priced.contains(&e.key().0),
                        start: p.start,
                        time: p.time,
                        temporality,
                        input: 0.0,
                        output: 0.0,
                        input_ops: None,
                        output_ops: None,
                        ops_overflow: false,
                    });
                    *e.insert(groups.len() - 1)
                }
            };
            let g = &mut groups[i];
            g.start = g.start.min(p.start);
            let (tokens, ops) = match kind {
                true => (&mut g.input, &mut g.input_ops),
                false => (&mut g.output, &mut g.output_ops),
            };
            *tokens += sum;
            match ops.unwrap_or(0).checked_add(p.count) {
                Some(n) => *ops = Some(n),
                None => g.ops_overflow = true,
            }
        }
    }
    groups
}

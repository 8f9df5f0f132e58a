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
use crate::metric_points::point_attrs;
use crate::stats::Stats;

use super::Scratch;

/// Token totals of one attribute set and time window.
struct Group {
    /// The attributes of its first point without the token type; left
    /// empty when the group was priced on arrival (no point is derived).
    attrs: Vec<KeyValue>,
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

/// The numbers of a token usage point the cost reads.
#[derive(Clone, Copy, Default)]
pub struct Numbers {
    pub start: u64,
    pub time: u64,
    pub count: u64,
    pub sum: Option<f64>,
}

/// The token usage and cost points of one scope, gathered a point at a
/// time: the prost path hands it a decoded scope's points, the wire walk
/// each point as it decodes it (`crate::wire::metric_walk`), so neither
/// keeps a copy of the points. Token usage points are grouped by
/// attribute set, collection time and temporality. The start time is not
/// part of the key: SDKs start each attribute set's series when it is
/// first recorded, so the input and output points of the same calls differ
/// by microseconds there. The group takes the earliest start.
#[derive(Default)]
pub struct CostGroups {
    groups: Vec<Group>,
    /// Group by key: [`identity`], then collection time and temporality.
    /// hashbrown's default hasher (foldhash, seeded per process):
    /// attribute values are the client's, and SipHash would cost several
    /// times more per point.
    index: HashMap<Box<[u8]>, usize>,
    /// Identities of the scope's cost points.
    priced: HashSet<Box<[u8]>>,
    /// One point's key and the order of its attributes in it, reused
    /// from point to point (and, in the walk, from scope to scope): a
    /// fresh key and order per point were 14 % of the metrics edits call.
    key: Vec<u8>,
    order: Vec<usize>,
    /// Identities by the bytes a point's attributes were decoded and
    /// normalized from, as the walk gives them: a series' attribute set
    /// recurs on each of its metrics and exports, the same bytes normalize
    /// to the same list, and sorting and encoding each list was two
    /// thirds of the grouping. Kept for the batch, up to [`MAX_SOURCES`].
    sources: HashMap<Box<[u8]>, Known>,
}

/// What a source's attributes give: their identity and token type
/// (`Some(true)` input, `Some(false)` output, `None` neither).
struct Known {
    identity: Box<[u8]>,
    input: Option<bool>,
}

/// The length of the numbers after the identity in a group's key.
const TIME_AND_TEMPORALITY: usize = 12;

/// Distinct sources whose identity is remembered per batch; beyond this,
/// identities are computed every time (a batch has far fewer series than
/// points).
const MAX_SOURCES: usize = 4096;

impl CostGroups {
    /// Takes the points of `metric` if it is a token usage histogram or a
    /// cost metric.
    pub fn metric(&mut self, metric: &Metric) {
        if metric.name == keys::COST_METRIC {
            point_attrs(metric)
                .into_iter()
                .for_each(|a| self.cost(a, None));
        }
        if metric.name != keys::TOKEN_USAGE_METRIC {
            return;
        }
        macro_rules! token_points {
            ($h:expr) => {
                for p in &$h.data_points {
                    let n = Numbers {
                        start: p.start_time_unix_nano,
                        time: p.time_unix_nano,
                        count: p.count,
                        sum: p.sum,
                    };
                    let temporality = $h.aggregation_temporality;
                    self.token_usage(&p.attributes, None, temporality, n);
                }
            };
        }
        match &metric.data {
            Some(Data::Histogram(h)) => token_points!(h),
            Some(Data::ExponentialHistogram(h)) => token_points!(h),
            _ => {}
        }
    }

    /// A point of a `gen_ai.usage.cost` metric: its attribute set has a
    /// cost already. `source`, when known: the bytes `attrs` were decoded
    /// and normalized from, in this batch.
    pub fn cost(&mut self, attrs: &[KeyValue], source: Option<&[u8]>) {
        self.identify(attrs, source);
        self.note_priced();
    }

    /// [`Self::cost`] without the attributes, when `source` was met
    /// before in the batch; false (nothing done) when it was not.
    pub fn cost_by_source(&mut self, source: &[u8]) -> bool {
        let known = self.recall(source).is_some();
        if known {
            self.note_priced();
        }
        known
    }

    /// A point of a `gen_ai.client.token.usage` histogram of this
    /// temporality; points without a usable sum or token type are left out.
    /// `source` as for [`Self::cost`].
    pub fn token_usage(
        &mut self,
        attrs: &[KeyValue],
        source: Option<&[u8]>,
        temporality: i32,
        n: Numbers,
    ) {
        let input = self.identify(attrs, source);
        self.add_tokens(input, Some(attrs), temporality, n);
    }

    /// [`Self::token_usage`] without the attributes, when `source` was met
    /// before in the batch and the point needs no new group (whose
    /// attributes it would give); false (nothing done) otherwise.
    pub fn token_usage_by_source(&mut self, source: &[u8], temporality: i32, n: Numbers) -> bool {
        match self.recall(source) {
            Some(input) => self.add_tokens(input, None, temporality, n),
            None => false,
        }
    }

    fn note_priced(&mut self) {
        if !self.priced.contains(self.key.as_slice()) {
            self.priced.insert(self.key.as_slice().into());
        }
    }

    /// Adds a token usage point whose identity is in `key` and whose token
    /// type is `input` (input, output, or neither) to its group; false
    /// (nothing done) when the group is new and `attrs` is not given.
    fn add_tokens(
        &mut self,
        input: Option<bool>,
        attrs: Option<&[KeyValue]>,
        temporality: i32,
        n: Numbers,
    ) -> bool {
        let (Some(sum), Some(input)) = (n.sum.filter(|s| s.is_finite() && *s >= 0.0), input) else {
            return true;
        };
        let priced = self.priced.contains(self.key.as_slice());
        self.key.extend_from_slice(&n.time.to_le_bytes());
        self.key.extend_from_slice(&temporality.to_le_bytes());
        let i = match (self.index.get(self.key.as_slice()), attrs) {
            (Some(&i), _) => i,
            (None, None) => return false,
            (None, Some(attrs)) => {
                self.groups.push(Group {
                    attrs: match priced {
                        true => Vec::new(),
                        false => without_token_type(attrs),
                    },
                    priced,
                    start: n.start,
                    time: n.time,
                    temporality,
                    input: 0.0,
                    output: 0.0,
                    input_ops: None,
                    output_ops: None,
                    ops_overflow: false,
                });
                let i = self.groups.len() - 1;
                self.index.insert(self.key.as_slice().into(), i);
                i
            }
        };
        let g = &mut self.groups[i];
        g.start = g.start.min(n.start);
        let (tokens, ops) = match input {
            true => (&mut g.input, &mut g.input_ops),
            false => (&mut g.output, &mut g.output_ops),
        };
        *tokens += sum;
        match ops.unwrap_or(0).checked_add(n.count) {
            Some(c) => *ops = Some(c),
            None => g.ops_overflow = true,
        }
        true
    }

    /// Puts into `key` the identity `source` is known to give; returns its
    /// token type (see [`Known`]), or `None` when `source` is unknown.
    fn recall(&mut self, source: &[u8]) -> Option<Option<bool>> {
        let known = self.sources.get(source)?;
        self.key.clear();
        self.key.extend_from_slice(&known.identity);
        Some(known.input)
    }

    /// Writes into `key` an order-independent identity of an attribute
    /// set, without the token type: the attributes sorted by key (stable,
    /// so repeated keys keep their order), each key and encoded value
    /// framed; returns the token type (see [`Known`]). Remembered by
    /// `source` (see [`Self::sources`]).
    fn identify(&mut self, list: &[KeyValue], source: Option<&[u8]>) -> Option<bool> {
        if let Some(input) = source.and_then(|s| self.recall(s)) {
            return input;
        }
        let (out, order) = (&mut self.key, &mut self.order);
        out.clear();
        order.clear();
        order.extend((0..list.len()).filter(|&i| list[i].key != keys::TOKEN_TYPE));
        order.sort_by(|&a, &b| list[a].key.cmp(&list[b].key));
        for &i in order.iter() {
            let kv = &list[i];
            out.extend_from_slice(kv.key.as_bytes());
            out.push(0);
            if let Some(v) = &kv.value {
                // The value's length, written once the value is.
                let at = out.len();
                out.extend_from_slice(&[0; 4]);
                v.encode_raw(out);
                let len = (out.len() - at - 4) as u32;
                out[at..at + 4].copy_from_slice(&len.to_le_bytes());
            }
            out.push(0);
        }
        let input = match attrs::get(list, keys::TOKEN_TYPE) {
            Some(Value::StringValue(t)) if t == "input" => Some(true),
            Some(Value::StringValue(t)) if t == "output" => Some(false),
            _ => None,
        };
        if let Some(s) = source.filter(|_| self.sources.len() < MAX_SOURCES) {
            let identity = self.key.as_slice().into();
            self.sources.insert(s.into(), Known { identity, input });
        }
        input
    }

    /// The groups in the order they were met, each priced if a cost point
    /// of its attribute set came before or after its token usage; the
    /// groups are left empty for the next scope.
    fn finish(&mut self) -> Vec<Group> {
        for (key, &i) in &self.index {
            let identity = &key[..key.len() - TIME_AND_TEMPORALITY];
            self.groups[i].priced |= self.priced.contains(identity);
        }
        self.index.clear();
        self.priced.clear();
        std::mem::take(&mut self.groups)
    }
}

impl Pricer {
    /// Whether [`Self::derive_cost_metrics`] may append anything.
    pub fn derives_metrics(&self) -> bool {
        self.enabled && self.derive_metrics
    }

    /// Appends `gen_ai.usage.cost` histogram points derived from token usage
    /// histograms of this scope; returns whether anything was added.
    pub fn derive_cost_metrics(
        &self,
        sm: &mut ScopeMetrics,
        stats: &mut Stats,
        scratch: &mut Scratch,
    ) -> bool {
        if !self.derives_metrics() {
            return false;
        }
        let mut groups = CostGroups::default();
        // Cost points first: a group priced on arrival copies no attributes.
        for m in sm.metrics.iter().filter(|m| m.name == keys::COST_METRIC) {
            groups.metric(m);
        }
        for m in sm.metrics.iter().filter(|m| m.name != keys::COST_METRIC) {
            groups.metric(m);
        }
        self.append_costs(sm, &mut groups, stats, scratch)
    }

    /// Appends a cost point for every group of `groups` (the scope's token
    /// usage, taken: `groups` is left empty) without one to the scope's cost histogram of its
    /// temporality, created when there is none; returns whether anything
    /// was added.
    pub fn append_costs(
        &self,
        sm: &mut ScopeMetrics,
        groups: &mut CostGroups,
        stats: &mut Stats,
        scratch: &mut Scratch,
    ) -> bool {
        if !self.derives_metrics() {
            return false;
        }
        let mut derived: Vec<(i32, HistogramDataPoint)> = Vec::new();
        for g in groups.finish() {
            if g.priced {
                stats.costs_existing += 1;
                continue;
            }
            let temporality = g.temporality;
            if let Some(dp) = self.cost_point(g, stats, scratch) {
                derived.push((temporality, dp));
            }
        }
        if derived.is_empty() {
            return false;
        }
        for (temporality, dp) in derived {
            stats.cost_points_derived += 1;
            stats.costs_computed += 1;
            cost_histogram(sm, temporality).data_points.push(dp);
        }
        true
    }

    fn cost_point(
        &self,
        g: Group,
        stats: &mut Stats,
        scratch: &mut Scratch,
    ) -> Option<HistogramDataPoint> {
        let s = |k| attrs::get_str(&g.attrs, k).filter(|s| !s.trim().is_empty());
        let model = s(keys::RESPONSE_MODEL).or(s(keys::REQUEST_MODEL));
        let Some(model) = model else {
            stats.cost_unknown_model += 1;
            return None;
        };
        let provider = s(keys::PROVIDER);
        let (Some(price), acct) = self.priced(&mut scratch.prices, model, provider) else {
            scratch.note_unknown_model(stats, model, provider);
            return None;
        };
        if g.ops_overflow {
            // No point with a count that wrapped; counted like an
            // overflowing cost below.
            stats.cost_non_numeric_tokens += 1;
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
            stats.cost_non_numeric_tokens += 1;
            return None;
        }
        Some(HistogramDataPoint {
            attributes: g.attrs,
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

fn without_token_type(list: &[KeyValue]) -> Vec<KeyValue> {
    list.iter()
        .filter(|kv| kv.key != keys::TOKEN_TYPE)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: &str, value: &str) -> KeyValue {
        attrs::kv(key, attrs::string(value))
    }

    #[test]
    fn a_cost_point_prices_its_group_whether_it_comes_before_or_after() {
        let usage = |model, kind| {
            vec![
                kv(keys::PROVIDER, "openai"),
                kv(keys::REQUEST_MODEL, model),
                kv(keys::TOKEN_TYPE, kind),
            ]
        };
        // The same attribute set in another order, without the token type.
        let cost = vec![kv(keys::REQUEST_MODEL, "a"), kv(keys::PROVIDER, "openai")];
        let n = Numbers {
            time: 5,
            count: 2,
            sum: Some(10.0),
            ..Default::default()
        };
        // As sources, bytes that differ only near their end, as encoded
        // lists of one series do.
        let source = |list: &[KeyValue]| format!("{list:?}").into_bytes();
        for (cost_first, sourced) in [(true, false), (false, false), (true, true), (false, true)] {
            let what = format!("cost first: {cost_first}, sources: {sourced}");
            let mut groups = CostGroups::default();
            // With sources, as the walk does: by source alone if it can.
            let take_cost = |groups: &mut CostGroups| {
                let s = source(&cost);
                if !(sourced && groups.cost_by_source(&s)) {
                    groups.cost(&cost, sourced.then_some(&s[..]));
                }
            };
            if cost_first {
                take_cost(&mut groups);
            }
            // Twice, as the walk meets a series on each export.
            for _ in 0..2 {
                for (model, kind) in [("a", "input"), ("b", "input"), ("a", "output")] {
                    let (list, s) = (usage(model, kind), source(&usage(model, kind)));
                    if !(sourced && groups.token_usage_by_source(&s, 2, n)) {
                        groups.token_usage(&list, sourced.then_some(&s[..]), 2, n);
                    }
                }
            }
            if !cost_first {
                take_cost(&mut groups);
            }
            let groups = groups.finish();
            let priced: Vec<bool> = groups.iter().map(|g| g.priced).collect();
            assert_eq!(priced, [true, false], "{what}");
            assert_eq!((groups[0].input, groups[0].output), (20.0, 20.0), "{what}");
            assert_eq!((groups[1].input, groups[1].output), (20.0, 0.0), "{what}");
            // Priced on arrival, a group copies no attributes.
            assert_eq!(groups[0].attrs.is_empty(), cost_first, "{what}");
            assert_eq!(groups[1].attrs, usage("b", "input")[..2], "{what}");
        }
    }
}

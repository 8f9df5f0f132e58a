//! The connector's state: one series per attribute set, each holding the
//! histograms of the calls it counted, bounded in number (the cardinality
//! limit, then one overflow series) and in the bytes of each key (values
//! cut at `max_value_bytes`, at most [`MAX_DIMENSIONS`](super::config::MAX_DIMENSIONS)
//! configured keys), so the whole state is bounded by the configuration
//! whatever the spans say.

use hashbrown::HashMap;
use opentelemetry_proto::tonic::common::v1::any_value::Value;

use super::call::Measures;

/// The histograms of a series, in the order [`Series::hists`] holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Duration = 0,
    InputTokens = 1,
    OutputTokens = 2,
    TimeToFirstToken = 3,
    Cost = 4,
}

pub const MEASURES: [Measure; 5] = [
    Measure::Duration,
    Measure::InputTokens,
    Measure::OutputTokens,
    Measure::TimeToFirstToken,
    Measure::Cost,
];

/// `gen_ai.client.operation.duration`: the semantic conventions' advice.
pub const DURATION_BOUNDS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/// `gen_ai.client.token.usage`: the semantic conventions' advice.
pub const TOKEN_BOUNDS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];
/// `gen_ai.server.time_to_first_token`: the semantic conventions' advice.
pub const TTFT_BOUNDS: &[f64] = &[
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// `gen_ai.usage.cost` (USD per call; no convention advises any): decades
/// and halves from a millionth of a dollar to ten dollars.
pub const COST_BOUNDS: &[f64] = &[
    0.000001, 0.000005, 0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0,
    5.0, 10.0,
];

impl Measure {
    pub fn bounds(self) -> &'static [f64] {
        match self {
            Measure::Duration => DURATION_BOUNDS,
            Measure::InputTokens | Measure::OutputTokens => TOKEN_BOUNDS,
            Measure::TimeToFirstToken => TTFT_BOUNDS,
            Measure::Cost => COST_BOUNDS,
        }
    }

    fn of(self, call: &Measures) -> Option<f64> {
        match self {
            Measure::Duration => Some(call.duration_s),
            Measure::InputTokens => call.input_tokens,
            Measure::OutputTokens => call.output_tokens,
            Measure::TimeToFirstToken => call.ttft_s,
            Measure::Cost => call.cost_usd,
        }
    }
}

/// One explicit-bucket histogram; its bucket counts are in its series'
/// `buckets` ([`Series::hist_mut`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Hist {
    /// Where its `bounds.len() + 1` buckets, the last one unbounded, start
    /// in the series' `buckets`.
    at: usize,
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// Start of the totals (cumulative: when the series began counting
    /// this measure; delta: the window's start).
    pub start: u64,
    /// The flush that last sent its zero point at `start` (0: none yet).
    pub zero_sent: u64,
    /// A flush that sent the zero point was confirmed delivered
    /// (cumulative only): no later flush sends it again.
    pub zero_confirmed: bool,
}

impl Hist {
    fn new(at: usize, start: u64) -> Self {
        Self {
            at,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            start,
            zero_sent: 0,
            zero_confirmed: false,
        }
    }

    /// Counts `v` into its bucket among `counts` (its own buckets).
    fn record(&mut self, counts: &mut [u64], bounds: &[f64], v: f64) {
        // Explicit buckets are upper-inclusive: (bound[i-1], bound[i]].
        let i = bounds.partition_point(|b| *b < v);
        counts[i] += 1;
        self.count += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }
}

/// One attribute set and its histograms.
#[derive(Debug, Clone)]
pub struct Series {
    /// Values of the configured resource dimensions (the instance is added
    /// when exported).
    pub resource: Vec<Option<Value>>,
    /// Values of the point attributes ([`super::call::POINT_KEYS`], then
    /// the configured dimensions); empty for the overflow series.
    pub point: Vec<Option<Value>>,
    /// The overflow series (`otel.metric.overflow=true`, no other attribute).
    pub overflow: bool,
    pub hists: [Option<Hist>; 5],
    /// The bucket counts of its histograms, one after the other: one
    /// allocation per series rather than one per histogram, so counting a
    /// call touches one block of memory.
    buckets: Vec<u64>,
    /// When a call was last counted (expiry).
    pub updated: u64,
    /// Bytes its key takes, counted once in the map and once here.
    key_bytes: usize,
}

impl Series {
    /// Measure `m`'s histogram and its bucket counts.
    pub fn hist_mut(&mut self, m: Measure) -> Option<(&mut Hist, &[u64])> {
        let h = self.hists[m as usize].as_mut()?;
        let at = h.at;
        Some((h, &self.buckets[at..at + m.bounds().len() + 1]))
    }
}

/// How the table took a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Existing,
    New,
    Overflow,
}

/// Every series, their index by key, and the bounds.
#[derive(Debug)]
pub struct Table {
    /// Series key -> index in `series`. hashbrown's default hasher is
    /// seeded per map, so senders cannot aim keys at one bucket.
    index: HashMap<Vec<u8>, usize>,
    pub series: Vec<Series>,
    overflow: Option<usize>,
    limit: usize,
    /// How many values of a key are the resource's.
    resource_values: usize,
    /// A reusable buffer for keys rebuilt from series.
    key: Vec<u8>,
    /// Flushes so far (numbers each flush for confirmation).
    flushes: u64,
    /// [`Self::bytes`], kept up to date as series and histograms come and
    /// go, so that reporting it costs nothing per batch.
    bytes: usize,
}

impl Table {
    /// A table of at most `limit` series whose keys start with
    /// `resource_values` resource values.
    pub fn new(limit: usize, resource_values: usize) -> Self {
        Self {
            index: HashMap::new(),
            series: Vec::new(),
            overflow: None,
            limit,
            resource_values,
            key: Vec::new(),
            flushes: 0,
            bytes: 0,
        }
    }

    /// Numbers a new flush (from 1).
    pub fn next_generation(&mut self) -> u64 {
        self.flushes += 1;
        self.flushes
    }

    /// Series other than the overflow series.
    pub fn active(&self) -> usize {
        self.series.len() - usize::from(self.overflow.is_some())
    }

    /// Bytes held by series keys and histograms (what grows with series).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Counts a call at time `now` into the series of `key`: its resource
    /// values then its point values, each [`encode`]d (cut already).
    pub fn record(&mut self, key: &[u8], call: &Measures, now: u64) -> Taken {
        let (at, taken) = match self.index.get(key) {
            Some(&i) => (i, Taken::Existing),
            None if self.active() < self.limit => {
                let mut values = decode(key);
                let point = values.split_off(self.resource_values.min(values.len()));
                // Held as long as the series: no room for the point values.
                values.shrink_to_fit();
                let i = self.series.len();
                self.series.push(Series {
                    resource: values,
                    point,
                    overflow: false,
                    hists: Default::default(),
                    buckets: Vec::new(),
                    updated: now,
                    key_bytes: key.len(),
                });
                self.index.insert(key.to_vec(), i);
                self.bytes += series_bytes(&self.series[i]);
                (i, Taken::New)
            }
            None => (self.overflow_series(now), Taken::Overflow),
        };
        let Series {
            hists,
            buckets,
            updated,
            ..
        } = &mut self.series[at];
        *updated = now;
        for m in MEASURES {
            let Some(v) = m.of(call) else { continue };
            let bounds = m.bounds();
            let hist = hists[m as usize].get_or_insert_with(|| {
                let at = buckets.len();
                // Held as long as the series: no room to spare.
                buckets.reserve_exact(bounds.len() + 1);
                buckets.resize(at + bounds.len() + 1, 0);
                self.bytes += HIST_BYTES + 8 * (bounds.len() + 1);
                Hist::new(at, now)
            });
            let counts = &mut buckets[hist.at..hist.at + bounds.len() + 1];
            hist.record(counts, bounds, v);
        }
        taken
    }

    fn overflow_series(&mut self, now: u64) -> usize {
        if let Some(i) = self.overflow {
            return i;
        }
        self.series.push(Series {
            resource: Vec::new(),
            point: Vec::new(),
            overflow: true,
            hists: Default::default(),
            buckets: Vec::new(),
            updated: now,
            key_bytes: 0,
        });
        let i = self.series.len() - 1;
        self.bytes += series_bytes(&self.series[i]);
        self.overflow = Some(i);
        i
    }

    /// Drops the series not updated since `before`; returns how many.
    pub fn expire(&mut self, before: u64) -> usize {
        let n = self.series.len();
        let mut freed = 0;
        self.series.retain(|s| {
            let keep = s.updated >= before;
            if !keep {
                freed += series_bytes(s);
            }
            keep
        });
        self.bytes -= freed;
        let expired = n - self.series.len();
        if expired > 0 {
            self.reindex();
        }
        expired
    }

    /// Delta temporality: every total starts again from zero at `now`.
    pub fn reset(&mut self, now: u64) {
        for s in &mut self.series {
            for h in s.hists.iter_mut().flatten() {
                *h = Hist::new(h.at, now);
            }
            s.buckets.fill(0);
        }
    }

    fn reindex(&mut self) {
        self.index.clear();
        self.overflow = None;
        for (i, s) in self.series.iter().enumerate() {
            if s.overflow {
                self.overflow = Some(i);
                continue;
            }
            self.key.clear();
            for v in s.resource.iter().chain(&s.point) {
                encode(&mut self.key, v.as_ref(), usize::MAX);
            }
            self.index.insert(self.key.clone(), i);
        }
    }
}

/// What one histogram takes besides its buckets.
const HIST_BYTES: usize = 48;

/// The bytes one series holds: its key (in the index and in the series),
/// the series itself and its histograms' buckets.
fn series_bytes(s: &Series) -> usize {
    2 * s.key_bytes
        + std::mem::size_of::<Series>()
        + HIST_BYTES * s.hists.iter().flatten().count()
        + 8 * s.buckets.len()
}

/// Appends a self-delimiting encoding of one value (so that no two lists
/// of values share a key), a string cut to `max` bytes at a character
/// boundary. Only the types [`super::call::each_dim`] hands over are
/// encoded; any other is encoded as no value. Short: a key is hashed,
/// compared and copied for every call counted, so no value takes a byte
/// more than it needs (no value one byte, a string a byte and a varint
/// length before its bytes).
pub fn encode(key: &mut Vec<u8>, value: Option<&Value>, max: usize) {
    match value {
        Some(Value::StringValue(s)) => {
            let mut end = s.len().min(max);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            let bytes = &s.as_bytes()[..end];
            key.reserve(1 + 10 + bytes.len());
            match u8::try_from(bytes.len()) {
                Ok(n) if n < 0x80 => key.extend_from_slice(&[STRING, n]),
                _ => {
                    key.push(STRING);
                    prost::encoding::encode_varint(bytes.len() as u64, key);
                }
            }
            key.extend_from_slice(bytes);
        }
        Some(Value::IntValue(i)) => {
            let mut head = [INT; 9];
            head[1..].copy_from_slice(&i.to_le_bytes());
            key.extend_from_slice(&head);
        }
        Some(Value::BoolValue(b)) => key.extend_from_slice(&[BOOL, u8::from(*b)]),
        _ => key.push(NONE),
    }
}

const NONE: u8 = 0;
const STRING: u8 = 1;
const INT: u8 = 2;
const BOOL: u8 = 3;

/// The values [`encode`] wrote into `key`, in order.
pub fn decode(mut key: &[u8]) -> Vec<Option<Value>> {
    let mut values = Vec::new();
    while let Some((&tag, rest)) = key.split_first() {
        key = rest;
        values.push(match tag {
            STRING => {
                let len = prost::encoding::decode_varint(&mut key).unwrap_or(0) as usize;
                let (bytes, rest) = key.split_at(len.min(key.len()));
                key = rest;
                Some(Value::StringValue(
                    String::from_utf8_lossy(bytes).into_owned(),
                ))
            }
            INT => {
                let (n, rest) = key.split_at(8.min(key.len()));
                key = rest;
                n.try_into()
                    .ok()
                    .map(|n| Value::IntValue(i64::from_le_bytes(n)))
            }
            BOOL => {
                let (b, rest) = key.split_at(1.min(key.len()));
                key = rest;
                Some(Value::BoolValue(b == [1]))
            }
            _ => None,
        });
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::string;

    fn call(input: f64) -> Measures {
        Measures {
            duration_s: 0.05,
            input_tokens: Some(input),
            output_tokens: None,
            ttft_s: None,
            cost_usd: Some(0.001),
            failed: false,
        }
    }

    /// The key of a call with these resource values, operation chat and
    /// this model, strings cut to `max`.
    fn key(resource: &[&str], model: &str, max: usize) -> Vec<u8> {
        let mut k = Vec::new();
        for r in resource {
            encode(&mut k, Some(&string(*r)), max);
        }
        encode(&mut k, Some(&string("chat")), max);
        encode(&mut k, Some(&string(model)), max);
        k
    }

    #[test]
    fn same_attributes_same_series() {
        let mut t = Table::new(10, 1);
        let k = |r: &str, m: &str| key(&[r], m, 256);
        assert_eq!(t.record(&k("svc", "a"), &call(100.0), 1), Taken::New);
        assert_eq!(t.record(&k("svc", "a"), &call(300.0), 2), Taken::Existing);
        assert_eq!(t.record(&k("svc", "b"), &call(1.0), 3), Taken::New);
        assert_eq!(t.record(&k("other", "a"), &call(1.0), 3), Taken::New);
        assert_eq!(t.series[0].resource, vec![Some(string("svc"))]);
        assert_eq!(
            t.series[0].point,
            vec![Some(string("chat")), Some(string("a"))]
        );
        assert_eq!(t.active(), 3);
        let h = t.series[0].hists[Measure::InputTokens as usize]
            .as_ref()
            .unwrap();
        assert_eq!((h.count, h.sum, h.min, h.max), (2, 400.0, 100.0, 300.0));
        // 100 in (64, 256], 300 in (256, 1024]
        let (_, counts) = t.series[0].hist_mut(Measure::InputTokens).unwrap();
        assert_eq!((counts[4], counts[5]), (1, 1));
        assert!(t.series[0].hists[Measure::OutputTokens as usize].is_none());
    }

    #[test]
    fn buckets_are_upper_inclusive() {
        let mut h = Hist::new(0, 0);
        let mut counts = [0; DURATION_BOUNDS.len() + 1];
        h.record(&mut counts, DURATION_BOUNDS, 0.01);
        h.record(&mut counts, DURATION_BOUNDS, 0.010001);
        h.record(&mut counts, DURATION_BOUNDS, 1000.0);
        assert_eq!(counts[0], 1);
        assert_eq!(counts[1], 1);
        assert_eq!(counts[DURATION_BOUNDS.len()], 1);
    }

    #[test]
    fn past_the_limit_calls_go_to_one_overflow_series() {
        let mut t = Table::new(2, 0);
        for i in 0..100 {
            t.record(&key(&[], &format!("m{i}"), 256), &call(1.0), 1);
        }
        assert_eq!(t.active(), 2);
        assert_eq!(t.series.len(), 3);
        let o = t.series.iter().find(|s| s.overflow).unwrap();
        assert_eq!(o.hists[0].as_ref().unwrap().count, 98);
        // Known series still count past the limit.
        assert_eq!(
            t.record(&key(&[], "m0", 256), &call(1.0), 2),
            Taken::Existing
        );
    }

    #[test]
    fn long_values_are_cut_so_keys_stay_bounded() {
        let mut t = Table::new(10, 0);
        t.record(&key(&[], &"é".repeat(1000), 16), &call(1.0), 1);
        let Some(Value::StringValue(m)) = &t.series[0].point[1] else {
            panic!()
        };
        assert_eq!(m.len(), 16);
        // Two names equal in their first 16 bytes share the series.
        assert_eq!(
            t.record(&key(&[], &"é".repeat(999), 16), &call(1.0), 1),
            Taken::Existing
        );
    }

    #[test]
    fn expired_series_go_and_the_rest_stay_findable() {
        let mut t = Table::new(3, 0);
        let k = |m: &str| key(&[], m, 256);
        t.record(&k("old"), &call(1.0), 1);
        t.record(&k("new"), &call(1.0), 10);
        for i in 0..5 {
            t.record(&k(&format!("x{i}")), &call(1.0), 10);
        }
        assert_eq!(t.expire(5), 1);
        assert_eq!(t.active(), 2);
        assert_eq!(t.record(&k("new"), &call(1.0), 11), Taken::Existing);
        assert_eq!(t.record(&k("old"), &call(1.0), 11), Taken::New);
        assert_eq!(t.record(&k("x4"), &call(1.0), 11), Taken::Overflow);
    }

    #[test]
    fn the_byte_count_follows_series_and_histograms() {
        let mut t = Table::new(3, 0);
        let counted = |t: &Table| t.series.iter().map(series_bytes).sum::<usize>();
        for (i, now) in [(0, 1), (1, 5), (2, 5), (3, 5), (4, 5)] {
            let mut c = call(1.0);
            c.output_tokens = (i % 2 == 0).then_some(2.0);
            t.record(&key(&[], &format!("m{i}"), 256), &c, now);
            assert_eq!(t.bytes(), counted(&t));
        }
        assert_eq!(t.expire(3), 1);
        assert_eq!(t.bytes(), counted(&t));
        t.reset(9);
        assert_eq!(t.bytes(), counted(&t));
        assert!(t.bytes() > 0);
    }

    #[test]
    fn keys_do_not_collide_across_value_boundaries() {
        let enc = |values: &[Option<Value>]| {
            let mut k = Vec::new();
            for v in values {
                encode(&mut k, v.as_ref(), usize::MAX);
            }
            k
        };
        assert_ne!(
            enc(&[Some(string("ab")), Some(string("c"))]),
            enc(&[Some(string("a")), Some(string("bc"))])
        );
        assert_ne!(
            enc(&[None, Some(string(""))]),
            enc(&[Some(string("")), None])
        );
    }

    #[test]
    fn keys_decode_to_their_values() {
        let values = vec![
            Some(string("gpt-4o")),
            None,
            Some(string("x".repeat(127))),
            Some(string("y".repeat(128))),
            Some(string("z".repeat(70_000))),
            Some(Value::BoolValue(false)),
            Some(Value::IntValue(-429)),
            Some(Value::BoolValue(true)),
            Some(string("")),
        ];
        let mut k = Vec::new();
        for v in &values {
            encode(&mut k, v.as_ref(), usize::MAX);
        }
        assert_eq!(decode(&k), values);
    }
}

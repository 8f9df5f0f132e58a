//! The changes the stages made to a batch, as a list of edits the caller
//! applies to the batch it already holds (pdata in the Go component)
//! instead of decoding a whole new batch: for every attribute list that
//! changed, which keys to delete and which to set, and the scopes whose
//! schema URL is set; for metrics also renamed metrics and the points and
//! metrics the cost stage appended. Applied in order with pdata's `Map`
//! semantics (setting an existing key keeps its place, a new key is
//! appended, deleting keeps the order of the rest), the edits give exactly
//! the attribute lists the stages produced; a list whose result could not
//! be reached that way (duplicate keys) makes the batch fall back to a full
//! output.
//!
//! The format is specified in [`crate::edit_format`], whose constants this
//! writer uses and the C header exports to the Go reader.
//!
//! Indices count the messages of each kind in their parent, in wire order.

use std::collections::HashMap;

use hashbrown::DefaultHashBuilder;

use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};

use super::attr_list::is_placeholder;
use super::edit_reader::Reader;
use super::kv;
use super::list_diff::{ops, renames, Op};
use crate::attrs::same_key;
use crate::edit_format as fmt;

/// Where an attribute list sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Resource = fmt::GENAI_EDIT_TARGET_RESOURCE as isize,
    Span = fmt::GENAI_EDIT_TARGET_SPAN as isize,
    SpanEvent = fmt::GENAI_EDIT_TARGET_SPAN_EVENT as isize,
    LogRecord = fmt::GENAI_EDIT_TARGET_LOG_RECORD as isize,
    DataPoint = fmt::GENAI_EDIT_TARGET_DATA_POINT as isize,
}

/// Indices of the list's messages (unused ones 0).
#[derive(Debug, Clone, Copy, Default)]
pub struct Location {
    pub resource: u32,
    pub scope: u32,
    pub item: u32,
    pub event: u32,
}

/// The edits of one batch being built.
#[derive(Debug)]
pub struct Edits {
    buf: Vec<u8>,
    entries: u32,
    /// `reads` answers for keys the stages added, which repeat from item
    /// to item.
    added_keys: HashMap<Vec<u8>, bool, DefaultHashBuilder>,
    /// A change could not be expressed: the caller needs the full output.
    pub unrepresentable: bool,
    /// Where the ops of the last list entry sit in `buf`.
    last_ops: Option<std::ops::Range<usize>>,
    /// Encoded values being compared.
    scratch: Vec<u8>,
    /// The list [`Edits::replays`] built from the last entry's ops: keys
    /// and values, by where they come from.
    replayed: Vec<(Bytes, Bytes)>,
    /// The input keys `replayed` was built from (each a `u32` length and
    /// the bytes), when it belongs to the last entry's ops.
    replayed_from: Option<Vec<u8>>,
    /// The buffer of a `replayed_from` forgotten, for the next one.
    replayed_from_buf: Vec<u8>,
    /// The last list entry was a replay that keeps every input attribute
    /// in its place, under its key or a new one, and adds only values its
    /// ops state (see [`Edits::repeat_positional`]).
    positional: bool,
}

/// Where [`Edits::replays`] finds a key or value: the input attribute at
/// an index (its key, or its value's protobuf bytes), or bytes of `buf`
/// (in the edit format).
#[derive(Debug, Clone, Copy)]
enum Bytes {
    Input(usize),
    Buf(usize, usize),
}

/// A range of `buf` read back by an edit [`Reader`].
fn buf_bytes((from, to): (usize, usize)) -> Bytes {
    Bytes::Buf(from, to)
}

impl Default for Edits {
    fn default() -> Self {
        Self {
            buf: 0u32.to_le_bytes().to_vec(),
            entries: 0,
            added_keys: HashMap::default(),
            unrepresentable: false,
            last_ops: None,
            scratch: Vec::with_capacity(64),
            replayed: Vec::new(),
            replayed_from: None,
            replayed_from_buf: Vec::new(),
            positional: false,
        }
    }
}

/// One attribute of the input list that the stages saw: its key and the
/// bytes of its `AnyValue`.
#[derive(Clone, Copy)]
pub struct Original<'a> {
    pub key: &'a [u8],
    pub value: &'a [u8],
}

impl Edits {
    /// The finished edit list.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf[..4].copy_from_slice(&self.entries.to_le_bytes());
        self.buf
    }

    /// Records that the scope at `at` gets `schema_url`.
    pub fn schema_url(&mut self, at: Location, schema_url: &[u8]) {
        self.header(fmt::GENAI_EDIT_TARGET_SCHEMA_URL, at);
        put_bytes(&mut self.buf, schema_url);
    }

    /// Records that the metric at `at` is renamed, its unit set.
    pub fn metric_name(&mut self, at: Location, name: &str, unit: &str) {
        self.header(fmt::GENAI_EDIT_TARGET_METRIC_NAME, at);
        put_bytes(&mut self.buf, name.as_bytes());
        put_bytes(&mut self.buf, unit.as_bytes());
    }

    /// Records points appended to the metric at `at`, given as an encoded
    /// metric batch (see the format).
    pub fn appended_points(&mut self, at: Location, batch: &[u8]) {
        self.header(fmt::GENAI_EDIT_TARGET_APPENDED_POINTS, at);
        put_bytes(&mut self.buf, batch);
    }

    /// Records metrics appended to the scope at `at`, given as an encoded
    /// metric batch (see the format).
    pub fn appended_metrics(&mut self, at: Location, batch: &[u8]) {
        self.header(fmt::GENAI_EDIT_TARGET_APPENDED_METRICS, at);
        put_bytes(&mut self.buf, batch);
    }

    /// Records the edits turning a list into the stages' `result`, in
    /// which placeholders (empty keys without a value) stand for the
    /// attributes the stages did not see, in order; `decoded` are the ones
    /// they saw, as they came (`None`: one could not be described). Every
    /// key the edits touch must be one `reads` (the walk's decision to
    /// decode a key) says yes to, so that no placeholder holds it.
    pub fn list(
        &mut self,
        target: Target,
        at: Location,
        decoded: Option<&[Original<'_>]>,
        result: &[KeyValue],
        reads: &dyn Fn(&[u8]) -> bool,
    ) {
        if self.unrepresentable {
            return;
        }
        let decoded = match decoded {
            Some(d) => d,
            None => return self.unrepresentable = true,
        };
        // Items of one kind mostly get the same ops (the same keys renamed,
        // the same resource labels added): when the last entry's ops give
        // this list's result too, say so in four bytes without computing
        // them.
        let whole = !result.iter().any(is_placeholder);
        self.positional = false;
        if whole && self.replays(decoded, result) {
            self.positional = self.replayed.len() >= decoded.len()
                && self.replayed.iter().enumerate().all(|(j, (_, v))| match v {
                    Bytes::Input(i) => *i == j,
                    Bytes::Buf(..) => j >= decoded.len(),
                });
            self.header(target as u8, at);
            self.buf
                .extend_from_slice(&fmt::GENAI_EDIT_REPEAT.to_le_bytes());
            return;
        }
        let added_keys = &mut self.added_keys;
        let mut reads = |key: &[u8]| match added_keys.get(key) {
            Some(&r) => r,
            None => *added_keys.entry(key.to_vec()).or_insert_with(|| reads(key)),
        };
        let scratch = &mut self.scratch;
        match ops(decoded, result, whole, &mut reads, scratch)
            .map(|ops| renames(decoded, ops, scratch))
        {
            Some(ops) if ops.is_empty() => {}
            Some(ops) => {
                self.header(target as u8, at);
                let start = self.buf.len();
                self.buf
                    .extend_from_slice(&(ops.len() as u32).to_le_bytes());
                for op in ops {
                    match op {
                        Op::Delete(o) => {
                            self.buf.push(fmt::GENAI_EDIT_OP_DELETE);
                            put_bytes(&mut self.buf, o.key);
                        }
                        Op::Set(kv) => {
                            self.buf.push(fmt::GENAI_EDIT_OP_SET);
                            put_bytes(&mut self.buf, kv.key.as_bytes());
                            put_value(
                                &mut self.buf,
                                kv.value.as_ref().and_then(|v| v.value.as_ref()),
                            );
                        }
                        Op::Rename(from, to) => {
                            self.buf.push(fmt::GENAI_EDIT_OP_RENAME);
                            put_bytes(&mut self.buf, from);
                            put_bytes(&mut self.buf, to.key.as_bytes());
                        }
                    }
                }
                // The same ops as the last entry's after all (a list
                // the replay could not tell, such as one with a
                // placeholder).
                if self
                    .last_ops
                    .as_ref()
                    .is_some_and(|r| self.buf[r.clone()] == self.buf[start..])
                {
                    self.buf.truncate(start);
                    self.buf
                        .extend_from_slice(&fmt::GENAI_EDIT_REPEAT.to_le_bytes());
                } else {
                    self.last_ops = Some(start..self.buf.len());
                    self.forget_replay();
                }
            }
            None => self.unrepresentable = true,
        }
    }

    /// Records the last list entry's ops again for a list the caller has
    /// not run the stages on, when it knows their result would be
    /// positional: each attribute in its place, under the key the stages
    /// give any list of these keys, followed by the attributes they add to
    /// every such list. The ops then give that result only if the last
    /// entry was a replay of that shape on the same keys (so its ops were
    /// checked against a stages' result): otherwise nothing is written and
    /// the answer is false.
    pub fn repeat_positional(
        &mut self,
        target: Target,
        at: Location,
        decoded: &[Original<'_>],
    ) -> bool {
        if self.unrepresentable || !self.positional || !self.replayed_from_keys(decoded) {
            return false;
        }
        self.header(target as u8, at);
        self.buf
            .extend_from_slice(&fmt::GENAI_EDIT_REPEAT.to_le_bytes());
        true
    }

    /// Forgets the input keys of the last replay, keeping their buffer
    /// (one per item otherwise).
    fn forget_replay(&mut self) {
        if let Some(from) = self.replayed_from.take() {
            self.replayed_from_buf = from;
        }
    }

    /// Whether `decoded` has the keys, in order, the last replay was built from.
    fn replayed_from_keys(&self, decoded: &[Original<'_>]) -> bool {
        self.replayed_from.as_ref().is_some_and(|from| {
            let mut r = Reader::new(from);
            decoded
                .iter()
                .all(|o| matches!(r.range(), Some((s, e)) if same_key(&from[s..e], o.key)))
                && r.at == from.len()
        })
    }

    /// Whether the last list entry's ops, applied to `decoded` as the Go
    /// component applies them, give exactly `result` (keys, order and
    /// values), all of it decoded.
    fn replays(&mut self, decoded: &[Original<'_>], result: &[KeyValue]) -> bool {
        let Some(range) = self.last_ops.clone() else {
            return false;
        };
        // Ops act on keys alone: input keys the last replay had give the
        // same list of sources, and only the values need comparing.
        if self.replayed_from_keys(decoded) {
            return self.gives(decoded, result);
        }
        self.forget_replay();
        let (buf, list) = (&self.buf, &mut self.replayed);
        let bytes = |b: Bytes| match b {
            Bytes::Input(i) => decoded[i].key,
            Bytes::Buf(from, to) => &buf[from..to],
        };
        list.clear();
        list.extend((0..decoded.len()).map(|i| (Bytes::Input(i), Bytes::Input(i))));
        let mut r = Reader {
            buf,
            at: range.start,
        };
        let Some(n) = r.u32() else { return false };
        for _ in 0..n {
            let (Some(op), Some(key)) = (r.u8(), r.range().map(buf_bytes)) else {
                return false;
            };
            let k = bytes(key);
            let first = list.iter().position(|&(lk, _)| same_key(bytes(lk), k));
            match (op, first) {
                (0, _) => list.retain(|&(lk, _)| !same_key(bytes(lk), k)),
                (1, Some(i)) => match r.value_range().map(buf_bytes) {
                    Some(v) => list[i].1 = v,
                    None => return false,
                },
                (1, None) => match r.value_range().map(buf_bytes) {
                    Some(v) => list.push((key, v)),
                    None => return false,
                },
                (2, Some(i)) => {
                    let Some(to) = r.range().map(buf_bytes) else {
                        return false;
                    };
                    let (_, v) = list.remove(i);
                    let t = bytes(to);
                    if list.iter().any(|&(lk, _)| same_key(bytes(lk), t)) {
                        return false;
                    }
                    list.push((to, v));
                }
                _ => return false,
            }
        }
        let mut from = std::mem::take(&mut self.replayed_from_buf);
        from.clear();
        for o in decoded {
            put_bytes(&mut from, o.key);
        }
        self.replayed_from = Some(from);
        self.gives(decoded, result)
    }

    /// Whether `replayed`, read with `decoded`'s values, is `result`.
    fn gives(&mut self, decoded: &[Original<'_>], result: &[KeyValue]) -> bool {
        let (buf, scratch) = (&self.buf, &mut self.scratch);
        let bytes = |b: Bytes, key: bool| match b {
            Bytes::Input(i) if key => decoded[i].key,
            Bytes::Input(i) => decoded[i].value,
            Bytes::Buf(from, to) => &buf[from..to],
        };
        self.replayed.len() == result.len()
            && self.replayed.iter().zip(result).all(|(&(k, v), kv)| {
                if !same_key(bytes(k, true), kv.key.as_bytes()) {
                    return false;
                }
                scratch.clear();
                let value = kv.value.as_ref();
                match v {
                    Bytes::Input(_) => encode_any_value(value, scratch),
                    Bytes::Buf(..) => put_value(scratch, value.and_then(|v| v.value.as_ref())),
                }
                same_key(bytes(v, false), scratch)
            })
    }

    fn header(&mut self, target: u8, at: Location) {
        self.entries += 1;
        self.buf.push(target);
        for i in [at.resource, at.scope, at.item, at.event] {
            self.buf.extend_from_slice(&i.to_le_bytes());
        }
    }
}

/// An attribute's value as `KeyValue.value` holds it (the `AnyValue`
/// message's bytes), for comparison with the input's.
pub(super) fn encode_any_value(value: Option<&AnyValue>, out: &mut Vec<u8>) {
    if let Some(v) = value {
        kv::encode_any_value(v, out);
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

pub(super) fn put_value(out: &mut Vec<u8>, v: Option<&Value>) {
    let Some(v) = v else {
        out.push(fmt::GENAI_EDIT_VALUE_EMPTY);
        return;
    };
    match v {
        Value::StringValue(s) => {
            out.push(fmt::GENAI_EDIT_VALUE_STRING);
            put_bytes(out, s.as_bytes());
        }
        Value::BoolValue(b) => {
            out.push(fmt::GENAI_EDIT_VALUE_BOOL);
            out.push(u8::from(*b));
        }
        Value::IntValue(i) => {
            out.push(fmt::GENAI_EDIT_VALUE_INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::DoubleValue(d) => {
            out.push(fmt::GENAI_EDIT_VALUE_DOUBLE);
            out.extend_from_slice(&d.to_le_bytes());
        }
        Value::BytesValue(b) => {
            out.push(fmt::GENAI_EDIT_VALUE_BYTES);
            put_bytes(out, b);
        }
        Value::ArrayValue(a) => {
            out.push(fmt::GENAI_EDIT_VALUE_ARRAY);
            out.extend_from_slice(&(a.values.len() as u32).to_le_bytes());
            for e in &a.values {
                put_value(out, e.value.as_ref());
            }
        }
        Value::KvlistValue(l) => {
            out.push(fmt::GENAI_EDIT_VALUE_MAP);
            out.extend_from_slice(&(l.values.len() as u32).to_le_bytes());
            for kv in &l.values {
                put_bytes(out, kv.key.as_bytes());
                put_value(out, kv.value.as_ref().and_then(|v| v.value.as_ref()));
            }
        }
        // Profiles-only indices: never produced by the stages.
        #[allow(unreachable_patterns)]
        _ => out.push(fmt::GENAI_EDIT_VALUE_EMPTY),
    }
}

#[cfg(test)]
mod tests {
    use super::super::list_diff::{fits_hashed, fits_pairwise};
    use super::*;
    use prost::Message;

    fn kv(key: &str, v: &str) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(v.into())),
            }),
            key_strindex: 0,
        }
    }

    fn encoded(kv: &KeyValue) -> Vec<u8> {
        kv.value.as_ref().unwrap().encode_to_vec()
    }

    fn shape(ops: &[Op]) -> Vec<String> {
        ops.iter()
            .map(|op| match op {
                Op::Delete(o) => format!("-{}", String::from_utf8_lossy(o.key)),
                Op::Set(kv) => format!("+{}", kv.key),
                Op::Rename(from, kv) => format!("{}>{}", String::from_utf8_lossy(from), kv.key),
            })
            .collect()
    }

    fn all(_: &[u8]) -> bool {
        true
    }

    fn ops<'a, 'k>(
        decoded: &[Original<'k>],
        result: &'a [KeyValue],
        reads: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Option<Vec<Op<'a, 'k>>> {
        let whole = !result.iter().any(is_placeholder);
        super::ops(decoded, result, whole, reads, &mut Vec::new())
    }

    /// The pairwise and the hashed checks agree, on ops drawn from a few
    /// keys (so that keys repeat among the inputs and the ops).
    #[test]
    fn pairwise_and_hashed_checks_agree() {
        let names = ["a", "b", "c", "d", "e"];
        let values: Vec<KeyValue> = names.iter().map(|k| kv(k, "v")).collect();
        let mut rng = crate::test_rng::TestRng::new(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: usize| rng.below(n);
        let mut agreed = [0; 2];
        for _ in 0..20_000 {
            let decoded: Vec<Original> = (0..next(6))
                .map(|_| Original {
                    key: names[next(names.len())].as_bytes(),
                    value: b"",
                })
                .collect();
            let first_new = next(5);
            let ops: Vec<Op> = (0..first_new + next(4))
                .map(|n| match n < first_new && next(2) == 0 {
                    true => Op::Delete(Original {
                        key: names[next(names.len())].as_bytes(),
                        value: b"",
                    }),
                    false => Op::Set(&values[next(names.len())]),
                })
                .collect();
            let whole = next(2) == 0;
            let reads = |k: &[u8]| k != b"e";
            let pairwise = fits_pairwise(&decoded, &ops, first_new, whole, &mut { reads });
            let hashed = fits_hashed(&decoded, &ops, first_new, whole, &mut { reads });
            assert_eq!(
                pairwise,
                hashed,
                "{:?} {:?} {first_new}",
                shape(&ops),
                whole
            );
            agreed[usize::from(pairwise)] += 1;
        }
        assert!(
            agreed.iter().all(|&n| n > 100),
            "both answers drawn: {agreed:?}"
        );
    }

    #[test]
    fn deletes_sets_and_appends_replay_to_the_result() {
        let (a, b, c) = (kv("a", "1"), kv("b", "2"), kv("c", "3"));
        let (ea, eb) = (encoded(&a), encoded(&b));
        let decoded = [
            Original {
                key: b"a",
                value: &ea,
            },
            Original {
                key: b"b",
                value: &eb,
            },
        ];
        // A placeholder first; b changed in place, a removed, c appended.
        let result = [KeyValue::default(), kv("b", "two"), c];
        let ops = ops(&decoded, &result, &mut all).expect("representable");
        assert_eq!(shape(&ops), ["-a", "+b", "+c"]);
        // A new key the walk would not decode might be a placeholder's.
        let none_of_c = super::ops(
            &decoded,
            &result,
            false,
            &mut |k: &[u8]| k != b"c",
            &mut Vec::new(),
        );
        assert!(none_of_c.is_none());
    }

    #[test]
    fn long_lists_take_one_pass() {
        let keys: Vec<String> = (0..1000).map(|i| format!("app.{i}")).collect();
        let kvs: Vec<KeyValue> = keys.iter().map(|k| kv(k, "v")).collect();
        let values: Vec<Vec<u8>> = kvs.iter().map(encoded).collect();
        let decoded: Vec<Original> = keys
            .iter()
            .zip(&values)
            .map(|(k, v)| Original {
                key: k.as_bytes(),
                value: v,
            })
            .collect();
        let mut result = kvs.clone();
        result.remove(500);
        result[10] = kv("app.10", "changed");
        result.push(kv("gen_ai.usage.cost", "1"));
        let edits = ops(&decoded, &result, &mut all).expect("representable");
        assert_eq!(edits.len(), 3);
        let mut dup = decoded;
        dup[999].key = b"app.3";
        assert!(
            ops(&dup, &kvs, &mut all).is_none(),
            "a repeated key in a long list"
        );
    }

    #[test]
    fn duplicates_and_reordering_are_unrepresentable() {
        let a = kv("a", "1");
        let ea = encoded(&a);
        let dup = [
            Original {
                key: b"a",
                value: &ea,
            },
            Original {
                key: b"a",
                value: &ea,
            },
        ];
        assert!(ops(&dup, &[a.clone(), kv("z", "9")], &mut all).is_none());
        // A new key placed before an original: the original moves to the
        // end, which a placeholder forbids (it would stay before them).
        let decoded = [Original {
            key: b"a",
            value: &ea,
        }];
        let result = [kv("n", "new"), a.clone()];
        let moved = ops(&decoded, &result, &mut all).expect("a move");
        assert_eq!(shape(&moved), ["-a", "+n", "+a"]);
        let held = [KeyValue::default(), kv("n", "new"), a.clone()];
        assert!(ops(&decoded, &held, &mut all).is_none());
        // Nothing changed: no ops.
        assert!(ops(&decoded, &[a], &mut all).unwrap().is_empty());
    }

    /// Lists of keys `a.x` and `b` with the values given, as decoded.
    fn point(values: [&str; 2]) -> (Vec<KeyValue>, Vec<Vec<u8>>) {
        let kvs = vec![kv("a.x", values[0]), kv("b", values[1])];
        let encoded = kvs.iter().map(encoded).collect();
        (kvs, encoded)
    }

    fn originals<'a>(kvs: &'a [KeyValue], values: &'a [Vec<u8>]) -> Vec<Original<'a>> {
        kvs.iter()
            .zip(values)
            .map(|(kv, v)| Original {
                key: kv.key.as_bytes(),
                value: v,
            })
            .collect()
    }

    #[test]
    fn only_a_checked_positional_replay_on_the_same_keys_repeats() {
        let at = Location::default();
        let record = |edits: &mut Edits, values: [&str; 2], result: Vec<KeyValue>| {
            let (kvs, encoded) = point(values);
            edits.list(
                Target::DataPoint,
                at,
                Some(&originals(&kvs, &encoded)),
                &result,
                &all,
            );
        };
        let repeats = |edits: &mut Edits, kvs: &[KeyValue]| {
            let encoded: Vec<_> = kvs.iter().map(encoded).collect();
            edits.repeat_positional(Target::DataPoint, at, &originals(kvs, &encoded))
        };
        let (p2, _) = point(["5", "6"]);

        // Keys renamed in place and a constant appended: positional once
        // a second list has replayed the first's ops.
        let labelled =
            |values: [&str; 2]| vec![kv("a_x", values[0]), kv("b", values[1]), kv("label", "c")];
        let mut edits = Edits::default();
        assert!(!repeats(&mut edits, &point(["1", "2"]).0));
        record(&mut edits, ["1", "2"], labelled(["1", "2"]));
        assert!(
            !repeats(&mut edits, &point(["3", "4"]).0),
            "ops computed, not yet replayed"
        );
        record(&mut edits, ["3", "4"], labelled(["3", "4"]));
        assert!(repeats(&mut edits, &p2));
        assert!(
            !repeats(&mut edits, &[kv("a.y", "1"), kv("b", "2")]),
            "other keys"
        );

        // A value set in place (a constant where the input's value was):
        // the replay holds for these values only, so it never repeats.
        let constant = |values: [&str; 2]| vec![kv("a_x", values[0]), kv("b", "fixed")];
        let mut edits = Edits::default();
        record(&mut edits, ["1", "2"], constant(["1", "2"]));
        record(&mut edits, ["3", "4"], constant(["3", "4"]));
        assert!(!repeats(&mut edits, &p2));
    }
}

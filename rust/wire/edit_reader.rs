//! Reads back the edit format written by [`super::edits`]: its entries,
//! their ops, and an edit value as the `AnyValue` protobuf bytes it stands
//! for. The edits module replays its own ops with it; [`super::apply_edits`]
//! applies a metric batch's edits to the input's bytes.
//!
//! The reader checks every length against the buffer and answers `None`
//! on anything out of place, so a buffer that is not well-formed edits
//! never panics.

use super::codec::{put_bytes, put_nested, put_tag, put_varint, I64, VARINT};
use super::edits::Location;
use crate::edit_format::*;

/// A cursor over an edit buffer; ranges it returns index `buf`.
pub struct Reader<'b> {
    pub buf: &'b [u8],
    pub at: usize,
}

impl<'b> Reader<'b> {
    pub fn new(buf: &'b [u8]) -> Self {
        Self { buf, at: 0 }
    }

    fn take(&mut self, n: usize) -> Option<(usize, usize)> {
        let from = self.at;
        let to = from.checked_add(n).filter(|&to| to <= self.buf.len())?;
        self.at = to;
        Some((from, to))
    }

    pub fn u8(&mut self) -> Option<u8> {
        let (from, _) = self.take(1)?;
        Some(self.buf[from])
    }

    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(*self.array()?))
    }

    fn array<const N: usize>(&mut self) -> Option<&'b [u8; N]> {
        let (from, to) = self.take(N)?;
        self.buf[from..to].try_into().ok()
    }

    /// A `bytes` item (`u32` length, the bytes), as the range it holds.
    pub fn range(&mut self) -> Option<(usize, usize)> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    /// A `bytes` item, as the bytes.
    pub fn bytes(&mut self) -> Option<&'b [u8]> {
        let (from, to) = self.range()?;
        Some(&self.buf[from..to])
    }

    /// One value, as the range it takes (type byte included).
    pub fn value_range(&mut self) -> Option<(usize, usize)> {
        let from = self.at;
        self.skip_value()?;
        Some((from, self.at))
    }

    fn skip_value(&mut self) -> Option<()> {
        match self.u8()? {
            GENAI_EDIT_VALUE_EMPTY => {}
            GENAI_EDIT_VALUE_STRING | GENAI_EDIT_VALUE_BYTES => {
                self.range()?;
            }
            GENAI_EDIT_VALUE_BOOL => {
                self.take(1)?;
            }
            GENAI_EDIT_VALUE_INT | GENAI_EDIT_VALUE_DOUBLE => {
                self.take(8)?;
            }
            GENAI_EDIT_VALUE_ARRAY => {
                for _ in 0..self.u32()? {
                    self.skip_value()?;
                }
            }
            GENAI_EDIT_VALUE_MAP => {
                for _ in 0..self.u32()? {
                    self.range()?;
                    self.skip_value()?;
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// An op list (`u32` count, the ops), as the bytes it takes.
    fn ops(&mut self) -> Option<&'b [u8]> {
        let from = self.at;
        for _ in 0..self.u32()? {
            match self.u8()? {
                GENAI_EDIT_OP_DELETE => drop(self.range()?),
                GENAI_EDIT_OP_SET => drop((self.range()?, self.value_range()?)),
                GENAI_EDIT_OP_RENAME => drop((self.range()?, self.range()?)),
                _ => return None,
            }
        }
        Some(&self.buf[from..self.at])
    }

    /// One value written as the protobuf payload of the `AnyValue` it
    /// stands for, as prost encodes it.
    fn any_value(&mut self, out: &mut Vec<u8>) -> Option<()> {
        match self.u8()? {
            GENAI_EDIT_VALUE_EMPTY => {}
            GENAI_EDIT_VALUE_STRING => put_bytes(out, 1, self.bytes()?),
            GENAI_EDIT_VALUE_BOOL => {
                put_tag(out, 2, VARINT);
                put_varint(out, u64::from(self.u8()? != 0));
            }
            GENAI_EDIT_VALUE_INT => {
                put_tag(out, 3, VARINT);
                put_varint(out, i64::from_le_bytes(*self.array()?) as u64);
            }
            GENAI_EDIT_VALUE_DOUBLE => {
                put_tag(out, 4, I64);
                out.extend_from_slice(self.array::<8>()?);
            }
            GENAI_EDIT_VALUE_BYTES => put_bytes(out, 7, self.bytes()?),
            GENAI_EDIT_VALUE_ARRAY => {
                let n = self.u32()?;
                put_nested(out, 5, 0, |out| {
                    (0..n).try_for_each(|_| put_nested(out, 1, 0, |out| self.any_value(out)))
                })?;
            }
            GENAI_EDIT_VALUE_MAP => {
                let n = self.u32()?;
                put_nested(out, 6, 0, |out| {
                    (0..n).try_for_each(|_| {
                        put_nested(out, 1, 0, |out| {
                            put_bytes(out, 1, self.bytes()?);
                            put_nested(out, 2, 0, |out| self.any_value(out))
                        })
                    })
                })?;
            }
            _ => return None,
        }
        Some(())
    }
}

/// What one entry of an edit list does.
#[derive(Debug, Clone, Copy)]
pub enum Body<'e> {
    /// An attribute list's ops (targets 0 to 3 and 5), a repeat replaced
    /// by the ops it repeats; read them with [`ops`].
    Ops(&'e [u8]),
    SchemaUrl(&'e [u8]),
    MetricName {
        name: &'e [u8],
        unit: &'e [u8],
    },
    /// An encoded metric batch whose one metric's points are appended.
    AppendedPoints(&'e [u8]),
    /// An encoded metric batch whose metrics are appended to the scope.
    AppendedMetrics(&'e [u8]),
}

/// One entry of an edit list.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'e> {
    pub target: u8,
    pub at: Location,
    pub body: Body<'e>,
}

/// The entries of a finished edit list, in order; `None` if `edits` is
/// not one.
pub fn entries(edits: &[u8]) -> Option<Vec<Entry<'_>>> {
    let mut r = Reader::new(edits);
    let n = r.u32()? as usize;
    // An entry takes at least 21 bytes: no count beyond what fits.
    let mut out = Vec::with_capacity(n.min(edits.len() / 21));
    let mut last_ops: &[u8] = &[];
    for _ in 0..n {
        let target = r.u8()?;
        let [resource, scope, item, event] = [r.u32()?, r.u32()?, r.u32()?, r.u32()?];
        let body = match target {
            GENAI_EDIT_TARGET_SCHEMA_URL => Body::SchemaUrl(r.bytes()?),
            GENAI_EDIT_TARGET_METRIC_NAME => Body::MetricName {
                name: r.bytes()?,
                unit: r.bytes()?,
            },
            GENAI_EDIT_TARGET_APPENDED_POINTS => Body::AppendedPoints(r.bytes()?),
            GENAI_EDIT_TARGET_APPENDED_METRICS => Body::AppendedMetrics(r.bytes()?),
            _ if r.buf.get(r.at..r.at + 4) == Some(&GENAI_EDIT_REPEAT.to_le_bytes()[..]) => {
                r.at += 4;
                Body::Ops(last_ops)
            }
            _ => {
                last_ops = r.ops()?;
                Body::Ops(last_ops)
            }
        };
        let at = Location {
            resource,
            scope,
            item,
            event,
        };
        out.push(Entry { target, at, body });
    }
    (r.at == edits.len()).then_some(out)
}

/// One op of an attribute list; a value is given as `AnyValue` protobuf
/// bytes written to the scratch buffer passed to [`Ops::next_op`].
#[derive(Debug, Clone, Copy)]
pub enum Op<'e> {
    Delete(&'e [u8]),
    /// The key, and the range of its value in the scratch buffer.
    Set(&'e [u8], (usize, usize)),
    /// Remove `.0`, append its value under `.1`.
    Rename(&'e [u8], &'e [u8]),
}

/// The ops of a [`Body::Ops`].
pub struct Ops<'e> {
    r: Reader<'e>,
    left: u32,
}

/// Reads the ops of a [`Body::Ops`].
pub fn ops(body: &[u8]) -> Option<Ops<'_>> {
    let mut r = Reader::new(body);
    let left = r.u32()?;
    Some(Ops { r, left })
}

impl<'e> Ops<'e> {
    /// The next op, `Some(None)` after the last one; set values are
    /// appended to `scratch`.
    pub fn next_op(&mut self, scratch: &mut Vec<u8>) -> Option<Option<Op<'e>>> {
        if self.left == 0 {
            return Some(None);
        }
        self.left -= 1;
        let r = &mut self.r;
        Some(Some(match r.u8()? {
            GENAI_EDIT_OP_DELETE => Op::Delete(r.bytes()?),
            GENAI_EDIT_OP_SET => {
                let key = r.bytes()?;
                let from = scratch.len();
                r.any_value(scratch)?;
                Op::Set(key, (from, scratch.len()))
            }
            GENAI_EDIT_OP_RENAME => Op::Rename(r.bytes()?, r.bytes()?),
            _ => return None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::common::v1::{
        any_value::Value, AnyValue, ArrayValue, KeyValue, KeyValueList,
    };
    use prost::Message;

    use super::*;
    use crate::wire::edits::put_value;

    fn any(v: Value) -> AnyValue {
        AnyValue { value: Some(v) }
    }

    #[test]
    fn edit_values_read_back_as_prost_encodes_them() {
        let values = [
            None,
            Some(Value::StringValue("gpt-4o".into())),
            Some(Value::StringValue(String::new())),
            Some(Value::BoolValue(true)),
            Some(Value::BoolValue(false)),
            Some(Value::IntValue(-3)),
            Some(Value::IntValue(1 << 40)),
            Some(Value::DoubleValue(0.25)),
            Some(Value::BytesValue(vec![0, 255, 7])),
            Some(Value::ArrayValue(ArrayValue {
                values: vec![any(Value::IntValue(1)), AnyValue::default()],
            })),
            Some(Value::KvlistValue(KeyValueList {
                values: vec![KeyValue {
                    key: "k".into(),
                    value: Some(any(Value::ArrayValue(ArrayValue {
                        values: vec![any(Value::StringValue("v".into()))],
                    }))),
                    key_strindex: 0,
                }],
            })),
        ];
        for v in values {
            let mut edit = Vec::new();
            put_value(&mut edit, v.as_ref());
            let mut r = Reader::new(&edit);
            let mut got = Vec::new();
            r.any_value(&mut got).expect("reads");
            assert_eq!(r.at, edit.len(), "{v:?}: whole value read");
            assert_eq!(got, AnyValue { value: v.clone() }.encode_to_vec(), "{v:?}");
        }
    }

    #[test]
    fn truncated_or_unknown_edits_read_as_none() {
        let mut edit = Vec::new();
        put_value(&mut edit, Some(&Value::StringValue("abc".into())));
        for cut in 0..edit.len() {
            assert!(Reader::new(&edit[..cut])
                .any_value(&mut Vec::new())
                .is_none());
        }
        assert!(Reader::new(&[9]).any_value(&mut Vec::new()).is_none());
        // Two entries announced, none there; one op of an unknown kind.
        assert!(entries(&2u32.to_le_bytes()).is_none());
        let mut list = 1u32.to_le_bytes().to_vec();
        list.push(3);
        assert!(ops(&list).unwrap().next_op(&mut Vec::new()).is_none());
    }
}

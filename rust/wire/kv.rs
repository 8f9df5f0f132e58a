//! Attributes (`KeyValue`) in the shape nearly all of them have: a key,
//! then a value holding one string, bool, int or double, or an array of
//! those (`gen_ai.response.finish_reasons`, on most GenAI spans). Those are
//! read here directly, byte for byte as prost does, and the scalars
//! written too; any other shape (nested arrays, maps, bytes, repeated or
//! unknown fields, negative ints' ten-byte varints, a profiles
//! `key_strindex`) goes through prost, whose generic merge costs several
//! times more per attribute.

use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, ArrayValue, KeyValue};
use prost::Message;

use super::codec::{put_tag, put_varint, varint_len, I64, LEN, VARINT};

const KEY_TAG: u8 = (1 << 3) | LEN;
const VALUE_TAG: u8 = (2 << 3) | LEN;
const STRING_TAG: u8 = (1 << 3) | LEN;
const BOOL_TAG: u8 = (2 << 3) | VARINT;
const INT_TAG: u8 = (3 << 3) | VARINT;
const DOUBLE_TAG: u8 = (4 << 3) | I64;
const ARRAY_TAG: u8 = (5 << 3) | LEN;
/// An `ArrayValue`'s element (`values`, field 1).
const ELEMENT_TAG: u8 = (1 << 3) | LEN;

/// The key and value (if any) payloads of an encoded `KeyValue`.
pub type Parts<'a> = (&'a [u8], Option<&'a [u8]>);

/// The key and value payloads of an encoded `KeyValue` laid out as
/// encoders write it: each field at most once, key first (prost, most
/// SDKs) or value first (pdata, so every batch the collector hands us);
/// `None` for any other layout.
pub fn split(entry: &[u8]) -> Option<Parts<'_>> {
    // Both fields with one-byte lengths, either order: straight-line.
    if let [t1, l1, rest @ ..] = entry {
        let l1 = usize::from(*l1);
        if l1 < 0x80 && l1 <= rest.len() {
            let (first, rest) = rest.split_at(l1);
            if let [t2, l2, second @ ..] = rest {
                if *l2 < 0x80 && usize::from(*l2) == second.len() {
                    match (*t1, *t2) {
                        (KEY_TAG, VALUE_TAG) => return Some((first, Some(second))),
                        (VALUE_TAG, KEY_TAG) => return Some((second, Some(first))),
                        _ => {}
                    }
                }
            }
        }
    }
    let mut key: Option<&[u8]> = None;
    let mut value: Option<&[u8]> = None;
    let mut rest = entry;
    while let Some((&tag, after)) = rest.split_first() {
        let slot = match tag {
            KEY_TAG => &mut key,
            VALUE_TAG => &mut value,
            _ => return None,
        };
        if slot.is_some() {
            return None;
        }
        let (payload, next) = length_delimited(after)?;
        *slot = Some(payload);
        rest = next;
    }
    Some((key.unwrap_or_default(), value))
}

/// Decodes an attribute into `slot`, as `KeyValue::decode` would, reusing
/// the slot's strings (a slot from an earlier list: see
/// `wire::attr_list::AttrList`). `parts` is [`split`]'s answer for `entry`,
/// when it has one. Filling the slot in place spares moving the struct
/// through `Result`s and, with reused strings, most allocations.
pub fn decode_into(
    entry: &[u8],
    parts: Option<Parts<'_>>,
    slot: &mut KeyValue,
) -> Result<(), prost::DecodeError> {
    if parts.and_then(|(k, v)| decode_simple(k, v, slot)).is_none() {
        *slot = KeyValue::decode(entry)?;
    }
    Ok(())
}

/// Fills `slot` from the key and value payloads of an attribute of the
/// usual shape; `None` (slot unusable: the caller overwrites it) for any
/// other. Written in place, reusing the slot's strings.
fn decode_simple(key: &[u8], value: Option<&[u8]>, slot: &mut KeyValue) -> Option<()> {
    let key = utf8(key)?;
    slot.key.clear();
    slot.key.push_str(key);
    slot.key_strindex = 0;
    match value {
        None => slot.value = None,
        Some(v) => {
            let dst = slot.value.get_or_insert_with(AnyValue::default);
            if v.first() == Some(&ARRAY_TAG) {
                array(&v[1..], dst)?;
            } else {
                scalar(v, dst)?;
            }
        }
    }
    Some(())
}

/// Fills `dst` from the rest of an `AnyValue` payload after its array tag:
/// an `ArrayValue` of scalars (nothing nested, so no recursion), reusing
/// the elements and strings `dst` holds.
fn array(rest: &[u8], dst: &mut AnyValue) -> Option<()> {
    let (mut payload, []) = length_delimited(rest)? else {
        return None;
    };
    if !matches!(dst.value, Some(Value::ArrayValue(_))) {
        dst.value = Some(Value::ArrayValue(ArrayValue::default()));
    }
    let Some(Value::ArrayValue(ArrayValue { values })) = &mut dst.value else {
        return None;
    };
    let mut n = 0;
    while let Some((&tag, after)) = payload.split_first() {
        if tag != ELEMENT_TAG {
            return None;
        }
        let (element, next) = length_delimited(after)?;
        if n == values.len() {
            values.push(AnyValue::default());
        }
        scalar(element, &mut values[n])?;
        n += 1;
        payload = next;
    }
    values.truncate(n);
    Some(())
}

/// `bytes` as text, if they are UTF-8. Keys and most values are ASCII,
/// which a word-at-a-time check settles; `str::from_utf8` costs about 100
/// instructions even on a short ASCII string.
#[inline]
pub fn utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: every ASCII byte sequence is valid UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).ok()
}

/// Fills `dst` from an `AnyValue` payload with nothing or one scalar in
/// it, reusing its string.
fn scalar(payload: &[u8], dst: &mut AnyValue) -> Option<()> {
    let Some((&tag, rest)) = payload.split_first() else {
        dst.value = None;
        return Some(());
    };
    let value = match tag {
        STRING_TAG => {
            let (s, []) = length_delimited(rest)? else {
                return None;
            };
            let s = utf8(s)?;
            if let Some(Value::StringValue(buf)) = &mut dst.value {
                buf.clear();
                buf.push_str(s);
                return Some(());
            }
            Value::StringValue(s.to_owned())
        }
        BOOL_TAG => Value::BoolValue(whole_varint(rest)? != 0),
        INT_TAG => Value::IntValue(whole_varint(rest)? as i64),
        DOUBLE_TAG => Value::DoubleValue(f64::from_le_bytes(rest.try_into().ok()?)),
        _ => return None,
    };
    dst.value = Some(value);
    Some(())
}

/// A length-delimited payload (length varint of at most 9 bytes) and what
/// follows it.
fn length_delimited(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, used) = varint(buf)?;
    let rest = &buf[used..];
    let len = usize::try_from(len).ok().filter(|&n| n <= rest.len())?;
    Some(rest.split_at(len))
}

/// A varint filling `buf` exactly.
fn whole_varint(buf: &[u8]) -> Option<u64> {
    match varint(buf)? {
        (v, used) if used == buf.len() => Some(v),
        _ => None,
    }
}

/// A varint of at most 9 bytes (63 bits: no overflow to care about) and
/// its length.
fn varint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in buf.iter().take(9).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Appends an attribute given as its key and its value's `AnyValue` bytes
/// (`None`: no value field) as field `number`, sized once.
pub fn encode_parts(key: &[u8], value: Option<&[u8]>, number: u32, out: &mut Vec<u8>) {
    let key_len = match key.len() {
        0 => 0,
        n => 1 + varint_len(n as u64) + n,
    };
    let value_len = value.map_or(0, |v| 1 + varint_len(v.len() as u64) + v.len());
    let len = key_len + value_len;
    out.reserve(len + 2 * varint_len(len as u64) + 1);
    put_tag(out, number, LEN);
    put_varint(out, len as u64);
    if key_len > 0 {
        out.push(KEY_TAG);
        put_varint(out, key.len() as u64);
        out.extend_from_slice(key);
    }
    if let Some(v) = value {
        out.push(VALUE_TAG);
        put_varint(out, v.len() as u64);
        out.extend_from_slice(v);
    }
}

/// The encoded length of an `AnyValue` holding `v`, for the scalars
/// written by hand.
fn scalar_len(v: &Value) -> Option<usize> {
    Some(match v {
        Value::StringValue(s) => 1 + varint_len(s.len() as u64) + s.len(),
        Value::BoolValue(_) => 2,
        Value::IntValue(i) => 1 + varint_len(*i as u64),
        Value::DoubleValue(_) => 9,
        _ => return None,
    })
}

/// Appends the bytes of the `AnyValue` message `v` (as `KeyValue.value`
/// holds them), as prost's `encode` would.
pub fn encode_any_value(v: &AnyValue, out: &mut Vec<u8>) {
    let Some(value) = &v.value else { return };
    if scalar_len(value).is_none() {
        return v.encode(out).expect("a Vec grows as needed");
    }
    match value {
        Value::StringValue(s) => {
            out.push(STRING_TAG);
            put_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Value::BoolValue(b) => {
            out.push(BOOL_TAG);
            out.push(u8::from(*b));
        }
        Value::IntValue(i) => {
            out.push(INT_TAG);
            put_varint(out, *i as u64);
        }
        Value::DoubleValue(d) => {
            out.push(DOUBLE_TAG);
            out.extend_from_slice(&d.to_le_bytes());
        }
        _ => unreachable!("scalar_len admits scalars only"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(entry: &[u8]) -> Result<KeyValue, prost::DecodeError> {
        let mut kv = KeyValue::default();
        decode_into(entry, split(entry), &mut kv)?;
        Ok(kv)
    }

    /// `decode_simple` on a fresh slot.
    fn simple(entry: &[u8]) -> Option<KeyValue> {
        let (k, v) = split(entry)?;
        let mut kv = KeyValue::default();
        decode_simple(k, v, &mut kv).map(|()| kv)
    }
    use opentelemetry_proto::tonic::common::v1::ArrayValue;

    fn kv(key: &str, value: Option<Option<Value>>) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.map(|value| AnyValue { value }),
            key_strindex: 0,
        }
    }

    /// An array value of these elements (each as `kv` takes a value).
    fn array(values: Vec<Option<Option<Value>>>) -> Option<Option<Value>> {
        let values = values
            .into_iter()
            .map(|v| AnyValue { value: v.flatten() })
            .collect();
        Some(Some(Value::ArrayValue(ArrayValue { values })))
    }

    fn samples() -> Vec<KeyValue> {
        let s = |v: &str| Some(Some(Value::StringValue(v.into())));
        let mut out = vec![
            kv("gen_ai.request.model", s("gpt-4o")),
            kv("", s("no key")),
            kv("empty", s("")),
            kv("long", s(&"x".repeat(300))),
            kv(&"k".repeat(200), s("long key")),
            kv("none", None),
            kv("unset", Some(None)),
            kv("t", Some(Some(Value::BoolValue(true)))),
            kv("f", Some(Some(Value::BoolValue(false)))),
            kv(
                "array",
                Some(Some(Value::ArrayValue(ArrayValue::default()))),
            ),
            kv("bytes", Some(Some(Value::BytesValue(vec![0, 1])))),
            kv("finish_reasons", array(vec![s("stop")])),
            kv("three", array(vec![s("a"), s(""), s("ccc")])),
            kv(
                "mixed",
                array(vec![
                    Some(Some(Value::IntValue(3))),
                    Some(Some(Value::BoolValue(true))),
                    Some(Some(Value::DoubleValue(0.5))),
                    Some(None),
                ]),
            ),
            // Left to prost: a nested array, bytes, a negative int.
            kv("nested", array(vec![array(vec![s("x")])])),
            kv(
                "bytes_inside",
                array(vec![Some(Some(Value::BytesValue(vec![1])))]),
            ),
            kv("negative", array(vec![Some(Some(Value::IntValue(-1)))])),
            KeyValue {
                key_strindex: 7,
                ..kv("indexed", s("v"))
            },
        ];
        for i in [0, 1, 127, 128, i64::MAX, -1, i64::MIN] {
            out.push(kv("i", Some(Some(Value::IntValue(i)))));
        }
        for d in [0.0, -0.0, 1.5, f64::NAN, f64::INFINITY] {
            out.push(kv("d", Some(Some(Value::DoubleValue(d)))));
        }
        out
    }

    #[test]
    fn encodes_byte_for_byte_as_prost() {
        // A key index is no part of what edits write (key and value).
        for kv in samples().into_iter().filter(|kv| kv.key_strindex == 0) {
            let mut value = Vec::new();
            if let Some(v) = &kv.value {
                encode_any_value(v, &mut value);
            }
            let mut ours = Vec::new();
            let value = kv.value.as_ref().map(|_| &value[..]);
            encode_parts(kv.key.as_bytes(), value, 9, &mut ours);
            let mut theirs = Vec::new();
            put_tag(&mut theirs, 9, LEN);
            kv.encode_length_delimited(&mut theirs).unwrap();
            assert_eq!(ours, theirs, "{kv:?}");
        }
    }

    #[test]
    fn decodes_as_prost() {
        for kv in samples() {
            let bytes = kv.encode_to_vec();
            let ours = decode(&bytes).unwrap();
            // NaN != NaN: compare encodings.
            assert_eq!(ours.encode_to_vec(), bytes, "{kv:?}");
            assert_eq!(simple(&bytes).is_some(), is_simple(&kv), "{kv:?}");
        }
    }

    /// Scalars with non-negative ints, and arrays of them, take the
    /// direct path.
    fn is_simple(kv: &KeyValue) -> bool {
        fn scalar(v: Option<&Value>) -> bool {
            match v {
                Some(Value::IntValue(i)) => *i >= 0,
                Some(v) => scalar_len(v).is_some(),
                None => true,
            }
        }
        if kv.key_strindex != 0 {
            return false;
        }
        match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(Value::ArrayValue(a)) => a.values.iter().all(|v| scalar(v.value.as_ref())),
            v => scalar(v),
        }
    }

    /// A slot that held another attribute (of any kind) decodes as a fresh one.
    #[test]
    fn a_reused_slot_decodes_as_a_fresh_one() {
        let encoded: Vec<Vec<u8>> = samples().iter().map(|kv| kv.encode_to_vec()).collect();
        for before in &encoded {
            for bytes in &encoded {
                let mut slot = decode(before).unwrap();
                decode_into(bytes, split(bytes), &mut slot).unwrap();
                assert_eq!(slot.encode_to_vec(), *bytes);
            }
        }
    }

    /// pdata writes fields last to first: the value before the key.
    #[test]
    fn value_first_layout_is_read_directly() {
        for kv in samples().into_iter().filter(is_simple) {
            let forward = kv.encode_to_vec();
            let Some((key, value)) = split(&forward) else {
                panic!("{kv:?}")
            };
            let mut reversed = Vec::new();
            if let Some(v) = value {
                reversed.push(VALUE_TAG);
                put_varint(&mut reversed, v.len() as u64);
                reversed.extend_from_slice(v);
            }
            if !key.is_empty() {
                reversed.push(KEY_TAG);
                put_varint(&mut reversed, key.len() as u64);
                reversed.extend_from_slice(key);
            }
            let direct = simple(&reversed).expect("value-first is the usual shape too");
            assert_eq!(direct.encode_to_vec(), forward, "{kv:?}");
        }
    }

    #[test]
    fn unusual_layouts_are_left_to_prost() {
        let twice = [KEY_TAG, 1, b'a', KEY_TAG, 1, b'b'];
        let unknown = [KEY_TAG, 1, b'a', (7 << 3) | VARINT, 1];
        let trailing_in_value = [KEY_TAG, 1, b'a', VALUE_TAG, 3, BOOL_TAG, 1, 0];
        let value_twice = [VALUE_TAG, 0, KEY_TAG, 1, b'a', VALUE_TAG, 0];
        for bytes in [&twice[..], &unknown, &trailing_in_value, &value_twice] {
            assert!(simple(bytes).is_none(), "{bytes:?}");
            assert_eq!(
                decode(bytes).ok(),
                KeyValue::decode(bytes).ok(),
                "{bytes:?}"
            );
        }
        // Not UTF-8: prost's error, whichever path saw it first.
        let bad = [KEY_TAG, 1, 0xff];
        assert!(decode(&bad).is_err());
    }
}

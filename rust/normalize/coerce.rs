//! Canonical value types and coercion to them. A value that cannot be
//! coerced is reported, never dropped: the caller leaves it where it was.

use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, ArrayValue};

/// The type the semantic conventions give a canonical attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Double,
    Str,
    StrList,
    /// Anything goes (message and tool-definition payloads).
    Any,
}

impl Kind {
    /// Name used in the generated documentation.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Int => "int",
            Kind::Double => "double",
            Kind::Str => "string",
            Kind::StrList => "string[]",
            Kind::Any => "any",
        }
    }
}

/// Canonical keys with a fixed type. Keys not listed are [`Kind::Any`].
pub static CANONICAL_TYPES: &[(&str, Kind)] = &[
    ("gen_ai.usage.input_tokens", Kind::Int),
    ("gen_ai.usage.output_tokens", Kind::Int),
    ("gen_ai.usage.cache_read.input_tokens", Kind::Int),
    ("gen_ai.usage.cache_creation.input_tokens", Kind::Int),
    ("gen_ai.usage.reasoning.output_tokens", Kind::Int),
    ("gen_ai.usage.total_tokens", Kind::Int),
    ("gen_ai.request.max_tokens", Kind::Int),
    ("gen_ai.request.seed", Kind::Int),
    ("gen_ai.request.choice.count", Kind::Int),
    ("gen_ai.usage.cost", Kind::Double),
    ("gen_ai.request.temperature", Kind::Double),
    ("gen_ai.request.top_p", Kind::Double),
    ("gen_ai.request.top_k", Kind::Double),
    ("gen_ai.request.frequency_penalty", Kind::Double),
    ("gen_ai.request.presence_penalty", Kind::Double),
    ("gen_ai.response.finish_reasons", Kind::StrList),
    ("gen_ai.request.stop_sequences", Kind::StrList),
    ("gen_ai.request.encoding_formats", Kind::StrList),
    ("gen_ai.provider.name", Kind::Str),
    ("gen_ai.operation.name", Kind::Str),
    ("gen_ai.request.model", Kind::Str),
    ("gen_ai.response.model", Kind::Str),
    ("gen_ai.response.id", Kind::Str),
    ("gen_ai.token.type", Kind::Str),
    ("gen_ai.output.type", Kind::Str),
    ("gen_ai.agent.name", Kind::Str),
    ("gen_ai.conversation.id", Kind::Str),
    ("gen_ai.tool.name", Kind::Str),
    ("gen_ai.tool.call.id", Kind::Str),
    ("gen_ai.tool.description", Kind::Str),
];

/// The canonical type of `key`.
pub fn kind_of(key: &str) -> Kind {
    CANONICAL_TYPES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(Kind::Any, |(_, kind)| *kind)
}

/// Whether `v` already has type `kind`.
pub fn conforms(kind: Kind, v: &Value) -> bool {
    match (kind, v) {
        (Kind::Any, _) => true,
        (Kind::Int, Value::IntValue(_)) => true,
        (Kind::Double, Value::DoubleValue(_)) => true,
        (Kind::Str, Value::StringValue(_)) => true,
        (Kind::StrList, Value::ArrayValue(a)) => a
            .values
            .iter()
            .all(|e| matches!(e.value, Some(Value::StringValue(_)))),
        _ => false,
    }
}

/// Whether a canonical attribute already present may stay as it is: as
/// [`conforms`], but an int where a double is expected is accepted (OpenLIT
/// 1.45 itself writes a zero cost as int 0; rewriting it would re-encode
/// every such batch for no reader's benefit).
pub fn acceptable_in_place(kind: Kind, v: &Value) -> bool {
    conforms(kind, v) || matches!((kind, v), (Kind::Double, Value::IntValue(_)))
}

/// `v` converted to `kind`: `Ok(None)` when it already conforms, `Err(())`
/// when it cannot be converted without guessing.
#[allow(clippy::result_unit_err)]
pub fn coerce(kind: Kind, v: &Value) -> Result<Option<Value>, ()> {
    if conforms(kind, v) {
        return Ok(None);
    }
    let out = match (kind, v) {
        (Kind::Int, Value::DoubleValue(d)) if d.fract() == 0.0 && d.abs() < 9.0e15 => {
            Value::IntValue(*d as i64)
        }
        (Kind::Int, Value::StringValue(s)) => {
            let s = s.trim();
            match s.parse::<i64>() {
                Ok(i) => Value::IntValue(i),
                // "12.0" is an integral count written as a float.
                Err(_) => match s.parse::<f64>() {
                    Ok(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => Value::IntValue(d as i64),
                    _ => return Err(()),
                },
            }
        }
        (Kind::Double, Value::IntValue(i)) => Value::DoubleValue(*i as f64),
        (Kind::Double, Value::StringValue(s)) => match s.trim().parse::<f64>() {
            Ok(d) if d.is_finite() => Value::DoubleValue(d),
            _ => return Err(()),
        },
        (Kind::Str, Value::IntValue(i)) => Value::StringValue(i.to_string()),
        (Kind::Str, Value::DoubleValue(d)) => Value::StringValue(d.to_string()),
        (Kind::Str, Value::BoolValue(b)) => Value::StringValue(b.to_string()),
        (Kind::StrList, Value::StringValue(s)) => string_list(s),
        _ => return Err(()),
    };
    Ok(Some(out))
}

/// A string as a string list: a JSON array of strings is unpacked (some
/// SDKs serialise lists that way), anything else becomes a one-element list.
fn string_list(s: &str) -> Value {
    let items: Vec<String> = match s.trim_start().starts_with('[') {
        true => serde_json::from_str(s).unwrap_or_else(|_| vec![s.to_string()]),
        false => vec![s.to_string()],
    };
    Value::ArrayValue(ArrayValue {
        values: items
            .into_iter()
            .map(|s| AnyValue {
                value: Some(Value::StringValue(s)),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::StringValue(v.to_string())
    }

    #[test]
    fn ints() {
        assert_eq!(coerce(Kind::Int, &s("123")), Ok(Some(Value::IntValue(123))));
        assert_eq!(coerce(Kind::Int, &s(" 7.0 ")), Ok(Some(Value::IntValue(7))));
        assert_eq!(
            coerce(Kind::Int, &Value::DoubleValue(4.0)),
            Ok(Some(Value::IntValue(4)))
        );
        assert_eq!(coerce(Kind::Int, &Value::IntValue(4)), Ok(None));
        assert_eq!(coerce(Kind::Int, &s("12.5")), Err(()));
        assert_eq!(coerce(Kind::Int, &s("many")), Err(()));
        assert_eq!(coerce(Kind::Int, &Value::BoolValue(true)), Err(()));
    }

    #[test]
    fn doubles_strings_lists() {
        assert_eq!(
            coerce(Kind::Double, &Value::IntValue(1)),
            Ok(Some(Value::DoubleValue(1.0)))
        );
        assert_eq!(coerce(Kind::Double, &s("NaN")), Err(()));
        assert_eq!(coerce(Kind::Str, &Value::IntValue(5)), Ok(Some(s("5"))));
        let stop = coerce(Kind::StrList, &s("stop")).unwrap().unwrap();
        assert!(conforms(Kind::StrList, &stop));
        let Value::ArrayValue(a) = coerce(Kind::StrList, &s(r#"["a","b"]"#)).unwrap().unwrap()
        else {
            panic!("not a list")
        };
        assert_eq!(a.values.len(), 2);
        let ints = Value::ArrayValue(ArrayValue {
            values: vec![AnyValue {
                value: Some(Value::IntValue(1)),
            }],
        });
        assert_eq!(coerce(Kind::StrList, &ints), Err(()));
    }
}

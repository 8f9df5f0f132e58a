//! The cardinality guard: attributes that are per request by nature are
//! dropped from the points of renamed (GenAI) metrics, where each distinct
//! value would be a series of its own. LiteLLM, for one, puts the
//! request's `hidden_params` JSON (response cost, headers, timings) on
//! every metric point, so every request became a series and every rate
//! panel went empty. Keys are matched by pattern (`drop_point_attributes`,
//! unless `keep_point_attributes` names them); any string value longer
//! than `max_point_attribute_bytes` goes too (a label that long is an id
//! or a payload, not a dimension).

use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};

use crate::error::ConfigError;

/// A key pattern: exact, `prefix*` or `*suffix`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
}

impl Pattern {
    fn parse(p: &str) -> Option<Self> {
        match (p.strip_prefix('*'), p.strip_suffix('*')) {
            _ if p.is_empty() || p == "*" => None,
            (Some(rest), _) if !rest.contains('*') => Some(Pattern::Suffix(rest.into())),
            (_, Some(rest)) if !rest.contains('*') => Some(Pattern::Prefix(rest.into())),
            _ if !p.contains('*') => Some(Pattern::Exact(p.into())),
            _ => None,
        }
    }

    fn matches(&self, key: &str) -> bool {
        match self {
            Pattern::Exact(k) => key == k,
            Pattern::Prefix(p) => key.starts_with(p.as_str()),
            Pattern::Suffix(s) => key.ends_with(s.as_str()),
        }
    }
}

/// The guard of one configuration.
#[derive(Debug, Clone, Default)]
pub struct PointGuard {
    drop: Vec<Pattern>,
    keep: Vec<Pattern>,
    /// 0: no bound.
    max_value_bytes: usize,
}

impl PointGuard {
    /// Builds the guard; a pattern with a `*` elsewhere than at one end is
    /// refused, naming the field.
    pub fn new(
        drop: &[String],
        keep: &[String],
        max_value_bytes: usize,
    ) -> Result<Self, ConfigError> {
        let parse = |field: &str, list: &[String]| {
            list.iter()
                .enumerate()
                .map(|(i, p)| {
                    Pattern::parse(p).ok_or_else(|| {
                        ConfigError::new(
                            format!("naming.{field}[{i}]"),
                            format!("{p:?}: a key, `prefix*` or `*suffix`"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            drop: parse("drop_point_attributes", drop)?,
            keep: parse("keep_point_attributes", keep)?,
            max_value_bytes,
        })
    }

    /// Removes the attributes the guard drops; returns how many.
    pub fn apply(&self, attrs: &mut Vec<KeyValue>) -> usize {
        let before = attrs.len();
        attrs.retain(|kv| !self.drops(kv));
        before - attrs.len()
    }

    fn drops(&self, kv: &KeyValue) -> bool {
        let key = kv.key.as_str();
        if self.keep.iter().any(|p| p.matches(key)) {
            return false;
        }
        self.drop.iter().any(|p| p.matches(key))
            || matches!(
                kv.value.as_ref().and_then(|v| v.value.as_ref()),
                Some(Value::StringValue(s)) if self.max_value_bytes > 0 && s.len() > self.max_value_bytes
            )
    }

    /// Whether no value of an attribute list encoded in `list_bytes` bytes
    /// can be over the bound, so the guard's answer depends on its keys
    /// alone.
    pub fn ignores_values_of(&self, list_bytes: usize) -> bool {
        self.max_value_bytes == 0 || list_bytes <= self.max_value_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{kv, string};

    fn guard() -> PointGuard {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        PointGuard::new(
            &s(&["hidden_params", "metadata.*", "*.request_id"]),
            &s(&["metadata.team"]),
            16,
        )
        .unwrap()
    }

    #[test]
    fn per_request_keys_and_long_values_go() {
        let mut a = vec![
            kv("gen_ai.request.model", string("gpt-4o")),
            kv("hidden_params", string("{}")),
            kv("metadata.applied_guardrails", string("[]")),
            kv("metadata.team", string("search")),
            kv("x.request_id", string("r1")),
            kv("note", string("a value longer than sixteen bytes")),
            kv(
                "count",
                opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(7),
            ),
        ];
        assert_eq!(guard().apply(&mut a), 4);
        let keys: Vec<_> = a.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["gen_ai.request.model", "metadata.team", "count"]);
    }

    #[test]
    fn bad_patterns_are_refused_with_their_field() {
        for p in ["", "*", "a*b", "**x"] {
            let err = PointGuard::new(&[p.to_string()], &[], 0).unwrap_err();
            assert_eq!(err.field, "naming.drop_point_attributes[0]", "{p:?}");
        }
        let err = PointGuard::new(&[], &["a*b*".to_string()], 0).unwrap_err();
        assert_eq!(err.field, "naming.keep_point_attributes[0]");
    }

    #[test]
    fn values_matter_only_for_lists_longer_than_the_bound() {
        assert!(guard().ignores_values_of(16));
        assert!(!guard().ignores_values_of(17));
        assert!(PointGuard::default().ignores_values_of(1 << 20));
    }
}

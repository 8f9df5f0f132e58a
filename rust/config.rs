//! The processor configuration, as the Go component passes it across the C
//! ABI: the `genai` processor's YAML section encoded as JSON (see the README's
//! configuration reference). Each stage owns its own section type; this module
//! only assembles them and turns decoding failures into [`ConfigError`]s that
//! name the offending field.

use serde::Deserialize;

use crate::error::ConfigError;
use crate::naming::NamingConfig;
use crate::normalize::NormalizeConfig;
use crate::pricing::CostConfig;

/// The whole `genai` configuration. Every section has working defaults, so
/// `{}` is a valid configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Attribute normalization to the current GenAI semantic conventions.
    pub normalize: NormalizeConfig,
    /// Cost computation.
    pub cost: CostConfig,
    /// VictoriaMetrics (Prometheus-style) metric and label names.
    pub naming: NamingConfig,
}

impl Config {
    /// Decodes a JSON configuration. Unknown fields, wrong types and bad
    /// enumeration values are refused with the dotted path of the field.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ConfigError> {
        decode_json(bytes)
    }
}

/// Decodes a configuration section's JSON, refusing unknown fields, wrong
/// types and bad enumeration values with the dotted path of the field
/// (the processor's and the connector's configurations alike).
pub fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ConfigError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        ConfigError::new(field, without_position(e.into_inner().to_string()))
    })
}

/// serde_json appends "at line L column C", a position in the JSON the Go
/// side generated, not in the user's YAML: drop it, the field path says where.
fn without_position(mut message: String) -> String {
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_is_the_default() {
        Config::from_json(b"{}").unwrap();
    }

    #[test]
    fn unknown_field_is_named() {
        let err = Config::from_json(br#"{"cost": {"no_such_option": 1}}"#).unwrap_err();
        assert_eq!(err.field, "cost.no_such_option");
        assert!(err.message.contains("no_such_option"), "{err}");
    }

    #[test]
    fn wrong_type_names_the_nested_field() {
        let err = Config::from_json(br#"{"normalize": {"overwrite": "yes"}}"#).unwrap_err();
        assert_eq!(err.field, "normalize.overwrite");
    }

    #[test]
    fn messages_carry_no_json_position() {
        let err = Config::from_json(br#"{"normalize": {"overwrite": "yes"}}"#).unwrap_err();
        assert!(!err.message.contains("line 1"), "{err}");
        assert!(err.message.contains("expected a boolean"), "{err}");
    }

    #[test]
    fn not_json_is_refused() {
        let err = Config::from_json(b"\xff\x00").unwrap_err();
        assert!(err.to_string().starts_with("invalid genai configuration"));
    }
}

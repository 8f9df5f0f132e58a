//! User-defined sources (`normalize.custom_sources`): validation, with
//! errors naming the offending field.

use std::collections::HashSet;

use super::config::CustomSource;
use crate::error::ConfigError;

/// Refuses empty names, duplicate names, empty keys and self-mappings.
pub fn validate(sources: &[CustomSource]) -> Result<(), ConfigError> {
    let mut names = HashSet::new();
    for (i, s) in sources.iter().enumerate() {
        let at = format!("normalize.custom_sources[{i}]");
        if s.name.trim().is_empty() {
            return Err(ConfigError::new(
                format!("{at}.name"),
                "a custom source needs a name",
            ));
        }
        if !names.insert(s.name.as_str()) {
            return Err(ConfigError::new(
                format!("{at}.name"),
                format!("custom source name {:?} is used twice", s.name),
            ));
        }
        if s.attributes.is_empty() && s.values.is_empty() {
            return Err(ConfigError::new(
                at,
                "a custom source needs `attributes` or `values`",
            ));
        }
        for (from, to) in &s.attributes {
            let field = format!("{at}.attributes.{from}");
            if from.is_empty() || to.is_empty() {
                return Err(ConfigError::new(field, "keys must not be empty"));
            }
            if from == to {
                return Err(ConfigError::new(field, "maps a key onto itself"));
            }
        }
        for (key, map) in &s.values {
            let field = format!("{at}.values.{key}");
            if key.is_empty() {
                return Err(ConfigError::new(field, "keys must not be empty"));
            }
            if map.is_empty() {
                return Err(ConfigError::new(field, "no value mappings given"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(name: &str) -> CustomSource {
        CustomSource {
            name: name.into(),
            attributes: [(
                "a.tokens".to_string(),
                "gen_ai.usage.input_tokens".to_string(),
            )]
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert!(validate(&[src("gw")]).is_ok());
        let e = validate(&[src("gw"), src("gw")]).unwrap_err();
        assert_eq!(e.field, "normalize.custom_sources[1].name");
        let e = validate(&[src("")]).unwrap_err();
        assert_eq!(e.field, "normalize.custom_sources[0].name");
        let mut s = src("x");
        s.attributes.insert("k".into(), "k".into());
        assert_eq!(
            validate(&[s]).unwrap_err().field,
            "normalize.custom_sources[0].attributes.k"
        );
        let mut s = src("x");
        s.values
            .insert("gen_ai.provider.name".into(), Default::default());
        assert_eq!(
            validate(&[s]).unwrap_err().field,
            "normalize.custom_sources[0].values.gen_ai.provider.name"
        );
        let e = validate(&[CustomSource {
            name: "empty".into(),
            ..Default::default()
        }])
        .unwrap_err();
        assert_eq!(e.field, "normalize.custom_sources[0]");
    }
}

//! This project's own format, for humans: USD per 1M tokens (per image for
//! images). The same model description serves pricing files (a top-level
//! `models:` list) and the inline `cost.models` overrides.
//!
//! ```yaml
//! models:
//!   - model: my-finetune
//!     provider: openai          # optional: applies to every provider when absent
//!     input: 3.0                # USD per 1M input tokens
//!     output: 12.0
//!     cache_read: 1.5
//!     tiers:
//!       - above_input_tokens: 200000
//!         input: 6.0
//! ```

use serde::Deserialize;

use crate::pricing::price::{check, normalize_quality, normalize_size, ImagePrice, Price, Tier};
use crate::pricing::table::Entry;

const PER_1M: f64 = 1_000_000.0;

/// One model's prices, in USD per 1M tokens.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Model name as instrumentations report it (matched case-insensitively).
    pub model: String,
    /// `gen_ai.provider.name` the price applies to; every provider when absent.
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub input: Option<f64>,
    #[serde(default)]
    pub output: Option<f64>,
    #[serde(default)]
    pub cache_read: Option<f64>,
    /// Cache writes (5-minute lifetime).
    #[serde(default)]
    pub cache_creation: Option<f64>,
    /// Cache writes with a 1-hour lifetime.
    #[serde(default)]
    pub cache_creation_1h: Option<f64>,
    /// Reasoning output tokens, when priced apart from other output.
    #[serde(default)]
    pub reasoning: Option<f64>,
    #[serde(default)]
    pub input_audio: Option<f64>,
    #[serde(default)]
    pub output_audio: Option<f64>,
    /// Prices that apply above an input size.
    #[serde(default)]
    pub tiers: Vec<TierSpec>,
    /// Per-image prices for image generation.
    #[serde(default)]
    pub images: Vec<ImageSpec>,
}

/// Prices above an input size, in USD per 1M tokens.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// Applies when the request's input exceeds this many tokens.
    pub above_input_tokens: u64,
    #[serde(default)]
    pub input: Option<f64>,
    #[serde(default)]
    pub output: Option<f64>,
    #[serde(default)]
    pub cache_read: Option<f64>,
    #[serde(default)]
    pub cache_creation: Option<f64>,
}

/// The price of one image (USD), for a quality and size or any.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    #[serde(default)]
    pub quality: Option<String>,
    #[serde(default)]
    pub size: Option<String>,
    /// USD per image.
    pub price: f64,
}

/// A file of this format.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    models: Vec<ModelSpec>,
}

/// Parses a YAML pricing file.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let mut path = String::new();
    let options = serde_saphyr::options! { with_snippet: false };
    let file: File = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path = e.path().to_string();
            e.into_inner()
        })
    })
    .map_err(|e| format!("{path}: {e}"))?;
    file.models
        .iter()
        .enumerate()
        .map(|(i, m)| {
            m.to_entry()
                .map_err(|(field, msg)| format!("models[{i}] ({:?}): {field}: {msg}", m.model))
        })
        .collect()
}

impl ModelSpec {
    /// Converts to USD per token. Errors name the field (relative to this
    /// model) and the problem.
    pub fn to_entry(&self) -> Result<Entry, (String, String)> {
        if self.model.trim().is_empty() {
            return Err(("model".into(), "must not be empty".into()));
        }
        let per_token = |name: &str, v: Option<f64>| -> Result<Option<f64>, (String, String)> {
            v.map(|x| {
                check(x)
                    .map(|x| x / PER_1M)
                    .map_err(|m| (name.to_string(), m))
            })
            .transpose()
        };
        let mut price = Price {
            input: per_token("input", self.input)?,
            output: per_token("output", self.output)?,
            cache_read: per_token("cache_read", self.cache_read)?,
            cache_creation: per_token("cache_creation", self.cache_creation)?,
            cache_creation_1h: per_token("cache_creation_1h", self.cache_creation_1h)?,
            reasoning: per_token("reasoning", self.reasoning)?,
            input_audio: per_token("input_audio", self.input_audio)?,
            output_audio: per_token("output_audio", self.output_audio)?,
            ..Default::default()
        };
        for (i, t) in self.tiers.iter().enumerate() {
            let f = |n: &str| format!("tiers[{i}].{n}");
            price.tiers.push(Tier {
                above_input_tokens: t.above_input_tokens,
                input: per_token(&f("input"), t.input)?,
                output: per_token(&f("output"), t.output)?,
                cache_read: per_token(&f("cache_read"), t.cache_read)?,
                cache_creation: per_token(&f("cache_creation"), t.cache_creation)?,
            });
        }
        for (i, img) in self.images.iter().enumerate() {
            let usd = check(img.price).map_err(|m| (format!("images[{i}].price"), m))?;
            price.images.push(ImagePrice {
                quality: img.quality.as_deref().map(normalize_quality),
                size: img.size.as_deref().map(normalize_size),
                usd,
            });
        }
        if !price.has_token_prices() && price.images.is_empty() {
            return Err((
                "input".into(),
                "no price given: set input and/or output (USD per 1M tokens) or images".into(),
            ));
        }
        Ok(Entry {
            model: self.model.trim().to_string(),
            provider: self.provider.clone(),
            price: price.finish(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_million_prices() {
        let e = parse("models:\n  - model: m\n    input: 3\n    output: 15\n    tiers:\n      - above_input_tokens: 200000\n        input: 6\n").unwrap();
        assert_eq!(e[0].price.input, Some(3e-6));
        assert_eq!(e[0].price.tiers[0].input, Some(6e-6));
    }

    #[test]
    fn problems_name_the_entry_and_field() {
        let err = parse("models:\n  - model: m\n    input: -1\n").unwrap_err();
        assert_eq!(
            err,
            "models[0] (\"m\"): input: must be a finite number >= 0, got -1"
        );
        let err = parse("models:\n  - model: m\n    inptu: 1\n").unwrap_err();
        assert!(
            err.starts_with("models[0]") && err.contains("inptu"),
            "{err}"
        );
        let err = parse("models:\n  - model: m\n    output: lots\n").unwrap_err();
        assert!(err.starts_with("models[0].output"), "{err}");
    }
}

//! Readers for the pricing table formats. Each turns a file's text into
//! [`Entry`]s in USD per token, or a message naming the entry and what is
//! wrong with it (the caller adds the file name).

pub mod litellm;
pub mod openlit;
pub mod yaml;

use serde::Deserialize;

use super::table::Entry;

/// The formats a pricing file may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// OpenLIT's `pricing.json`: USD per 1K tokens, sections `chat`,
    /// `embeddings`, `images`, `audio`.
    Openlit,
    /// LiteLLM's `model_prices_and_context_window.json`: USD per token.
    Litellm,
    /// This project's YAML: USD per 1M tokens.
    Yaml,
}

impl Format {
    /// Parses a whole file of this format.
    pub fn parse(self, text: &str) -> Result<Vec<Entry>, String> {
        match self {
            Format::Openlit => openlit::parse(text),
            Format::Litellm => litellm::parse(text),
            Format::Yaml => yaml::parse(text),
        }
    }
}

/// Reads a JSON value as a price (a finite number >= 0).
pub(crate) fn json_price(v: &serde_json::Value) -> Result<f64, String> {
    match v.as_f64() {
        Some(f) if f.is_finite() && f >= 0.0 => Ok(f),
        Some(f) => Err(format!("must be a finite number >= 0, got {f}")),
        None => Err(format!("expected a number, got {v}")),
    }
}

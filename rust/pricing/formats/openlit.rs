//! OpenLIT's `pricing.json` (USD per 1K tokens).
//!
//! Sections: `chat` (model -> `promptPrice`, `completionPrice`, optional
//! `cacheReadPrice`, `cacheCreationPrice`), `embeddings` (model -> price of
//! 1K input tokens), `images` (model -> quality -> size -> USD per image) and
//! `audio` (model -> USD per 1K characters or per second). Audio prices are
//! validated but not applied: spans carry neither character counts nor
//! durations in a standard attribute. Names prefixed `azure_` are OpenLIT's
//! spelling of Azure OpenAI deployments and apply to `azure.ai.openai`.
//! Any other top-level key is refused (it is most likely a file of another
//! format).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::json_price;
use crate::pricing::price::{normalize_quality, normalize_size, ImagePrice, Price};
use crate::pricing::table::Entry;

const PER_1K: f64 = 1000.0;
const SECTIONS: &[&str] = &["chat", "embeddings", "images", "audio"];

/// Parses an OpenLIT pricing document.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(root) = root else {
        return Err("expected a JSON object with sections chat, embeddings, images, audio".into());
    };
    if let Some(other) = root.keys().find(|k| !SECTIONS.contains(&k.as_str())) {
        return Err(format!(
            "unknown section {other:?}; expected {}",
            SECTIONS.join(", ")
        ));
    }
    let mut out = Entries::default();
    if let Some(chat) = section(&root, "chat")? {
        for (model, v) in chat {
            let at = format!("entry \"chat.{model}\"");
            let Value::Object(f) = v else {
                return Err(format!(
                    "{at}: expected an object with promptPrice and completionPrice"
                ));
            };
            let need = |name: &str| -> Result<f64, String> {
                let v = f
                    .get(name)
                    .ok_or_else(|| format!("{at}: {name} is missing"))?;
                json_price(v)
                    .map(|p| p / PER_1K)
                    .map_err(|m| format!("{at}: {name}: {m}"))
            };
            let opt = |name: &str| -> Result<Option<f64>, String> {
                f.get(name)
                    .map(|v| json_price(v).map(|p| p / PER_1K))
                    .transpose()
                    .map_err(|m| format!("{at}: {name}: {m}"))
            };
            let p = out.get(model);
            p.input = Some(need("promptPrice")?);
            p.output = Some(need("completionPrice")?);
            p.cache_read = opt("cacheReadPrice")?;
            p.cache_creation = opt("cacheCreationPrice")?;
        }
    }
    if let Some(emb) = section(&root, "embeddings")? {
        for (model, v) in emb {
            let usd = json_price(v).map_err(|m| format!("entry \"embeddings.{model}\": {m}"))?;
            out.get(model).input = Some(usd / PER_1K);
        }
    }
    if let Some(images) = section(&root, "images")? {
        for (model, v) in images {
            let at = format!("entry \"images.{model}\"");
            let Value::Object(qualities) = v else {
                return Err(format!("{at}: expected quality -> size -> price"));
            };
            let mut prices = Vec::new();
            for (quality, sizes) in qualities {
                let Value::Object(sizes) = sizes else {
                    return Err(format!("{at}: {quality}: expected size -> price"));
                };
                for (size, usd) in sizes {
                    let usd =
                        json_price(usd).map_err(|m| format!("{at}: {quality}.{size}: {m}"))?;
                    prices.push(ImagePrice {
                        quality: Some(normalize_quality(quality)),
                        size: Some(normalize_size(size)),
                        usd,
                    });
                }
            }
            out.get(model).images.extend(prices);
        }
    }
    if let Some(audio) = section(&root, "audio")? {
        for (model, v) in audio {
            json_price(v).map_err(|m| format!("entry \"audio.{model}\": {m}"))?;
        }
    }
    Ok(out.entries)
}

fn section<'a>(
    root: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Map<String, Value>>, String> {
    match root.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(format!(
            "section \"{name}\": expected an object keyed by model name"
        )),
    }
}

#[derive(Default)]
struct Entries {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl Entries {
    /// The price being built for `name` (`azure_` names go to Azure OpenAI).
    fn get(&mut self, name: &str) -> &mut Price {
        let i = *self.index.entry(name.to_string()).or_insert_with(|| {
            let (model, provider) = match name.strip_prefix("azure_") {
                Some(m) => (m.to_string(), Some("azure.ai.openai".to_string())),
                None => (name.to_string(), None),
            };
            self.entries.push(Entry {
                model,
                provider,
                price: Price::default(),
            });
            self.entries.len() - 1
        });
        &mut self.entries[i].price
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_convert_to_per_token() {
        let e = parse(
            r#"{"chat": {"gpt-4o": {"promptPrice": 0.0025, "completionPrice": 0.01, "cacheReadPrice": 0.00125}},
                "embeddings": {"azure_text-embedding-3-small": 2e-05},
                "images": {"dall-e-3": {"hd": {"1024x1792": 0.12}}},
                "audio": {"tts-1": 0.015}}"#,
        )
        .unwrap();
        assert_eq!(e.len(), 3);
        assert!((e[0].price.input.unwrap() - 2.5e-6).abs() < 1e-18);
        assert_eq!(e[1].model, "text-embedding-3-small");
        assert_eq!(e[1].provider.as_deref(), Some("azure.ai.openai"));
        assert_eq!(e[2].price.image(Some("hd"), Some("1024x1792")), Some(0.12));
    }

    #[test]
    fn problems_name_the_entry() {
        let err = parse(r#"{"chat": {"m": {"promptPrice": 1}}}"#).unwrap_err();
        assert_eq!(err, "entry \"chat.m\": completionPrice is missing");
        let err = parse(r#"{"embeddings": {"e": "x"}}"#).unwrap_err();
        assert!(err.starts_with("entry \"embeddings.e\""), "{err}");
    }
}

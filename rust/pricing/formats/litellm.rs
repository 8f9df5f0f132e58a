//! LiteLLM's `model_prices_and_context_window.json` (USD per token). The
//! built-in table is a subset of this format, one model per line.
//!
//! Fields read (others are ignored, as are models without any of them):
//! `litellm_provider`, `input_cost_per_token`, `output_cost_per_token`,
//! `cache_read_input_token_cost`, `cache_creation_input_token_cost`,
//! `cache_creation_input_token_cost_above_1hr`, `output_cost_per_reasoning_token`,
//! `input_cost_per_audio_token`, `output_cost_per_audio_token`,
//! `output_cost_per_image`, `input_cost_per_pixel` and the tiered
//! `{input_cost_per_token,output_cost_per_token,cache_read_input_token_cost,
//! cache_creation_input_token_cost}_above_<N>k_tokens`. Keep the list in step
//! with `scripts/gen_pricing.py`.
//!
//! Image entries keyed `[route/]<quality>/<W>-x-<H>/<model>` (e.g.
//! `azure/hd/1024-x-1792/dall-e-3`) are folded into per-image prices of
//! `[route/]<model>`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::json_price;
use crate::pricing::price::{ImagePrice, Price, Tier};
use crate::pricing::table::Entry;

const QUALITIES: &[&str] = &["standard", "hd", "low", "medium", "high", "premium"];

/// Parses a LiteLLM JSON object keyed by model name.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(models) = root else {
        return Err("expected a JSON object keyed by model name".into());
    };
    let mut out = Folder::default();
    for (key, v) in &models {
        if key == "sample_spec" {
            continue;
        }
        let Value::Object(fields) = v else {
            return Err(format!("entry {key:?}: expected an object of prices"));
        };
        out.add(key, fields)
            .map_err(|m| format!("entry {key:?}: {m}"))?;
    }
    Ok(out.entries)
}

/// Parses the built-in table: `#` comment lines, then one JSON object per
/// line with the model name under `model`.
pub fn parse_lines(text: &str) -> Result<Vec<Entry>, String> {
    let mut out = Folder::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Map<String, Value> =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let key = fields
            .get("model")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("line {}: no \"model\"", n + 1))?
            .to_string();
        out.add(&key, &fields)
            .map_err(|m| format!("line {} (entry {key:?}): {m}", n + 1))?;
    }
    Ok(out.entries)
}

/// Collects entries, merging per-image entries into their model.
#[derive(Default)]
struct Folder {
    entries: Vec<Entry>,
    index: HashMap<(String, Option<String>), usize>,
}

impl Folder {
    fn add(&mut self, key: &str, fields: &Map<String, Value>) -> Result<(), String> {
        let provider = match fields.get("litellm_provider") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => return Err(format!("litellm_provider: expected a string, got {v}")),
        };
        if let Some((model, quality, size)) = image_key(key) {
            let Some(usd) = image_price(fields, &size)? else {
                return Ok(());
            };
            let image = ImagePrice {
                quality,
                size: Some(size),
                usd,
            };
            self.entry(&model, provider).images.push(image);
            return Ok(());
        }
        let price = price_of(fields)?;
        if price.is_empty() {
            return Ok(());
        }
        let slot = self.entry(key, provider);
        let images = std::mem::take(&mut slot.images);
        *slot = price;
        slot.images.extend(images);
        Ok(())
    }

    fn entry(&mut self, model: &str, provider: Option<String>) -> &mut Price {
        let k = (model.to_ascii_lowercase(), provider.clone());
        let i = *self.index.entry(k).or_insert_with(|| {
            self.entries.push(Entry {
                model: model.to_string(),
                provider,
                price: Price::default(),
            });
            self.entries.len() - 1
        });
        &mut self.entries[i].price
    }
}

fn get(fields: &Map<String, Value>, name: &str) -> Result<Option<f64>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => json_price(v).map(Some).map_err(|m| format!("{name}: {m}")),
    }
}

fn price_of(fields: &Map<String, Value>) -> Result<Price, String> {
    let mut p = Price {
        input: get(fields, "input_cost_per_token")?,
        output: get(fields, "output_cost_per_token")?,
        cache_read: get(fields, "cache_read_input_token_cost")?,
        cache_creation: get(fields, "cache_creation_input_token_cost")?,
        cache_creation_1h: get(fields, "cache_creation_input_token_cost_above_1hr")?,
        reasoning: get(fields, "output_cost_per_reasoning_token")?,
        input_audio: get(fields, "input_cost_per_audio_token")?,
        output_audio: get(fields, "output_cost_per_audio_token")?,
        ..Default::default()
    };
    if let Some(usd) = get(fields, "output_cost_per_image")? {
        p.images.push(ImagePrice {
            quality: None,
            size: None,
            usd,
        });
    }
    let mut tiers: Vec<Tier> = Vec::new();
    for (name, v) in fields {
        let Some((field, threshold)) = tier_field(name) else {
            continue;
        };
        let usd = json_price(v).map_err(|m| format!("{name}: {m}"))?;
        let tier = match tiers.iter_mut().find(|t| t.above_input_tokens == threshold) {
            Some(t) => t,
            None => {
                tiers.push(Tier {
                    above_input_tokens: threshold,
                    ..Default::default()
                });
                tiers.last_mut().expect("just pushed")
            }
        };
        match field {
            "input_cost_per_token" => tier.input = Some(usd),
            "output_cost_per_token" => tier.output = Some(usd),
            "cache_read_input_token_cost" => tier.cache_read = Some(usd),
            _ => tier.cache_creation = Some(usd),
        }
    }
    p.tiers = tiers;
    Ok(p.finish())
}

/// `input_cost_per_token_above_200k_tokens` -> (`input_cost_per_token`, 200000).
fn tier_field(name: &str) -> Option<(&str, u64)> {
    let (field, rest) = name.split_once("_above_")?;
    let k = rest.strip_suffix("k_tokens")?;
    if !matches!(
        field,
        "input_cost_per_token"
            | "output_cost_per_token"
            | "cache_read_input_token_cost"
            | "cache_creation_input_token_cost"
    ) || k.is_empty()
        || !k.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((field, k.parse::<u64>().ok()?.checked_mul(1000)?))
}

/// Splits `azure/hd/1024-x-1792/dall-e-3` into (`azure/dall-e-3`, `hd`,
/// `1024x1792`). `max-steps` variants are skipped (the default step count
/// is the one priced); other `N-steps` segments are dropped.
fn image_key(key: &str) -> Option<(String, Option<String>, String)> {
    let segs: Vec<&str> = key.split('/').collect();
    let at = segs.iter().position(|s| is_size(s))?;
    let size = segs[at].replace("-x-", "x");
    let quality = (at > 0 && QUALITIES.contains(&segs[at - 1])).then(|| segs[at - 1].to_string());
    let mut model = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        if i == at || (quality.is_some() && i + 1 == at) {
            continue;
        }
        if *s == "max-steps" {
            return Some((String::new(), None, String::new()));
        }
        if s.ends_with("-steps") {
            continue;
        }
        model.push(*s);
    }
    Some((model.join("/"), quality, size))
}

fn is_size(s: &str) -> bool {
    let Some((w, h)) = s.split_once("-x-") else {
        return false;
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    digits(w) && digits(h)
}

fn image_price(fields: &Map<String, Value>, size: &str) -> Result<Option<f64>, String> {
    if size.is_empty() {
        return Ok(None); // a skipped max-steps variant
    }
    if let Some(usd) = get(fields, "output_cost_per_image")? {
        return Ok(Some(usd));
    }
    let Some(per_pixel) = get(fields, "input_cost_per_pixel")? else {
        return Ok(None);
    };
    let (w, h) = size.split_once('x').unwrap_or(("0", "0"));
    let pixels = w.parse::<f64>().unwrap_or(0.0) * h.parse::<f64>().unwrap_or(0.0);
    Ok(Some(per_pixel * pixels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_and_images_are_read() {
        let e = parse(
            r#"{
            "sample_spec": {"input_cost_per_token": "ignored"},
            "gemini-x": {"litellm_provider": "gemini", "input_cost_per_token": 1e-6,
                "output_cost_per_token": 2e-6, "input_cost_per_token_above_200k_tokens": 3e-6,
                "output_cost_per_token_above_200k_tokens_priority": 9.0, "mode": "chat"},
            "azure/hd/1024-x-1024/dall-e-3": {"litellm_provider": "azure", "input_cost_per_pixel": 1e-7, "output_cost_per_token": 0.0},
            "1024-x-1024/max-steps/sdxl": {"output_cost_per_image": 0.08},
            "1024-x-1024/50-steps/sdxl": {"output_cost_per_image": 0.04},
            "whisper": {"input_cost_per_second": 0.0001}
        }"#,
        )
        .unwrap();
        assert_eq!(e.len(), 3, "{e:#?}");
        let by = |m: &str| &e.iter().find(|x| x.model == m).expect(m).price;
        let g = by("gemini-x");
        assert_eq!(g.tiers.len(), 1);
        assert_eq!(g.tiers[0].above_input_tokens, 200_000);
        assert_eq!(g.tiers[0].input, Some(3e-6));
        assert_eq!(g.tiers[0].output, None);
        let d = by("azure/dall-e-3");
        assert_eq!(
            d.image(Some("HD"), Some("1024x1024")),
            Some(1e-7 * 1024.0 * 1024.0)
        );
        assert_eq!(by("sdxl").image(None, Some("1024x1024")), Some(0.04));
    }

    #[test]
    fn bad_values_name_the_entry_and_field() {
        let err = parse(r#"{"m": {"input_cost_per_token": "cheap"}}"#).unwrap_err();
        assert!(
            err.contains("entry \"m\"") && err.contains("input_cost_per_token"),
            "{err}"
        );
        let err = parse(r#"{"m": {"output_cost_per_token": -1}}"#).unwrap_err();
        assert!(err.contains(">= 0"), "{err}");
        assert!(parse("[]").unwrap_err().contains("JSON object"));
    }
}

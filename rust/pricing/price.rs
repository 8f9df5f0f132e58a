//! The price of one model, in USD per token (per image for images), whatever
//! the unit of the table it came from.

/// Token prices that change above an input size (LiteLLM's
/// `*_above_200k_tokens`). A field left `None` keeps the base price.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tier {
    /// The tier applies when the request's input exceeds this many tokens.
    pub above_input_tokens: u64,
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    pub cache_creation: Option<f64>,
}

/// The price of one generated image of a quality and size; `None` matches any.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePrice {
    pub quality: Option<String>,
    pub size: Option<String>,
    pub usd: f64,
}

/// Every price a model may have. `None` means "not priced separately": the
/// calculation then falls back to the input or output price as documented in
/// `calc`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Price {
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    /// Cache writes with the default (5-minute) lifetime.
    pub cache_creation: Option<f64>,
    /// Cache writes with a 1-hour lifetime (Anthropic).
    pub cache_creation_1h: Option<f64>,
    pub reasoning: Option<f64>,
    pub input_audio: Option<f64>,
    pub output_audio: Option<f64>,
    /// Sorted by `above_input_tokens`, ascending.
    pub tiers: Vec<Tier>,
    pub images: Vec<ImagePrice>,
}

impl Price {
    /// Whether the price can turn token counts into a cost.
    pub fn has_token_prices(&self) -> bool {
        self.input.is_some() || self.output.is_some()
    }

    /// Whether anything at all is priced.
    pub fn is_empty(&self) -> bool {
        !self.has_token_prices()
            && self.cache_read.is_none()
            && self.cache_creation.is_none()
            && self.reasoning.is_none()
            && self.images.is_empty()
            && self.tiers.is_empty()
    }

    /// Sorts the tiers; call once after building a price.
    pub fn finish(mut self) -> Self {
        self.tiers.sort_by_key(|t| t.above_input_tokens);
        self
    }

    /// The price of one image, most specific match first: quality and size,
    /// quality only, size only, then a flat per-image price.
    pub fn image(&self, quality: Option<&str>, size: Option<&str>) -> Option<f64> {
        let quality = quality.map(normalize_quality);
        let size = size.map(normalize_size);
        let matches = |want_q: bool, want_s: bool| {
            self.images.iter().find(|p| {
                let q_ok = match (&p.quality, want_q) {
                    (Some(pq), true) => quality.as_deref() == Some(pq.as_str()),
                    (None, false) => true,
                    _ => false,
                };
                let s_ok = match (&p.size, want_s) {
                    (Some(ps), true) => size.as_deref() == Some(ps.as_str()),
                    (None, false) => true,
                    _ => false,
                };
                q_ok && s_ok
            })
        };
        [(true, true), (true, false), (false, true), (false, false)]
            .into_iter()
            .find_map(|(q, s)| matches(q, s))
            .map(|p| p.usd)
    }
}

/// Image quality as tables spell it (`HD` -> `hd`).
pub fn normalize_quality(q: &str) -> String {
    q.trim().to_ascii_lowercase()
}

/// Image size as `WIDTHxHEIGHT` (`1024-x-1024`, `1024X1024` -> `1024x1024`).
pub fn normalize_size(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace("-x-", "x")
}

/// Checks that a price read from a table is usable.
pub fn check(value: f64) -> Result<f64, String> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!("must be a finite number >= 0, got {value}"))
    }
}

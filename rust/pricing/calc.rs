//! From token counts and a price to a cost, pricing every token exactly once.
//!
//! Accounting (see docs/pricing.md): with *inclusive* cache accounting
//! `input` already contains the cache-read and cache-creation tokens, so
//! only `input - cache_read - cache_creation` is priced at the input rate;
//! with *additive* accounting all of `input` is. Reasoning tokens likewise
//! are part of `output` (inclusive) or come on top (additive). Reports that
//! contradict the inclusive assumption (cache tokens above `input`,
//! reasoning above `output`) are read as additive rather than priced below
//! zero. Audio tokens are part of `input`/`output` and priced at the audio
//! rate when the model has one.

use super::price::Price;

/// Token counts of one call (or of many, for metrics). Absent counts are 0.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tokens {
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
    /// All cache writes, of any lifetime.
    pub cache_creation: f64,
    /// The part of `cache_creation` written with a 1-hour lifetime.
    pub cache_creation_1h: f64,
    pub reasoning: f64,
    /// The part of `input` that is audio.
    pub input_audio: f64,
    /// The part of `output` that is audio.
    pub output_audio: f64,
}

/// Whether cache and reasoning tokens are contained in the input and output
/// counts (`true`) or reported on top of them (`false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accounting {
    pub cache_inclusive: bool,
    pub reasoning_inclusive: bool,
}

impl Default for Accounting {
    /// What the semantic conventions prescribe.
    fn default() -> Self {
        Self {
            cache_inclusive: true,
            reasoning_inclusive: true,
        }
    }
}

/// The cost of one call, USD, by token category. The parts add up to the total.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Breakdown {
    /// Uncached input (text and audio).
    pub input: f64,
    /// Output other than reasoning (text and audio).
    pub output: f64,
    pub cache_read: f64,
    pub cache_creation: f64,
    pub reasoning: f64,
    pub images: f64,
}

impl Breakdown {
    /// The total cost.
    pub fn total(&self) -> f64 {
        self.input
            + self.output
            + self.cache_read
            + self.cache_creation
            + self.reasoning
            + self.images
    }
}

/// Prices `t` with `price`. The tier is chosen by the call's whole prompt
/// (cache tokens included), or by `tier_basis` when given (the derived
/// metrics pass the mean prompt size per operation).
pub fn cost(price: &Price, t: &Tokens, acct: Accounting, tier_basis: Option<f64>) -> Breakdown {
    let cached = t.cache_read + t.cache_creation;
    let cache_inclusive = acct.cache_inclusive && t.input >= cached;
    let prompt = if cache_inclusive {
        t.input
    } else {
        t.input + cached
    };
    let basis = tier_basis.unwrap_or(prompt);
    let tier = price
        .tiers
        .iter()
        .rev()
        .find(|tier| basis > tier.above_input_tokens as f64);

    let in_p = tier.and_then(|x| x.input).or(price.input).unwrap_or(0.0);
    let out_p = tier.and_then(|x| x.output).or(price.output).unwrap_or(0.0);
    let cr_p = tier
        .and_then(|x| x.cache_read)
        .or(price.cache_read)
        .unwrap_or(in_p);
    let cc_p = tier
        .and_then(|x| x.cache_creation)
        .or(price.cache_creation)
        .unwrap_or(in_p);
    let cc1h_p = price.cache_creation_1h.unwrap_or(cc_p);

    let uncached = if cache_inclusive {
        t.input - cached
    } else {
        t.input
    };
    let audio_in = match price.input_audio {
        Some(_) => t.input_audio.min(uncached),
        None => 0.0,
    };
    let cc_1h = t.cache_creation_1h.min(t.cache_creation);

    let reasoning_inclusive = acct.reasoning_inclusive && t.output >= t.reasoning;
    let text_out = if reasoning_inclusive {
        t.output - t.reasoning
    } else {
        t.output
    };
    let audio_out = match price.output_audio {
        Some(_) => t.output_audio.min(text_out),
        None => 0.0,
    };

    Breakdown {
        input: (uncached - audio_in) * in_p + audio_in * price.input_audio.unwrap_or(0.0),
        output: (text_out - audio_out) * out_p + audio_out * price.output_audio.unwrap_or(0.0),
        cache_read: t.cache_read * cr_p,
        cache_creation: (t.cache_creation - cc_1h) * cc_p + cc_1h * cc1h_p,
        reasoning: t.reasoning * price.reasoning.unwrap_or(out_p),
        images: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::price::Tier;

    fn p() -> Price {
        Price {
            input: Some(2.0),
            output: Some(10.0),
            cache_read: Some(1.0),
            cache_creation: Some(3.0),
            ..Default::default()
        }
    }

    #[test]
    fn inclusive_prices_cache_tokens_once() {
        let t = Tokens {
            input: 100.0,
            cache_read: 60.0,
            cache_creation: 10.0,
            output: 5.0,
            ..Default::default()
        };
        let b = cost(&p(), &t, Accounting::default(), None);
        assert_eq!(b.input, 30.0 * 2.0);
        assert_eq!(b.cache_read, 60.0);
        assert_eq!(b.cache_creation, 30.0);
        assert_eq!(b.total(), 60.0 + 60.0 + 30.0 + 50.0);
        let add = Accounting {
            cache_inclusive: false,
            ..Default::default()
        };
        assert_eq!(cost(&p(), &t, add, None).input, 200.0);
    }

    #[test]
    fn contradicting_inclusive_report_is_read_as_additive() {
        let t = Tokens {
            input: 5.0,
            cache_read: 60.0,
            ..Default::default()
        };
        assert_eq!(cost(&p(), &t, Accounting::default(), None).input, 10.0);
    }

    #[test]
    fn tier_follows_the_whole_prompt() {
        let mut price = p();
        price.tiers.push(Tier {
            above_input_tokens: 100,
            input: Some(4.0),
            ..Default::default()
        });
        let small = Tokens {
            input: 100.0,
            ..Default::default()
        };
        let large = Tokens {
            input: 101.0,
            ..Default::default()
        };
        assert_eq!(
            cost(&price, &small, Accounting::default(), None).input,
            200.0
        );
        assert_eq!(
            cost(&price, &large, Accounting::default(), None).input,
            404.0
        );
        assert_eq!(
            cost(&price, &large, Accounting::default(), Some(50.0)).input,
            202.0
        );
    }
}

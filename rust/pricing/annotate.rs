//! Spans and log records: read the call's model and token counts, write its cost.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;

use super::calc::{self, Tokens};
use super::keys;
use super::Pricer;
use crate::attrs;
use crate::stats::Stats;

use super::Scratch;

/// What the attributes of one item say about an LLM call.
#[derive(Default)]
struct Call<'a> {
    provider: Option<&'a str>,
    request_model: Option<&'a str>,
    response_model: Option<&'a str>,
    has_cost: bool,
    /// The existing cost is 0 (OpenLIT's placeholder for "no price known").
    zero_cost: bool,
    /// A token count was present.
    has_tokens: bool,
    /// A token count was present but not a number >= 0.
    bad_tokens: bool,
    tokens: Tokens,
    image_size: Option<&'a str>,
    image_quality: Option<&'a str>,
    image_count: Option<f64>,
    request_n: Option<f64>,
}

impl<'a> Call<'a> {
    /// One pass over the attributes.
    fn read(list: &'a [KeyValue]) -> Self {
        let mut c = Call::default();
        // Token keys already read: with duplicate keys the first occurrence
        // decides, as for the model and as pdata's `Map.Get` does.
        let mut seen = 0u8;
        for kv in list {
            if !kv.key.starts_with("gen_ai.") {
                continue;
            }
            let Some(v) = kv.value.as_ref().and_then(|v| v.value.as_ref()) else {
                continue;
            };
            let s = || match v {
                Value::StringValue(s) if !s.trim().is_empty() => Some(s.as_str()),
                _ => None,
            };
            let slot = match kv.key.as_str() {
                keys::PROVIDER => {
                    c.provider = c.provider.or(s());
                    continue;
                }
                keys::REQUEST_MODEL => {
                    c.request_model = c.request_model.or(s());
                    continue;
                }
                keys::RESPONSE_MODEL => {
                    c.response_model = c.response_model.or(s());
                    continue;
                }
                keys::IMAGE_SIZE => {
                    c.image_size = c.image_size.or(s());
                    continue;
                }
                keys::IMAGE_QUALITY => {
                    c.image_quality = c.image_quality.or(s());
                    continue;
                }
                keys::COST => {
                    if !c.has_cost {
                        c.has_cost = true;
                        c.zero_cost = attrs::number_of(v).is_some_and(|n| n.as_f64() == 0.0);
                    }
                    continue;
                }
                keys::CHOICE_COUNT => {
                    c.image_count = count(v);
                    continue;
                }
                keys::REQUEST_N => {
                    c.request_n = count(v);
                    continue;
                }
                keys::INPUT_TOKENS => (0, &mut c.tokens.input),
                keys::OUTPUT_TOKENS => (1, &mut c.tokens.output),
                keys::CACHE_READ_TOKENS => (2, &mut c.tokens.cache_read),
                keys::CACHE_CREATION_TOKENS => (3, &mut c.tokens.cache_creation),
                keys::CACHE_CREATION_1H_TOKENS => (4, &mut c.tokens.cache_creation_1h),
                keys::REASONING_TOKENS => (5, &mut c.tokens.reasoning),
                keys::AUDIO_INPUT_TOKENS => (6, &mut c.tokens.input_audio),
                keys::AUDIO_OUTPUT_TOKENS => (7, &mut c.tokens.output_audio),
                _ => continue,
            };
            let (bit, slot) = (1u8 << slot.0, slot.1);
            if seen & bit != 0 {
                continue;
            }
            seen |= bit;
            c.has_tokens = true;
            match attrs::number_of(v).map(|n| n.as_f64()) {
                Some(n) if n.is_finite() && n >= 0.0 => *slot = n,
                _ => c.bad_tokens = true,
            }
        }
        c
    }

    /// The response model when reported, else the request model.
    fn model(&self) -> Option<&'a str> {
        self.response_model.or(self.request_model)
    }

    /// Whether any token count is above zero.
    fn any_tokens(&self) -> bool {
        let t = &self.tokens;
        t.input + t.output + t.cache_read + t.cache_creation + t.reasoning > 0.0
    }

    fn wants_image(&self) -> bool {
        self.image_size.is_some() || self.image_quality.is_some()
    }
}

fn count(v: &Value) -> Option<f64> {
    attrs::number_of(v)
        .map(|n| n.as_f64())
        .filter(|n| n.is_finite() && *n >= 1.0)
}

impl Pricer {
    /// Writes `gen_ai.usage.cost` on an LLM-call span or log record (see
    /// docs/pricing.md); returns whether an attribute changed.
    pub fn annotate(
        &self,
        list: &mut Vec<KeyValue>,
        stats: &mut Stats,
        scratch: &mut Scratch,
    ) -> bool {
        if !self.enabled {
            return false;
        }
        let call = Call::read(list);
        let model = call.model();
        if model.is_none() && !call.has_tokens && !call.has_cost {
            return false; // not an LLM call
        }
        // A cost of 0 on a call that used tokens is OpenLIT's placeholder
        // for a model its table lacks, not a price: replaced when we know one.
        let placeholder =
            self.replace_zero && call.zero_cost && !call.bad_tokens && call.any_tokens();
        if call.has_cost && !self.override_existing && !placeholder {
            stats.costs_existing += 1;
            return false;
        }
        if call.bad_tokens {
            stats.cost_non_numeric_tokens += 1;
            return false;
        }
        if !call.has_tokens && !call.wants_image() {
            stats.cost_no_tokens += 1;
            return false;
        }
        let Some(model) = model else {
            stats.cost_unknown_model += 1;
            return false;
        };
        let (Some(price), acct) = self.priced(&mut scratch.prices, model, call.provider) else {
            scratch.note_unknown_model(stats, model, call.provider);
            return false;
        };
        let image = call
            .wants_image()
            .then(|| price.image(call.image_quality, call.image_size))
            .flatten();
        if !call.has_tokens && image.is_none() {
            stats.cost_no_tokens += 1;
            return false;
        }
        let mut b = calc::cost(price, &call.tokens, acct, None);
        if let Some(usd) = image {
            b.images = usd * call.image_count.or(call.request_n).unwrap_or(1.0);
        }
        if !b.total().is_finite() {
            // Counts so large that the cost overflows f64: as unusable as a
            // non-numeric count, and never written as an infinite cost.
            stats.cost_non_numeric_tokens += 1;
            return false;
        }
        attrs::set(list, keys::COST, Value::DoubleValue(b.total()));
        if self.breakdown {
            let provided = |key| list.iter().any(|kv| kv.key == key);
            let parts = [
                (keys::COST_INPUT, b.input, provided(keys::INPUT_TOKENS)),
                (keys::COST_OUTPUT, b.output, provided(keys::OUTPUT_TOKENS)),
                (
                    keys::COST_CACHE_READ,
                    b.cache_read,
                    provided(keys::CACHE_READ_TOKENS),
                ),
                (
                    keys::COST_CACHE_CREATION,
                    b.cache_creation,
                    provided(keys::CACHE_CREATION_TOKENS),
                ),
                (
                    keys::COST_REASONING,
                    b.reasoning,
                    provided(keys::REASONING_TOKENS),
                ),
                (keys::COST_IMAGES, b.images, image.is_some()),
            ];
            for (key, usd, present) in parts {
                if present {
                    attrs::set(list, key, Value::DoubleValue(usd));
                }
            }
        }
        stats.costs_computed += 1;
        true
    }
}

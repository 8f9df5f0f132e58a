//! The pricing-file parser for LiteLLM's JSON object and the built-in one-model-per-line table on arbitrary bytes: refused with a message,
//! or entries with finite, non-negative prices; never a panic.
#![no_main]

#[path = "common/pricing.rs"]
mod pricing;

use libfuzzer_sys::fuzz_target;
use otelcol_genai::pricing::formats::litellm;

fuzz_target!(|data: &[u8]| {
    pricing::run(data, litellm::parse);
    pricing::run(data, litellm::parse_lines);
});

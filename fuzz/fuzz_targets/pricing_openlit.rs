//! The pricing-file parser for OpenLIT's pricing.json (USD per 1K tokens) on arbitrary bytes: refused with a
//! message, or entries with finite, non-negative prices; never a panic.
#![no_main]

#[path = "common/pricing.rs"]
mod pricing;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pricing::run(data, otelcol_genai::pricing::formats::openlit::parse));

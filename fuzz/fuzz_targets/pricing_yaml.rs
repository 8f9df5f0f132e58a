//! The pricing-file parser for this project's YAML pricing file (USD per 1M tokens) on arbitrary bytes: refused with a
//! message, or entries with finite, non-negative prices; never a panic.
#![no_main]

#[path = "common/pricing.rs"]
mod pricing;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pricing::run(data, otelcol_genai::pricing::formats::yaml::parse));

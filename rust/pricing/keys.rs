//! Attribute and metric names the cost stage reads and writes. Every one
//! contains `gen_ai`, the stage's prefilter needle.

pub use crate::semconv::{
    CACHE_CREATION_TOKENS, CACHE_READ_TOKENS, COST, INPUT_TOKENS, OUTPUT_TOKENS, PROVIDER,
    REASONING_TOKENS, REQUEST_MODEL, RESPONSE_MODEL, TOKEN_TYPE,
};
/// Project extension: the 1-hour part of the cache writes (Anthropic's
/// `cache_creation.ephemeral_1h_input_tokens`).
pub const CACHE_CREATION_1H_TOKENS: &str = "gen_ai.usage.cache_creation_1h.input_tokens";
/// Project extension: the audio part of the input tokens.
pub const AUDIO_INPUT_TOKENS: &str = "gen_ai.usage.audio.input_tokens";
/// Project extension: the audio part of the output tokens.
pub const AUDIO_OUTPUT_TOKENS: &str = "gen_ai.usage.audio.output_tokens";
/// Image generation parameters as OpenLIT records them.
pub const IMAGE_SIZE: &str = "gen_ai.request.image_size";
pub const IMAGE_QUALITY: &str = "gen_ai.request.image_quality";
/// Number of images requested (semconv); OpenLIT's `gen_ai.request.n` as fallback.
pub const CHOICE_COUNT: &str = "gen_ai.request.choice.count";
pub const REQUEST_N: &str = "gen_ai.request.n";

/// Breakdown attributes, written with `breakdown: true`; they add up to [`COST`]
/// (OpenInference's `llm.cost.total` is normalized onto it).
pub const COST_INPUT: &str = "gen_ai.usage.input_cost";
pub const COST_OUTPUT: &str = "gen_ai.usage.output_cost";
pub const COST_CACHE_READ: &str = "gen_ai.usage.cache_read.input_cost";
pub const COST_CACHE_CREATION: &str = "gen_ai.usage.cache_creation.input_cost";
pub const COST_REASONING: &str = "gen_ai.usage.reasoning.output_cost";
pub const COST_IMAGES: &str = "gen_ai.usage.image_cost";

/// Metric names (before the naming stage renames them).
pub const TOKEN_USAGE_METRIC: &str = "gen_ai.client.token.usage";
pub const COST_METRIC: &str = "gen_ai.usage.cost";

/// Every name above, for the prefilter check.
pub const ALL: &[&str] = &[
    PROVIDER,
    REQUEST_MODEL,
    RESPONSE_MODEL,
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    CACHE_READ_TOKENS,
    CACHE_CREATION_TOKENS,
    REASONING_TOKENS,
    CACHE_CREATION_1H_TOKENS,
    AUDIO_INPUT_TOKENS,
    AUDIO_OUTPUT_TOKENS,
    IMAGE_SIZE,
    IMAGE_QUALITY,
    CHOICE_COUNT,
    REQUEST_N,
    COST,
    COST_INPUT,
    COST_OUTPUT,
    COST_CACHE_READ,
    COST_CACHE_CREATION,
    COST_REASONING,
    COST_IMAGES,
    TOKEN_USAGE_METRIC,
    COST_METRIC,
    TOKEN_TYPE,
];

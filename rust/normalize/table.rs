//! The built-in sources as data: one static table per instrumentation
//! library, listing every attribute key it emits that has a canonical
//! counterpart. The normalizer compiles these into one lookup map; the
//! reference documentation (`docs/normalization.md`) is generated from them.

use super::values::{
    LANGFUSE_OBSERVATION_TYPES, OPENINFERENCE_SPAN_KINDS, TRACELOOP_KINDS, VERCEL_OPERATIONS,
};

/// Bit set of [`Place`](super::Place)s a mapping applies to.
pub type Places = u8;
/// Resource attributes.
pub const RESOURCE: Places = 1;
/// Span attributes.
pub const SPAN: Places = 2;
/// Span event attributes.
pub const EVENT: Places = 4;
/// Log record attributes.
pub const LOG: Places = 8;
/// Metric data point attributes.
pub const POINT: Places = 16;
/// Every telemetry item (not the resource).
pub const ITEMS: Places = SPAN | EVENT | LOG | POINT;
/// Everywhere.
pub const ALL: Places = RESOURCE | ITEMS;

/// A built-in source, switchable under `normalize.sources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    OtelLegacy,
    OpenlitLegacy,
    Openllmetry,
    Openinference,
    VercelAi,
    Langfuse,
    Litellm,
}

/// How a source value becomes the canonical value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Copied (then coerced to the canonical type and, for provider,
    /// operation and token type, respelled canonically).
    Copy,
    /// Vercel AI SDK provider ids (`openai.chat`): the part before the first
    /// dot names the provider.
    VercelProvider,
    /// LiteLLM's `provider/model` strings (`openai/gpt-4o-mini`): the part
    /// before the first slash names the provider; a value without a slash
    /// names none and is not written.
    SlashProvider,
    /// Looked up (case-insensitively) in a source-specific table; values not
    /// in it are not written (e.g. Vercel's outer `ai.generateText` spans).
    Lookup(&'static [(&'static str, &'static str)]),
    /// A JSON object string whose fields map to several canonical keys. A
    /// field is a name or a dotted path into nested objects
    /// (`prompt_tokens_details.cached_tokens`); a Python dict literal (what
    /// LiteLLM writes: single quotes, `None`) is read too. Values longer than
    /// [`JSON_MAX_BYTES`] are not parsed (counted as coercion failures).
    Json(&'static [(&'static str, &'static str)]),
    /// `from` is a prefix (`llm.input_messages.*`): OpenInference's
    /// flattened messages, rebuilt into one JSON string.
    Messages,
}

/// One built-in mapping.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    /// The key the library emits.
    pub from: &'static str,
    /// The canonical key written (for [`Transform::Json`], a summary: the
    /// targets are in the JSON field table).
    pub to: &'static str,
    pub places: Places,
    pub transform: Transform,
}

/// One built-in source's table.
#[derive(Debug)]
pub struct SourceTable {
    pub source: Source,
    /// The switch under `normalize.sources`.
    pub name: &'static str,
    /// Human-readable description for the docs.
    pub title: &'static str,
    pub mappings: &'static [Mapping],
}

const fn m(from: &'static str, to: &'static str) -> Mapping {
    Mapping {
        from,
        to,
        places: ITEMS,
        transform: Transform::Copy,
    }
}

const fn at(from: &'static str, to: &'static str, places: Places) -> Mapping {
    Mapping {
        from,
        to,
        places,
        transform: Transform::Copy,
    }
}

const fn with(from: &'static str, to: &'static str, transform: Transform) -> Mapping {
    Mapping {
        from,
        to,
        places: ITEMS,
        transform,
    }
}

// Canonical keys (OpenTelemetry GenAI semantic conventions 1.37+, OpenLIT 1.45).
pub use crate::semconv::{
    CACHE_CREATION_TOKENS, CACHE_READ_TOKENS, COST, INPUT_TOKENS, OPERATION, OUTPUT_TOKENS,
    PROVIDER, REASONING_TOKENS, REQUEST_MODEL, RESPONSE_MODEL, TOKEN_TYPE,
};
pub const TOTAL_TOKENS: &str = "gen_ai.usage.total_tokens";
pub const FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
pub const DEPLOYMENT_ENVIRONMENT: &str = "deployment.environment";
pub const DEPLOYMENT_ENVIRONMENT_NAME: &str = "deployment.environment.name";
/// Prefix of every usage key: these are never written on Vercel outer spans.
pub const USAGE_PREFIX: &str = "gen_ai.usage.";

/// Older OTel GenAI semantic conventions (before 1.37) and the official
/// instrumentations that still emit them without the opt-in.
static OTEL_LEGACY: &[Mapping] = &[
    m("gen_ai.system", PROVIDER),
    m("gen_ai.usage.prompt_tokens", INPUT_TOKENS),
    m("gen_ai.usage.completion_tokens", OUTPUT_TOKENS),
    m("gen_ai.openai.request.seed", "gen_ai.request.seed"),
    m(
        "gen_ai.openai.request.response_format",
        "gen_ai.output.type",
    ),
    m(
        "gen_ai.openai.request.service_tier",
        "openai.request.service_tier",
    ),
    m(
        "gen_ai.openai.response.service_tier",
        "openai.response.service_tier",
    ),
    m(
        "gen_ai.openai.response.system_fingerprint",
        "openai.response.system_fingerprint",
    ),
];

/// OpenLIT SDK up to 1.36.
static OPENLIT_LEGACY: &[Mapping] = &[
    m("gen_ai.system", PROVIDER),
    m("gen_ai.usage.prompt_tokens", INPUT_TOKENS),
    m("gen_ai.usage.completion_tokens", OUTPUT_TOKENS),
    m("gen_ai.usage.reasoning_tokens", REASONING_TOKENS),
    m("gen_ai.tool.args", "gen_ai.tool.call.arguments"),
    m("gen_ai.request.service_tier", "openai.request.service_tier"),
    m(
        "gen_ai.response.service_tier",
        "openai.response.service_tier",
    ),
    m(
        "gen_ai.response.system_fingerprint",
        "openai.response.system_fingerprint",
    ),
    at("gen_ai.application_name", "service.name", POINT),
    at("gen_ai.environment", DEPLOYMENT_ENVIRONMENT, POINT),
];

/// OpenLLMetry (Traceloop) `opentelemetry-semantic-conventions-ai`.
static OPENLLMETRY: &[Mapping] = &[
    m("llm.usage.prompt_tokens", INPUT_TOKENS),
    m("llm.usage.completion_tokens", OUTPUT_TOKENS),
    m("llm.usage.total_tokens", TOTAL_TOKENS),
    m("gen_ai.usage.prompt_tokens", INPUT_TOKENS),
    m("gen_ai.usage.completion_tokens", OUTPUT_TOKENS),
    m("gen_ai.usage.cache_read_input_tokens", CACHE_READ_TOKENS),
    m(
        "gen_ai.usage.cache_creation_input_tokens",
        CACHE_CREATION_TOKENS,
    ),
    m("llm.usage.reasoning_tokens", REASONING_TOKENS),
    m("gen_ai.system", PROVIDER),
    m("llm.vendor", PROVIDER),
    m("llm.request.model", REQUEST_MODEL),
    m("llm.response.model", RESPONSE_MODEL),
    with(
        "llm.request.type",
        OPERATION,
        Transform::Lookup(TRACELOOP_KINDS),
    ),
    with(
        "traceloop.span.kind",
        OPERATION,
        Transform::Lookup(TRACELOOP_KINDS),
    ),
    m("llm.request.max_tokens", "gen_ai.request.max_tokens"),
    m("llm.request.temperature", "gen_ai.request.temperature"),
    m("llm.request.top_p", "gen_ai.request.top_p"),
    m("llm.top_k", "gen_ai.request.top_k"),
    m("llm.frequency_penalty", "gen_ai.request.frequency_penalty"),
    m("llm.presence_penalty", "gen_ai.request.presence_penalty"),
    m("llm.chat.stop_sequences", "gen_ai.request.stop_sequences"),
    m("llm.request.functions", "gen_ai.tool.definitions"),
    m("llm.response.finish_reason", FINISH_REASONS),
    m("llm.response.stop_reason", FINISH_REASONS),
    m("traceloop.entity.name", "gen_ai.agent.name"),
    m("traceloop.entity.input", "gen_ai.input.messages"),
    m("traceloop.entity.output", "gen_ai.output.messages"),
    m(
        "gen_ai.openai.system_fingerprint",
        "openai.response.system_fingerprint",
    ),
];

/// OpenInference (Arize Phoenix) semantic conventions.
static OPENINFERENCE: &[Mapping] = &[
    m("llm.token_count.prompt", INPUT_TOKENS),
    m("llm.token_count.completion", OUTPUT_TOKENS),
    m("llm.token_count.total", TOTAL_TOKENS),
    m(
        "llm.token_count.prompt_details.cache_read",
        CACHE_READ_TOKENS,
    ),
    m(
        "llm.token_count.prompt_details.cache_write",
        CACHE_CREATION_TOKENS,
    ),
    m(
        "llm.token_count.completion_details.reasoning",
        REASONING_TOKENS,
    ),
    m("llm.cost.total", COST),
    m("llm.model_name", REQUEST_MODEL),
    m("embedding.model_name", REQUEST_MODEL),
    m("reranker.model_name", REQUEST_MODEL),
    // The request's parameters as JSON: the model of a failed call, whose
    // span has no llm.model_name (that comes from the response).
    with(
        "llm.invocation_parameters",
        REQUEST_MODEL,
        Transform::Json(INVOCATION_MODEL_FIELDS),
    ),
    with(
        "embedding.invocation_parameters",
        REQUEST_MODEL,
        Transform::Json(INVOCATION_MODEL_FIELDS),
    ),
    // llm.provider names the host (azure), llm.system the API family
    // (openai): the host decides pricing and endpoint, so it ranks first.
    m("llm.provider", PROVIDER),
    m("llm.system", PROVIDER),
    with(
        "openinference.span.kind",
        OPERATION,
        Transform::Lookup(OPENINFERENCE_SPAN_KINDS),
    ),
    m("tool.name", "gen_ai.tool.name"),
    m("tool.description", "gen_ai.tool.description"),
    m("tool_call.id", "gen_ai.tool.call.id"),
    m("tool_call.function.arguments", "gen_ai.tool.call.arguments"),
    m("agent.name", "gen_ai.agent.name"),
    m("session.id", "gen_ai.conversation.id"),
    m("llm.input_messages", "gen_ai.input.messages"),
    m("llm.output_messages", "gen_ai.output.messages"),
    with(
        "llm.input_messages.*",
        "gen_ai.input.messages",
        Transform::Messages,
    ),
    with(
        "llm.output_messages.*",
        "gen_ai.output.messages",
        Transform::Messages,
    ),
];

/// Vercel AI SDK telemetry (`experimental_telemetry`), v3 to v6.
static VERCEL_AI: &[Mapping] = &[
    m("ai.model.id", REQUEST_MODEL),
    with("ai.model.provider", PROVIDER, Transform::VercelProvider),
    m("ai.response.model", RESPONSE_MODEL),
    m("ai.response.id", "gen_ai.response.id"),
    m("ai.response.finishReason", FINISH_REASONS),
    with(
        "ai.operationId",
        OPERATION,
        Transform::Lookup(VERCEL_OPERATIONS),
    ),
    m("ai.usage.promptTokens", INPUT_TOKENS),
    m("ai.usage.inputTokens", INPUT_TOKENS),
    m("ai.usage.tokens", INPUT_TOKENS),
    m("ai.usage.completionTokens", OUTPUT_TOKENS),
    m("ai.usage.outputTokens", OUTPUT_TOKENS),
    m("ai.usage.totalTokens", TOTAL_TOKENS),
    m("ai.usage.cachedInputTokens", CACHE_READ_TOKENS),
    m("ai.usage.reasoningTokens", REASONING_TOKENS),
    // v6 token details.
    m(
        "ai.usage.inputTokenDetails.cacheReadTokens",
        CACHE_READ_TOKENS,
    ),
    m(
        "ai.usage.inputTokenDetails.cacheWriteTokens",
        CACHE_CREATION_TOKENS,
    ),
    m(
        "ai.usage.outputTokenDetails.reasoningTokens",
        REASONING_TOKENS,
    ),
    m("ai.settings.seed", "gen_ai.request.seed"),
    m("ai.settings.maxOutputTokens", "gen_ai.request.max_tokens"),
    m("ai.settings.maxTokens", "gen_ai.request.max_tokens"),
    m("ai.settings.temperature", "gen_ai.request.temperature"),
    m("ai.settings.topP", "gen_ai.request.top_p"),
    m("ai.settings.topK", "gen_ai.request.top_k"),
    m(
        "ai.settings.frequencyPenalty",
        "gen_ai.request.frequency_penalty",
    ),
    m(
        "ai.settings.presencePenalty",
        "gen_ai.request.presence_penalty",
    ),
    m("ai.settings.stopSequences", "gen_ai.request.stop_sequences"),
    m("ai.toolCall.name", "gen_ai.tool.name"),
    m("ai.toolCall.id", "gen_ai.tool.call.id"),
    m("ai.toolCall.args", "gen_ai.tool.call.arguments"),
];

/// Fields of Langfuse's `usage_details` JSON (OpenAI- and Anthropic-style
/// names as the Langfuse SDKs record them).
pub static LANGFUSE_USAGE_FIELDS: &[(&str, &str)] = &[
    ("input", INPUT_TOKENS),
    ("output", OUTPUT_TOKENS),
    ("total", TOTAL_TOKENS),
    ("input_cached_tokens", CACHE_READ_TOKENS),
    ("cache_read_input_tokens", CACHE_READ_TOKENS),
    ("input_cache_read", CACHE_READ_TOKENS),
    ("cache_creation_input_tokens", CACHE_CREATION_TOKENS),
    ("input_cache_creation", CACHE_CREATION_TOKENS),
    ("output_reasoning_tokens", REASONING_TOKENS),
    ("reasoning_tokens", REASONING_TOKENS),
];

/// Fields of OpenInference's `llm.invocation_parameters` JSON.
pub static INVOCATION_MODEL_FIELDS: &[(&str, &str)] = &[("model", REQUEST_MODEL)];

/// Fields of Langfuse's `cost_details` JSON: the total is the call's cost.
pub static LANGFUSE_COST_FIELDS: &[(&str, &str)] = &[("total", COST)];

/// Langfuse OTel attributes (`langfuse.*`).
static LANGFUSE: &[Mapping] = &[
    m("langfuse.observation.model.name", REQUEST_MODEL),
    with(
        "langfuse.observation.usage_details",
        "gen_ai.usage.* (JSON)",
        Transform::Json(LANGFUSE_USAGE_FIELDS),
    ),
    with(
        "langfuse.observation.cost_details",
        COST,
        Transform::Json(LANGFUSE_COST_FIELDS),
    ),
    with(
        "langfuse.observation.type",
        OPERATION,
        Transform::Lookup(LANGFUSE_OBSERVATION_TYPES),
    ),
    m("langfuse.session.id", "gen_ai.conversation.id"),
    at("langfuse.environment", DEPLOYMENT_ENVIRONMENT, ALL),
];

/// Fields of LiteLLM's `metadata.usage_object` (its `Usage`, OpenAI-style,
/// written as a Python dict literal): the cache and reasoning counts exist
/// nowhere else on its spans. Token totals are read too, for spans that lack
/// `gen_ai.usage.*` (present keys win).
pub static LITELLM_USAGE_FIELDS: &[(&str, &str)] = &[
    ("prompt_tokens", INPUT_TOKENS),
    ("completion_tokens", OUTPUT_TOKENS),
    ("total_tokens", TOTAL_TOKENS),
    ("prompt_tokens_details.cached_tokens", CACHE_READ_TOKENS),
    ("cache_read_input_tokens", CACHE_READ_TOKENS),
    (
        "prompt_tokens_details.cache_creation_tokens",
        CACHE_CREATION_TOKENS,
    ),
    ("cache_creation_input_tokens", CACHE_CREATION_TOKENS),
    (
        "completion_tokens_details.reasoning_tokens",
        REASONING_TOKENS,
    ),
];

/// LiteLLM's OpenTelemetry callback (`litellm.callbacks = ["otel"]`). Its
/// `litellm_request` span carries the call: `gen_ai.*` keys of its own
/// (request model, `gen_ai.system`, usage, operation) plus these; the child
/// `raw_gen_ai_request` span (`llm.<provider>.*` keys, the raw provider
/// request and response) is left alone, so one span per call counts.
static LITELLM: &[Mapping] = &[
    // LiteLLM's own price: the call's cost (kept unless cost.override);
    // the breakdown (`gen_ai.cost.input_cost`, ...) stays as it is.
    m("gen_ai.cost.total_cost", COST),
    with(
        "metadata.usage_object",
        "gen_ai.usage.* (JSON)",
        Transform::Json(LITELLM_USAGE_FIELDS),
    ),
    // Embedding calls carry an empty gen_ai.system.
    with("litellm.provider.model", PROVIDER, Transform::SlashProvider),
];

/// JSON-valued attributes longer than this are not parsed: the fields read
/// from them (usage, cost, model) sit in small objects, and an attacker's
/// megabyte string must not cost a parse per item.
pub const JSON_MAX_BYTES: usize = 16 * 1024;

/// Every built-in source, in the order they are consulted: when two sources
/// map the same key, the first enabled one decides, and within one item the
/// key listed first wins a shared target. The Vercel AI SDK comes first so
/// that its provider id (`ai.model.provider`, read up to the first dot)
/// decides over the same id in the `gen_ai.system` it also writes.
pub static BUILTIN: &[SourceTable] = &[
    SourceTable {
        source: Source::VercelAi,
        name: "vercel_ai",
        title: "Vercel AI SDK",
        mappings: VERCEL_AI,
    },
    SourceTable {
        source: Source::OtelLegacy,
        name: "otel_legacy",
        title: "Older OTel GenAI semantic conventions and official instrumentations",
        mappings: OTEL_LEGACY,
    },
    SourceTable {
        source: Source::OpenlitLegacy,
        name: "openlit_legacy",
        title: "OpenLIT SDK up to 1.36",
        mappings: OPENLIT_LEGACY,
    },
    SourceTable {
        source: Source::Openllmetry,
        name: "openllmetry",
        title: "OpenLLMetry / Traceloop",
        mappings: OPENLLMETRY,
    },
    SourceTable {
        source: Source::Openinference,
        name: "openinference",
        title: "OpenInference (Arize Phoenix)",
        mappings: OPENINFERENCE,
    },
    SourceTable {
        source: Source::Langfuse,
        name: "langfuse",
        title: "Langfuse OTel attributes",
        mappings: LANGFUSE,
    },
    SourceTable {
        source: Source::Litellm,
        name: "litellm",
        title: "LiteLLM (`otel` callback)",
        mappings: LITELLM,
    },
];

/// Byte strings one of which every key the normalizer reacts to contains
/// (see [`crate::prefilter`]). Checked against every table by the tests.
///
/// One deliberate exception: `deployment.environment(.name)` on resources is
/// not a needle. Most non-GenAI traffic carries it; copying it is part of
/// normalizing GenAI batches, not a reason to decode every batch.
pub static NEEDLES: &[&str] = &[
    "gen_ai",
    "llm.",
    "ai.model.",
    "ai.usage.",
    "ai.response.",
    "ai.operationId",
    "ai.settings.",
    "ai.toolCall.",
    "openinference.",
    "traceloop.",
    "langfuse.",
    "embedding.model_name",
    "embedding.invocation_parameters",
    "reranker.model_name",
    "tool.name",
    "tool.description",
    "tool_call.",
    "agent.name",
    "session.id",
    "litellm.",
    "metadata.usage_object",
];

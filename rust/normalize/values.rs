//! Value maps: canonical spellings of providers, operations and token types,
//! and the source-specific tables that turn span kinds into operations.

/// Provider values the semantic conventions list (`gen_ai.provider.name`).
pub static CANONICAL_PROVIDERS: &[&str] = &[
    "openai",
    "anthropic",
    "aws.bedrock",
    "azure.ai.openai",
    "azure.ai.inference",
    "gcp.gemini",
    "gcp.vertex_ai",
    "gcp.gen_ai",
    "cohere",
    "mistral_ai",
    "groq",
    "deepseek",
    "perplexity",
    "x_ai",
    "ibm.watsonx.ai",
];

/// Deprecated values and vendor spellings, lower-cased, to canonical values.
pub static PROVIDER_ALIASES: &[(&str, &str)] = &[
    // Deprecated semantic-convention values.
    ("az.ai.openai", "azure.ai.openai"),
    ("az.ai.inference", "azure.ai.inference"),
    ("vertex_ai", "gcp.vertex_ai"),
    ("gemini", "gcp.gemini"),
    ("xai", "x_ai"),
    ("ibm.watson.ai", "ibm.watsonx.ai"),
    // Vendor spellings (Traceloop, OpenInference, OpenLIT, Vercel).
    ("azure", "azure.ai.openai"),
    ("azure_openai", "azure.ai.openai"),
    ("azure-openai", "azure.ai.openai"),
    ("aws", "aws.bedrock"),
    ("bedrock", "aws.bedrock"),
    ("amazon-bedrock", "aws.bedrock"),
    ("google", "gcp.gen_ai"),
    ("google.ai.studio", "gcp.gemini"),
    ("google.generative-ai", "gcp.gemini"),
    ("google.vertex", "gcp.vertex_ai"),
    ("vertexai", "gcp.vertex_ai"),
    ("vertex", "gcp.vertex_ai"),
    ("mistralai", "mistral_ai"),
    ("mistral", "mistral_ai"),
    ("watsonx", "ibm.watsonx.ai"),
];

/// `gen_ai.operation.name` values from older conventions and SDKs.
pub static OPERATION_ALIASES: &[(&str, &str)] = &[
    ("completion", "text_completion"),
    ("embedding", "embeddings"),
    ("agent", "invoke_agent"),
];

/// `gen_ai.token.type` values from older conventions.
pub static TOKEN_TYPE_ALIASES: &[(&str, &str)] = &[("prompt", "input"), ("completion", "output")];

/// `traceloop.span.kind` and `llm.request.type` values.
pub static TRACELOOP_KINDS: &[(&str, &str)] = &[
    ("workflow", "invoke_workflow"),
    ("task", "invoke_agent"),
    ("agent", "invoke_agent"),
    ("tool", "execute_tool"),
    ("completion", "text_completion"),
    ("chat", "chat"),
    ("rerank", "retrieval"),
    ("embedding", "embeddings"),
];

/// `openinference.span.kind` values (upper-case in the spec; matched
/// case-insensitively).
pub static OPENINFERENCE_SPAN_KINDS: &[(&str, &str)] = &[
    ("llm", "chat"),
    ("embedding", "embeddings"),
    ("chain", "invoke_agent"),
    ("agent", "invoke_agent"),
    ("tool", "execute_tool"),
    ("retriever", "retrieval"),
    ("reranker", "retrieval"),
    ("prompt", "text_completion"),
];

/// Vercel AI SDK `ai.operationId` values of the spans that are LLM calls or
/// tool calls. The outer `ai.generateText` / `ai.streamText` / ... spans are
/// absent on purpose: they get no operation.
pub static VERCEL_OPERATIONS: &[(&str, &str)] = &[
    ("ai.generatetext.dogenerate", "chat"),
    ("ai.streamtext.dostream", "chat"),
    ("ai.generateobject.dogenerate", "chat"),
    ("ai.streamobject.dostream", "chat"),
    ("ai.embed.doembed", "embeddings"),
    ("ai.embedmany.doembed", "embeddings"),
    ("ai.toolcall", "execute_tool"),
];

/// Langfuse `langfuse.observation.type` values with an operation.
pub static LANGFUSE_OBSERVATION_TYPES: &[(&str, &str)] = &[
    ("generation", "chat"),
    ("embedding", "embeddings"),
    ("agent", "invoke_agent"),
    ("tool", "execute_tool"),
    ("retriever", "retrieval"),
];

/// Case-insensitive lookup in a small table, without allocating.
pub fn lookup(table: &'static [(&'static str, &'static str)], v: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(from, _)| from.eq_ignore_ascii_case(v))
        .map(|(_, to)| *to)
}

/// Whether `inner` of a Vercel `ai.operationId` names an LLM call (inner span).
pub fn vercel_is_llm_call(operation_id: &str) -> bool {
    // On bytes: the id comes from telemetry, and a str slice `len - 9..`
    // may fall inside a multi-byte character.
    let op = operation_id
        .split_whitespace()
        .next()
        .unwrap_or("")
        .as_bytes();
    [".doGenerate", ".doStream", ".doEmbed"]
        .iter()
        .any(|s| op.len() >= s.len() && op[op.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes()))
}

/// The canonical spelling of a provider value, or `None` when `v` already is
/// canonical. Known aliases map; a dotted value whose first one or two
/// segments are known (`openai.chat`, `google.vertex.chat`) takes that
/// provider; anything else is kept, lower-cased. With `split_dot` (Vercel
/// provider ids), an unknown dotted value keeps only its first segment.
pub fn provider(v: &str, split_dot: bool) -> Option<String> {
    if let Some(c) = known_provider(v) {
        return (c != v).then(|| c.to_string());
    }
    if v.contains('.') {
        let mut dots = v.match_indices('.').map(|(i, _)| i);
        let first = dots.next().unwrap_or(v.len());
        if let Some(second) = dots.next() {
            if let Some(c) = known_provider(&v[..second]) {
                return Some(c.to_string());
            }
        }
        if let Some(c) = known_provider(&v[..first]) {
            return Some(c.to_string());
        }
        if split_dot {
            return Some(v[..first].to_ascii_lowercase());
        }
    }
    v.bytes()
        .any(|b| b.is_ascii_uppercase())
        .then(|| v.to_ascii_lowercase())
}

/// The canonical provider a value names, if it names one we know.
fn known_provider(v: &str) -> Option<&'static str> {
    CANONICAL_PROVIDERS
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(v))
        .or_else(|| lookup(PROVIDER_ALIASES, v))
}

/// The canonical spelling of an operation value, or `None` when unchanged.
/// Unknown operations are kept as they are (OpenLIT has many of its own).
pub fn operation(v: &str) -> Option<&'static str> {
    lookup(OPERATION_ALIASES, v)
        .or_else(|| lookup(super::values::CANONICAL_OPERATIONS, v))
        .filter(|c| *c != v)
}

/// Operation values the semantic conventions list (identity table so the
/// lookup also fixes their case).
pub static CANONICAL_OPERATIONS: &[(&str, &str)] = &[
    ("chat", "chat"),
    ("text_completion", "text_completion"),
    ("embeddings", "embeddings"),
    ("generate_content", "generate_content"),
    ("retrieval", "retrieval"),
    ("execute_tool", "execute_tool"),
    ("invoke_agent", "invoke_agent"),
    ("create_agent", "create_agent"),
    ("invoke_workflow", "invoke_workflow"),
];

/// The canonical spelling of a token type value, or `None` when unchanged.
pub fn token_type(v: &str) -> Option<&'static str> {
    lookup(TOKEN_TYPE_ALIASES, v)
        .or_else(|| {
            ["input", "output"]
                .into_iter()
                .find(|c| c.eq_ignore_ascii_case(v))
        })
        .filter(|c| *c != v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers() {
        assert_eq!(provider("openai", false), None);
        assert_eq!(provider("OpenAI", false).as_deref(), Some("openai"));
        assert_eq!(
            provider("az.ai.openai", false).as_deref(),
            Some("azure.ai.openai")
        );
        assert_eq!(provider("openai.chat", false).as_deref(), Some("openai"));
        assert_eq!(
            provider("openai.responses", true).as_deref(),
            Some("openai")
        );
        assert_eq!(
            provider("google.vertex.chat", true).as_deref(),
            Some("gcp.vertex_ai")
        );
        assert_eq!(provider("ibm.watsonx.ai", false), None);
        assert_eq!(provider("My.Gateway", false).as_deref(), Some("my.gateway"));
        assert_eq!(
            provider("togetherai.chat", true).as_deref(),
            Some("togetherai")
        );
        assert_eq!(provider("ollama", false), None);
        assert_eq!(provider("vLLM", false).as_deref(), Some("vllm"));
    }

    #[test]
    fn vercel_inner_spans() {
        assert!(vercel_is_llm_call("ai.generateText.doGenerate"));
        assert!(vercel_is_llm_call("ai.streamText.doStream my-fn"));
        assert!(!vercel_is_llm_call("ai.generateText"));
        assert!(!vercel_is_llm_call(""));
        // Multi-byte characters where a suffix would start.
        assert!(!vercel_is_llm_call("ai.generateTextééééé"));
        assert!(!vercel_is_llm_call("ééééééé"));
        assert!(vercel_is_llm_call("é.doStream"));
    }

    #[test]
    fn operations_and_token_types() {
        assert_eq!(operation("chat"), None);
        assert_eq!(operation("CHAT"), Some("chat"));
        assert_eq!(operation("embedding"), Some("embeddings"));
        assert_eq!(operation("vectordb"), None);
        assert_eq!(token_type("completion"), Some("output"));
        assert_eq!(token_type("input"), None);
    }
}
